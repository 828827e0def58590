import XCTest
import LoupeIR
@testable import LoupeRuntime

/// Small end-to-end graphs in the shape the pass pipeline produces.
final class ModelTests: XCTestCase {
    /// NCHW input → transpose → conv/hardswish → depthwise → SE-style gate → residual add →
    /// concat → GAP → flatten → Gemm head, as ConvertToNHWC leaves a MobileNet block.
    func testMobileNetLikeBlock() throws {
        var b = G(seed: 1000)
        let x = b.input("image", [1, 3, 12, 10])
        b.node(.transpose(perm: [0, 2, 3, 1]), [x], "x_nhwc")
        func conv(_ k: Int, _ s: Int, group: Int = 1, min: Float = -.infinity, max: Float = .infinity) -> Op {
            .conv(ConvAttributes(kernelShape: [k, k], strides: [s, s], dilations: [1, 1], pads: [k / 2, k / 2, k / 2, k / 2],
                                 group: group, outputMin: min, outputMax: max, layout: .nhwc))
        }
        b.node(conv(3, 2), ["x_nhwc", b.constant("w0", [16, 3, 3, 3], -0.5, 0.5), b.constant("b0", [16])], "c0")
        b.node(.unary(.hardSwish), ["c0"], "h0")
        b.node(conv(3, 1, group: 16, min: 0, max: 6), ["h0", b.constant("w1", [16, 1, 3, 3]), b.constant("b1", [16])], "dw")
        b.node(.globalAveragePool(layout: .nhwc), ["dw"], "se_pool")
        b.node(conv(1, 1, min: 0), ["se_pool", b.constant("w2", [4, 16, 1, 1]), b.constant("b2", [4])], "se_fc1")
        b.node(conv(1, 1), ["se_fc1", b.constant("w3", [16, 4, 1, 1]), b.constant("b3", [16])], "se_fc2")
        b.node(.hardSigmoid(alpha: 1.0 / 6, beta: 0.5), ["se_fc2"], "gate")
        b.node(.binary(.mul), ["dw", "gate"], "scaled")
        b.node(.binary(.add), ["scaled", "h0"], "res")
        b.node(conv(1, 1), ["res", b.constant("w4", [8, 16, 1, 1]), b.constant("b4", [8])], "p1")
        b.node(.maxPool(PoolAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [], pads: [1, 1, 1, 1], layout: .nhwc)),
               ["res"], "mp")
        b.node(.concat(axis: 3), ["p1", "mp"], "cat")
        b.node(.globalAveragePool(layout: .nhwc), ["cat"], "pooled")
        b.node(.flatten(axis: 1), ["pooled"], "flat")
        b.node(.gemm(GemmAttributes(transB: true, outputMin: 0)), ["flat", b.constant("fw", [10, 24]), b.constant("fb", [10])], "fc")
        b.node(.gemm(GemmAttributes(transB: true)), ["fc", b.constant("ow", [1, 10]), b.constant("ob", [1])], "score")
        b.node(.transpose(perm: [0, 3, 1, 2]), ["cat"], "features")
        let g = try b.finish(["score", "features"])
        for n in g.nodes { XCTAssertTrue(Lowering.placement(of: n, in: g).isSupported, "\(n.name)") }
        let ex = try checkAgainstReference(&b, g, .nmse(1e-10), threads: [1, 2])!
        XCTAssertEqual(Lowering.concatPlans(g)["cat"]?.slices.map(\.inPlace), [true, true])
        XCTAssertEqual(ex.steps.first { $0.node == "cat" }?.placement, .alias)
        XCTAssertEqual(ex.steps.first { $0.node == "flat" }?.placement, .alias)
    }

    func testUnfoldedConstantOperandIsReadFromConstants() throws {
        var b = G(seed: 1010)
        let k = b.constant("k", [2, 3])
        let x = b.input("x", [2, 3])
        b.node(.transpose(perm: [1, 0]), [k], "kt")
        b.node(.transpose(perm: [1, 0]), [x], "xt")
        b.node(.binary(.add), ["kt", "xt"], "y")
        let g = try b.finish(["y"])
        try checkAgainstReference(&b, g, .exact)
    }
}
