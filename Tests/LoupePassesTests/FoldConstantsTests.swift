import LoupeIR
import LoupePasses
import XCTest

/// FoldConstants alone. Folding evaluates the same op with the same reference interpreter
/// ahead of time, so the outputs must match exactly.
final class FoldConstantsTests: XCTestCase {
    private let pass = FoldConstants()

    func testConstantSubgraphIsEvaluated() throws {
        var b = GraphBuilder(seed: 130)
        b.input("x", [2, 3])
        let sum = b.node("sum", .binary(.add), [b.random("a", [3]), b.random("c", [3])])
        let scale = b.node("scale", .unary(.exp), [sum])
        b.node("y", .binary(.mul), ["x", scale])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Mul"], tolerance: .exact, seed: 130)
        XCTAssertNotNil(o.initializers["scale"])
    }

    func testShapeOfStaticValueBecomesConstant() throws {
        var b = GraphBuilder(seed: 131)
        b.input("x", [1, 4, 2, 2])
        b.input("z", [16])
        b.node("shape", .shape(start: 0, end: nil), ["x"])
        b.node("y", .reshape(allowZero: false), ["z", "shape"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Reshape"], tolerance: .exact, seed: 131)
        XCTAssertEqual(o.initializers["shape"]?.ints, [1, 4, 2, 2])
    }

    func testNotFoldedWhenGuarded() throws {
        var output = GraphBuilder(seed: 132)
        output.input("x", [3])
        output.node("c", .unary(.exp), [output.random("a", [3])])
        output.node("y", .binary(.add), ["x", "c"])
        try assertLeavesAlone(pass, try output.finish("y", "c"), "the constant result is a graph output")

        var dq = GraphBuilder(seed: 133)
        dq.input("x", [3])
        let codes = dq.constant("codes", Tensor(shape: [3], ints: [-5, 0, 7], dtype: .int8))
        dq.node("w", .dequantizeLinear(axis: 0), [codes, dq.constant("s", 0.1), dq.constant("zp", Tensor(shape: [], ints: [0], dtype: .int8))])
        dq.node("y", .binary(.mul), ["x", "w"])
        try assertLeavesAlone(pass, try dq.finish("y"), "int8 codes behind a DequantizeLinear are kept for FoldQuantization")

        var big = GraphBuilder(seed: 134)
        big.input("x", [4, 4])
        big.node("wide", .expand, [big.constant("one", 1), big.ints("shape", [4, 4])])
        big.node("y", .binary(.add), ["x", "wide"])
        try assertLeavesAlone(FoldConstants(maxFoldedElements: 15), try big.finish("y"),
                              "the folded tensor would exceed maxFoldedElements")

        var input = GraphBuilder(seed: 135)
        input.input("x", [3])
        input.node("y", .binary(.add), ["x", input.random("a", [3])])
        try assertLeavesAlone(pass, try input.finish("y"), "an operand is a graph input")
    }
}
