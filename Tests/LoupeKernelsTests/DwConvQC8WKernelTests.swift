import XCTest
import LoupeKernels
import LoupeTestSupport

/// The int8 depthwise convolution (Kernels/src/conv): the scalar kernel against a Swift
/// statement of its contract (taps in the padding contribute nothing, XNNPACK's qc8 fp32
/// requantization), every SIMD variant against the scalar one, exactly.
final class DwConvQC8WKernelTests: XCTestCase {
    struct Problem {
        var g: loupe_s8_dwconv_geometry
        var x: [Int8], w: [Int8], bias: [Int32]?, scale: [Float], xZP: Int8
        var params: loupe_s8_gemm_qc8w_params
        var yStride: Int
        var rows: Int { g.batch * g.out_h }
    }

    struct Shape {
        var n, h, w, c, k, stride, pad: Int
        var dilation = 1
        var padEnd: Int? = nil
        /// Output pixels exactly `c` bytes apart (otherwise c + 0...2, drawn).
        var dense = false
    }

    static func problem(_ s: Shape, seed: UInt64, bias: Bool = true, clamp: Bool = false) -> Problem {
        var rng = SeededRandom(seed: seed)
        func byte() -> Int8 { Int8(truncatingIfNeeded: rng.next()) }
        let eff = (s.k - 1) * s.dilation + 1
        let padEnd = s.padEnd ?? s.pad
        let oh = (s.h + s.pad + padEnd - eff) / s.stride + 1, ow = (s.w + s.pad + padEnd - eff) / s.stride + 1
        let g = loupe_s8_dwconv_geometry(batch: s.n, in_h: s.h, in_w: s.w, channels: s.c, out_h: oh, out_w: ow,
                                         kernel_h: s.k, kernel_w: s.k, stride_h: s.stride, stride_w: s.stride,
                                         dilation_h: s.dilation, dilation_w: s.dilation, pad_top: s.pad, pad_left: s.pad)
        let x = (0..<(s.n * s.h * s.w * s.c)).map { _ in byte() }
        let w = (0..<(s.c * s.k * s.k)).map { _ in byte() }
        let b = bias ? (0..<s.c).map { _ in Int32(truncatingIfNeeded: rng.next() % 40_001) - 20_000 } : nil
        let spread = Float(200) / (5300 * Float(s.k))
        let scale = (0..<s.c).map { _ in rng.uniform(0.2, 1.5) * spread }
        let zp = byte()
        var lo: Int8 = -128, hi: Int8 = 127
        if clamp { lo = Int8(clamping: Int(zp) - 10); hi = Int8(clamping: Int(zp) + 50) }
        return Problem(g: g, x: x, w: w, bias: b, scale: scale, xZP: byte(),
                       params: loupe_s8_gemm_qc8w_params(y_zero_point: zp, y_min: lo, y_max: hi),
                       yStride: s.c + (s.dense ? 0 : Int(rng.next() % 3)))
    }

    static func expected(_ p: Problem) -> [Int8] {
        let g = p.g
        var y = [Int8](repeating: 0x55, count: p.rows * g.out_w * p.yStride)
        let lo = Float(Int(p.params.y_min) - Int(p.params.y_zero_point))
        let hi = Float(Int(p.params.y_max) - Int(p.params.y_zero_point))
        for b in 0..<g.batch {
            for oy in 0..<g.out_h {
                for ox in 0..<g.out_w {
                    for c in 0..<g.channels {
                        var acc = p.bias?[c] ?? 0
                        for ky in 0..<g.kernel_h {
                            for kx in 0..<g.kernel_w {
                                let iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top
                                let ix = ox * g.stride_w + kx * g.dilation_w - g.pad_left
                                guard iy >= 0, iy < g.in_h, ix >= 0, ix < g.in_w else { continue }
                                let v = Int32(p.x[((b * g.in_h + iy) * g.in_w + ix) * g.channels + c]) - Int32(p.xZP)
                                acc = acc &+ v &* Int32(p.w[c * g.kernel_h * g.kernel_w + ky * g.kernel_w + kx])
                            }
                        }
                        let f = Swift.min(Swift.max(Float(acc) * p.scale[c], lo), hi)
                        y[((b * g.out_h + oy) * g.out_w + ox) * p.yStride + c] =
                            Int8(Int(f.rounded(.toNearestOrEven)) + Int(p.params.y_zero_point))
                    }
                }
            }
        }
        return y
    }

