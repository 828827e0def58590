import XCTest
import LoupeKernels
import LoupeTestSupport

/// The int8 GEMM with per-channel weights (Kernels/src/gemm): the scalar kernel against an
/// independent Swift statement of its contract (XNNPACK's qc8 fp32 requantization), and
/// every SIMD variant the CPU supports against the scalar one. Exact equality throughout:
/// integer accumulation and one float multiply have one answer.
final class GemmQC8WKernelTests: XCTestCase {
    struct Problem {
        var rows: Int, k: Int, n: Int, xStride: Int, yStride: Int
        var x: [Int8], w: [Int8], bias: [Int32]?, scale: [Float]
        var xZP: Int8, params: loupe_s8_gemm_qc8w_params
    }

    static func problem(rows: Int, k: Int, n: Int, seed: UInt64, bias: Bool = true, clamp: Bool = false,
                        extremes: Bool = false, huge: Bool = false) -> Problem {
        var rng = SeededRandom(seed: seed)
        func byte() -> Int8 { Int8(truncatingIfNeeded: rng.next()) }
        let xStride = k + Int(rng.next() % 5), yStride = n + Int(rng.next() % 5)
        var x = (0..<(rows * xStride)).map { _ in byte() }
        var w = (0..<(n * k)).map { _ in byte() }
        if extremes {
            // The accumulator's largest magnitudes: every product ±128·128.
            x = x.map { $0 < 0 ? -128 : 127 }
            w = w.map { $0 < 0 ? -128 : 127 }
        }
        let b = bias ? (0..<n).map { _ in Int32(truncatingIfNeeded: rng.next() % 200_001) - 100_000 } : nil
        // Scales that spread the outputs over the int8 range and beyond (so the clamp acts).
        let spread = Float(200) / (5300 * Float(k).squareRoot())
        // Huge: most products land far past int32 in float (±1e10), where a conversion to
        // int32 without the float clamp would overflow.
        let scale = (0..<n).map { _ in rng.uniform(0.2, 1.5) * (huge ? 1e5 : spread) }
        let zp = byte(), xzp = byte()
        var lo: Int8 = -128, hi: Int8 = 127
        if clamp { lo = Int8(clamping: Int(zp) - 20); hi = Int8(clamping: Int(zp) + 60) }
        return Problem(rows: rows, k: k, n: n, xStride: xStride, yStride: yStride, x: x, w: w, bias: b, scale: scale,
                       xZP: xzp, params: loupe_s8_gemm_qc8w_params(y_zero_point: zp, y_min: lo, y_max: hi))
    }

    /// The contract in Swift: wrapping int32 accumulation of (x − x_zp)·w plus the bias,
    /// Float(acc)·scale, clamp, round half to even, plus the zero point.
    static func expected(_ p: Problem) -> [Int8] {
        var y = [Int8](repeating: 0x55, count: p.rows * p.yStride)
        let lo = Float(Int(p.params.y_min) - Int(p.params.y_zero_point))
        let hi = Float(Int(p.params.y_max) - Int(p.params.y_zero_point))
        for r in 0..<p.rows {
            for c in 0..<p.n {
                var acc = p.bias?[c] ?? 0
                for i in 0..<p.k {
                    acc = acc &+ (Int32(p.x[r * p.xStride + i]) - Int32(p.xZP)) &* Int32(p.w[c * p.k + i])
                }
                let f = Swift.min(Swift.max(Float(acc) * p.scale[c], lo), hi)
                y[r * p.yStride + c] = Int8(Int(f.rounded(.toNearestOrEven)) + Int(p.params.y_zero_point))
            }
        }
        return y
    }

