import LoupeIR
import LoupePasses
import XCTest

/// ConvertToNHWC alone. The reference interpreter evaluates an NHWC op by transposing to
/// NCHW and back, which moves data without arithmetic, so outputs match exactly. The pass is
/// not run a second time on its result: it would take its own NHWC conv input for an NCHW
/// one and fail type inference (the pipeline runs it once).
final class ConvertToNHWCTests: XCTestCase {
    private let pass = ConvertToNHWC()

    /// x [1,2,5,5] → Conv 3×3 (3 channels) → c.
    private func conv(seed: UInt64) -> GraphBuilder {
        var b = GraphBuilder(seed: seed)
        b.input("x", [1, 2, 5, 5])
        b.node("c", .conv(convAttrs()), ["x", b.random("w", [3, 2, 3, 3]), b.random("b", [3])])
        return b
    }

    private func layouts(_ g: Graph) -> [Layout] {
        g.nodes.compactMap { n in
            if case .conv(let a) = n.op { return a.layout }
            if case .globalAveragePool(let l) = n.op { return l }
            return nil
        }
    }

    /// Element-wise ops stay NHWC; the graph output is transposed back to NCHW.
    func testConvAndElementwiseRunNHWCBetweenTwoTransposes() throws {
        var b = conv(seed: 180)
        b.node("y", .unary(.relu), ["c"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Transpose", "Conv", "Relu", "Transpose"],
                                   tolerance: .exact, seed: 180, rerun: false)
        XCTAssertEqual(layouts(o), [.nhwc])
        XCTAssertEqual(o.type(of: "c")?.staticShape, [1, 5, 5, 3], "NHWC values carry their physical shape")
    }

    /// After global pooling H·W = 1, so NHWC → NCHW is a free Reshape.
    func testPooledMapLeavesNHWCThroughAReshape() throws {
        var b = conv(seed: 181)
        b.node("p", .globalAveragePool(layout: .nchw), ["c"])
        b.node("y", .flatten(axis: 1), ["p"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Transpose", "Conv", "GlobalAveragePool", "Reshape", "Flatten"],
                                   tolerance: .exact, seed: 181, rerun: false)
        XCTAssertEqual(layouts(o), [.nhwc, .nhwc])
    }

    /// A per-channel constant is permuted and Concat's channel axis becomes the last one.
    func testBroadcastConstantAndConcatAxisAreRemapped() throws {
        var b = conv(seed: 182)
        b.node("shifted", .binary(.add), ["c", b.random("shift", [3, 1, 1])])
        b.node("y", .concat(axis: 1), ["c", "shifted"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Transpose", "Conv", "Add", "Concat", "Transpose"],
                                   tolerance: .exact, seed: 182, rerun: false)
        guard case .concat(let axis) = o.nodes[3].op else { return XCTFail("\(o.nodes[3].op)") }
        XCTAssertEqual(axis, 3)
    }

    func testNotRewrittenWithoutFourDimensionalLayoutOps() throws {
        var dense = GraphBuilder(seed: 183)
        dense.input("x", [2, 4])
        dense.node("g", .gemm(GemmAttributes(transB: true)), ["x", dense.random("w", [3, 4])])
        dense.node("y", .unary(.relu), ["g"])
        try assertLeavesAlone(pass, try dense.finish("y"), "no op has a layout")
        var oneD = GraphBuilder(seed: 184)
        oneD.input("x", [1, 2, 9])
        oneD.node("y", .conv(ConvAttributes(kernelShape: [3], strides: [1], dilations: [1], pads: [1, 1])),
                  ["x", oneD.random("w", [3, 2, 3])])
        try assertLeavesAlone(pass, try oneD.finish("y"), "the conv is 1-D (LiftOneDimensional's job)")
    }
}
