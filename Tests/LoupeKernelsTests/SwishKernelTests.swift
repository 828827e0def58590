import Foundation
import XCTest
import LoupeKernels

/// Swish (x·sigmoid(αx)) at α = 1 (SiLU) and 1.702 (QuickGELU): every variant against double
/// precision over a sweep of the float range, and on every length around the vector widths
/// without writing past n.
final class SwishKernelTests: XCTestCase {
    typealias Variant = (name: String, isa: loupe_isa, f: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Float) -> Void)

    let variants: [Variant] = [
        ("scalar", loupe_isa_scalar, { loupe_f32_swish__scalar($0, $1, $2, $3) }),
        ("avx2", loupe_isa_avx2, { loupe_f32_swish__avx2($0, $1, $2, $3) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_swish__avx512($0, $1, $2, $3) }),
        ("neon", loupe_isa_neon, { loupe_f32_swish__neon($0, $1, $2, $3) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_swish($0, $1, $2, $3) }),
    ]

    func run(_ v: Variant, _ x: [Float], _ alpha: Float) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count + 1)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { v.f(x.count, xp.baseAddress!, $0.baseAddress!, alpha) } }
        XCTAssertTrue(y[x.count].isNaN, "\(v.name) wrote past n=\(x.count)")
        return Array(y[0..<x.count])
    }

    func testAgainstDoubleOverSweep() {
        let x = floatSweep(from: 1e-30, to: 80, stride: 4099) + floatSweep(from: -1e-30, to: -80, stride: 4099)
        for alpha: Float in [1, 1.702] {
            for v in variants where loupe_isa_available(v.isa) != 0 {
                let y = run(v, x, alpha)
                for i in x.indices {
                    let u = Double(alpha * x[i])  // rounded to float before exp, in every variant
                    let ref = Double(x[i]) / (1 + exp(-u))
                    if abs(ref) < Double(Float.leastNormalMagnitude) { continue }
                    // exp(-u) turns the half ulp of u into |u|/2 ulp; the polynomial adds a few.
                    let tolerance = 4 + abs(u)
                    let err = ulpDistance(y[i], ref)
                    if err > tolerance {
                        XCTFail("\(v.name): swish(\(x[i]), \(alpha)) = \(y[i]), expected \(ref) (\(err) ulp)")
                        break
                    }
                }
            }
        }
    }

    func testEveryLengthMatchesTheScalarTwin() {
        var rng = SystemRandomNumberGenerator()
        for n in 1...40 {
            let x = (0..<n).map { _ in Float.random(in: -8...8, using: &rng) }
            let want = run(variants[0], x, 1.702)
            for v in variants.dropFirst() where loupe_isa_available(v.isa) != 0 {
                for (a, b) in zip(run(v, x, 1.702), want) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(v.name) n=\(n)")
                }
            }
        }
    }
}
