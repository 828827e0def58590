import XCTest
import LoupeKernels
import LoupeTestSupport

/// Sizes around a SIMD tile: n < tile, n == tile, n > tile, several tiles plus tail.
func sizes(tile: Int) -> [Int] { Array(Set([1, max(tile - 1, 1), tile, tile + 1, 2 * tile + 3, 257])).sorted() }

final class ActivationKernelTests: XCTestCase {
    typealias Unary = (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void

    func tanhVariants() -> [(String, loupe_isa, Int, Unary)] {
        [("approx_scalar", loupe_isa_scalar, 1, { loupe_f32_tanh__approx_scalar($0, $1, $2) }),
         ("avx2", loupe_isa_avx2, 8, { loupe_f32_tanh__avx2($0, $1, $2) }),
         ("avx512", loupe_isa_avx512, 16, { loupe_f32_tanh__avx512($0, $1, $2) }),
         ("neon", loupe_isa_neon, 4, { loupe_f32_tanh__neon($0, $1, $2) }),
         ("dispatch", loupe_isa_scalar, 16, { loupe_f32_tanh($0, $1, $2) })]
    }

    func testTanhVariantsMatchScalarReference() {
        for (name, isa, tile, f) in tanhVariants() where loupe_isa_available(isa) != 0 {
            for n in sizes(tile: max(tile, 2)) {
                let seed = UInt64(n * 31 + tile)
                var rng = SeededRandom(seed: seed)
                var x = rng.floats(n, -10, 10)
                if n > 3 { x[0] = 1e-5; x[1] = -3e-4; x[2] = 20; x[3] = -0.01 }
                var ref = [Float](repeating: 0, count: n)
                var got = [Float](repeating: .nan, count: n + 1)
                loupe_f32_tanh__scalar(n, x, &ref)
                x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { f(n, xp.baseAddress!, $0.baseAddress!) } }
                for i in 0..<n {
                    let err = abs(got[i] - ref[i])
                    XCTAssertLessThanOrEqual(err, 2e-6 * abs(ref[i]) + 1e-7,
                                             "\(name) n=\(n) i=\(i) x=\(x[i]) seed=\(seed)")
                }
                XCTAssertTrue(got[n].isNaN, "\(name) wrote past n=\(n)")
            }
        }
    }

    func testTanhInPlace() {
        var x: [Float] = (0..<37).map { Float($0) / 5 - 3 }
        let expected = x.map { tanhf($0) }
        x.withUnsafeMutableBufferPointer { loupe_f32_tanh($0.count, $0.baseAddress!, $0.baseAddress!) }
        for i in 0..<x.count { XCTAssertEqual(x[i], expected[i], accuracy: 1e-6) }
    }

    func testHardSigmoidVariants() {
        let vs: [(String, loupe_isa, Int, Unary)] = [
            ("avx2", loupe_isa_avx2, 8, { loupe_f32_hardsigmoid__avx2($0, $1, $2, 0.2, 0.5) }),
            ("avx512", loupe_isa_avx512, 16, { loupe_f32_hardsigmoid__avx512($0, $1, $2, 0.2, 0.5) }),
            ("neon", loupe_isa_neon, 4, { loupe_f32_hardsigmoid__neon($0, $1, $2, 0.2, 0.5) }),
            ("dispatch", loupe_isa_scalar, 16, { loupe_f32_hardsigmoid($0, $1, $2, 0.2, 0.5) }),
        ]
        for (name, isa, tile, f) in vs where loupe_isa_available(isa) != 0 {
            for n in sizes(tile: tile) {
                var rng = SeededRandom(seed: UInt64(n))
                let x = rng.floats(n, -6, 6)
                var ref = [Float](repeating: 0, count: n)
                var got = [Float](repeating: .nan, count: n + 1)
                loupe_f32_hardsigmoid__scalar(n, x, &ref, 0.2, 0.5)
                x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { f(n, xp.baseAddress!, $0.baseAddress!) } }
                for i in 0..<n { XCTAssertEqual(got[i], ref[i], accuracy: 1e-6, "\(name) n=\(n) seed=\(n)") }
                XCTAssertTrue(got[n].isNaN, "\(name) wrote past n=\(n)")
            }
        }
    }

    func testPReluPeriodicSlope() {
        let x: [Float] = [-1, 2, -3, 4, -5, -6]
        let slope: [Float] = [0.5, 0.25, 2]
        var y = [Float](repeating: 0, count: 6)
        loupe_f32_prelu(6, x, slope, 3, &y)
        XCTAssertEqual(y, [-0.5, 2, -6, 4, -1.25, -12])
    }
}

