import LoupeIR
import LoupePasses
import XCTest

/// PropagateQuantization alone. It writes only `Graph.quantization` and never touches
/// nodes, so instead of comparing outputs the tests check that the nodes are unchanged and
/// which values got parameters.
final class PropagateQuantizationTests: XCTestCase {
    private let pass = PropagateQuantization()
    private let xq = ValueQuantization.perTensor(scale: 0.05, zeroPoint: -3)

    /// x [1,2,3,4] → QuantizeLinear(scale, zero point) → Transpose → Reshape → DequantizeLinear → y.
    private func qTransposeReshapeDQ(scale: Tensor, zeroPoint: Tensor) throws -> Graph {
        var b = GraphBuilder(seed: 190)
        b.input("x", [1, 2, 3, 4])
        let s = b.constant("s", scale), z = b.constant("zp", zeroPoint)
        b.node("q", .quantizeLinear(axis: 1, saturate: true), ["x", s, z])
        b.node("t", .transpose(perm: [0, 2, 3, 1]), ["q"])
        b.node("r", .reshape(allowZero: false), ["t", b.ints("shape", [1, 2, 12])])
        b.node("y", .dequantizeLinear(axis: 1), ["r", s, z])
        var g = try b.finish("y")
        try g.inferTypes()
        return g
    }

    private func perTensor() throws -> Graph {
        try qTransposeReshapeDQ(scale: scalar(0.05), zeroPoint: Tensor(shape: [], ints: [-3], dtype: .int8))
    }

    func testParametersFlowFromQuantizeThroughDataMovement() throws {
        let before = try perTensor()
        var g = before
        XCTAssertTrue(try pass.run(on: &g))
        XCTAssertEqual(g.nodes, before.nodes)
        XCTAssertEqual(g.quantization, ["q": xq, "t": xq, "r": xq])
        XCTAssertFalse(try pass.run(on: &g), "a second run has nothing to add")
    }

    func testEntriesOfRemovedValuesAreDropped() throws {
        var g = try perTensor()
        g.quantization = ["q": xq, "t": xq, "r": xq, "gone": xq]
        XCTAssertTrue(try pass.run(on: &g))
        XCTAssertNil(g.quantization["gone"])
        XCTAssertEqual(g.quantization.count, 3)
    }

    /// A per-axis value's axis would have to follow the transpose: it is not propagated, and
    /// the transposed int8 value is then reported as unparameterised.
    func testPerAxisParametersDoNotFlow() throws {
        var g = try qTransposeReshapeDQ(scale: Tensor(shape: [2], floats: [0.05, 0.1]),
                                        zeroPoint: Tensor(shape: [2], ints: [0, 0], dtype: .int8))
        XCTAssertThrowsError(try pass.run(on: &g)) { error in
            XCTAssertTrue("\(error)".contains("'t'"), "\(error)")
        }
    }

    func testInt8ValueWithoutParametersIsAnError() throws {
        var b = GraphBuilder(seed: 191)
        b.input("x", [2, 3], .int8)
        b.node("y", .transpose(perm: [1, 0]), ["x"])
        var g = try b.finish("y")
        XCTAssertThrowsError(try pass.run(on: &g)) { error in
            XCTAssertTrue("\(error)".contains("'x'"), "\(error)")
        }
    }

    func testFloatGraphIsLeftAlone() throws {
        var b = GraphBuilder(seed: 192)
        b.input("x", [2, 3])
        b.node("y", .transpose(perm: [1, 0]), ["x"])
        try assertLeavesAlone(pass, try b.finish("y"), "no value is quantized")
    }
}
