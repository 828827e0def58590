import LoupeIR
import LoupePasses
import XCTest

/// FoldBatchNorm alone. Folding scales the weights ahead of time (`(w·s)·x` instead of
/// `(w·x)·s`, and one shift instead of `(·−m)/√(v+ε)·s+t`), so the float roundings differ:
/// a few ulps of the output, well inside 1e-5 relative.
final class FoldBatchNormTests: XCTestCase {
    private let pass = FoldBatchNorm()
    private let tolerance = Tolerance.relative(1e-5)

    /// x [1,3,6,6] → [Conv 3×3 → c] → BatchNormalization → y; the BN's statistics are
    /// constants unless `meanIsInput`.
    private func bnGraph(conv: ConvAttributes? = convAttrs(), convBias: Bool = true, layout: Layout = .nchw,
                         meanIsInput: Bool = false, alsoOutput: Bool = false, seed: UInt64) throws -> Graph {
        var b = GraphBuilder(seed: seed)
        b.input("x", [1, 3, 6, 6])
        var c = "x"
        if let conv {
            c = b.node("c", .conv(conv), ["x", b.random("w", [3, 3, 3, 3])] + (convBias ? [b.random("b", [3])] : []))
        }
        let mean = meanIsInput ? b.input("m", [3]) : b.random("m", [3])
        b.node("y", .batchNormalization(epsilon: 1e-5, layout: layout),
               [c, b.random("s", [3], 0.5, 2), b.random("t", [3]), mean, b.random("v", [3], 0.1, 3)])
        return alsoOutput ? try b.finish("y", c) : try b.finish("y")
    }

    func testBatchNormFoldsIntoConv() throws {
        for (convBias, seed): (Bool, UInt64) in [(true, 140), (false, 141)] {
            let o = try assertRewrites(pass, try bnGraph(convBias: convBias, seed: seed), into: ["Conv"],
                                       tolerance: tolerance, seed: seed)
            XCTAssertEqual(o.nodes[0].outputs, ["y"])
            XCTAssertEqual(o.nodes[0].inputs.count, 3, "the folded conv has a bias")
        }
    }

    func testBatchNormWithoutConvBecomesScaleAndShift() throws {
        try assertRewrites(pass, try bnGraph(conv: nil, seed: 142), into: ["Mul", "Add"], tolerance: tolerance, seed: 142)
    }

    /// Not folded into the conv when the conv output has another reader or already clamps:
    /// the BN becomes a scale and shift after the conv instead.
    func testNotFoldedIntoConvWhenGuarded() throws {
        try assertRewrites(pass, try bnGraph(alsoOutput: true, seed: 143), into: ["Conv", "Mul", "Add"],
                           tolerance: tolerance, seed: 143)
        var clamped = convAttrs()
        clamped.outputMin = 0
        try assertRewrites(pass, try bnGraph(conv: clamped, seed: 144), into: ["Conv", "Mul", "Add"],
                           tolerance: tolerance, seed: 144)
    }

    func testNotRewrittenWhenStatisticsAreNotConstantOrLayoutIsNHWC() throws {
        try assertLeavesAlone(pass, try bnGraph(meanIsInput: true, seed: 145), "the mean is a graph input")
        var b = GraphBuilder(seed: 146)
        b.input("x", [1, 6, 6, 3])
        b.node("y", .batchNormalization(epsilon: 1e-5, layout: .nhwc),
               ["x", b.random("s", [3]), b.random("t", [3]), b.random("m", [3]), b.random("v", [3], 0.1, 3)])
        try assertLeavesAlone(pass, try b.finish("y"), "the BatchNormalization is already NHWC")
    }
}