final class TransposeKernelTests: XCTestCase {
    func reference(_ shape: [Int], _ perm: [Int], _ x: [UInt32]) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: x.count)
        loupe_x32_transpose__scalar(shape.count, shape, perm, x, &out)
        return out
    }

    func testTranspose2DVariants() {
        let vs: [(String, loupe_isa, Int, (Int, Int, UnsafePointer<UInt32>, Int, UnsafeMutablePointer<UInt32>, Int) -> Void)] = [
            ("sse2", loupe_isa_sse2, 4, { loupe_x32_transpose2d__sse2($0, $1, $2, $3, $4, $5) }),
            ("avx2", loupe_isa_avx2, 8, { loupe_x32_transpose2d__avx2($0, $1, $2, $3, $4, $5) }),
            ("dispatch", loupe_isa_scalar, 8, { loupe_x32_transpose2d($0, $1, $2, $3, $4, $5) }),
        ]
        for (name, isa, tile, f) in vs where loupe_isa_available(isa) != 0 {
            for rows in sizes(tile: tile) + [2, 3, 130] {
                for cols in [1, tile - 1, tile, tile + 1, 3 * tile + 1, 70] {
                    let x = (0..<(rows * cols)).map { UInt32($0) }
                    var ref = [UInt32](repeating: 0, count: rows * cols)
                    var got = [UInt32](repeating: .max, count: rows * cols + 1)
                    loupe_x32_transpose2d__scalar(rows, cols, x, cols, &ref, rows)
                    x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { f(rows, cols, xp.baseAddress!, cols, $0.baseAddress!, rows) } }
                    XCTAssertEqual(Array(got[0..<(rows * cols)]), ref, "\(name) \(rows)x\(cols)")
                    XCTAssertEqual(got[rows * cols], .max, "\(name) wrote past the end")
                }
            }
        }
    }

    func testGenericTransposeAgainstReference() {
        let cases: [([Int], [Int])] = [
            ([2, 3, 4, 5], [0, 2, 3, 1]), ([2, 4, 5, 3], [0, 3, 1, 2]), ([3, 4], [1, 0]),
            ([2, 3, 4, 5, 2, 3], [5, 4, 3, 2, 1, 0]), ([1, 3, 1, 5], [3, 1, 2, 0]),
            ([2, 3, 4], [1, 0, 2]), ([2, 3, 4], [0, 1, 2]), ([4, 1, 7, 9], [0, 2, 3, 1]),
            ([2, 3, 4, 5], [2, 0, 3, 1]), ([1, 1, 1], [2, 1, 0]),
        ]
        for (shape, perm) in cases {
            let n = shape.reduce(1, *)
            let x = (0..<n).map { UInt32($0 * 7 + 1) }
            let ref = reference(shape, perm, x)
            if shape == [2, 3, 4, 5] && perm == [0, 2, 3, 1] {
                // out[n,h,w,c] = in[n,c,h,w]
                let o: Int = ((1 * 4 + 2) * 5 + 3) * 3 + 1
                let i: Int = ((1 * 3 + 1) * 4 + 2) * 5 + 3
                XCTAssertEqual(ref[o], x[i])
            }
            var got = [UInt32](repeating: 0, count: n)
            loupe_x32_transpose(shape.count, shape, perm, x, &got, 0, Int.max)
            XCTAssertEqual(got, ref, "shape \(shape) perm \(perm)")
            // split across batches as the runtime does across threads
            let batches = loupe_x32_transpose_batches(shape.count, shape, perm)
            var split = [UInt32](repeating: 0, count: n)
            for b in 0..<batches { loupe_x32_transpose(shape.count, shape, perm, x, &split, b, b + 1) }
            XCTAssertEqual(split, ref, "split shape \(shape) perm \(perm)")
        }
    }
}

