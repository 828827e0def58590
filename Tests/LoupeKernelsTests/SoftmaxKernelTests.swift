import Foundation
import XCTest
import LoupeKernels
import LoupeTestSupport

/// Softmax with fused scale and mask: the scalar kernel against double precision, each SIMD
/// variant against the scalar, row ranges, mask periods and fully masked rows.
final class SoftmaxKernelTests: XCTestCase {
    typealias Kernel = (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Float, UnsafePointer<Float>?, Int, Int, Int) -> Void

    /// (name, isa, float lanes summed in parallel, kernel)
    let variants: [(String, loupe_isa, Int, Kernel)] = [
        ("avx2", loupe_isa_avx2, 8, { loupe_f32_softmax__avx2($0, $1, $2, $3, $4, $5, $6, $7) }),
        ("avx512", loupe_isa_avx512, 16, { loupe_f32_softmax__avx512($0, $1, $2, $3, $4, $5, $6, $7) }),
        ("neon", loupe_isa_neon, 4, { loupe_f32_softmax__neon($0, $1, $2, $3, $4, $5, $6, $7) }),
        ("dispatch", loupe_isa_scalar, 16, { loupe_f32_softmax($0, $1, $2, $3, $4, $5, $6, $7) }),
    ]
    let scalar: Kernel = { loupe_f32_softmax__scalar($0, $1, $2, $3, $4, $5, $6, $7) }

