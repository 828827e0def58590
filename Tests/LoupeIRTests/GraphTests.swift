import XCTest
@testable import LoupeIR
import LoupeTestSupport

final class GraphTests: XCTestCase {
    /// x → Conv(3×3, stride 2) → Relu → Shape → Reshape(x, shape) chain with a Flatten.
    func makeGraph(inputShape: [Dim] = [.value(1), .value(3), .value(8), .value(8)]) -> Graph {
        let w = Tensor(shape: [4, 3, 3, 3], floats: Array(repeating: 0.1, count: 108))
        return Graph(
            inputs: [ValueInfo(name: "x", type: TensorType(.float32, inputShape))],
            outputs: [ValueInfo(name: "y", type: TensorType(.float32, [.unknown, .unknown]))],
            nodes: [
                Node(name: "conv", op: .conv(conv2d(k: [3, 3], s: [2, 2], p: [1, 1, 1, 1])), inputs: ["x", "w"], outputs: ["c"]),
                Node(name: "relu", op: .unary(.relu), inputs: ["c"], outputs: ["r"]),
                Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["r"], outputs: ["s"]),
                Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["r", "s"], outputs: ["r2"]),
                Node(name: "flat", op: .flatten(axis: 1), inputs: ["r2"], outputs: ["y"]),
            ],
            initializers: ["w": w])
    }

    func testInferTypesFillsEveryOutput() throws {
        var g = makeGraph()
        try g.inferTypes()
        XCTAssertEqual(g.types["c"]?.staticShape, [1, 4, 4, 4])
        XCTAssertEqual(g.types["s"], TensorType(.int64, shape: [4]))
        XCTAssertEqual(g.types["r2"]?.staticShape, [1, 4, 4, 4])
        XCTAssertEqual(g.types["y"]?.staticShape, [1, 64])
        XCTAssertEqual(g.types["x"]?.staticShape, [1, 3, 8, 8])
    }

    func testDynamicGraphInputAsksForAShape() {
        var g = makeGraph(inputShape: [.param("batch"), .value(3), .value(8), .value(8)])
        assertThrows(["bad input", "'x'", "static input shape"]) { try g.inferTypes() }
        XCTAssertTrue(g.types.isEmpty)
    }

    func testEvaluatorResolvesShapeChains() throws {
        // Shape → Gather(0) → Unsqueeze → Concat([-1]) → Reshape: needs evaluation of Gather etc.
        var g = makeGraph()
        g.nodes.removeLast(2)
        g.initializers["zero"] = Tensor(shape: [], ints: [0])
        g.initializers["axes"] = ints([0])
        g.initializers["minus1"] = ints([-1])
        g.nodes += [
            Node(name: "g", op: .gather(axis: 0), inputs: ["s", "zero"], outputs: ["n"]),
            Node(name: "u", op: .unsqueeze, inputs: ["n", "axes"], outputs: ["n1"]),
            Node(name: "cat", op: .concat(axis: 0), inputs: ["n1", "minus1"], outputs: ["shape2"]),
            Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["r", "shape2"], outputs: ["y"]),
        ]
        var plain = g
        assertThrows(["Reshape node", "'reshape'", "must be constant"]) { try plain.inferTypes() }
        // A tiny evaluator for the three shape ops used here.
        try g.inferTypes(constantEvaluator: { node, inputs in
            switch node.op {
            case .gather: return [Tensor(shape: [], ints: [inputs[0]!.ints[Int(inputs[1]!.ints[0])]])]
            case .unsqueeze: return [Tensor(shape: [1], ints: inputs[0]!.ints)]
            case .concat: return [ints(inputs.flatMap { $0!.ints })]
            default: XCTFail("unexpected \(node.op)"); return []
            }
        })
        XCTAssertEqual(g.types["y"]?.staticShape, [1, 64])
    }

    func testVerifyAcceptsValidGraph() throws {
        try makeGraph().verify()
    }

    func testVerifyRejections() {
        var g = makeGraph()
        g.nodes.swapAt(0, 1)
        assertThrows(["relu", "before", "topological"]) { try g.verify() }

        g = makeGraph()
        g.nodes[1].outputs = ["c"]
        assertThrows(["'c' is defined twice"]) { try g.verify() }

        g = makeGraph()
        g.nodes[0].inputs = ["x"]
        assertThrows(["conv", "has 1 inputs"]) { try g.verify() }

        g = makeGraph()
        g.nodes[0].inputs = ["x", ""]
        assertThrows(["lacks required input 1"]) { try g.verify() }

        g = makeGraph()
        g.nodes[1].inputs = ["nothing"]
        assertThrows(["'nothing'", "nothing defines"]) { try g.verify() }

        g = makeGraph()
        g.outputs.append(ValueInfo(name: "ghost", type: TensorType(.float32, shape: [1])))
        assertThrows(["'ghost'", "not produced"]) { try g.verify() }

        g = makeGraph()
        g.outputs.append(g.outputs[0])
        assertThrows(["listed twice"]) { try g.verify() }

        g = makeGraph()
        g.initializers["x"] = Tensor(shape: [1], floats: [0])
        assertThrows(["'x' is defined twice"]) { try g.verify() }
    }

    func testVerifyListsUnsupportedNodes() {
        var g = makeGraph()
        g.nodes.append(Node(name: "nms", op: .unsupported(opType: "NonMaxSuppression", domain: "", reason: "no boxes here"),
                            inputs: ["y"], outputs: ["z"]))
        g.nodes.append(Node(name: "topk", op: .unsupported(opType: "TopK", domain: "", reason: "no sorting"),
                            inputs: ["y"], outputs: ["t"]))
        assertThrows(["NonMaxSuppression node 'nms'", "2 unsupported", "TopK node 'topk'"]) { try g.verify() }
    }
}
