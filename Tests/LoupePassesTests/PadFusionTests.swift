import LoupeIR
import LoupePasses
import LoupeReference
import XCTest

/// FusePadIntoConv through the whole pipeline: TF-style asymmetric zero padding before a
/// conv, float and quantized, and the cases that must keep their Pad.
final class PadFusionTests: XCTestCase {
    private let nchw = Pipeline.Options(convertToNHWC: false)

    /// x[1,3,7,8] → Pad(pads) → Conv 3×3 stride 2 (pads 0) → y.
    private func padConv(pads: [Int64], value: Float? = nil, mode: PadMode = .constant, alsoOutput: Bool = false) throws -> Graph {
        var rng = Rng(41)
        let inChannels = 3 + Int(pads[1] + pads[5])
        var inits: [String: Tensor] = ["pads": Tensor(shape: [8], ints: pads), "w": rng.tensor([4, inChannels, 3, 3])]
        var padInputs = ["x", "pads"]
        if let value { inits["v"] = scalar(value); padInputs.append("v") }
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 3, 7, 8]))],
                      outputs: [], nodes: [
                        Node(name: "pad", op: .pad(mode), inputs: padInputs, outputs: ["p"]),
                        Node(name: "conv", op: .conv(convAttrs(pad: 0, stride: 2)), inputs: ["p", "w"], outputs: ["y"]),
                      ], initializers: inits)
        try g.inferTypes()
        g.outputs = [ValueInfo(name: "y", type: g.type(of: "y")!)]
        if alsoOutput { g.outputs.append(ValueInfo(name: "p", type: g.type(of: "p")!)) }
        return g
    }

    private func sameOutputs(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = Rng(42)
        let inputs = ["x": rng.tensor([1, 3, 7, 8], -2, 2)]
        let want = try ReferenceInterpreter.run(a, inputs: inputs), got = try ReferenceInterpreter.run(b, inputs: inputs)
        for o in a.outputs {
            let w = want[o.name]!.floats, g = got[o.name]!.floats
            XCTAssertEqual(got[o.name]!.shape, want[o.name]!.shape, o.name, file: file, line: line)
            for (p, q) in zip(g, w) { XCTAssertEqual(p, q, accuracy: 1e-5, o.name, file: file, line: line) }
        }
    }

    func testAsymmetricZeroPadMovesIntoTheConv() throws {
        // TF "same" for 3×3 stride 2 on 7×8: 1 row and 0/1 columns, more at the end.
        for value in [nil, Float(0)] {
            let g = try padConv(pads: [0, 0, 1, 0, 0, 0, 1, 1], value: value)
            let o = try Pipeline.optimize(g, options: nchw)
            XCTAssertFalse(o.nodes.contains { $0.op.onnxName == "Pad" }, "\(o.nodes.map(\.op.onnxName))")
            guard case .conv(let a) = o.nodes.first(where: { $0.op.onnxName == "Conv" })?.op else { return XCTFail("no conv") }
            XCTAssertEqual(a.pads, [1, 0, 1, 1])
            try sameOutputs(g, o)
        }
    }

    func testPadsThatAreNotZerosOfTheSpatialAxesStay() throws {
        let cases: [(String, Graph)] = [
            ("a non-zero value", try padConv(pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.5)),
            ("reflect", try padConv(pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: .reflect)),
            ("channels padded", try padConv(pads: [0, 1, 1, 1, 0, 0, 1, 1])),
            ("the padded map is also an output", try padConv(pads: [0, 0, 1, 1, 0, 0, 1, 1], alsoOutput: true)),
        ]
        for (what, g) in cases {
            let o = try Pipeline.optimize(g, options: nchw)
            XCTAssertTrue(o.nodes.contains { $0.op.onnxName == "Pad" }, what)
            try sameOutputs(g, o)
        }
    }

    /// The quantized form: DQ → Pad → Q → DQ → Conv folds into one int8 conv that pads with
    /// the zero point, with no float island left.
    func testQuantizedPadBecomesPartOfTheInt8Conv() throws {
        var b = QDQBuilder(shape: [1, 3, 7, 8], seed: 44)
        let x = b.qdq("x", scale: 0.02, zeroPoint: -3)
        b.graph.initializers["pads"] = Tensor(shape: [8], ints: [0, 0, 0, 1, 0, 0, 1, 1])
        let p = b.node("pad", .pad(.constant), [x, "pads"])
        let pq = b.qdq(p, scale: 0.02, zeroPoint: -3, name: "padded")
        let (w, ws) = b.weight("w", [8, 3, 3, 3], axis: 0)
        let bias = b.bias("b", inputScale: 0.02, weightScales: ws)
        let conv = b.node("conv", .conv(convAttrs(pad: 0, stride: 2)), [pq, w, bias])
        let y = b.qdq(conv, scale: 0.05, zeroPoint: 2, name: "y")
        b.output(y, [1, 8, 4, 4])
        let o = try Pipeline.optimize(b.graph, options: nchw)
        XCTAssertFalse(o.nodes.contains { $0.op.onnxName == "Pad" })
        XCTAssertTrue(o.floatIslands.isEmpty, "\(o.floatIslands)")
        let c = try XCTUnwrap(o.nodes.first { $0.op.onnxName == "Conv" })
        XCTAssertEqual(o.type(of: c.inputs[0])?.dtype, .int8)
        var rng = Rng(45)
        try assertSameQuantizedOutputs(b.graph, o, inputs: ["x": rng.tensor([1, 3, 7, 8], -2, 2)], step: 0.05, seed: 45)
    }
}