final class PadResizePoolKernelTests: XCTestCase {
    func testReflectEdgeConstantPad1D() {
        let x: [UInt32] = [1, 2, 3, 4]
        func pad(_ mode: loupe_pad_mode, _ pre: Int, _ post: Int) -> [UInt32] {
            var out = [UInt32](repeating: 0, count: 4 + pre + post)
            loupe_x32_pad__scalar(1, [4], [pre], [post], mode, 9, x, &out)
            return out
        }
        XCTAssertEqual(pad(loupe_pad_reflect, 2, 3), [3, 2, 1, 2, 3, 4, 3, 2, 1])
        XCTAssertEqual(pad(loupe_pad_edge, 2, 1), [1, 1, 1, 2, 3, 4, 4])
        XCTAssertEqual(pad(loupe_pad_constant, 1, 2), [9, 1, 2, 3, 4, 9, 9])
    }

    func testPad2D() {
        let x: [UInt32] = [1, 2, 3, 4]
        var out = [UInt32](repeating: 0, count: 3 * 4)
        loupe_x32_pad__scalar(2, [2, 2], [1, 1], [0, 1], loupe_pad_edge, 0, x, &out)
        XCTAssertEqual(out, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4])
        loupe_x32_pad__scalar(2, [2, 2], [1, 1], [0, 1], loupe_pad_constant, 0, x, &out)
        XCTAssertEqual(out, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0])
    }

    func testResizeNearest() {
        let x: [UInt32] = [1, 2, 3, 4]
        let idx: [UInt32] = [0, 0, 1, 1]
        var out = [UInt32](repeating: 0, count: 16)
        loupe_x32_resize_nearest_nhwc__scalar(1, 2, 2, 1, 4, 4, idx, idx, x, &out, 0, 4)
        XCTAssertEqual(out, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testGlobalMaxPoolVariants() {
        for channels in sizes(tile: 8) {
            for pixels in [1, 5] {
                var rng = SeededRandom(seed: UInt64(channels * 10 + pixels))
                let x = rng.floats(2 * pixels * channels)
                var ref = [Float](repeating: 0, count: 2 * channels)
                var got = [Float](repeating: 0, count: 2 * channels)
                loupe_f32_global_max_pool_nhwc__scalar(2, pixels, channels, x, &ref)
                loupe_f32_global_max_pool_nhwc(2, pixels, channels, x, &got)
                XCTAssertEqual(got, ref, "channels \(channels) pixels \(pixels)")
                if loupe_isa_available(loupe_isa_avx2) != 0 {
                    loupe_f32_global_max_pool_nhwc__avx2(2, pixels, channels, x, &got)
                    XCTAssertEqual(got, ref)
                }
                XCTAssertEqual(ref[0], (0..<pixels).map { x[$0 * channels] }.max()!)
            }
        }
    }
}

final class MatMulKernelTests: XCTestCase {
    func testMatMulVariantsAgainstScalar() {
        let vs: [(String, loupe_isa, Int, (Int, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void)] = [
            ("avx2", loupe_isa_avx2, 8, { m, n, k, a, b, c in loupe_f32_matmul__avx2(m, n, k, a, k, b, n, c, n) }),
            ("avx512", loupe_isa_avx512, 16, { m, n, k, a, b, c in loupe_f32_matmul__avx512(m, n, k, a, k, b, n, c, n) }),
            ("neon", loupe_isa_neon, 4, { m, n, k, a, b, c in loupe_f32_matmul__neon(m, n, k, a, k, b, n, c, n) }),
            ("dispatch", loupe_isa_scalar, 8, { m, n, k, a, b, c in loupe_f32_matmul(m, n, k, a, k, b, n, c, n) }),
        ]
        for (name, isa, tile, f) in vs where loupe_isa_available(isa) != 0 {
            for n in sizes(tile: tile) + [31, 32, 33, 70] {
                for (m, k) in [(1, 1), (3, 7), (5, 64)] {
                    let seed = UInt64(n * 1000 + m * 10 + k)
                    var rng = SeededRandom(seed: seed)
                    let a = rng.floats(m * k), b = rng.floats(k * n)
                    var ref = [Float](repeating: 0, count: m * n)
                    var got = [Float](repeating: .nan, count: m * n + 1)
                    loupe_f32_matmul__scalar(m, n, k, a, k, b, n, &ref, n)
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                        got.withUnsafeMutableBufferPointer { f(m, n, k, ap.baseAddress!, bp.baseAddress!, $0.baseAddress!) } } }
                    for i in 0..<(m * n) {
                        XCTAssertEqual(got[i], ref[i], accuracy: 1e-5 * Float(k), "\(name) m=\(m) n=\(n) k=\(k) seed=\(seed)")
                    }
                    XCTAssertTrue(got[m * n].isNaN, "\(name) wrote past the end")
                }
            }
        }
    }
}