    static func run(_ p: Problem, _ isa: loupe_s8_dwconv_qc8w_isa, rows: Range<Int>? = nil) -> [Int8] {
        let taps = p.g.kernel_h * p.g.kernel_w
        let size = loupe_s8_dwconv_qc8w_packed_size(isa, taps, p.g.channels)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { packed.deallocate() }
        p.w.withUnsafeBufferPointer { w in
            p.scale.withUnsafeBufferPointer { s in
                if let bias = p.bias {
                    bias.withUnsafeBufferPointer { loupe_s8_dwconv_qc8w_pack(isa, taps, p.g.channels, w.baseAddress, $0.baseAddress, s.baseAddress, p.xZP, packed) }
                } else {
                    loupe_s8_dwconv_qc8w_pack(isa, taps, p.g.channels, w.baseAddress, nil, s.baseAddress, p.xZP, packed)
                }
            }
        }
        let count = p.rows * p.g.out_w * p.yStride
        var y = [Int8](repeating: 0x55, count: count + 16)
        var g = p.g, params = p.params
        let r = rows ?? 0..<p.rows
        let xs = UnsafeMutablePointer<Int8>.allocate(capacity: max(p.x.count, 1))
        defer { xs.deallocate() }
        xs.initialize(from: p.x, count: p.x.count)
        y.withUnsafeMutableBufferPointer { yp in
            loupe_s8_dwconv_qc8w_nhwc__isa(isa, &g, r.lowerBound, r.upperBound, xs, packed, yp.baseAddress, p.yStride, &params)
        }
        XCTAssertEqual(Array(y[count...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
        return Array(y[..<count])
    }

    static let shapes: [Shape] = [
        Shape(n: 1, h: 5, w: 6, c: 1, k: 3, stride: 1, pad: 1),
        Shape(n: 2, h: 7, w: 9, c: 7, k: 3, stride: 2, pad: 1),
        Shape(n: 1, h: 8, w: 8, c: 16, k: 3, stride: 1, pad: 1),
        Shape(n: 1, h: 9, w: 7, c: 17, k: 3, stride: 2, pad: 0, padEnd: 1),
        Shape(n: 1, h: 6, w: 11, c: 40, k: 5, stride: 1, pad: 2),
        Shape(n: 1, h: 11, w: 10, c: 72, k: 5, stride: 2, pad: 2),
        Shape(n: 1, h: 4, w: 5, c: 24, k: 5, stride: 1, pad: 2),  // input smaller than the window
        Shape(n: 1, h: 9, w: 9, c: 9, k: 3, stride: 1, pad: 2, dilation: 2),
        // The VNNI variant's blocks of 64: one whole block; a masked last block (a remainder
        // over 32); blocks followed by 16-channel ones (a remainder of at most 32); 49 taps.
        Shape(n: 1, h: 6, w: 7, c: 64, k: 3, stride: 1, pad: 1),
        Shape(n: 2, h: 7, w: 6, c: 100, k: 5, stride: 2, pad: 2),
        Shape(n: 1, h: 5, w: 9, c: 88, k: 3, stride: 1, pad: 2, dilation: 2),
        Shape(n: 1, h: 5, w: 6, c: 136, k: 7, stride: 1, pad: 3),
        // 16 and 32 channels, stride 1, dense output: 4 or 2 pixels per block of 64 lanes.
        Shape(n: 1, h: 6, w: 13, c: 16, k: 3, stride: 1, pad: 1, dense: true),
        Shape(n: 2, h: 7, w: 11, c: 32, k: 5, stride: 1, pad: 2, dense: true),
        Shape(n: 1, h: 9, w: 12, c: 16, k: 3, stride: 1, pad: 2, dilation: 2, dense: true),
        Shape(n: 1, h: 5, w: 4, c: 16, k: 5, stride: 1, pad: 2, dense: true),
        Shape(n: 1, h: 7, w: 9, c: 32, k: 3, stride: 2, pad: 1),
    ]

    func testScalarMatchesTheContract() {
        for (i, s) in Self.shapes.enumerated() {
            for variant in 0..<3 {
                let seed = UInt64(3000 + 10 * i + variant)
                let p = Self.problem(s, seed: seed, bias: variant != 1, clamp: variant == 2)
                XCTAssertEqual(Self.run(p, loupe_s8_dwconv_qc8w_scalar), Self.expected(p), "\(s) seed \(seed)")
            }
        }
    }

    func testSIMDVariantsMatchScalar() throws {
        var ran = 0
        for (name, isa) in [("avx2", loupe_s8_dwconv_qc8w_avx2), ("avx512", loupe_s8_dwconv_qc8w_avx512),
                            ("avx512vnni", loupe_s8_dwconv_qc8w_avx512vnni)]
        where loupe_s8_dwconv_qc8w_isa_available(isa) != 0 {
            ran += 1
            for (i, s) in Self.shapes.enumerated() {
                for variant in 0..<3 {
                    let seed = UInt64(4000 + 10 * i + variant)
                    let p = Self.problem(s, seed: seed, bias: variant != 1, clamp: variant == 2)
                    let want = Self.run(p, loupe_s8_dwconv_qc8w_scalar)
                    XCTAssertEqual(Self.run(p, isa), want, "\(name) \(s) seed \(seed)")
                    if p.rows > 2 {
                        let r = 1..<(p.rows - 1)
                        var partial = [Int8](repeating: 0x55, count: want.count)
                        let rowBytes = p.g.out_w * p.yStride
                        for row in r { for j in 0..<rowBytes { partial[row * rowBytes + j] = want[row * rowBytes + j] } }
                        XCTAssertEqual(Self.run(p, isa, rows: r), partial, "\(name) rows \(r) \(s) seed \(seed)")
                    }
                }
            }
        }
        if ran == 0 { throw XCTSkip("this CPU has none of the SIMD variants") }
    }
}

/// The one-group windowed convolution (Kernels/src/conv/conv_qc8w.c: im2col chunks + the
/// int8 GEMM): against a Swift statement of the contract on the scalar GEMM, and each GEMM
/// variant against the scalar one, exactly.
final class ConvQC8WKernelTests: XCTestCase {
    struct Shape { var n, h, w, c, o, k, stride, pad: Int; var dilation = 1 }

    static func run(_ s: Shape, seed: UInt64, isa: loupe_s8_gemm_qc8w_isa) -> (got: [Int8], want: [Int8]) {
        var rng = SeededRandom(seed: seed)
        func byte() -> Int8 { Int8(truncatingIfNeeded: rng.next()) }
        let eff = (s.k - 1) * s.dilation + 1
        let oh = (s.h + 2 * s.pad - eff) / s.stride + 1, ow = (s.w + 2 * s.pad - eff) / s.stride + 1
        let kk = s.k * s.k * s.c
        let x = (0..<(s.n * s.h * s.w * s.c)).map { _ in byte() }
        let w = (0..<(s.o * kk)).map { _ in byte() }  // OHWI
        let bias = (0..<s.o).map { _ in Int32(truncatingIfNeeded: rng.next() % 40_001) - 20_000 }
        let spread = Float(200) / (5300 * Float(kk).squareRoot())
        let scale = (0..<s.o).map { _ in rng.uniform(0.2, 1.5) * spread }
        let xzp = byte(), zp = byte()
        var params = loupe_s8_gemm_qc8w_params(y_zero_point: zp, y_min: -128, y_max: 127)
        var g = loupe_s8_dwconv_geometry(batch: s.n, in_h: s.h, in_w: s.w, channels: s.c, out_h: oh, out_w: ow,
                                         kernel_h: s.k, kernel_w: s.k, stride_h: s.stride, stride_w: s.stride,
                                         dilation_h: s.dilation, dilation_w: s.dilation, pad_top: s.pad, pad_left: s.pad)
        // The contract: (x − x_zp)·w over the taps inside the input, XNNPACK's requantization.
        var want = [Int8](repeating: 0, count: s.n * oh * ow * s.o)
        for b in 0..<s.n { for oy in 0..<oh { for ox in 0..<ow { for o in 0..<s.o {
            var acc = bias[o]
            for ky in 0..<s.k { for kx in 0..<s.k {
                let iy = oy * s.stride + ky * s.dilation - s.pad, ix = ox * s.stride + kx * s.dilation - s.pad
                guard iy >= 0, iy < s.h, ix >= 0, ix < s.w else { continue }
                for ci in 0..<s.c {
                    let v = Int32(x[((b * s.h + iy) * s.w + ix) * s.c + ci]) - Int32(xzp)
                    acc = acc &+ v &* Int32(w[o * kk + (ky * s.k + kx) * s.c + ci])
                }
            } }
            let f = Swift.min(Swift.max(Float(acc) * scale[o], Float(-128 - Int(zp))), Float(127 - Int(zp)))
            want[((b * oh + oy) * ow + ox) * s.o + o] = Int8(Int(f.rounded(.toNearestOrEven)) + Int(zp))
        } } } }
        let size = loupe_s8_gemm_qc8w_packed_size(kk, s.o)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { packed.deallocate() }
        loupe_s8_gemm_qc8w_pack(kk, s.o, w, bias, scale, xzp, packed)
        // 16 bytes of slack after x: the kernel's documented over-read.
        let xs = UnsafeMutablePointer<Int8>.allocate(capacity: x.count + 16)
        defer { xs.deallocate() }
        xs.initialize(from: x + [Int8](repeating: 0, count: 16), count: x.count + 16)
        var got = [Int8](repeating: 0x55, count: want.count + 16)
        got.withUnsafeMutableBufferPointer { yp in
            loupe_s8_conv_qc8w_nhwc__isa(isa, &g, 0, s.n * oh, xs, xzp, s.o, packed, yp.baseAddress, s.o, &params)
        }
        XCTAssertEqual(Array(got[want.count...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
        return (Array(got[..<want.count]), want)
    }

    func testEveryVariantMatchesTheContract() {
        let shapes = [
            Shape(n: 1, h: 9, w: 70, c: 3, o: 16, k: 3, stride: 2, pad: 1),  // a first layer, 2 pixel chunks per row
            Shape(n: 2, h: 6, w: 7, c: 19, o: 10, k: 3, stride: 1, pad: 1),
            Shape(n: 1, h: 7, w: 8, c: 5, o: 33, k: 5, stride: 1, pad: 2),
            Shape(n: 1, h: 9, w: 9, c: 4, o: 8, k: 3, stride: 1, pad: 2, dilation: 2),
            Shape(n: 1, h: 5, w: 6, c: 7, o: 9, k: 1, stride: 2, pad: 0),
        ]
        let isas = [("scalar", loupe_s8_gemm_qc8w_scalar), ("avx2", loupe_s8_gemm_qc8w_avx2),
                    ("avx512vnni", loupe_s8_gemm_qc8w_avx512vnni)]
        for (name, isa) in isas where loupe_s8_gemm_qc8w_isa_available(isa) != 0 {
            for (i, s) in shapes.enumerated() {
                let seed = UInt64(5000 + i)
                let (got, want) = Self.run(s, seed: seed, isa: isa)
                XCTAssertEqual(got, want, "\(name) \(s) seed \(seed)")
            }
        }
    }
}
