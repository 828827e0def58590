import Foundation
import XCTest
import LoupeKernels
import LoupeTestSupport

/// erf, exact GELU and tanh GELU: every SIMD variant against the libm scalar reference, and
/// every variant against double precision over a dense sweep of the float range.
final class GeluKernelTests: XCTestCase {
    typealias Unary = (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    typealias Variant = (name: String, isa: loupe_isa, f: Unary)

    let erfVariants: [Variant] = [
        ("scalar", loupe_isa_scalar, { loupe_f32_erf__scalar($0, $1, $2) }),
        ("avx2", loupe_isa_avx2, { loupe_f32_erf__avx2($0, $1, $2) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_erf__avx512($0, $1, $2) }),
        ("neon", loupe_isa_neon, { loupe_f32_erf__neon($0, $1, $2) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_erf($0, $1, $2) }),
    ]
    let geluVariants: [Variant] = [
        ("scalar", loupe_isa_scalar, { loupe_f32_gelu__scalar($0, $1, $2) }),
        ("avx2", loupe_isa_avx2, { loupe_f32_gelu__avx2($0, $1, $2) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_gelu__avx512($0, $1, $2) }),
        ("neon", loupe_isa_neon, { loupe_f32_gelu__neon($0, $1, $2) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_gelu($0, $1, $2) }),
    ]
    let geluTanhVariants: [Variant] = [
        ("scalar", loupe_isa_scalar, { loupe_f32_gelu_tanh__scalar($0, $1, $2) }),
        ("avx2", loupe_isa_avx2, { loupe_f32_gelu_tanh__avx2($0, $1, $2) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_gelu_tanh__avx512($0, $1, $2) }),
        ("neon", loupe_isa_neon, { loupe_f32_gelu_tanh__neon($0, $1, $2) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_gelu_tanh($0, $1, $2) }),
    ]

    static func geluReference(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }
    static func tanhArgument(_ x: Double) -> Double { (2.0 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x) }
    /// 0.5 x (1 + tanh(u)) written without the cancellation of 1 + tanh(u) in double.
    static func geluTanhReference(_ x: Double) -> Double { x / (1 + exp(-2 * tanhArgument(x))) }

    func run(_ f: Unary, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { f(x.count, xp.baseAddress!, $0.baseAddress!) } }
        return y
    }

    /// Every 4099th float from 1e-30 to `hi` on both signs (about 200,000 per sign below 12).
    func sweep(_ lo: Float, _ hi: Float) -> [Float] {
        floatSweep(from: 1e-30, to: hi, stride: 4099) + floatSweep(from: -1e-30, to: -lo, stride: 4099)
    }

    func testErfAgainstDoubleOverDenseSweep() {
        let x = sweep(12, 12)
        for v in erfVariants where loupe_isa_available(v.isa) != 0 {
            let y = run(v.f, x)
            var worst = 0.0
            for i in x.indices { worst = max(worst, ulpDistance(y[i], erf(Double(x[i])))) }
            // libm erff is within 1 ulp; the polynomial measured 1.19 ulp over every 97th float.
            XCTAssertLessThanOrEqual(worst, 1.5, "\(v.name): worst erf error \(worst) ulp")
        }
    }

    func testGeluAgainstDoubleOverDenseSweep() {
        let x = sweep(14, 1e30)
        for v in geluVariants where loupe_isa_available(v.isa) != 0 {
            let y = run(v.f, x)
            for i in x.indices {
                let ref = Self.geluReference(Double(x[i]))
                if abs(ref) < Double(Float.leastNormalMagnitude) { continue }
                // x / sqrt(2) is rounded to float before erfc; d log erfc(z) / dz ~ -2z turns
                // that half ulp into 2 z^2 ulp of the result, in every float evaluation.
                let z = Double(x[i]) / 2.0.squareRoot()
                let tolerance = 3 * (1 + 2 * z * z)
                let err = ulpDistance(y[i], ref)
                if err > tolerance { XCTFail("\(v.name): gelu(\(x[i])) = \(y[i]), expected \(ref) (\(err) ulp)"); break }
            }
        }
    }

