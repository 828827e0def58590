import Loupe
import XCTest

/// `Model.optimize`: a folded int8 node that XNNPACK refuses becomes a float island with
/// the runtime's reason instead of failing the compile.
final class Int8FallbackTests: XCTestCase {
    /// Add with input scale 1 and output scale 10000: the input-to-output ratio 1e-4 is
    /// below XNNPACK's 2⁻¹⁰ for qs8 add.
    func qdqAdd(outputScale: Float) -> Graph {
        var g = Graph(name: "qdq-add")
        let shape = [1, 4, 8, 8]
        g.inputs = [ValueInfo(name: "x", type: TensorType(.float32, shape: shape))]
        g.outputs = [ValueInfo(name: "y", type: TensorType(.float32, shape: shape))]
        g.initializers["s_in"] = Tensor(shape: [], floats: [1])
        g.initializers["s_out"] = Tensor(shape: [], floats: [outputScale])
        g.initializers["zp"] = Tensor(shape: [], ints: [0], dtype: .int8)
        g.nodes = [
            Node(name: "qx", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["x", "s_in", "zp"], outputs: ["xq"]),
            Node(name: "dqx", op: .dequantizeLinear(axis: 1), inputs: ["xq", "s_in", "zp"], outputs: ["xd"]),
            Node(name: "add", op: .binary(.add), inputs: ["xd", "xd"], outputs: ["s"]),
            Node(name: "qs", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["s", "s_out", "zp"], outputs: ["sq"]),
            Node(name: "dqs", op: .dequantizeLinear(axis: 1), inputs: ["sq", "s_out", "zp"], outputs: ["y"]),
        ]
        return g
    }

    func testRefusedInt8AddRunsAsAReportedFloatIsland() throws {
        let model = try Model(graph: qdqAdd(outputScale: 10000))
        let reason = try XCTUnwrap(model.optimized.floatIslands["add"], "the add should be a float island")
        XCTAssertTrue(reason.contains("runtime refuses"), reason)
        let x = Tensor(shape: [1, 4, 8, 8], floats: (0..<256).map { Float($0 % 200) - 100 })
        let got = try XCTUnwrap(try model.run(["x": x])["y"]).floats
        let want = try XCTUnwrap(try model.runReference(["x": x])["y"]).floats
        XCTAssertEqual(got, want, "float island output equals the QDQ reference")
    }

    func testAcceptedInt8AddStaysInt8() throws {
        let model = try Model(graph: qdqAdd(outputScale: 2))
        XCTAssertNil(model.optimized.floatIslands["add"])
        let add = try XCTUnwrap(model.optimized.nodes.first { $0.name == "add" })
        XCTAssertEqual(model.optimized.type(of: add.outputs[0])?.dtype, .int8)
    }
}