final class ResizeLinearKernelTests: XCTestCase {
    /// Random but valid tap tables: pairs in range, weights in [0, 1), some 0 (clamped edges).
    func taps(_ rng: inout SeededRandom, out: Int, input: Int) -> ([UInt32], [Float]) {
        var index: [UInt32] = [], weight: [Float] = []
        for o in 0..<out {
            let l = UInt32(rng.next() % UInt64(input))
            let r = Swift.min(l + 1, UInt32(input - 1))
            index += [l, r]
            weight.append(o % 5 == 0 || l == r ? 0 : rng.uniform(0, 1))
        }
        return (index, weight)
    }

    func testVariantsMatchScalarReference() {
        typealias F = (Int, Int, Int, Int, Int, Int, UnsafePointer<UInt32>, UnsafePointer<Float>, UnsafePointer<UInt32>,
                       UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
        let vs: [(String, loupe_isa, F)] = [
            ("avx2", loupe_isa_avx2, { loupe_f32_resize_linear_nhwc__avx2($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) }),
            ("dispatch", loupe_isa_scalar, { loupe_f32_resize_linear_nhwc($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) }),
        ]
        for (name, isa, f) in vs where loupe_isa_available(isa) != 0 {
            // Channels around the 8-wide tile (1 takes the gather path over columns), output
            // widths around it too.
            for channels in [1, 3, 7, 8, 9, 19] {
                for outW in sizes(tile: 8) where outW <= 20 {
                    let (batch, inH, inW, outH) = (2, 5, 6, 3)
                    let seed = UInt64(channels * 100 + outW)
                    var rng = SeededRandom(seed: seed)
                    let x = rng.floats(batch * inH * inW * channels)
                    let (yi, yw) = taps(&rng, out: outH, input: inH)
                    let (xi, xw) = taps(&rng, out: outW, input: inW)
                    let count = batch * outH * outW * channels
                    var ref = [Float](repeating: 0, count: count)
                    var got = [Float](repeating: .nan, count: count + 1)
                    loupe_f32_resize_linear_nhwc__scalar(batch, inH, inW, channels, outH, outW, yi, yw, xi, xw, x, &ref, 0, batch * outH)
                    // Two row ranges, as the runtime splits work across threads.
                    got.withUnsafeMutableBufferPointer { g in
                        f(batch, inH, inW, channels, outH, outW, yi, yw, xi, xw, x, g.baseAddress!, 0, 4)
                        f(batch, inH, inW, channels, outH, outW, yi, yw, xi, xw, x, g.baseAddress!, 4, 1000)
                    }
                    for i in 0..<count {
                        XCTAssertEqual(got[i], ref[i], accuracy: 1e-6, "\(name) channels=\(channels) outW=\(outW) i=\(i) seed=\(seed)")
                    }
                    XCTAssertTrue(got[count].isNaN, "\(name) wrote past the output")
                }
            }
        }
    }

    func testZeroWeightCopiesExactly() {
        let x: [Float] = [1.5, -2.25, 3.125, 7]  // 1x2x2x1
        var y = [Float](repeating: 0, count: 4)
        let idx: [UInt32] = [0, 1, 1, 1], w: [Float] = [0, 0]
        loupe_f32_resize_linear_nhwc(1, 2, 2, 1, 2, 2, idx, w, idx, w, x, &y, 0, 2)
        XCTAssertEqual(y, [1.5, -2.25, 3.125, 7])
    }
}

final class PoolingWindowKernelTests: XCTestCase {
    func testAveragePoolMatchesDirectSum() {
        var p = loupe_pool2d_params()
        (p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w) = (3, 2, 2, 1, 2, 3)
        (p.pad_top, p.pad_left, p.pad_bottom, p.pad_right) = (1, 2, 1, 0)
        let (n, h, w, c, oh, ow) = (2, 7, 8, 3, 4, 7)
        var rng = SeededRandom(seed: 77)
        let x = rng.floats(n * h * w * c)
        for include in [0, 1] {
            p.count_include_pad = Int32(include)
            let stride = c + 2  // a strided output (concat slice)
            var y = [Float](repeating: -99, count: n * oh * ow * stride)
            loupe_f32_average_pool_nhwc__scalar(n, h, w, c, oh, ow, &p, x, &y, stride, 0, n * oh)
            for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
                var sum = 0.0, valid = 0, counted = 0
                for ky in 0..<3 { for kx in 0..<2 {
                    let iy = oy * 2 + ky * 2 - 1, ix = ox + kx * 3 - 2
                    if iy < h + 1 && ix < w { counted += 1 }
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    valid += 1
                    sum += Double(x[((b * h + iy) * w + ix) * c + ch])
                } }
                let want = sum / Double(include == 1 ? counted : valid)
                let got = y[((b * oh + oy) * ow + ox) * stride + ch]
                XCTAssertEqual(Double(got), want, accuracy: 1e-5, "include=\(include) \(b) \(oy) \(ox) \(ch)")
            } } } }
            XCTAssertEqual(y[c], -99, "wrote into the stride gap")
        }
    }

    func testSubsample() {
        let (n, h, w, c, oh, ow) = (2, 7, 9, 3, 3, 4)
        let x = (0..<(n * h * w * c)).map { UInt32($0) }
        var y = [UInt32](repeating: 0, count: n * oh * ow * c)
        loupe_x32_subsample_nhwc__scalar(n, h, w, c, oh, ow, 3, 2, 0, 1, x, &y, c, 0, n * oh)
        for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
            XCTAssertEqual(y[((b * oh + oy) * ow + ox) * c + ch], x[((b * h + oy * 3) * w + 1 + ox * 2) * c + ch])
        } } } }
    }
}