    func run(_ f: Kernel, cols: Int, _ x: [Float], _ y: inout [Float], scale: Float, mask: [Float]?, maskRows: Int,
             rows: Range<Int>) {
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if let mask {
                    mask.withUnsafeBufferPointer { f(cols, xp.baseAddress!, yp.baseAddress!, scale, $0.baseAddress!, maskRows, rows.lowerBound, rows.upperBound) }
                } else {
                    f(cols, xp.baseAddress!, yp.baseAddress!, scale, nil, maskRows, rows.lowerBound, rows.upperBound)
                }
            }
        }
    }

    /// Scores in [-6, 6] times 0.125 (1/sqrt(64)) plus a mask with some -inf (masked) and
    /// some finite (bias) entries, mask period 3 over 6 rows.
    func makeCase(cols: Int, seed: UInt64) -> (x: [Float], mask: [Float]) {
        var rng = SeededRandom(seed: seed)
        let x = rng.floats(6 * cols, -6, 6).map { $0 * 8 }
        var mask = rng.floats(3 * cols, -2, 2)
        for i in mask.indices where rng.next() % 5 == 0 { mask[i] = -.infinity }
        for r in 0..<3 { mask[r * cols] = 0 } // every row keeps one unmasked column
        return (x, mask)
    }

    func testScalarAgainstDoubleReference() {
        let scale: Float = 0.125
        for cols in tailSizes {
            for masked in [false, true] {
                let seed = UInt64(cols * 2 + (masked ? 1 : 0))
                let (x, mask) = makeCase(cols: cols, seed: seed)
                var y = [Float](repeating: .nan, count: x.count)
                run(scalar, cols: cols, x, &y, scale: scale, mask: masked ? mask : nil, maskRows: 3, rows: 0..<6)
                for r in 0..<6 {
                    // The kernel's v = scale * x + mask in float (same operations, no FMA).
                    let v: [Float] = (0..<cols).map { c in
                        let p = scale * x[r * cols + c]
                        return masked ? p + mask[(r % 3) * cols + c] : p
                    }
                    let mx = Double(v.max()!)
                    let e = v.map { exp(Double($0) - mx) }
                    let sum = e.reduce(0, +)
                    for c in 0..<cols {
                        let ref = e[c] / sum
                        // expf (1 ulp) of v - max rounded to float (relative u |v - max| on
                        // exp), the sum in double, 1 / sum and the product rounded: 4 u.
                        let tolerance = v[c] == -.infinity ? 0 : ref * floatRoundoff * (4 + abs(Double(v[c]) - mx))
                        XCTAssertLessThanOrEqual(abs(Double(y[r * cols + c]) - ref), tolerance,
                                                 "cols=\(cols) masked=\(masked) row=\(r) col=\(c) seed=\(seed)")
                    }
                }
            }
        }
    }

    func testVariantsMatchScalar() {
        let scale: Float = 0.125
        for (name, isa, lanes, f) in variants where loupe_isa_available(isa) != 0 {
            for cols in tailSizes {
                for masked in [false, true] {
                    let seed = UInt64(cols * 2 + (masked ? 1 : 0))
                    let (x, mask) = makeCase(cols: cols, seed: seed)
                    var ref = [Float](repeating: .nan, count: x.count)
                    run(scalar, cols: cols, x, &ref, scale: scale, mask: masked ? mask : nil, maskRows: 3, rows: 0..<6)
                    var got = [Float](repeating: .nan, count: x.count + 1)
                    run(f, cols: cols, x, &got, scale: scale, mask: masked ? mask : nil, maskRows: 3, rows: 0..<6)
                    // Both see the same v - max. Polynomial exp (2 ulp) vs expf (1 ulp), the
                    // float-lane sum ((cols/lanes + 5) u relative) vs the double sum, and
                    // the reciprocal and product (2 u each side).
                    let bound = floatRoundoff * (14 + Double(cols) / Double(lanes))
                    for i in 0..<x.count {
                        XCTAssertLessThanOrEqual(abs(Double(got[i]) - Double(ref[i])), bound * Double(ref[i]) + 1e-38,
                                                 "\(name) cols=\(cols) masked=\(masked) i=\(i) seed=\(seed)")
                    }
                    XCTAssertTrue(got[x.count].isNaN, "\(name) wrote past the end cols=\(cols)")
                    var inPlace = x
                    inPlace.withUnsafeMutableBufferPointer { p in
                        if masked {
                            mask.withUnsafeBufferPointer { f(cols, UnsafePointer(p.baseAddress!), p.baseAddress!, scale, $0.baseAddress!, 3, 0, 6) }
                        } else {
                            f(cols, UnsafePointer(p.baseAddress!), p.baseAddress!, scale, nil, 3, 0, 6)
                        }
                    }
                    XCTAssertEqual(inPlace.map(\.bitPattern), got[0..<x.count].map(\.bitPattern), "\(name) in place cols=\(cols) seed=\(seed)")
                }
            }
        }
    }

    func testRowRangeTouchesOnlyItsRowsAndMaskedEntriesAreZero() {
        let cols = 33
        let (x, mask) = makeCase(cols: cols, seed: 99)
        for (name, isa, _, f) in variants + [("scalar", loupe_isa_scalar, 1, scalar)] where loupe_isa_available(isa) != 0 {
            var y = [Float](repeating: .nan, count: x.count)
            run(f, cols: cols, x, &y, scale: 0.125, mask: mask, maskRows: 3, rows: 2..<5)
            for r in 0..<6 {
                let row = y[(r * cols)..<((r + 1) * cols)]
                if (2..<5).contains(r) {
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5, "\(name) row \(r) sums to 1")
                    for c in 0..<cols where mask[(r % 3) * cols + c] == -.infinity {
                        XCTAssertEqual(row[r * cols + c], 0, "\(name) masked entry row \(r) col \(c)")
                    }
                } else {
                    XCTAssertTrue(row.allSatisfy(\.isNaN), "\(name) wrote row \(r) outside 2..<5")
                }
            }
        }
    }

    func testFullyMaskedRowIsNaN() {
        let cols = 17
        let x = [Float](repeating: 1, count: cols)
        let mask = [Float](repeating: -.infinity, count: cols)
        for (name, isa, _, f) in variants + [("scalar", loupe_isa_scalar, 1, scalar)] where loupe_isa_available(isa) != 0 {
            var y = [Float](repeating: 0, count: cols)
            run(f, cols: cols, x, &y, scale: 1, mask: mask, maskRows: 1, rows: 0..<1)
            XCTAssertTrue(y.allSatisfy(\.isNaN), "\(name): \(y)")
        }
    }

    func testVeryNegativeRowsDoNotUnderflow() {
        // Only the subtracted max keeps exp(-300) from flushing to 0; a tail lane that
        // joined the max as 0 would turn every row into 0 / 0.
        for (name, isa, _, f) in variants + [("scalar", loupe_isa_scalar, 1, scalar)] where loupe_isa_available(isa) != 0 {
            for cols in tailSizes {
                let x = (0..<cols).map { -300 - Float($0 % 5) }
                var y = [Float](repeating: .nan, count: cols)
                run(f, cols: cols, x, &y, scale: 1, mask: nil, maskRows: 1, rows: 0..<1)
                XCTAssertEqual(y.reduce(0, +), 1, accuracy: 1e-5, "\(name) cols=\(cols)")
            }
        }
    }

    func testLargeScoresDoNotOverflow() {
        // Without the max subtraction exp(100) and exp(90) would overflow float.
        let x: [Float] = [1000, 900, 0, -1e30]
        for (name, isa, _, f) in variants + [("scalar", loupe_isa_scalar, 1, scalar)] where loupe_isa_available(isa) != 0 {
            var y = [Float](repeating: .nan, count: 4)
            run(f, cols: 4, x, &y, scale: 0.1, mask: nil, maskRows: 1, rows: 0..<1)
            XCTAssertEqual(y[0], 1 / (1 + Float(exp(-10.0))), accuracy: 1e-6, name)
            XCTAssertEqual(y[1], Float(exp(-10.0)) / (1 + Float(exp(-10.0))), accuracy: 1e-9, name)
            XCTAssertEqual(y[3], 0, name)
        }
    }
}
