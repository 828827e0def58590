import XCTest
import LoupeKernels
import LoupeTestSupport

/// Layer normalization: the scalar kernel against a double-precision reference, each SIMD
/// variant against the scalar within the error bound of float-lane summation.
final class LayerNormKernelTests: XCTestCase {
    typealias Kernel = (Int, Int, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?, Float,
                        UnsafeMutablePointer<Float>) -> Void

    /// (name, isa, float lanes summed in parallel, kernel)
    let variants: [(String, loupe_isa, Int, Kernel)] = [
        ("avx2", loupe_isa_avx2, 8, { loupe_f32_layer_norm__avx2($0, $1, $2, $3, $4, $5, $6) }),
        ("avx512", loupe_isa_avx512, 16, { loupe_f32_layer_norm__avx512($0, $1, $2, $3, $4, $5, $6) }),
        ("neon", loupe_isa_neon, 4, { loupe_f32_layer_norm__neon($0, $1, $2, $3, $4, $5, $6) }),
        ("dispatch", loupe_isa_scalar, 16, { loupe_f32_layer_norm($0, $1, $2, $3, $4, $5, $6) }),
    ]
    let epsilon: Float = 1e-5

    struct Case {
        var rows: Int, cols: Int
        var x: [Float], gamma: [Float]?, beta: [Float]?
        var seed: UInt64
    }

    /// Rows with an offset far from 0 relative to their spread (|mean| / std up to ~1000),
    /// where one-pass E[x^2] - E[x]^2 would cancel.
    func makeCase(cols: Int, affine: Int, seed: UInt64) -> Case {
        var rng = SeededRandom(seed: seed)
        let rows = 4
        var x: [Float] = []
        for r in 0..<rows {
            let offset: Float = [0, 3, -40, 5][r], spread: Float = [1, 2, 0.5, 0.01][r]
            x += rng.floats(cols, -1, 1).map { offset + spread * $0 }
        }
        let gamma = affine & 1 != 0 ? rng.floats(cols, -2, 2) : nil
        let beta = affine & 2 != 0 ? rng.floats(cols, -1, 1) : nil
        return Case(rows: rows, cols: cols, x: x, gamma: gamma, beta: beta, seed: seed)
    }

    func run(_ f: Kernel, _ c: Case, output: inout [Float]) {
        c.x.withUnsafeBufferPointer { xp in
            withOptional(c.gamma) { gp in
                withOptional(c.beta) { bp in
                    output.withUnsafeMutableBufferPointer { f(c.rows, c.cols, xp.baseAddress!, gp, bp, epsilon, $0.baseAddress!) }
                }
            }
        }
    }

    func withOptional(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> Void) {
        if let a { a.withUnsafeBufferPointer { body($0.baseAddress!) } } else { body(nil) }
    }

    struct RowStats { var mean: Double, rstd: Double, meanAbs: Double }

    func stats(_ c: Case, row r: Int) -> RowStats {
        let xs = c.x[(r * c.cols)..<((r + 1) * c.cols)].map(Double.init)
        let mean = xs.reduce(0, +) / Double(c.cols)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c.cols)
        return RowStats(mean: mean, rstd: 1 / (variance + Double(epsilon)).squareRoot(),
                        meanAbs: xs.map(abs).reduce(0, +) / Double(c.cols))
    }

    func testScalarAgainstDoubleReference() {
        for cols in tailSizes {
            for affine in 0..<4 {
                let c = makeCase(cols: cols, affine: affine, seed: UInt64(cols * 4 + affine))
                var got = [Float](repeating: .nan, count: c.x.count)
                run({ loupe_f32_layer_norm__scalar($0, $1, $2, $3, $4, $5, $6) }, c, output: &got)
                for r in 0..<c.rows {
                    let s = stats(c, row: r)
                    for j in 0..<cols {
                        let d = (Double(c.x[r * cols + j]) - s.mean) * s.rstd
                        let ref = d * Double(c.gamma?[j] ?? 1) + Double(c.beta?[j] ?? 0)
                        // The scalar kernel works in double and rounds once: within 1 ulp
                        // (summation order aside, far below a float ulp).
                        XCTAssertLessThanOrEqual(ulpDistance(got[r * cols + j], ref), 1,
                                                 "cols=\(cols) affine=\(affine) row=\(r) col=\(j) seed=\(c.seed)")
                    }
                }
            }
        }
    }

    func testVariantsMatchScalarWithinSummationBound() {
        for (name, isa, lanes, f) in variants where loupe_isa_available(isa) != 0 {
            for cols in tailSizes {
                for affine in 0..<4 {
                    let c = makeCase(cols: cols, affine: affine, seed: UInt64(cols * 4 + affine))
                    var ref = [Float](repeating: .nan, count: c.x.count)
                    run({ loupe_f32_layer_norm__scalar($0, $1, $2, $3, $4, $5, $6) }, c, output: &ref)
                    var got = [Float](repeating: .nan, count: c.x.count + 1)
                    run(f, c, output: &got)
                    XCTAssertTrue(got[c.x.count].isNaN, "\(name) wrote past the end cols=\(cols)")
                    for r in 0..<c.rows {
                        let s = stats(c, row: r)
                        // Float-lane sums: each lane adds cols/lanes values, then a tree of
                        // log2(lanes) adds: the mean is off by at most (cols/lanes + 5) u
                        // mean|x|, which (x - mean) * rstd carries as that times rstd. The
                        // variance, rstd and the affine map add a few roundings each.
                        let meanBound = (Double(cols) / Double(lanes) + 5) * floatRoundoff * s.meanAbs * s.rstd
                        for j in 0..<cols {
                            let i = r * cols + j
                            let g = abs(Double(c.gamma?[j] ?? 1))
                            let d = (Double(c.x[i]) - s.mean) * s.rstd
                            let tolerance = g * (meanBound * (1 + abs(d)) + 8 * floatRoundoff * abs(d))
                                + 4 * floatRoundoff * abs(Double(ref[i])) + 1e-30
                            XCTAssertLessThanOrEqual(abs(Double(got[i]) - Double(ref[i])), tolerance,
                                                     "\(name) cols=\(cols) affine=\(affine) row=\(r) col=\(j) seed=\(c.seed)")
                        }
                    }
                    var inPlace = c.x
                    withOptional(c.gamma) { gp in
                        withOptional(c.beta) { bp in
                            inPlace.withUnsafeMutableBufferPointer {
                                f(c.rows, c.cols, UnsafePointer($0.baseAddress!), gp, bp, epsilon, $0.baseAddress!)
                            }
                        }
                    }
                    XCTAssertEqual(inPlace.map(\.bitPattern), got[0..<c.x.count].map(\.bitPattern),
                                   "\(name) in place cols=\(cols) seed=\(c.seed)")
                }
            }
        }
    }

    func testConstantRowGivesBeta() {
        // Variance 0: (x - mean) is exactly 0, so every output is beta (epsilon keeps rstd finite).
        let cols = 19
        let x = [Float](repeating: 2.5, count: 2 * cols)
        let beta = (0..<cols).map { Float($0) / 4 }
        for (name, isa, _, f) in variants where loupe_isa_available(isa) != 0 {
            var y = [Float](repeating: .nan, count: x.count)
            x.withUnsafeBufferPointer { xp in beta.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { f(2, cols, xp.baseAddress!, nil, bp.baseAddress!, epsilon, $0.baseAddress!) } } }
            XCTAssertEqual(y, beta + beta, name)
        }
    }
}
