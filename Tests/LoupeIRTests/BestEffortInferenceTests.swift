import XCTest
@testable import LoupeIR
import LoupeTestSupport

/// `inferTypesBestEffort`: the rules of `inferTypes`, going on past what it cannot type.
final class BestEffortInferenceTests: XCTestCase {
    /// x → Conv → Relu → [unsupported "Mystery"] → Flatten, and beside it
    /// Relu → Reshape(shape from a graph input, so not constant) → Relu, and Relu → Sigmoid.
    func makeGraph(inputShape: [Dim] = [.value(1), .value(3), .value(8), .value(8)]) -> Graph {
        let w = Tensor(shape: [4, 3, 3, 3], floats: Array(repeating: 0.1, count: 108))
        return Graph(
            inputs: [ValueInfo(name: "x", type: TensorType(.float32, inputShape)),
                     ValueInfo(name: "shape", type: TensorType(.int64, shape: [2]))],
            outputs: [ValueInfo(name: "y", type: TensorType(.float32, [.unknown, .unknown]))],
            nodes: [
                Node(name: "conv", op: .conv(conv2d(k: [3, 3], s: [2, 2], p: [1, 1, 1, 1])), inputs: ["x", "w"], outputs: ["c"]),
                Node(name: "relu", op: .unary(.relu), inputs: ["c"], outputs: ["r"]),
                Node(name: "mystery", op: .unsupported(opType: "Mystery", domain: "", reason: "no IR op"), inputs: ["r"], outputs: ["m"]),
                Node(name: "flat", op: .flatten(axis: 1), inputs: ["m"], outputs: ["y"]),
                Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["r", "shape"], outputs: ["r2"]),
                Node(name: "relu2", op: .unary(.relu), inputs: ["r2"], outputs: ["r3"]),
                Node(name: "sigmoid", op: .unary(.sigmoid), inputs: ["r"], outputs: ["s"]),
            ],
            initializers: ["w": w])
    }

    func testTypesWhatItCanAndReportsTheRestByCause() throws {
        var g = makeGraph()
        let untyped = g.inferTypesBestEffort()
        XCTAssertEqual(g.types["c"]?.staticShape, [1, 4, 4, 4])
        XCTAssertEqual(g.types["s"]?.staticShape, [1, 4, 4, 4], "a branch after the failures is typed")
        for name in ["m", "y", "r2", "r3"] { XCTAssertNil(g.types[name], name) }
        XCTAssertEqual(untyped.unsupported.map(\.name), ["mystery"])
        XCTAssertEqual(untyped.failed.count, 1, "\(untyped.failed)")
        XCTAssertTrue("\(untyped.failed.first!)".contains("'reshape'"), "\(untyped.failed)")
        XCTAssertEqual(untyped.downstream.map(\.name), ["flat", "relu2"])
        XCTAssertFalse(untyped.isEmpty)

        // The strict walk stops at the first of them and leaves `types` alone.
        var strict = makeGraph()
        assertThrows(["Mystery", "'mystery'"]) { try strict.inferTypes() }
        XCTAssertTrue(strict.types.isEmpty)
    }

    func testSameTypesAsStrictInferenceOnATypableGraph() throws {
        var g = makeGraph()
        g.nodes.removeSubrange(2...5)
        var strict = g
        try strict.inferTypes()
        XCTAssertTrue(g.inferTypesBestEffort().isEmpty)
        XCTAssertEqual(g.types, strict.types)
    }

    func testSymbolicGraphInputDoesNotThrow() {
        var g = makeGraph(inputShape: [.param("batch"), .value(3), .value(8), .value(8)])
        let untyped = g.inferTypesBestEffort()
        XCTAssertEqual(g.types["x"], TensorType(.float32, [.param("batch"), .value(3), .value(8), .value(8)]))
        XCTAssertEqual(untyped.failed.count, 1, "the conv needs a static input: \(untyped.failed)")
        XCTAssertTrue("\(untyped.failed.first!)".contains("'conv'"), "\(untyped.failed)")
        XCTAssertEqual(untyped.unsupported, [], "the unsupported node is never reached")
        XCTAssertEqual(untyped.downstream.count, 6)
    }

    func testFailingEvaluatorOnlyStopsConstantPropagation() {
        struct Refused: Error {}
        var g = makeGraph()
        g.initializers["two"] = ints([1, -1])
        g.nodes.append(Node(name: "neg", op: .unary(.neg), inputs: ["two"], outputs: ["n"]))
        var calls = 0
        let untyped = g.inferTypesBestEffort(constantEvaluator: { _, _ in calls += 1; throw Refused() })
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(g.types["n"], TensorType(.int64, shape: [2]))
        XCTAssertEqual(untyped.unsupported.count, 1)
    }
}
