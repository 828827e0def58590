import XCTest
import LoupeKernels
import LoupeTestSupport

/// The float first convolution from NCHW to NHWC (Kernels/src/conv/conv_nchw_f32.c): the
/// scalar twin against a double-precision statement of the contract, and the AVX-512 variant
/// against the scalar twin bit for bit (the same fused multiply-adds in the same order), on
/// row ranges, with every window at the border somewhere and no write past the output.
final class ConvNCHWF32KernelTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        var n = 1, c: Int, h: Int, w: Int, o: Int
        var kh: Int, kw: Int
        var stride = (1, 1), dilation = (1, 1), pad = (0, 0, 0, 0)  // top, left, bottom, right
        var description: String { "n\(n) c\(c) \(h)x\(w) o\(o) k\(kh)x\(kw) s\(stride) d\(dilation) p\(pad)" }
    }

    static let shapes = [
        Shape(c: 3, h: 23, w: 37, o: 16, kh: 3, kw: 3, stride: (2, 2), pad: (1, 1, 1, 1)),  // a photo's stem
        Shape(n: 2, c: 3, h: 9, w: 30, o: 20, kh: 3, kw: 3, stride: (2, 2), pad: (1, 1, 0, 0)),
        Shape(c: 1, h: 11, w: 13, o: 5, kh: 5, kw: 5, pad: (2, 1, 2, 3)),
        Shape(c: 4, h: 12, w: 41, o: 33, kh: 3, kw: 2, stride: (1, 3), dilation: (2, 3), pad: (2, 1, 0, 1)),
        Shape(c: 2, h: 7, w: 8, o: 16, kh: 7, kw: 7, pad: (3, 3, 3, 3)),  // window wider than a tile's span
        Shape(c: 3, h: 5, w: 64, o: 48, kh: 1, kw: 1),
    ]

    static let activations: [loupe_f32_dwconv_params] = [
        loupe_f32_dwconv_params(min: -.infinity, max: .infinity, hardswish: 0),
        loupe_f32_dwconv_params(min: 0, max: 6, hardswish: 0),
        loupe_f32_dwconv_params(min: -.infinity, max: .infinity, hardswish: 1),
    ]

    struct Problem {
        var s: Shape
        var g: loupe_s8_dwconv_geometry
        var x: [Float], w: [Float], bias: [Float]?
        var params: loupe_f32_dwconv_params
        var rows: Int { g.batch * g.out_h }
        var outCount: Int { rows * g.out_w * s.o }
    }

    static func problem(_ s: Shape, seed: UInt64, bias: Bool, params: loupe_f32_dwconv_params) -> Problem {
        var rng = SeededRandom(seed: seed)
        let eh = (s.kh - 1) * s.dilation.0 + 1, ew = (s.kw - 1) * s.dilation.1 + 1
        let oh = (s.h + s.pad.0 + s.pad.2 - eh) / s.stride.0 + 1, ow = (s.w + s.pad.1 + s.pad.3 - ew) / s.stride.1 + 1
        let g = loupe_s8_dwconv_geometry(batch: s.n, in_h: s.h, in_w: s.w, channels: s.c, out_h: oh, out_w: ow,
                                         kernel_h: s.kh, kernel_w: s.kw, stride_h: s.stride.0, stride_w: s.stride.1,
                                         dilation_h: s.dilation.0, dilation_w: s.dilation.1, pad_top: s.pad.0, pad_left: s.pad.1)
        let x = (0..<(s.n * s.c * s.h * s.w)).map { _ in rng.uniform(-3, 3) }
        let w = (0..<(s.o * s.c * s.kh * s.kw)).map { _ in rng.uniform(-0.6, 0.6) }
        let b = bias ? (0..<s.o).map { _ in rng.uniform(-1, 1) } : nil
        return Problem(s: s, g: g, x: x, w: w, bias: b, params: params)
    }

    static func run(_ p: Problem, _ isa: loupe_f32_dwconv_isa, rows: Range<Int>) -> [Float] {
        var g = p.g
        let bytes = loupe_f32_conv_nchw_packed_size(&g, p.s.o)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { packed.deallocate() }
        if let bias = p.bias { loupe_f32_conv_nchw_pack(&g, p.s.o, p.w, bias, packed) } else { loupe_f32_conv_nchw_pack(&g, p.s.o, p.w, nil, packed) }
        var y = [Float](repeating: .nan, count: p.outCount + 16)
        var params = p.params
        y.withUnsafeMutableBufferPointer { yp in
            loupe_f32_conv_nchw_nhwc__isa(isa, &g, p.s.o, rows.lowerBound, rows.upperBound, p.x, packed, yp.baseAddress, &params)
        }
        XCTAssertTrue(y[p.outCount...].allSatisfy(\.isNaN), "wrote past the output: \(p.s)")
        return Array(y[..<p.outCount])
    }

    /// The contract in double: bias plus the taps inside the input, then the clamp and the
    /// hardswish.
    static func expected(_ p: Problem) -> [Double] {
        let s = p.s, g = p.g
        var out = [Double](repeating: 0, count: p.outCount)
        for b in 0..<s.n {
            for oy in 0..<g.out_h {
                for ox in 0..<g.out_w {
                    for o in 0..<s.o {
                        var acc = Double(p.bias?[o] ?? 0)
                        for c in 0..<s.c {
                            for ky in 0..<s.kh {
                                for kx in 0..<s.kw {
                                    let iy = oy * s.stride.0 + ky * s.dilation.0 - s.pad.0
                                    let ix = ox * s.stride.1 + kx * s.dilation.1 - s.pad.1
                                    guard iy >= 0, iy < s.h, ix >= 0, ix < s.w else { continue }
                                    acc += Double(p.x[((b * s.c + c) * s.h + iy) * s.w + ix]) *
                                        Double(p.w[((o * s.c + c) * s.kh + ky) * s.kw + kx])
                                }
                            }
                        }
                        var v = Swift.min(Swift.max(acc, Double(p.params.min)), Double(p.params.max))
                        if p.params.hardswish != 0 { v = v * Swift.min(Swift.max(v + 3, 0), 6) / 6 }
                        out[((b * g.out_h + oy) * g.out_w + ox) * s.o + o] = v
                    }
                }
            }
        }
        return out
    }

    func testScalarMatchesTheContract() {
        for (i, s) in Self.shapes.enumerated() {
            for (j, a) in Self.activations.enumerated() {
                let p = Self.problem(s, seed: UInt64(100 * i + j), bias: j != 1, params: a)
                let got = Self.run(p, loupe_f32_dwconv_scalar, rows: 0..<p.rows)
                let want = Self.expected(p)
                // Float accumulation of at most 4 · 49 products of magnitude ≤ 1.8 against
                // double: a few float ulps of the sum of |terms| (≤ 360), 1e-4 covers it.
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-4, "\(s) activation \(j)")
            }
        }
    }

    func testAVX512MatchesScalarBitForBit() throws {
        guard loupe_f32_conv_nchw_isa_available(loupe_f32_dwconv_avx512) != 0 else {
            throw XCTSkip("this CPU lacks AVX-512")
        }
        for (i, s) in Self.shapes.enumerated() {
            for (j, a) in Self.activations.enumerated() {
                let p = Self.problem(s, seed: UInt64(7000 + 100 * i + j), bias: j != 2, params: a)
                let want = Self.run(p, loupe_f32_dwconv_scalar, rows: 0..<p.rows)
                XCTAssertEqual(Self.run(p, loupe_f32_dwconv_avx512, rows: 0..<p.rows).map(\.bitPattern), want.map(\.bitPattern),
                               "\(s) activation \(j)")
                // Rows 1..<rows-1: the others stay untouched.
                guard p.rows > 2 else { continue }
                let part = Self.run(p, loupe_f32_dwconv_avx512, rows: 1..<(p.rows - 1))
                let rowFloats = p.g.out_w * s.o
                for r in 0..<p.rows {
                    let row = part[(r * rowFloats)..<((r + 1) * rowFloats)]
                    if r == 0 || r == p.rows - 1 {
                        XCTAssertTrue(row.allSatisfy(\.isNaN), "\(s): row \(r) written")
                    } else {
                        XCTAssertEqual(row.map(\.bitPattern), want[(r * rowFloats)..<((r + 1) * rowFloats)].map(\.bitPattern),
                                       "\(s) row \(r)")
                    }
                }
            }
        }
    }
}
