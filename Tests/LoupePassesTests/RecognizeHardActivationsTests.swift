import LoupeIR
import LoupePasses
import XCTest

/// RecognizeHardActivations alone. The decomposed forms round after each of their three or
/// four ops while HardSwish/HardSigmoid compute `x·clamp(x/6 + 0.5, 0, 1)` in one go: a few
/// ulps apart, hence a relative tolerance.
final class RecognizeHardActivationsTests: XCTestCase {
    private let pass = RecognizeHardActivations()
    private let tolerance = Tolerance.relative(1e-6)

    /// Writes `relu6(x + three) / six` (`div` true) or `· (1/6)`; returns its value.
    private func hardSigmoidOf(_ x: String, _ b: inout GraphBuilder, three: Float = 3, clipHi: Float = 6,
                               div: Bool = true, addConstantFirst: Bool = false) -> String {
        let c3 = b.constant("three", three)
        let a = b.node("add", .binary(.add), addConstantFirst ? [c3, x] : [x, c3])
        let r = b.node("clip", .clip, [a, b.constant("zero", 0), b.constant("six", clipHi)])
        return div ? b.node("div", .binary(.div), [r, b.constant("d6", 6)])
                   : b.node("div", .binary(.mul), [r, b.constant("d6", 1.0 / 6.0)])
    }

    private func start(_ seed: UInt64) -> GraphBuilder {
        var b = GraphBuilder(seed: seed)
        b.input("x", [2, 10])
        return b
    }

    func testDivOfMulBecomesHardSwish() throws {
        // x·relu6(x+3)/6, the form older PyTorch exports write.
        var b = start(160)
        let a = b.node("add", .binary(.add), ["x", b.constant("three", 3)])
        let r = b.node("clip", .clip, [a, b.constant("zero", 0), b.constant("six", 6)])
        let m = b.node("mul", .binary(.mul), [r, "x"])
        b.node("y", .binary(.div), [m, "six"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["HardSwish"], tolerance: tolerance, seed: 160)
        XCTAssertEqual(o.nodes[0].inputs, ["x"])
    }

    func testMulByWrittenOutHardSigmoidBecomesHardSwish() throws {
        var b = start(161)
        let h = hardSigmoidOf("x", &b, div: false, addConstantFirst: true)
        b.node("y", .binary(.mul), ["x", h])
        try assertRewrites(pass, try b.finish("y"), into: ["HardSwish"], tolerance: tolerance, seed: 161)
    }

    func testMulByHardSigmoidOpBecomesHardSwish() throws {
        var b = start(162)
        b.node("h", .hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5), ["x"])
        b.node("y", .binary(.mul), ["h", "x"])
        try assertRewrites(pass, try b.finish("y"), into: ["HardSwish"], tolerance: tolerance, seed: 162)
    }

    func testWrittenOutHardSigmoidIsRecognised() throws {
        var b = start(163)
        let h = hardSigmoidOf("x", &b)
        let o = try assertRewrites(pass, try b.finish(h), into: ["HardSigmoid"], tolerance: tolerance, seed: 163)
        guard case .hardSigmoid(let alpha, let beta) = o.nodes[0].op else { return XCTFail("\(o.nodes[0].op)") }
        XCTAssertEqual(alpha, 1.0 / 6.0)
        XCTAssertEqual(beta, 0.5)
    }

    func testNotRecognisedWhenGuarded() throws {
        var four = start(164)
        let h4 = hardSigmoidOf("x", &four, three: 4)
        try assertLeavesAlone(pass, try four.finish(h4), "the shift is 4, not 3")
        var five = start(165)
        let h5 = hardSigmoidOf("x", &five, clipHi: 5)
        try assertLeavesAlone(pass, try five.finish(h5), "the clip is relu5")
        var shared = start(166)
        let h = hardSigmoidOf("x", &shared)
        shared.node("y", .binary(.mul), ["x", h])
        try assertLeavesAlone(pass, try shared.finish("y", "clip"), "the clipped value is a graph output")
        var other = start(167)
        other.input("z", [2, 10])
        let r = hardSigmoidOf("x", &other)
        other.node("y", .binary(.mul), ["z", r])
        // The HardSigmoid inside is still recognised; the product is not a HardSwish.
        try assertRewrites(pass, try other.finish("y"), into: ["HardSigmoid", "Mul"], tolerance: tolerance, seed: 167)
    }
}
