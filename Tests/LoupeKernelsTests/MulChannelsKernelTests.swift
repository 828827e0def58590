import XCTest
import LoupeKernels
import LoupeTestSupport

/// The int8 gate multiply (Kernels/src/quantized/mul_channels.c): the scalar kernel against
/// a Swift statement of XNNPACK's qs8 multiply (fp32 requantization of the exact product),
/// every SIMD variant against the scalar one, exactly, with partial row ranges.
final class MulChannelsKernelTests: XCTestCase {
    struct Case { var rows, perGate, channels: Int }

    static let cases = [Case(rows: 7, perGate: 7, channels: 16), Case(rows: 12, perGate: 6, channels: 37),
                        Case(rows: 5, perGate: 5, channels: 3), Case(rows: 9, perGate: 1, channels: 72),
                        Case(rows: 4, perGate: 4, channels: 120)]

    struct Problem {
        var c: Case
        var x: [Int8], g: [Int8], xZP: Int8, gZP: Int8, scale: Float
        var params: loupe_s8_gemm_qc8w_params
    }

    static func problem(_ c: Case, seed: UInt64, clamp: Bool) -> Problem {
        var rng = SeededRandom(seed: seed)
        func byte() -> Int8 { Int8(truncatingIfNeeded: rng.next()) }
        let x = (0..<(c.rows * c.channels)).map { _ in byte() }
        let g = (0..<((c.rows / c.perGate) * c.channels)).map { _ in byte() }
        // Products reach 255 * 255: scales that map them over and past the int8 range.
        let scale = rng.uniform(0.2, 3) / 255
        let zp = byte()
        var lo: Int8 = -128, hi: Int8 = 127
        if clamp { lo = Int8(clamping: Int(zp) - 20); hi = Int8(clamping: Int(zp) + 60) }
        return Problem(c: c, x: x, g: g, xZP: byte(), gZP: byte(), scale: scale,
                       params: loupe_s8_gemm_qc8w_params(y_zero_point: zp, y_min: lo, y_max: hi))
    }

    static func expected(_ p: Problem) -> [Int8] {
        let lo = Float(Int(p.params.y_min) - Int(p.params.y_zero_point))
        let hi = Float(Int(p.params.y_max) - Int(p.params.y_zero_point))
        return (0..<(p.c.rows * p.c.channels)).map { i in
            let r = i / p.c.channels, ch = i % p.c.channels
            let acc = (Int32(p.x[i]) - Int32(p.xZP)) * (Int32(p.g[(r / p.c.perGate) * p.c.channels + ch]) - Int32(p.gZP))
            let f = Swift.min(Swift.max(Float(acc) * p.scale, lo), hi)
            return Int8(Int(f.rounded(.toNearestOrEven)) + Int(p.params.y_zero_point))
        }
    }

    static func run(_ p: Problem, _ isa: loupe_s8_gemm_qc8w_isa, rows: Range<Int>) -> [Int8] {
        let n = p.c.rows * p.c.channels
        var y = [Int8](repeating: 0x55, count: n + 16)
        var params = p.params
        y.withUnsafeMutableBufferPointer { yp in
            loupe_s8_mul_channels__isa(isa, rows.lowerBound, rows.upperBound, p.c.perGate, p.c.channels, p.x, p.xZP,
                                       p.g, p.gZP, p.scale, yp.baseAddress, &params)
        }
        XCTAssertEqual(Array(y[n...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
        return Array(y[..<n])
    }

    func testScalarMatchesXNNPACKsFormula() {
        for (i, c) in Self.cases.enumerated() {
            for clamp in [false, true] {
                let p = Self.problem(c, seed: UInt64(5000 + 2 * i + (clamp ? 1 : 0)), clamp: clamp)
                XCTAssertEqual(Self.run(p, loupe_s8_gemm_qc8w_scalar, rows: 0..<c.rows), Self.expected(p), "\(c) clamp \(clamp)")
            }
        }
    }

    func testSIMDVariantsMatchScalar() throws {
        var ran = 0
        for (name, isa) in [("avx2", loupe_s8_gemm_qc8w_avx2), ("avx512", loupe_s8_gemm_qc8w_avx512vnni)]
        where loupe_s8_gemm_qc8w_isa_available(isa) != 0 {
            ran += 1
            for (i, c) in Self.cases.enumerated() {
                for clamp in [false, true] {
                    let p = Self.problem(c, seed: UInt64(6000 + 2 * i + (clamp ? 1 : 0)), clamp: clamp)
                    let want = Self.run(p, loupe_s8_gemm_qc8w_scalar, rows: 0..<c.rows)
                    XCTAssertEqual(Self.run(p, isa, rows: 0..<c.rows), want, "\(name) \(c)")
                    // Rows 1..<rows-1 only: the others keep the sentinel.
                    let part = Self.run(p, isa, rows: 1..<(c.rows - 1))
                    for r in 0..<c.rows {
                        let row = part[(r * c.channels)..<((r + 1) * c.channels)]
                        if r == 0 || r == c.rows - 1 {
                            XCTAssertTrue(row.allSatisfy { $0 == 0x55 }, "\(name) \(c): row \(r) written")
                        } else {
                            XCTAssertEqual(Array(row), Array(want[(r * c.channels)..<((r + 1) * c.channels)]), "\(name) \(c) row \(r)")
                        }
                    }
                }
            }
        }
        if ran == 0 { throw XCTSkip("this CPU has none of the SIMD variants") }
    }
}
