import LoupeIR
import LoupePasses
import XCTest

/// FallBackToFloat alone, on a folded int8 graph written by hand (as FoldQuantization leaves
/// it): the refused node comes back in float between explicit converts with the parameters
/// of the values it read and wrote, constant operands dequantized, the reason recorded.
final class FallBackToFloatTests: XCTestCase {
    private let xq = ValueQuantization.perTensor(scale: 0.05, zeroPoint: -3)
    private let wq = ValueQuantization.perTensor(scale: 0.01, zeroPoint: 0)
    private let yq = ValueQuantization.perTensor(scale: 0.2, zeroPoint: 7)

    /// x → Q → %xq (int8) → Mul(%xq, w: int8 constant) → %m → Add(%m, %xq) → %y → DQ → out.
    private func folded() throws -> Graph {
        var g = Graph()
        g.inputs = [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 4]))]
        g.initializers["s"] = Tensor(shape: [], floats: [0.05])
        g.initializers["z"] = Tensor(shape: [], ints: [-3], dtype: .int8)
        g.initializers["w"] = Tensor(shape: [1, 4], ints: [-100, 0, 50, 127], dtype: .int8)
        g.initializers["ys"] = Tensor(shape: [], floats: [0.2])
        g.initializers["yz"] = Tensor(shape: [], ints: [7], dtype: .int8)
        g.nodes = [
            Node(name: "q", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(name: "mul", op: .binary(.mul), inputs: ["xq", "w"], outputs: ["m"]),
            Node(name: "add", op: .binary(.add), inputs: ["m", "xq"], outputs: ["y"]),
            Node(name: "dq", op: .dequantizeLinear(axis: 1), inputs: ["y", "ys", "yz"], outputs: ["out"]),
        ]
        g.quantization = ["xq": xq, "w": wq, "m": yq, "y": yq]
        try g.inferTypes()
        g.outputs = [ValueInfo(name: "out", type: TensorType(.float32, shape: [1, 4]))]
        return g
    }

    func testRefusedNodeRunsInFloatBetweenConverts() throws {
        var g = try folded()
        XCTAssertTrue(try FallBackToFloat(refused: ["mul": "scale ratio out of range"]).run(on: &g))
        try g.verify()
        XCTAssertEqual(g.nodes.map(\.op.onnxName), ["QuantizeLinear", "DequantizeLinear", "Mul", "QuantizeLinear", "Add", "DequantizeLinear"])
        XCTAssertEqual(g.floatIslands, ["mul": "scale ratio out of range"])

        let dq = g.nodes[1], mul = g.nodes[2], q = g.nodes[3]
        // The activation is dequantized with its own parameters.
        XCTAssertEqual(dq.inputs[0], "xq")
        XCTAssertEqual(g.initializers[dq.inputs[1]]?.floats, [0.05])
        XCTAssertEqual(g.initializers[dq.inputs[2]]?.ints, [-3])
        XCTAssertEqual(g.initializers[dq.inputs[2]]?.dtype, .int8)
        // The int8 weight becomes a float constant holding what its codes meant.
        XCTAssertEqual(mul.inputs[0], dq.outputs[0])
        XCTAssertEqual(g.initializers[mul.inputs[1]]?.floats, [-1, 0, 0.5, 1.27])
        XCTAssertEqual(g.type(of: mul.outputs[0])?.dtype, .float32)
        // The float result is quantized back into the value the Add reads, with its parameters.
        XCTAssertEqual(q.inputs[0], mul.outputs[0])
        XCTAssertEqual(q.outputs, ["m"])
        XCTAssertEqual(g.initializers[q.inputs[1]]?.floats, [0.2])
        XCTAssertEqual(g.initializers[q.inputs[2]]?.ints, [7])
        XCTAssertEqual(g.type(of: "m")?.dtype, .int8)
        // The node it did not name is untouched.
        XCTAssertEqual(g.nodes[4], try folded().nodes[2])
    }

    func testOneDequantizePerDistinctValue() throws {
        var g = try folded()
        g.nodes[2].inputs = ["xq", "xq"]
        try g.inferTypes()
        XCTAssertTrue(try FallBackToFloat(refused: ["add": "refused"]).run(on: &g))
        try g.verify()
        let dqs = g.nodes.filter { $0.op.isDequantize && $0.inputs[0] == "xq" }
        XCTAssertEqual(dqs.count, 1, "Add(%xq, %xq) reads one DequantizeLinear twice")
        let add = try XCTUnwrap(g.nodes.first { $0.op == .binary(.add) })
        XCTAssertEqual(add.inputs, [dqs[0].outputs[0], dqs[0].outputs[0]])
    }

    func testNothingRefusedLeavesTheGraphAlone() throws {
        let before = try folded()
        var g = before
        XCTAssertFalse(try FallBackToFloat(refused: [:]).run(on: &g))
        XCTAssertFalse(try FallBackToFloat(refused: ["not-a-node": "why"]).run(on: &g))
        XCTAssertEqual(g.nodes, before.nodes)
        XCTAssertEqual(g.floatIslands, [:])
    }
}
