import Foundation
import XCTest
import LoupeKernels
import LoupeTestSupport

/// The polynomial exp shared by softmax and the GELU kernels, through its element-wise entry.
final class ExpKernelTests: XCTestCase {
    typealias Unary = (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void

    let variants: [(String, loupe_isa, Unary)] = [
        ("scalar", loupe_isa_scalar, { loupe_f32_exp__scalar($0, $1, $2) }),
        ("avx2", loupe_isa_avx2, { loupe_f32_exp__avx2($0, $1, $2) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_exp__avx512($0, $1, $2) }),
        ("neon", loupe_isa_neon, { loupe_f32_exp__neon($0, $1, $2) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_exp($0, $1, $2) }),
    ]

    func run(_ f: Unary, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count + 1)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { f(x.count, xp.baseAddress!, $0.baseAddress!) } }
        XCTAssertTrue(y[x.count].isNaN, "wrote past n=\(x.count)")
        return Array(y[0..<x.count])
    }

    func testAgainstDoubleOverDenseSweep() {
        // Every 4099th float from 1e-30 up to 110 in magnitude, both signs: through underflow
        // to 0 (below -104) and overflow to inf (above ln(FLT_MAX)).
        let x = floatSweep(from: 1e-30, to: 110, stride: 4099) + floatSweep(from: -1e-30, to: -110, stride: 4099)
        for (name, isa, f) in variants where loupe_isa_available(isa) != 0 {
            let y = run(f, x)
            var worst = 0.0
            for i in x.indices {
                let ref = exp(Double(x[i]))
                if Float(ref).isInfinite { XCTAssertEqual(y[i], .infinity, "\(name) exp(\(x[i]))"); continue }
                worst = max(worst, ulpDistance(y[i], ref))
            }
            // Measured over every 53rd float: libm 0.50 ulp, the polynomial 1.29 ulp.
            XCTAssertLessThanOrEqual(worst, 1.5, "\(name): worst exp error \(worst) ulp")
        }
    }

    func testVariantsMatchScalarOnTailsAndInPlace() {
        for (name, isa, f) in variants.dropFirst() where loupe_isa_available(isa) != 0 {
            for n in tailSizes {
                let seed = UInt64(n * 131 + 7)
                var rng = SeededRandom(seed: seed)
                let x = rng.floats(n, -90, 90)
                let ref = run(variants[0].2, x), got = run(f, x)
                for i in 0..<n {
                    // 0.5 ulp (libm) + 1.3 ulp (polynomial), see the sweep.
                    XCTAssertLessThanOrEqual(ulpDistance(got[i], Double(ref[i])), 2, "\(name) n=\(n) x=\(x[i]) seed=\(seed)")
                }
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { f(n, $0.baseAddress!, $0.baseAddress!) }
                XCTAssertEqual(inPlace.map(\.bitPattern), got.map(\.bitPattern), "\(name) in place n=\(n) seed=\(seed)")
            }
        }
    }

    func testSpecialValues() {
        let x: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, -200]
        for (name, isa, f) in variants where loupe_isa_available(isa) != 0 {
            let y = run(f, x)
            XCTAssertTrue(y[0].isNaN, "\(name) exp(NaN)")
            XCTAssertEqual(y[1], .infinity, "\(name) exp(inf)")
            XCTAssertEqual(y[2], 0, "\(name) exp(-inf)")
            XCTAssertEqual(y[3], 1, "\(name) exp(0)")
            XCTAssertEqual(y[4], 1, "\(name) exp(-0)")
            XCTAssertEqual(y[5], 0, "\(name) exp(-200)")
        }
    }
}
