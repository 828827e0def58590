import LoupeIR
import LoupePasses
import XCTest

/// RecognizeLayerNormalization and RecognizeGelu alone. The written-out forms round after
/// every op while the recognised ops compute in one go (the reference interpreter in double):
/// a relative tolerance.
final class RecognizeTransformerOpsTests: XCTestCase {
    private let tolerance = Tolerance.relative(1e-5)

    /// `(x − mean(x)) / sqrt(mean((x − mean)²) + ε) · γ + β` over the trailing `axes`.
    private func layerNorm(_ b: inout GraphBuilder, axes: [Int64], square: BinaryOp = .pow,
                           gamma: Tensor?, beta: Tensor?) -> String {
        let ax = b.ints("axes", axes)
        let mean = b.node("mean", .reduce(.mean, keepDims: true, noopWithEmptyAxes: false), ["x", ax])
        let d = b.node("d", .binary(.sub), ["x", mean])
        let sq = square == .pow ? b.node("sq", .binary(.pow), [d, b.constant("two", 2)]) : b.node("sq", .binary(.mul), [d, d])
        let v = b.node("var", .reduce(.mean, keepDims: true, noopWithEmptyAxes: false), [sq, ax])
        let r = b.node("std", .unary(.sqrt), [b.node("veps", .binary(.add), [v, b.constant("eps", 1e-5)])])
        var y = b.node("n", .binary(.div), [d, r])
        if let gamma { y = b.node("g", .binary(.mul), [y, b.constant("gamma", gamma)]) }
        if let beta { y = b.node("b", .binary(.add), [b.constant("beta", beta), y]) }
        return y
    }

    func testWrittenOutLayerNormBecomesOneNode() throws {
        var b = GraphBuilder(seed: 900)
        b.input("x", [2, 5, 8])
        let y = layerNorm(&b, axes: [-1], gamma: Tensor(shape: [8], floats: (0..<8).map { 0.5 + Float($0) / 8 }),
                          beta: Tensor(shape: [8], floats: (0..<8).map { Float($0) / 10 - 0.3 }))
        let o = try assertRewrites(RecognizeLayerNormalization(), try b.finish(y), into: ["LayerNormalization"],
                                   tolerance: tolerance, seed: 900)
        XCTAssertEqual(o.nodes[0].op, .layerNormalization(axis: 2, epsilon: 1e-5))
        XCTAssertEqual(o.nodes[0].inputs.first, "x")
    }

    func testSquareAsMulTwoTrailingAxesAndNoAffine() throws {
        var b = GraphBuilder(seed: 901)
        b.input("x", [2, 3, 4, 5])
        let y = layerNorm(&b, axes: [2, 3], square: .mul, gamma: nil, beta: nil)
        let o = try assertRewrites(RecognizeLayerNormalization(), try b.finish(y), into: ["LayerNormalization"],
                                   tolerance: tolerance, seed: 901)
        XCTAssertEqual(o.nodes[0].op, .layerNormalization(axis: 2, epsilon: 1e-5))
        XCTAssertEqual(o.initializers[o.nodes[0].inputs[1]]?.shape, [4, 5], "Scale of ones over the normalized axes")
    }

    func testLayerNormNotRecognisedWhenAxesAreNotTrailingOrAValueIsRead() throws {
        var b = GraphBuilder(seed: 902)
        b.input("x", [2, 5, 8])
        let y = layerNorm(&b, axes: [1], gamma: nil, beta: nil)
        try assertLeavesAlone(RecognizeLayerNormalization(), try b.finish(y), "the reduced axis is not the last")

        var w = GraphBuilder(seed: 904)
        w.input("x", [2, 8, 8])
        let v = layerNorm(&w, axes: [-1], gamma: Tensor(shape: [8, 1], floats: (0..<8).map { Float($0) }), beta: nil)
        // γ of shape [8, 1] scales rows, not the normalized columns: it stays a Mul after the LayerNorm.
        try assertRewrites(RecognizeLayerNormalization(), try w.finish(v), into: ["LayerNormalization", "Mul"],
                           tolerance: tolerance, seed: 904)

        var c = GraphBuilder(seed: 903)
        c.input("x", [2, 5, 8])
        let z = layerNorm(&c, axes: [-1], gamma: nil, beta: nil)
        try assertLeavesAlone(RecognizeLayerNormalization(), try c.finish(z, "var"), "the variance is a graph output")
    }

    private func gelu(_ b: inout GraphBuilder, halfFirst: Bool, mulByInverse: Bool) -> String {
        let s = mulByInverse ? b.node("s", .binary(.mul), ["x", b.constant("c", Float(0.5).squareRoot())])
                             : b.node("s", .binary(.div), ["x", b.constant("c", Float(2).squareRoot())])
        let a = b.node("a", .binary(.add), [b.constant("one", 1), b.node("e", .unary(.erf), [s])])
        if halfFirst {
            let h = b.node("h", .binary(.mul), ["x", b.constant("half", 0.5)])
            return b.node("y", .binary(.mul), [h, a])
        }
        return b.node("y", .binary(.mul), [b.node("m", .binary(.mul), ["x", a]), b.constant("half", 0.5)])
    }