    func testGeluTanhAgainstDoubleOverDenseSweep() {
        let x = sweep(14, 1e30)
        for v in geluTanhVariants where loupe_isa_available(v.isa) != 0 {
            let y = run(v.f, x)
            for i in x.indices {
                let ref = Self.geluTanhReference(Double(x[i]))
                // Below 1e-36 exp(-2u) overflows float and the result flushes to -0 (documented).
                if abs(ref) < 1e-36 { XCTAssertLessThan(abs(y[i]), 1e-35, "\(v.name) x=\(x[i])"); continue }
                // u is rounded to float before exp; the relative error of x sigma(2u) is
                // 2|u| sigma(-2u) times that of u, so a few ulp of u cost 2|u| ulp.
                let tolerance = 3 * (1 + 2 * abs(Self.tanhArgument(Double(x[i]))))
                let err = ulpDistance(y[i], ref)
                if err > tolerance { XCTFail("\(v.name): gelu_tanh(\(x[i])) = \(y[i]), expected \(ref) (\(err) ulp)"); break }
            }
        }
    }

    /// Each SIMD variant against its scalar twin on random inputs, every tail size, with a
    /// sentinel after the end and in-place runs equal to out-of-place ones.
    func checkAgainstScalar(_ variants: [Variant], op: String, maxUlp: @escaping (Float) -> Double) {
        let scalar = variants[0].f
        for v in variants.dropFirst() where loupe_isa_available(v.isa) != 0 {
            for n in tailSizes {
                let seed = UInt64(n * 7919 + 17)
                var rng = SeededRandom(seed: seed)
                var x = rng.floats(n, -8, 8)
                let specials: [Float] = [0, -0.0, 1e-20, -1e-20, 0.5, -0.5, 0.70710677, -0.70710677, 1, -1.4142135, 20, -20]
                for (i, s) in specials.enumerated() where i < n { x[(i * 5) % n] = s }
                let ref = run(scalar, x)
                var got = [Float](repeating: .nan, count: n + 1)
                x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { v.f(n, xp.baseAddress!, $0.baseAddress!) } }
                for i in 0..<n {
                    let err = ulpDistance(got[i], Double(ref[i]))
                    XCTAssertLessThanOrEqual(err, maxUlp(x[i]), "\(op) \(v.name) n=\(n) x=\(x[i]) got \(got[i]) want \(ref[i]) seed=\(seed)")
                }
                XCTAssertTrue(got[n].isNaN, "\(op) \(v.name) wrote past n=\(n)")
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { v.f(n, $0.baseAddress!, $0.baseAddress!) }
                XCTAssertEqual(inPlace.map(\.bitPattern), got[0..<n].map(\.bitPattern), "\(op) \(v.name) in place n=\(n) seed=\(seed)")
            }
        }
    }

    // Tolerances: the two sides' errors against double (sweeps above) added. Measured over
    // every 97th float: erf 1.0 ulp, gelu 6.0 ulp (both round the same x / sqrt(2), so no
    // z^2 term), gelu_tanh 3.5 (1 + 2|u|) ulp (the two round u differently, see above).
    func testErfVariantsMatchScalar() { checkAgainstScalar(erfVariants, op: "erf") { _ in 2 } }
    func testGeluVariantsMatchScalar() { checkAgainstScalar(geluVariants, op: "gelu") { _ in 7 } }
    func testGeluTanhVariantsMatchScalar() {
        checkAgainstScalar(geluTanhVariants, op: "gelu_tanh") { 4 * (1 + 2 * abs(Self.tanhArgument(Double($0)))) }
    }

    func testSpecialValues() {
        let tiny = Float.leastNormalMagnitude / 64 // subnormal
        let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan, tiny, -tiny]
        for v in erfVariants where loupe_isa_available(v.isa) != 0 {
            let y = run(v.f, x)
            XCTAssertEqual(y[0].bitPattern, Float(0).bitPattern, "\(v.name) erf(+0)")
            XCTAssertEqual(y[1].bitPattern, Float(-0.0).bitPattern, "\(v.name) erf(-0)")
            XCTAssertEqual(y[2], 1, "\(v.name) erf(inf)")
            XCTAssertEqual(y[3], -1, "\(v.name) erf(-inf)")
            XCTAssertTrue(y[4].isNaN, "\(v.name) erf(NaN)")
            XCTAssertGreaterThan(y[5], 0, "\(v.name) erf(subnormal)")
            XCTAssertLessThan(y[6], 0, "\(v.name) erf(-subnormal)")
        }
        for v in geluVariants + geluTanhVariants where loupe_isa_available(v.isa) != 0 {
            let y = run(v.f, x)
            XCTAssertEqual(y[0].bitPattern, Float(0).bitPattern, "\(v.name) gelu(+0)")
            XCTAssertEqual(y[1].bitPattern, Float(-0.0).bitPattern, "\(v.name) gelu(-0)")
            XCTAssertEqual(y[2], .infinity, "\(v.name) gelu(inf)")
            XCTAssertTrue(y[4].isNaN, "\(v.name) gelu(NaN)")
        }
    }
}
