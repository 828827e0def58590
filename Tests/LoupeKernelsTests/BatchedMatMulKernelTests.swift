import XCTest
import LoupeKernels
import LoupeTestSupport

/// Batched matmul of two activations: broadcast batch strides, transposed B, row ranges.
final class BatchedMatMulKernelTests: XCTestCase {
    typealias Kernel = (UnsafePointer<loupe_f32_batched_matmul_params>, UnsafePointer<Float>, UnsafePointer<Float>,
                        UnsafeMutablePointer<Float>, Int, Int) -> Void

    let scalar: Kernel = { loupe_f32_batched_matmul__scalar($0, $1, $2, $3, $4, $5) }
    let variants: [(String, loupe_isa, Kernel)] = [
        ("avx2", loupe_isa_avx2, { loupe_f32_batched_matmul__avx2($0, $1, $2, $3, $4, $5) }),
        ("avx512", loupe_isa_avx512, { loupe_f32_batched_matmul__avx512($0, $1, $2, $3, $4, $5) }),
        ("neon", loupe_isa_neon, { loupe_f32_batched_matmul__neon($0, $1, $2, $3, $4, $5) }),
        ("dispatch", loupe_isa_scalar, { loupe_f32_batched_matmul($0, $1, $2, $3, $4, $5) }),
    ]

    /// A problem: batch shape with A and B broadcast flags per axis (false = broadcast).
    struct Problem {
        var m: Int, n: Int, k: Int
        var batch: [Int], aFull: [Bool], bFull: [Bool]
        var transposeB: Bool

        /// Contiguous strides over the non-broadcast axes, 0 over the broadcast ones.
        func strides(_ full: [Bool], matrix: Int) -> [Int] {
            var s = [Int](repeating: 0, count: batch.count)
            var step = matrix
            for d in batch.indices.reversed() where full[d] { s[d] = step; step *= batch[d] }
            return s
        }
        var aStrides: [Int] { strides(aFull, matrix: m * k) }
        var bStrides: [Int] { strides(bFull, matrix: k * n) }
        var aCount: Int { zip(batch, aFull).reduce(m * k) { $1.1 ? $0 * $1.0 : $0 } }
        var bCount: Int { zip(batch, bFull).reduce(k * n) { $1.1 ? $0 * $1.0 : $0 } }
        var batchCount: Int { batch.reduce(1, *) }

        var params: loupe_f32_batched_matmul_params {
            var p = loupe_f32_batched_matmul_params()
            p.m = m; p.n = n; p.k = k; p.batch_rank = batch.count; p.transpose_b = transposeB ? 1 : 0
            fill(&p.batch_shape, batch)
            fill(&p.a_batch_stride, aStrides)
            fill(&p.b_batch_stride, bStrides)
            return p
        }

        /// Copies `values` into a C array of LOUPE_MAX_BATCH_DIMS sizes (the rest 0).
        func fill<T>(_ tuple: inout T, _ values: [Int]) {
            withUnsafeMutableBytes(of: &tuple) { raw in
                let slots = raw.bindMemory(to: Int.self)
                for i in slots.indices { slots[i] = i < values.count ? values[i] : 0 }
            }
        }

        /// Batch b's offsets into A and B, the last batch axis fastest.
        func offsets(_ b: Int) -> (Int, Int) {
            var rest = b, oa = 0, ob = 0
            for d in batch.indices.reversed() {
                oa += (rest % batch[d]) * aStrides[d]; ob += (rest % batch[d]) * bStrides[d]; rest /= batch[d]
            }
            return (oa, ob)
        }
    }