final class StridedCopyKernelTests: XCTestCase {
    /// out[idx] = in[offset + Σ idx[i]·strides[i]] element by element (strides in elements).
    func reference<T>(_ shape: [Int], _ strides: [Int], offset: Int, _ x: [T]) -> [T] {
        var out: [T] = []
        var idx = [Int](repeating: 0, count: shape.count)
        for _ in 0..<shape.reduce(1, *) {
            out.append(x[offset + zip(idx, strides).map { $0 * $1 }.reduce(0, +)])
            for i in idx.indices.reversed() {
                idx[i] += 1
                if idx[i] < shape[i] { break }
                idx[i] = 0
            }
        }
        return out
    }

    func testViewsOfBothElementSizesInOneCallAndSplitByRows() {
        // (input count, output shape, element strides, offset of the first element)
        let cases: [(Int, [Int], [Int], Int)] = [
            (24, [2, 3], [12, 1], 4),            // rows at a stride
            (60, [3, 2, 5], [20, -5, 1], 5),     // a reversed middle axis
            (64, [4, 4], [16, 3], 1),            // a step on the inner axis
            (30, [5, 6], [-6, -1], 29),          // everything reversed
            (7, [7], [1], 0),                    // one contiguous block
            (5, [], [], 3),                      // rank 0: one element
            (300, [2, 3, 2, 5, 2, 1], [150, 40, 20, 3, 1, 7], 2),
        ]
        for (count, shape, strides, offset) in cases {
            let x32 = (0..<count).map { UInt32($0 * 7 + 1) }
            let x8 = (0..<count).map { Int8(truncatingIfNeeded: $0 * 5 - 100) }
            let n = shape.reduce(1, *)
            let rows = loupe_strided_copy_rows(shape.count, shape)
            XCTAssertEqual(rows, shape.isEmpty ? 1 : shape.dropLast().reduce(1, *))
            var got32 = [UInt32](repeating: 0, count: n), got8 = [Int8](repeating: 0, count: n)
            x32.withUnsafeBytes { p in
                loupe_strided_copy(shape.count, shape, strides.map { $0 * 4 }, 4, p.baseAddress! + offset * 4, &got32, 0, rows)
            }
            x8.withUnsafeBytes { p in
                loupe_strided_copy(shape.count, shape, strides, 1, p.baseAddress! + offset, &got8, 0, rows)
            }
            XCTAssertEqual(got32, reference(shape, strides, offset: offset, x32), "x32 \(shape) \(strides)")
            XCTAssertEqual(got8, reference(shape, strides, offset: offset, x8), "x8 \(shape) \(strides)")
            // Row by row, as threads share it; row_end past the rows is clamped.
            var split = [UInt32](repeating: 0, count: n)
            x32.withUnsafeBytes { p in
                for r in 0..<rows {
                    loupe_strided_copy(shape.count, shape, strides.map { $0 * 4 }, 4, p.baseAddress! + offset * 4, &split, r,
                                       r == rows - 1 ? Int.max : r + 1)
                }
            }
            XCTAssertEqual(split, got32, "split \(shape)")
        }
    }
}

