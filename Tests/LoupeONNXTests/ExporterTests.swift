import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX

/// ONNXExporter: structure survives export → import, fused clamps come back as separate
/// Relu/Clip nodes, what cannot be written is refused naming the node, files are written
/// atomically, and onnx.checker accepts the result. Numeric round trips (reference
/// interpreter, ONNX Runtime) are in LoupeCalibrationTests/ExportNumericsTests.swift,
/// whose target links the interpreter.
final class ExporterTests: ONNXTestCase {
    static let baselinePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/models/challenge_baseline.onnx").path

    func reimport(_ g: Graph) throws -> Graph {
        try ONNXImporter.load(data: Data(try ONNXExporter.serialize(g)))
    }

    /// Nodes compared without `origin` (the exported file has its own indices and opset).
    func assertSameStructure(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.inputs, b.inputs, file: file, line: line)
        XCTAssertEqual(a.outputs, b.outputs, file: file, line: line)
        XCTAssertEqual(a.nodes.count, b.nodes.count, file: file, line: line)
        for (x, y) in zip(a.nodes, b.nodes) {
            XCTAssertEqual(x.name, y.name, file: file, line: line)
            XCTAssertEqual(x.op, y.op, "\(x.name)", file: file, line: line)
            XCTAssertEqual(x.inputs, y.inputs, "\(x.name)", file: file, line: line)
            XCTAssertEqual(x.outputs, y.outputs, "\(x.name)", file: file, line: line)
        }
        XCTAssertEqual(Set(a.initializers.keys), Set(b.initializers.keys), file: file, line: line)
        for (k, t) in a.initializers { XCTAssertEqual(t, b.initializers[k], k, file: file, line: line) }
    }

    func testChallengeBaselineRoundTripsNodeForNode() throws {
        guard FileManager.default.fileExists(atPath: Self.baselinePath) else {
            throw XCTSkip("\(Self.baselinePath) is missing (tools/models/make_baseline.py makes it)")
        }
        let g = try ONNXImporter.load(contentsOf: Self.baselinePath)
        let back = try reimport(g)
        assertSameStructure(g, back)
        XCTAssertEqual(back.opset, ONNXExporter.opset)
        XCTAssertEqual(back.metadata["producer_name"], "loupe")
    }

    func convGraph(clamp: (Float, Float)?, layout: Layout = .nchw) -> Graph {
        var attrs = ConvAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], layout: layout)
        if let (lo, hi) = clamp { attrs.outputMin = lo; attrs.outputMax = hi }
        var gemm = GemmAttributes(transB: true)
        gemm.outputMin = 0
        let w = Tensor(shape: [4, 2, 3, 3], floats: (0..<72).map { Float($0 % 7) - 3 })
        return Graph(
            name: "fused",
            inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2, 5, 5]))],
            outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 3]))],
            nodes: [
                Node(name: "conv", op: .conv(attrs), inputs: ["x", "w", "b"], outputs: ["c"]),
                Node(name: "gap", op: .globalAveragePool(layout: layout), inputs: ["c"], outputs: ["p"]),
                Node(name: "flat", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
                Node(name: "fc", op: .gemm(gemm), inputs: ["f", "fw", "fb"], outputs: ["y"]),
            ],
            initializers: ["w": w, "b": Tensor(shape: [4], floats: [0.5, -1, 0, 2]),
                           "fw": Tensor(shape: [3, 4], floats: (0..<12).map { Float($0) / 10 }),
                           "fb": Tensor(shape: [3], floats: [1, 2, 3])],
            metadata: ["loupe.calibration.method": "minmax", "photos": "a.jpg,b.jpg"])
    }

    func testFusedClampsBecomeReluOrClipAfterTheOp() throws {
        let relu6 = try reimport(convGraph(clamp: (0, 6)))
        XCTAssertEqual(relu6.nodes.map(\.op.onnxName), ["Conv", "Clip", "GlobalAveragePool", "Flatten", "Gemm", "Relu"])
        let conv = relu6.nodes[0], clip = relu6.nodes[1]
        XCTAssertEqual(clip.outputs, ["c"], "the clamp keeps the fused node's output name")
        XCTAssertEqual(conv.outputs, clip.inputs.prefix(1).map { $0 })
        guard case .conv(let a) = conv.op else { return XCTFail() }
        XCTAssertFalse(a.hasFusedClamp)
        XCTAssertEqual(relu6.initializers[clip.inputs[1]]?.floats, [0])
        XCTAssertEqual(relu6.initializers[clip.inputs[2]]?.floats, [6])
        XCTAssertEqual(relu6.nodes[5].outputs, ["y"])
        XCTAssertEqual(relu6.metadata["photos"], "a.jpg,b.jpg")
        XCTAssertEqual(relu6.metadata["loupe.calibration.method"], "minmax")

        let upper = try reimport(convGraph(clamp: (-.infinity, 1)))
        let c = upper.nodes[1]
        XCTAssertEqual(c.op, .clip)
        XCTAssertEqual(c.inputs.count, 3)
        XCTAssertEqual(c.inputs[1], "", "no lower bound")

        let plain = try reimport(convGraph(clamp: nil))
        XCTAssertEqual(plain.nodes.first?.outputs, ["c"])
        XCTAssertEqual(plain.nodes.map(\.op.onnxName), ["Conv", "GlobalAveragePool", "Flatten", "Gemm", "Relu"])
    }

    func testLegacySoftmaxIsSpelledWithFlattenAndReshape() throws {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [2, 3, 4]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [2, 3, 4]))],
                      nodes: [Node(name: "sm", op: .softmax(axis: 1, legacyCoerce2D: true), inputs: ["x"], outputs: ["y"])])
        try g.inferTypes()
        let back = try reimport(g)
        XCTAssertEqual(back.nodes.map(\.op), [.flatten(axis: 1), .softmax(axis: -1, legacyCoerce2D: false), .reshape(allowZero: false)])
        XCTAssertEqual(back.initializers[back.nodes[2].inputs[1]]?.ints, [2, 3, 4])

        g.nodes[0].op = .softmax(axis: -1, legacyCoerce2D: true)
        XCTAssertEqual(try reimport(g).nodes.map(\.op), [.softmax(axis: -1, legacyCoerce2D: false)])
    }

    func testSpaceToDepthAndDepthToSpaceRoundTrip() throws {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 8, 4, 6]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 8, 4, 6]))],
                      nodes: [
                        Node(name: "crd", op: .depthSpace(DepthSpaceAttributes(direction: .depthToSpaceCRD, blockSize: 2)),
                             inputs: ["x"], outputs: ["a"]),
                        Node(name: "s2d", op: .depthSpace(DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2)),
                             inputs: ["a"], outputs: ["b"]),
                        Node(name: "dcr", op: .depthSpace(DepthSpaceAttributes(direction: .depthToSpaceDCR, blockSize: 2)),
                             inputs: ["b"], outputs: ["c"]),
                        Node(name: "s2d2", op: .depthSpace(DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2)),
                             inputs: ["c"], outputs: ["y"]),
                      ])
        try g.inferTypes()
        assertSameStructure(g, try reimport(g))
        // An NHWC node is the optimizer's, not ONNX's.
        g.nodes[1].op = .depthSpace(DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2, layout: .nhwc))
        XCTAssertThrowsError(try ONNXExporter.serialize(g))
    }

    func testQuantizeDequantizeAndIntegerInitializersRoundTrip() throws {
        let g = Graph(
            inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 3, 2, 2]))],
            outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 3, 2, 2]))],
            nodes: [
                Node(name: "q", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["x", "s", "z"], outputs: ["xq"]),
                Node(name: "dq", op: .dequantizeLinear(axis: 1), inputs: ["xq", "s", "z"], outputs: ["xd"]),
                Node(name: "wdq", op: .dequantizeLinear(axis: 0), inputs: ["wq", "ws", "wz"], outputs: ["wd"]),
                Node(name: "bdq", op: .dequantizeLinear(axis: 0), inputs: ["bq", "bs", "bz"], outputs: ["bd"]),
                Node(name: "conv", op: .conv(ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0])),
                     inputs: ["xd", "wd", "bd"], outputs: ["y"]),
            ],
            initializers: [
                "s": Tensor(shape: [], floats: [0.25]), "z": Tensor(shape: [], ints: [-3], dtype: .int8),
                "wq": Tensor(shape: [3, 3, 1, 1], ints: [-127, 0, 127, 1, 2, 3, -4, -5, -6], dtype: .int8),
                "ws": Tensor(shape: [3], floats: [0.1, 0.2, 0.3]), "wz": Tensor(shape: [3], ints: [0, 0, 0], dtype: .int8),
                "bq": Tensor(shape: [3], ints: [-100000, 0, 2_000_000_000], dtype: .int32),
                "bs": Tensor(shape: [3], floats: [0.025, 0.05, 0.075]), "bz": Tensor(shape: [3], ints: [0, 0, 0], dtype: .int32),
            ])
        assertSameStructure(g, try reimport(g))
    }

    func testWhatCannotBeWrittenIsRefusedNamingTheNode() throws {
        assertLoupeError(try ONNXExporter.serialize(convGraph(clamp: nil, layout: .nhwc)),
                         contains: "Conv node 'conv': cannot export: layout nhwc")
        var g = convGraph(clamp: nil)
        g.nodes[1].op = .unsupported(opType: "Foo", domain: "com.example", reason: "not known")
        assertLoupeError(try ONNXExporter.serialize(g), contains: "cannot export: op 'Foo' of domain 'com.example'")
        var q = convGraph(clamp: nil)
        q.quantization["c"] = .perTensor(scale: 0.1, zeroPoint: 0)
        assertLoupeError(try ONNXExporter.serialize(q), contains: "folded int8 values")
    }

    func testWriteIsAtomic() throws {
        let path = directory.appendingPathComponent("m.onnx").path
        try ONNXExporter.write(convGraph(clamp: nil), to: path)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(try ONNXImporter.load(contentsOf: path).nodes.count, 5)

        // A failing export leaves the existing file as it was and no temporary file.
        assertLoupeError(try ONNXExporter.write(convGraph(clamp: nil, layout: .nhwc), to: path), contains: "layout nhwc")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.onnx"])

        // Replacing works; a missing directory is an I/O error that creates nothing.
        try ONNXExporter.write(convGraph(clamp: (0, 6)), to: path)
        XCTAssertEqual(try ONNXImporter.load(contentsOf: path).nodes.count, 6)
        let missing = directory.appendingPathComponent("no/such/dir/m.onnx").path
        assertLoupeError(try ONNXExporter.write(convGraph(clamp: nil), to: missing), contains: "I/O error: cannot write")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("no").path))
    }

    /// onnx.checker (full check, with shape inference) accepts the exported files.
    func testOnnxCheckerAcceptsExports() throws {
        var paths = [("fused", convGraph(clamp: (0, 6)))]
        if FileManager.default.fileExists(atPath: Self.baselinePath) {
            paths.append(("baseline", try ONNXImporter.load(contentsOf: Self.baselinePath)))
        }
        for (name, g) in paths { try ONNXExporter.write(g, to: url(name).path) }
        let out = try python("""
        for name in \(paths.map { $0.0 }):
            m = onnx.load(os.path.join(OUT, name + '.onnx'))
            onnx.checker.check_model(m, full_check=True)
            print(name, m.opset_import[0].version, m.ir_version)
        """)
        XCTAssertEqual(out.split(separator: "\n").count, paths.count, out)
        XCTAssertTrue(out.contains("fused 21 10"), out)
    }
}