    func testErfGeluInBothOrdersBecomesGelu() throws {
        for (i, (halfFirst, inverse)) in [(false, false), (true, true)].enumerated() {
            var b = GraphBuilder(seed: 910 + UInt64(i))
            b.input("x", [3, 40])
            let y = gelu(&b, halfFirst: halfFirst, mulByInverse: inverse)
            let o = try assertRewrites(RecognizeGelu(), try b.finish(y), into: ["Gelu"], tolerance: tolerance, seed: 910 + UInt64(i))
            XCTAssertEqual(o.nodes[0].inputs, ["x"])
        }
    }

    func testGeluNotRecognisedWithOtherConstantsOrASharedValue() throws {
        var b = GraphBuilder(seed: 920)
        b.input("x", [3, 40])
        let s = b.node("s", .binary(.div), ["x", b.constant("c", 1.5)])
        let a = b.node("a", .binary(.add), [b.node("e", .unary(.erf), [s]), b.constant("one", 1)])
        let y = b.node("y", .binary(.mul), [b.node("m", .binary(.mul), ["x", a]), b.constant("half", 0.5)])
        try assertLeavesAlone(RecognizeGelu(), try b.finish(y), "x is divided by 1.5, not √2")

        var c = GraphBuilder(seed: 921)
        c.input("x", [3, 40])
        let z = gelu(&c, halfFirst: false, mulByInverse: false)
        try assertLeavesAlone(RecognizeGelu(), try c.finish(z, "e"), "the erf is a graph output")
    }

    /// CLIP's QuickGELU, the scale on either side of its Mul, becomes one Swish; SiLU
    /// (no inner scale) and a shared sigmoid stay as they are.
    func testQuickGeluBecomesSwish() throws {
        for (i, scaleFirst) in [false, true].enumerated() {
            var b = GraphBuilder(seed: 930 + UInt64(i))
            b.input("x", [3, 40])
            let c = b.constant("c", 1.702)
            let t = b.node("t", .binary(.mul), scaleFirst ? [c, "x"] : ["x", c])
            let y = b.node("y", .binary(.mul), [b.node("s", .unary(.sigmoid), [t]), "x"])
            let o = try assertRewrites(RecognizeGelu(), try b.finish(y), into: ["Swish"], tolerance: tolerance, seed: 930 + UInt64(i))
            XCTAssertEqual(o.nodes[0].op, .swish(alpha: 1.702))
            XCTAssertEqual(o.nodes[0].inputs, ["x"])
        }
        var b = GraphBuilder(seed: 932)
        b.input("x", [3, 40])
        let y = b.node("y", .binary(.mul), ["x", b.node("s", .unary(.sigmoid), ["x"])])
        try assertLeavesAlone(RecognizeGelu(), try b.finish(y), "SiLU has no inner scale")

        var c = GraphBuilder(seed: 933)
        c.input("x", [3, 40])
        let s = c.node("s", .unary(.sigmoid), [c.node("t", .binary(.mul), ["x", c.constant("c", 1.702)])])
        let z = c.node("y", .binary(.mul), ["x", s])
        try assertLeavesAlone(RecognizeGelu(), try c.finish(z, "s"), "the sigmoid is a graph output")
    }

    /// nn.GELU(approximate="tanh") as torch writes it before opset 20 (cube as two Muls,
    /// constants first), and with Pow(x, 3) and the halving first.
    func testTanhGeluBecomesGelu() throws {
        for (i, pow) in [false, true].enumerated() {
            var b = GraphBuilder(seed: 940 + UInt64(i))
            b.input("x", [3, 40])
            let cube = pow ? b.node("cube", .binary(.pow), ["x", b.constant("three", 3)])
                           : b.node("cube", .binary(.mul), ["x", b.node("sq", .binary(.mul), ["x", "x"])])
            let m = b.node("m", .binary(.mul), [b.constant("c", 0.044715), cube])
            let inner = b.node("inner", .binary(.add), ["x", m])
            let u = b.node("u", .binary(.mul), [b.constant("k", 0.7978846), inner])
            let a = b.node("a", .binary(.add), [b.constant("one", 1), b.node("t", .unary(.tanh), [u])])
            let y = pow ? b.node("y", .binary(.mul), [b.node("h", .binary(.mul), ["x", b.constant("half", 0.5)]), a])
                        : b.node("y", .binary(.mul), [b.constant("half", 0.5), b.node("xa", .binary(.mul), ["x", a])])
            let o = try assertRewrites(RecognizeGelu(), try b.finish(y), into: ["Gelu"], tolerance: tolerance, seed: 940 + UInt64(i))
            XCTAssertEqual(o.nodes[0].op, .gelu(tanhApproximation: true))
            XCTAssertEqual(o.nodes[0].inputs, ["x"])
        }
    }
}