    /// Runs one variant over rows [begin, end) into a buffer pre-filled with 0x55 (gaps
    /// between rows and the bytes past the last row must keep it).
    static func run(_ p: Problem, _ isa: loupe_s8_gemm_qc8w_isa, rows: Range<Int>? = nil) -> [Int8] {
        let size = loupe_s8_gemm_qc8w_packed_size(p.k, p.n)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { packed.deallocate() }
        p.w.withUnsafeBufferPointer { w in
            p.scale.withUnsafeBufferPointer { s in
                if let bias = p.bias {
                    bias.withUnsafeBufferPointer { loupe_s8_gemm_qc8w_pack(p.k, p.n, w.baseAddress, $0.baseAddress, s.baseAddress, p.xZP, packed) }
                } else {
                    loupe_s8_gemm_qc8w_pack(p.k, p.n, w.baseAddress, nil, s.baseAddress, p.xZP, packed)
                }
            }
        }
        var y = [Int8](repeating: 0x55, count: p.rows * p.yStride + 16)
        var params = p.params
        let r = rows ?? 0..<p.rows
        // x is copied to an exact-size allocation so that a read past the last row's k
        // bytes would read outside it (address sanitizer builds catch it).
        let xs = UnsafeMutablePointer<Int8>.allocate(capacity: max(p.x.count, 1))
        defer { xs.deallocate() }
        xs.initialize(from: p.x, count: p.x.count)
        y.withUnsafeMutableBufferPointer { yp in
            loupe_s8_gemm_qc8w__isa(isa, r.lowerBound, r.upperBound, p.k, p.n, xs, p.xStride, packed, yp.baseAddress,
                                    p.yStride, &params)
        }
        XCTAssertEqual(Array(y[(p.rows * p.yStride)...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
        return Array(y[..<(p.rows * p.yStride)])
    }

    static let shapes: [(rows: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 3, 5), (8, 4, 16), (9, 5, 17), (7, 16, 15), (17, 24, 40), (33, 63, 24), (16, 64, 72),
        (11, 65, 33), (5, 130, 16), (25, 96, 120), (3, 2100, 20),  // k past the VNNI stack tile
        (2, 40, 60), (1, 300, 200), (10, 33, 100),  // 1-2 row tails: the row-by-row path, partial blocks
    ]

    static let simd: [(String, loupe_s8_gemm_qc8w_isa)] = [
        ("avx2", loupe_s8_gemm_qc8w_avx2), ("avx512vnni", loupe_s8_gemm_qc8w_avx512vnni),
    ]

    func testScalarMatchesTheContract() {
        for (i, s) in Self.shapes.enumerated() {
            for variant in 0..<4 {
                let seed = UInt64(1000 + 10 * i + variant)
                let p = Self.problem(rows: s.rows, k: s.k, n: s.n, seed: seed, bias: variant != 1, clamp: variant == 2,
                                     huge: variant == 3)
                XCTAssertEqual(Self.run(p, loupe_s8_gemm_qc8w_scalar), Self.expected(p), "shape \(s) seed \(seed)")
            }
        }
    }

    func testSIMDVariantsMatchScalar() throws {
        var ran = 0
        for (name, isa) in Self.simd where loupe_s8_gemm_qc8w_isa_available(isa) != 0 {
            ran += 1
            for (i, s) in Self.shapes.enumerated() {
                for variant in 0..<6 {
                    let seed = UInt64(2000 + 10 * i + variant)
                    let p = Self.problem(rows: s.rows, k: s.k, n: s.n, seed: seed, bias: variant != 1,
                                         clamp: variant == 2 || variant == 5, extremes: variant == 3, huge: variant >= 4)
                    let want = Self.run(p, loupe_s8_gemm_qc8w_scalar)
                    XCTAssertEqual(Self.run(p, isa), want, "\(name) shape \(s) seed \(seed)")
                    // A sub-range of rows, as a thread's share: only those rows written.
                    if s.rows > 2 {
                        let r = 1..<(s.rows - 1)
                        let got = Self.run(p, isa, rows: r)
                        var partial = [Int8](repeating: 0x55, count: want.count)
                        for row in r { for c in 0..<p.yStride { partial[row * p.yStride + c] = want[row * p.yStride + c] } }
                        XCTAssertEqual(got, partial, "\(name) rows \(r) shape \(s) seed \(seed)")
                    }
                }
            }
        }
        if ran == 0 { throw XCTSkip("this CPU has none of the SIMD variants") }
    }

    func testBestVariantIsAvailable() {
        XCTAssertNotEqual(loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_best_isa()), 0)
        XCTAssertNotEqual(loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_scalar), 0)
    }
}
