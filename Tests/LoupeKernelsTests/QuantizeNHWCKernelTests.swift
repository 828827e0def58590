import XCTest
import LoupeKernels
import LoupeTestSupport

/// The float NCHW → int8 NHWC quantization (Kernels/src/quantized/quantize_nhwc.c): the
/// scalar kernel against a Swift statement of XNNPACK's f32 → qs8 convert followed by the
/// transpose, every SIMD variant against the scalar one, exactly, with partial row ranges,
/// widths that are not a multiple of 16, values past both clamps, halves and NaN.
final class QuantizeNHWCKernelTests: XCTestCase {
    struct Case { var batch, channels, height, width: Int }

    static let cases = [Case(batch: 1, channels: 3, height: 5, width: 37), Case(batch: 2, channels: 3, height: 3, width: 16),
                        Case(batch: 1, channels: 1, height: 4, width: 9), Case(batch: 2, channels: 4, height: 3, width: 21),
                        Case(batch: 1, channels: 5, height: 2, width: 50), Case(batch: 1, channels: 3, height: 2, width: 7)]

    struct Problem {
        var c: Case
        var x: [Float], scale: Float
        var params: loupe_s8_gemm_qc8w_params
        var count: Int { c.batch * c.channels * c.height * c.width }
    }

    static func problem(_ c: Case, seed: UInt64, clamp: Bool) -> Problem {
        var rng = SeededRandom(seed: seed)
        let scale = rng.uniform(0.005, 0.05)
        let n = c.batch * c.channels * c.height * c.width
        let x: [Float] = (0..<n).map { i in
            switch i % 11 {
            case 3: return .nan
            case 5: return (Float(Int(rng.uniform(-200, 200))) + 0.5) * scale  // exactly half a step (ties to even)
            case 7: return rng.uniform(-10, 10)  // far past both ends
            default: return rng.uniform(-1.2, 1.2)
            }
        }
        let zp = Int8(truncatingIfNeeded: Int(rng.uniform(-100, 100)))
        var lo: Int8 = -128, hi: Int8 = 127
        if clamp { lo = Int8(clamping: Int(zp) - 30); hi = Int8(clamping: Int(zp) + 70) }
        return Problem(c: c, x: x, scale: scale, params: loupe_s8_gemm_qc8w_params(y_zero_point: zp, y_min: lo, y_max: hi))
    }

    /// XNNPACK's convert: x · (1 / scale) in float, clamped to [min - zp, max - zp], rounded
    /// half to even, plus zp; NaN gives max. Then NCHW → NHWC.
    static func expected(_ p: Problem) -> [Int8] {
        let zp = Int(p.params.y_zero_point)
        let lo = Float(Int(p.params.y_min) - zp), hi = Float(Int(p.params.y_max) - zp)
        let inverse = 1 / p.scale
        let (cs, h, w) = (p.c.channels, p.c.height, p.c.width)
        var y = [Int8](repeating: 0, count: p.count)
        for b in 0..<p.c.batch {
            for c in 0..<cs {
                for i in 0..<h {
                    for j in 0..<w {
                        let v = p.x[((b * cs + c) * h + i) * w + j] * inverse
                        let f = v.isNaN ? hi : Swift.min(Swift.max(v, lo), hi)
                        y[((b * h + i) * w + j) * cs + c] = Int8(Int(f.rounded(.toNearestOrEven)) + zp)
                    }
                }
            }
        }
        return y
    }

    static func run(_ p: Problem, _ isa: loupe_s8_gemm_qc8w_isa, rows: Range<Int>) -> [Int8] {
        var y = [Int8](repeating: 0x55, count: p.count + 16)
        var params = p.params
        y.withUnsafeMutableBufferPointer { yp in
            loupe_f32_qs8_nchw_to_nhwc__isa(isa, p.c.channels, p.c.height, p.c.width, rows.lowerBound, rows.upperBound,
                                            p.x, 1 / p.scale, yp.baseAddress, &params)
        }
        XCTAssertEqual(Array(y[p.count...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
        return Array(y[..<p.count])
    }

    func testScalarMatchesXNNPACKsConvertAndTranspose() {
        for (i, c) in Self.cases.enumerated() {
            for clamp in [false, true] {
                let p = Self.problem(c, seed: UInt64(7000 + 2 * i + (clamp ? 1 : 0)), clamp: clamp)
                XCTAssertEqual(Self.run(p, loupe_s8_gemm_qc8w_scalar, rows: 0..<(c.batch * c.height)), Self.expected(p),
                               "\(c) clamp \(clamp)")
            }
        }
    }

    func testSIMDVariantMatchesScalar() throws {
        let isa = loupe_s8_gemm_qc8w_avx512vnni
        guard loupe_s8_gemm_qc8w_isa_available(isa) != 0 else { throw XCTSkip("this CPU lacks the AVX-512 variant") }
        for (i, c) in Self.cases.enumerated() {
            for clamp in [false, true] {
                let p = Self.problem(c, seed: UInt64(8000 + 2 * i + (clamp ? 1 : 0)), clamp: clamp)
                let rows = c.batch * c.height
                let want = Self.run(p, loupe_s8_gemm_qc8w_scalar, rows: 0..<rows)
                XCTAssertEqual(Self.run(p, isa, rows: 0..<rows), want, "\(c)")
                // Rows 1..<rows-1 only: the others keep the sentinel.
                let part = Self.run(p, isa, rows: 1..<(rows - 1))
                let rowBytes = c.width * c.channels
                for r in 0..<rows {
                    let row = part[(r * rowBytes)..<((r + 1) * rowBytes)]
                    if r == 0 || r == rows - 1 {
                        XCTAssertTrue(row.allSatisfy { $0 == 0x55 }, "\(c): row \(r) written")
                    } else {
                        XCTAssertEqual(Array(row), Array(want[(r * rowBytes)..<((r + 1) * rowBytes)]), "\(c) row \(r)")
                    }
                }
            }
        }
    }
}