    func run(_ f: Kernel, _ p: Problem, _ a: [Float], _ b: [Float], _ c: inout [Float], rows: Range<Int>) {
        var params = p.params
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            f(&params, ap.baseAddress!, bp.baseAddress!, cp.baseAddress!, rows.lowerBound, rows.upperBound) } } }
    }

    /// Double-precision product and, per element, sum |a||b| (the scale of rounding errors).
    func reference(_ p: Problem, _ a: [Float], _ b: [Float]) -> (c: [Double], scale: [Double]) {
        var c = [Double](repeating: 0, count: p.batchCount * p.m * p.n), s = c
        for bi in 0..<p.batchCount {
            let (oa, ob) = p.offsets(bi)
            for i in 0..<p.m {
                for j in 0..<p.n {
                    var acc = 0.0, mag = 0.0
                    for q in 0..<p.k {
                        let av = Double(a[oa + i * p.k + q])
                        let bv = Double(p.transposeB ? b[ob + j * p.k + q] : b[ob + q * p.n + j])
                        acc += av * bv; mag += abs(av * bv)
                    }
                    c[(bi * p.m + i) * p.n + j] = acc; s[(bi * p.m + i) * p.n + j] = mag
                }
            }
        }
        return (c, s)
    }

    var problems: [Problem] {
        var ps: [Problem] = []
        for t in [false, true] {
            for n in [1, 7, 15, 16, 17, 33, 65] {
                ps.append(Problem(m: 3, n: n, k: 7, batch: [2, 3], aFull: [true, true], bFull: [false, true], transposeB: t))
            }
            for k in [1, 16, 64, 200] {
                ps.append(Problem(m: 5, n: 19, k: k, batch: [3], aFull: [false], bFull: [true], transposeB: t))
            }
            ps.append(Problem(m: 4, n: 9, k: 5, batch: [], aFull: [], bFull: [], transposeB: t))
            ps.append(Problem(m: 2, n: 3, k: 8, batch: [2, 1, 3, 2], aFull: [true, true, false, true],
                              bFull: [false, true, true, true], transposeB: t))
        }
        // Blocks of 4 rows plus single rows, whole and partial column vectors of both widths.
        for t in [false, true] {
            ps.append(Problem(m: 9, n: 70, k: 33, batch: [2], aFull: [true], bFull: [false], transposeB: t))
            ps.append(Problem(m: 8, n: 40, k: 3, batch: [], aFull: [], bFull: [], transposeB: t))
            ps.append(Problem(m: 5, n: 255, k: 16, batch: [], aFull: [], bFull: [], transposeB: t))
        }
        // Wider than one stack panel of B^T (8192 / 200 = 40, rounded down to 32 columns).
        ps.append(Problem(m: 3, n: 70, k: 200, batch: [2], aFull: [true], bFull: [true], transposeB: true))
        // k beyond the panel: the dot-product fallback.
        ps.append(Problem(m: 2, n: 3, k: 8200, batch: [], aFull: [], bFull: [], transposeB: true))
        return ps
    }

    func testScalarAgainstDoubleReference() {
        for (index, p) in problems.enumerated() {
            let seed = UInt64(index + 1)
            var rng = SeededRandom(seed: seed)
            let a = rng.floats(p.aCount), b = rng.floats(p.bCount)
            var c = [Float](repeating: .nan, count: p.batchCount * p.m * p.n)
            run(scalar, p, a, b, &c, rows: 0..<(p.batchCount * p.m))
            let (ref, scale) = reference(p, a, b)
            for i in c.indices {
                // Recursive float summation: |error| <= k u sum |a b| (to first order).
                XCTAssertLessThanOrEqual(abs(Double(c[i]) - ref[i]), Double(p.k) * floatRoundoff * scale[i] + 1e-30,
                                         "\(p) i=\(i) seed=\(seed)")
            }
        }
    }

    func testVariantsMatchScalarAndRowRangesCompose() {
        for (name, isa, f) in variants where loupe_isa_available(isa) != 0 {
            for (index, p) in problems.enumerated() {
                let seed = UInt64(index + 1)
                var rng = SeededRandom(seed: seed)
                let a = rng.floats(p.aCount), b = rng.floats(p.bCount)
                let rows = p.batchCount * p.m
                XCTAssertEqual(withUnsafePointer(to: p.params) { loupe_f32_batched_matmul_rows($0) }, rows)
                var ref = [Float](repeating: .nan, count: rows * p.n)
                run(scalar, p, a, b, &ref, rows: 0..<rows)
                var got = [Float](repeating: .nan, count: rows * p.n + 1)
                run(f, p, a, b, &got, rows: 0..<rows)
                let (_, scale) = reference(p, a, b)
                for i in ref.indices {
                    // Both within k u sum |a b| of the exact product (FMA or not).
                    XCTAssertLessThanOrEqual(abs(got[i] - ref[i]), Float(2 * Double(p.k) * floatRoundoff * scale[i]) + 1e-30,
                                             "\(name) \(p) i=\(i) seed=\(seed)")
                }
                XCTAssertTrue(got[rows * p.n].isNaN, "\(name) wrote past the end \(p)")
                // Rows split at points that cut through batches give the same bits.
                var split = [Float](repeating: .nan, count: rows * p.n)
                let cuts = [0, rows / 3, rows / 3 + 1, (2 * rows) / 3 + 1, rows].map { Swift.min($0, rows) }
                for (lo, hi) in zip(cuts, cuts.dropFirst()) where lo < hi { run(f, p, a, b, &split, rows: lo..<hi) }
                XCTAssertEqual(split.map(\.bitPattern), got[0..<(rows * p.n)].map(\.bitPattern), "\(name) split rows \(p) seed=\(seed)")
            }
        }
    }
}