final class AveragePoolS8KernelTests: XCTestCase {
    /// One 1x4 image, 2 channels, a 1x2 window at stride 2 with one column of padding on the
    /// right (counted): windows [x0 x1], [x2 x3] and [pad]... by hand.
    func testSumsZeroPointsTiesAndSaturationByHand() {
        var p = loupe_pool2d_params()
        p.kernel_h = 1; p.kernel_w = 2; p.stride_h = 1; p.stride_w = 2; p.dilation_h = 1; p.dilation_w = 1
        p.pad_right = 1; p.count_include_pad = 1
        // channel 0: codes 5, 8 | 1, 2 | 7 (+pad); channel 1: 127, 127 | -128, -127 | 0 (+pad)
        let x: [Int8] = [5, 127, 8, 127, 1, -128, 2, -127, 7, 0]
        var y = [Int8](repeating: 0, count: 6)
        // in zero point 1, scale ratio 1, out zero point -1: q = round((sum - n_valid) / n) - 1
        loupe_s8_average_pool_nhwc__scalar(1, 1, 5, 2, 1, 3, &p, 1, 1.0, -1, x, &y, 2, 0, 1)
        // ch0: (4+7)/2 = 5.5 → 6 (half to even) → 5; (0+1)/2 = 0.5 → 0 → -1;
        //      (6+0)/2 = 3 (pad counted) → 2.
        // ch1: (126+126)/2 = 126 → 125; (-129-128)/2 = -128.5 → -128 → -129 → -128 (saturated);
        //      (-1+0)/2 = -0.5 → -0 → -1.
        XCTAssertEqual(y, [5, 125, -1, -128, 2, -1])
        // Padding not counted: the last window averages its one valid tap.
        p.count_include_pad = 0
        loupe_s8_average_pool_nhwc__scalar(1, 1, 5, 2, 1, 3, &p, 1, 1.0, -1, x, &y, 2, 0, 1)
        XCTAssertEqual(y[4], 5, "(7 - 1) / 1 - 1")
        XCTAssertEqual(y[5], -2, "(0 - 1) / 1 - 1")
        // A scale ratio: 0.5 halves every average before rounding.
        p.count_include_pad = 1
        loupe_s8_average_pool_nhwc__scalar(1, 1, 5, 2, 1, 3, &p, 1, 0.5, 0, x, &y, 2, 0, 1)
        XCTAssertEqual(y, [3, 63, 0, -64, 2, 0], "5.5/2 = 2.75 → 3; 126/2 = 63; 0.25 → 0; -64.25 → -64; 1.5 → 2; -0.25 → 0")
    }
}
