import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX
import LoupeTestSupport

/// Untrusted input: every malformed file throws a `LoupeError` with a precise message, and
/// nothing crashes. Models are built with the generated Swift types (no python needed).
final class MalformedModelTests: XCTestCase {
    // MARK: Builders

    static func valueInfo(_ name: String, _ dims: [Int64] = [1, 3, 4, 4], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var vi = Onnx_ValueInfoProto()
        vi.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = type
        tt.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = d
            return dim
        }
        vi.type.tensorType = tt
        return vi
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "",
                     domain: String = "", attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name
        n.domain = domain
        n.attribute = attributes
        return n
    }

    static func attribute(_ name: String, _ fill: (inout Onnx_AttributeProto) -> Void) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        fill(&a)
        return a
    }

    static func model(_ nodes: [Onnx_NodeProto], inputs: [String] = ["x"], outputs: [String] = ["y"],
                      initializers: [Onnx_TensorProto] = [], opset: Int64 = 17,
                      extraOpsets: [(String, Int64)] = []) -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.version = opset
        m.opsetImport = [o] + extraOpsets.map { d, v in
            var e = Onnx_OperatorSetIdProto()
            e.domain = d
            e.version = v
            return e
        }
        m.graph.name = "g"
        m.graph.node = nodes
        m.graph.input = inputs.map { valueInfo($0) }
        m.graph.output = outputs.map { valueInfo($0) }
        m.graph.initializer = initializers
        return m
    }

    /// A FLOAT (data type 1) initializer.
    static func floatTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = tensorHeader(name, dims, dataType: 1)
        t.floatData = values
        return t
    }

    /// An INT64 (data type 7) initializer.
    static func intTensor(_ name: String, _ dims: [Int64], _ values: [Int64]) -> Onnx_TensorProto {
        var t = tensorHeader(name, dims, dataType: 7)
        t.int64Data = values
        return t
    }

    private static func tensorHeader(_ name: String, _ dims: [Int64], dataType: Int32) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = dataType
        t.dims = dims
        return t
    }

    func load(_ m: Onnx_ModelProto) throws -> Graph {
        try ONNXImporter.load(data: try m.serializedBytes())
    }

    func assertError(_ m: Onnx_ModelProto, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try load(m)
            XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
        } catch let e as LoupeError {
            XCTAssertTrue(e.description.contains(fragment), "'\(e)' does not contain '\(fragment)'", file: file, line: line)
        } catch {
            XCTFail("expected LoupeError, got \(error)", file: file, line: line)
        }
    }

    /// A valid model with a few nodes, attributes and an initializer, for the byte-level tests.
    static var validModel: Onnx_ModelProto {
        let w = floatTensor("W", [4, 3, 3, 3], Array(repeating: 0.5, count: 108))
        let conv = node("Conv", ["x", "W"], ["c"], name: "conv",
                        attributes: [attribute("pads") { $0.type = .ints; $0.ints = [1, 1, 1, 1] }])
        let relu = node("Relu", ["c"], ["y"])
        return model([conv, relu], initializers: [w])
    }

    // MARK: Tests

    func testValidModelLoads() throws {
        let g = try load(Self.validModel)
        XCTAssertEqual(g.nodes.map(\.op.onnxName), ["Conv", "Relu"])
        XCTAssertEqual(g.initializers["W"]?.shape, [4, 3, 3, 3])
    }

    func testEmptyAndGarbage() {
        XCTAssertThrowsError(try ONNXImporter.load(data: Data())) { error in
            XCTAssertEqual(error as? LoupeError, .malformedModel("the model file is empty"))
        }
        assertThrowsMalformed(Data("not a model at all, just some text".utf8))
        assertThrowsMalformed(Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
        XCTAssertThrowsError(try ONNXImporter.load(contentsOf: "/nonexistent/loupe/model.onnx")) { error in
            guard case .io(let m)? = error as? LoupeError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("/nonexistent/loupe/model.onnx"))
        }
    }

    func testTruncatedAtEveryPrefixNeverCrashes() throws {
        let data: Data = try Self.validModel.serializedBytes()
        var failures = 0
        for cut in 0..<data.count {
            let prefix = data.prefix(cut)
            do {
                _ = try ONNXImporter.load(data: prefix)
            } catch is LoupeError {
                failures += 1
            } catch {
                XCTFail("cut at \(cut): non-Loupe error \(error)")
            }
        }
        // Only cuts that land exactly on a field boundary after everything needed can load;
        // the initializer and nodes precede the outputs, so almost every prefix must fail.
        XCTAssertGreaterThan(failures, data.count * 9 / 10)
        for cut in [1, data.count / 4, data.count / 2, data.count - 1] {
            assertThrowsMalformed(data.prefix(cut), "cut at \(cut) of \(data.count)")
        }
    }

    func testRandomBytesAndBitFlipsNeverCrash() throws {
        let seed = testSeed()
        var rng = SeededRandom(seed: seed)
        for i in 0..<2000 {
            let n = Int(rng.next() % 512) + 1
            let bytes = Data((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            do {
                _ = try ONNXImporter.load(data: bytes)
                // Random bytes can parse as a protobuf, but never as a model with a graph
                // whose outputs are all defined... except by extreme luck: report it.
                XCTFail("random bytes \(i) loaded as a model (seed \(seed))")
            } catch is LoupeError {
            } catch {
                XCTFail("random bytes \(i): non-Loupe error \(error) (seed \(seed))")
            }
        }
        let valid: Data = try Self.validModel.serializedBytes()
        for i in 0..<3000 {
            var mutated = valid
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(mutated.count))
                mutated[at] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
            do {
                _ = try ONNXImporter.load(data: mutated)
            } catch is LoupeError {
            } catch {
                XCTFail("mutation \(i): non-Loupe error \(error) (seed \(seed))")
            }
        }
    }

    /// Every mapped op type with random input counts and random attributes (names it reads,
    /// random types and extreme values), at random opsets: import succeeds or throws a
    /// LoupeError; nothing traps.
    func testRandomNodesNeverCrash() throws {
        let ops = Array(NodeTestSuiteTests.mapped).sorted() + ["Unknown"]
        let names = ["axis", "axes", "perm", "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad",
                     "alpha", "beta", "transA", "transB", "epsilon", "keepdims", "noop_with_empty_axes", "mode",
                     "value", "value_float", "value_floats", "value_int", "value_ints", "min", "max", "to",
                     "starts", "ends", "scales", "ceil_mode", "count_include_pad", "output_padding",
                     "output_shape", "training_mode", "allowzero", "start", "end", "coordinate_transformation_mode",
                     "nearest_mode", "antialias", "spatial", "sparse_value", "value_string"]
        let ints: [Int64] = [0, 1, -1, 2, 3, Int64.max, Int64.min, 1 << 40]
        let floats: [Float] = [0, 1, -1, .nan, .infinity, -.infinity, 1e30, 0.5]
        let seed = testSeed()
        var rng = SeededRandom(seed: seed)
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        var loaded = 0
        for i in 0..<4000 {
            let op = pick(ops)
            let inputCount = Int(rng.next() % 5)
            let inputs = (0..<inputCount).map { _ in pick(["x", "w", "", "i"]) }
            var attributes: [Onnx_AttributeProto] = []
            for name in Set((0..<Int(rng.next() % 4)).map { _ in pick(names) }) {
                attributes.append(Self.attribute(name) { a in
                    switch rng.next() % 7 {
                    case 0: a.type = .int; a.i = pick(ints)
                    case 1: a.type = .ints; a.ints = (0..<Int(rng.next() % 5)).map { _ in pick(ints) }
                    case 2: a.type = .float; a.f = pick(floats)
                    case 3: a.type = .floats; a.floats = (0..<Int(rng.next() % 5)).map { _ in pick(floats) }
                    case 4: a.type = .string; a.s = Data(pick(["NOTSET", "constant", "linear", "", "SAME_UPPER", "asymmetric"]).utf8)
                    case 5:
                        a.type = .tensor
                        a.t = MalformedModelTests.floatTensor("t", (0..<Int(rng.next() % 3)).map { _ in pick(ints) }, [1])
                        a.t.dataType = Int32(truncatingIfNeeded: rng.next() % 17)
                    default: a.type = pick([.undefined, .graph, .sparseTensor, .strings])
                    }
                })
            }
            let outputs = pick([["y"], ["y", "idx"], ["y", ""], []])
            var m = Self.model([Self.node(op, inputs, outputs, attributes: attributes)], inputs: ["x"],
                               outputs: ["y"], initializers: [Self.floatTensor("w", [2, 1, 3, 3], Array(repeating: 1, count: 18)),
                                                             Self.intTensor("i", [2], [0, 1])],
                               opset: pick([7, 9, 10, 11, 12, 13, 17, 18, 19, 21]))
            if rng.next() % 4 == 0 { m.graph.input[0].type.tensorType.shape.dim.removeLast() }
            do {
                _ = try load(m)
                loaded += 1
            } catch is LoupeError {
            } catch {
                XCTFail("node \(i) (\(op)): non-Loupe error \(error) (seed \(seed))")
            }
        }
        XCTAssertGreaterThan(loaded, 100, "seed \(seed)")
    }

    func testMissingGraphAndOpset() {
        var noGraph = Onnx_ModelProto()
        noGraph.irVersion = 8
        assertError(noGraph, contains: "the model has no graph")
        var noOpset = Self.validModel
        noOpset.opsetImport = []
        assertError(noOpset, contains: "has nodes of the default ONNX domain but imports no opset for it")
        var mlOnly = Self.model([Self.node("Binarizer", ["x"], ["y"], domain: "ai.onnx.ml")], opset: 1)
        mlOnly.opsetImport[0].domain = "ai.onnx.ml"
        let g = try? load(mlOnly)
        XCTAssertEqual(g?.opset, 0)
        XCTAssertEqual(g?.nodes.first?.origin?.opset, 1)
        XCTAssertNotNil(g?.nodes.first?.unsupportedReason)
        var noOutputs = Self.validModel
        noOutputs.graph.output = []
        assertError(noOutputs, contains: "the graph has no outputs")
    }

    func testUndefinedInputsAndTopologicalOrder() {
        assertError(Self.model([Self.node("Relu", ["nope"], ["y"], name: "r")]),
                    contains: "input 0 'nope' of Relu node 0 'r' (opset 17) is not a graph input, initializer or output of an earlier node")
        let reversed = Self.model([Self.node("Relu", ["h"], ["y"]), Self.node("Relu", ["x"], ["h"])])
        assertError(reversed, contains: "produced by a later node (nodes are not in topological order)")
        assertError(Self.model([Self.node("Relu", ["x"], ["h"])]),
                    contains: "graph output 'y' is not produced")
        // An omitted optional input is fine.
        XCTAssertNoThrow(try load(Self.model([Self.node("Clip", ["x", "", ""], ["y"])])))
    }

    func testTrailingOmittedNamesAreDropped() throws {
        let g = try load(Self.model([Self.node("Relu", ["x", ""], ["y", ""])]))
        XCTAssertEqual(g.nodes[0].inputs, ["x"])
        XCTAssertEqual(g.nodes[0].outputs, ["y"])
        let clip = try load(Self.model([Self.node("Clip", ["x", "", ""], ["y"])]))
        XCTAssertEqual(clip.nodes[0].inputs, ["x"])
        assertError(Self.model([Self.node("Add", ["", "x"], ["y"])]), contains: "omits required input 0")
        assertError(Self.model([Self.node("Relu", ["x"], ["", "y"])]), contains: "has 2 outputs; expected 1")
    }

    func testDuplicateNames() {
        assertError(Self.model([Self.node("Relu", ["x"], ["y"]), Self.node("Relu", ["x"], ["y"])]),
                    contains: "output 'y' of Relu node 1 'Relu_1' (opset 17) is already defined")
        assertError(Self.model([Self.node("Relu", ["x"], ["x"])]), contains: "output 'x' of Relu node 0")
        let w = Self.floatTensor("W", [1], [1])
        assertError(Self.model([Self.node("Add", ["x", "W"], ["y"])], initializers: [w, w]),
                    contains: "initializer 'W' is defined twice")
        assertError(Self.model([Self.node("Relu", ["x"], ["y"])], inputs: ["x", "x"]),
                    contains: "graph input 'x' is listed twice")
        assertError(Self.model([Self.node("Dropout", ["x"], ["y", "y"])]), contains: "lists output 'y' twice")
    }

    func testBadAttributeTypes() {
        let intAsFloat = Self.attribute("alpha") { $0.type = .int; $0.i = 1 }
        assertError(Self.model([Self.node("LeakyRelu", ["x"], ["y"], name: "lr", attributes: [intAsFloat])]),
                    contains: "invalid attribute 'alpha' of LeakyRelu node 0 'lr' (opset 17): expected type FLOAT, got INT")
        let stringAsInts = Self.attribute("perm") { $0.type = .string; $0.s = Data("0,1".utf8) }
        assertError(Self.model([Self.node("Transpose", ["x"], ["y"], attributes: [stringAsInts])]),
                    contains: "'perm' of Transpose node 0 'Transpose_0' (opset 17): expected type INTS, got STRING")
        let twice = [Self.attribute("axis") { $0.type = .int; $0.i = 1 }, Self.attribute("axis") { $0.type = .int; $0.i = 2 }]
        assertError(Self.model([Self.node("Flatten", ["x"], ["y"], attributes: twice)]), contains: "appears more than once")
        let badUTF8 = Self.attribute("mode") { $0.type = .string; $0.s = Data([0xFF, 0xFE]) }
        assertError(Self.model([Self.node("Pad", ["x", "x"], ["y"], attributes: [badUTF8])]), contains: "is not valid UTF-8")
        let hugeInt = Self.attribute("axis") { $0.type = .int; $0.i = Int64.max }
        XCTAssertNoThrow(try load(Self.model([Self.node("Flatten", ["x"], ["y"], attributes: [hugeInt])])),
                         "range checks of axes belong to shape inference")
        // Files from before the `type` field: accepted when the matching value is set.
        let untyped = Self.attribute("alpha") { $0.f = 0.3 }
        XCTAssertEqual(try load(Self.model([Self.node("LeakyRelu", ["x"], ["y"], attributes: [untyped])])).nodes.first?.op,
                       .leakyRelu(alpha: 0.3))
    }

    func testUnsupportedOpsAndDomainsAreKept() throws {
        let g = try load(Self.model([
            Self.node("Relu", ["x"], ["a"]),
            Self.node("FancyOp", ["a"], ["b"], name: "fancy"),
            Self.node("Gelu", ["b"], ["c"], domain: "com.microsoft"),
            Self.node("Relu", ["c"], ["y"]),
        ], extraOpsets: [("com.microsoft", 1)]))
        XCTAssertEqual(g.nodes.count, 4)
        guard case .unsupported(let t1, let d1, let r1) = g.nodes[1].op,
              case .unsupported(let t2, let d2, let r2) = g.nodes[2].op else { return XCTFail("\(g.nodes.map(\.op))") }
        XCTAssertEqual([t1, d1], ["FancyOp", ""])
        XCTAssertTrue(r1.contains("no Loupe equivalent"))
        XCTAssertEqual([t2, d2], ["Gelu", "com.microsoft"])
        XCTAssertTrue(r2.contains("domain 'com.microsoft'"))
        XCTAssertEqual(g.nodes[2].origin?.opset, 1)
        XCTAssertEqual(g.nodes[1].inputs, ["a"])
        XCTAssertEqual(g.nodes[1].outputs, ["b"])
        XCTAssertEqual(g.nodes[1].name, "fancy")

        let old = try load(Self.model([Self.node("Relu", ["x"], ["y"])], opset: 6))
        XCTAssertTrue(old.nodes[0].unsupportedReason?.contains("opset 6 is outside") ?? false)
        let future = try load(Self.model([Self.node("Relu", ["x"], ["y"])], opset: 99))
        XCTAssertNotNil(future.nodes[0].unsupportedReason)
    }

    func testNonTensorAndUntypedInterfaces() {
        var seqInput = Self.model([Self.node("Relu", ["x"], ["y"])])
        seqInput.graph.input[0].type = Onnx_TypeProto()
        assertError(seqInput, contains: "graph input 'x' is not a tensor")
        var noShape = Self.model([Self.node("Relu", ["x"], ["y"])])
        noShape.graph.input[0].type.tensorType.clearShape()
        assertError(noShape, contains: "graph input 'x' has no shape")
        var badType = Self.model([Self.node("Relu", ["x"], ["y"])])
        badType.graph.input[0].type.tensorType.elemType = 8
        assertError(badType, contains: "graph input 'x' has element type STRING")
        var negDim = Self.model([Self.node("Relu", ["x"], ["y"])])
        negDim.graph.input[0].type.tensorType.shape.dim[0].dimValue = -2
        assertError(negDim, contains: "has dimension -2")
    }

    func testInitializerProblems() {
        let short = Self.floatTensor("W", [2, 2], [1, 2, 3])
        assertError(Self.model([Self.node("Add", ["x", "W"], ["y"])], initializers: [short]),
                    contains: "initializer 'W' has dims [2, 2] (4 elements) but 3 values in float_data")
        var huge = Self.floatTensor("W", [Int64.max, 2], [])
        assertError(Self.model([Self.node("Add", ["x", "W"], ["y"])], initializers: [huge]), contains: "overflows")
        huge.dims = [1 << 30, 1 << 30]
        huge.rawData = Data([1, 2, 3, 4])
        assertError(Self.model([Self.node("Add", ["x", "W"], ["y"])], initializers: [huge]),
                    contains: "(4611686018427387904 bytes) but 4 bytes of raw_data")
        var unnamed = Self.floatTensor("", [1], [1])
        unnamed.name = ""
        assertError(Self.model([Self.node("Relu", ["x"], ["y"])], initializers: [unnamed]), contains: "initializer 0 has no name")
    }

    func testParseTensorRejectsGarbage() {
        XCTAssertThrowsError(try ONNXImporter.parseTensor(data: Data([0xFF, 0xFF, 0xFF]))) { error in
            guard case .malformedModel? = error as? LoupeError else { return XCTFail("\(error)") }
        }
        // An empty message is a float32 scalar without data: a size mismatch, not a crash.
        XCTAssertThrowsError(try ONNXImporter.parseTensor(data: Data()))
    }

    private func assertThrowsMalformed(_ data: Data, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ONNXImporter.load(data: data), message, file: file, line: line) { error in
            guard case .malformedModel? = error as? LoupeError else {
                return XCTFail("expected malformedModel, got \(error) \(message)", file: file, line: line)
            }
        }
    }
}
