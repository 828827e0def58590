import XCTest
import LoupeKernels
import LoupeTestSupport

/// The float depthwise convolution with a fused activation (Kernels/src/conv/dwconv_f32.c):
/// the scalar twin against a double-precision statement of the contract, and every SIMD
/// variant against the scalar twin bit for bit (they run the same fused multiply-adds in the
/// same order, so any difference is a bug, not rounding).
final class DwConvF32KernelTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        var n = 1, h: Int, w: Int, c: Int
        var kh: Int, kw: Int
        var stride = 1, dilation = 1
        var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
        /// Extra floats per output pixel past the channels (left untouched by the kernel).
        var gap = 0
        var description: String {
            "n\(n) \(h)x\(w)x\(c) k\(kh)x\(kw) s\(stride) d\(dilation) pads t\(padTop) l\(padLeft) b\(padBottom) r\(padRight) gap \(gap)"
        }
    }

    struct Problem {
        var g: loupe_s8_dwconv_geometry
        var x: [Float], w: [Float], bias: [Float]?
        var params: loupe_f32_dwconv_params
        var yStride: Int
        var rows: Int { g.batch * g.out_h }
        var outCount: Int { rows * g.out_w * yStride }
    }

    /// The activations the runtime fuses: none, ReLU, ReLU6, HardSwish alone, and a clamp
    /// followed by the hardswish.
    static let activations: [loupe_f32_dwconv_params] = [
        loupe_f32_dwconv_params(min: -.infinity, max: .infinity, hardswish: 0),
        loupe_f32_dwconv_params(min: 0, max: .infinity, hardswish: 0),
        loupe_f32_dwconv_params(min: 0, max: 6, hardswish: 0),
        loupe_f32_dwconv_params(min: -.infinity, max: .infinity, hardswish: 1),
        loupe_f32_dwconv_params(min: -0.5, max: 2, hardswish: 1),
    ]

    /// nil when the padded input is smaller than the window.
    static func problem(_ s: Shape, seed: UInt64, bias: Bool, activation: Int) -> Problem? {
        var rng = SeededRandom(seed: seed)
        let effH = (s.kh - 1) * s.dilation + 1, effW = (s.kw - 1) * s.dilation + 1
        let spanH = s.h + s.padTop + s.padBottom - effH, spanW = s.w + s.padLeft + s.padRight - effW
        guard spanH >= 0, spanW >= 0 else { return nil }
        let g = loupe_s8_dwconv_geometry(batch: s.n, in_h: s.h, in_w: s.w, channels: s.c,
                                         out_h: spanH / s.stride + 1, out_w: spanW / s.stride + 1,
                                         kernel_h: s.kh, kernel_w: s.kw, stride_h: s.stride, stride_w: s.stride,
                                         dilation_h: s.dilation, dilation_w: s.dilation,
                                         pad_top: s.padTop, pad_left: s.padLeft)
        // Sums of a few taps land around ±3, where the hardswish bends and ReLU6 clips.
        let x = rng.floats(s.n * s.h * s.w * s.c, -2, 2)
        let w = rng.floats(s.c * s.kh * s.kw, -1, 1)
        let b = bias ? rng.floats(s.c, -1, 1) : nil
        return Problem(g: g, x: x, w: w, bias: b, params: activations[activation], yStride: s.c + s.gap)
    }

    /// The contract in double: bias + the taps inside the input, then the clamp and the
    /// hardswish. Also returns, per output, the bound on the float kernel's error (below).
    static func reference(_ p: Problem) -> (y: [Double], tolerance: [Double]) {
        let g = p.g
        var y = [Double](repeating: 0, count: p.outCount), tol = y
        let taps = g.kernel_h * g.kernel_w
        for b in 0..<g.batch { for oy in 0..<g.out_h { for ox in 0..<g.out_w { for c in 0..<g.channels {
            var acc = Double(p.bias?[c] ?? 0)
            var magnitude = abs(acc)
            for ky in 0..<g.kernel_h {
                let iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top
                guard iy >= 0, iy < g.in_h else { continue }
                for kx in 0..<g.kernel_w {
                    let ix = ox * g.stride_w + kx * g.dilation_w - g.pad_left
                    guard ix >= 0, ix < g.in_w else { continue }
                    let term = Double(p.x[((b * g.in_h + iy) * g.in_w + ix) * g.channels + c]) *
                        Double(p.w[c * taps + ky * g.kernel_w + kx])
                    acc += term
                    magnitude += abs(term)
                }
            }
            var v = Swift.min(Swift.max(acc, Double(p.params.min)), Double(p.params.max))
            // The float accumulation of at most 49 fused multiply-adds errs by at most
            // 49 · 2^-24 ≈ 2.9e-6 of sum |bias| + |x·w| (each step rounds once, relative to a
            // partial sum no larger than that); 1e-5 of it leaves margin without hiding a
            // wrong or missing tap, which moves the result by a whole |x·w| (on average
            // ~1/taps of the sum, far above 1e-5 of it). The clamp cannot grow the error; the
            // hardswish at most multiplies it by its steepest slope, 1.5, and adds its own three
            // roundings, relative to |y|.
            var bound = 1e-5 * magnitude
            if p.params.hardswish != 0 {
                v = v * Swift.min(Swift.max(v + 3, 0), 6) / 6
                bound = 1.5 * bound + 1e-6 * abs(v)
            }
            let i = ((b * g.out_h + oy) * g.out_w + ox) * p.yStride + c
            y[i] = v
            tol[i] = bound + Double(Float.leastNormalMagnitude)
        } } } }
        return (y, tol)
    }

    static let sentinel = Float.nan.bitPattern | 0x1234  // a quiet NaN the kernel never makes

    /// The bits the kernel leaves in y (sentinel-filled, with 16 more floats past the end that
    /// must stay so), computing the given row ranges one call each.
    static func run(_ p: Problem, _ isa: loupe_f32_dwconv_isa, chunks: [Range<Int>]? = nil,
                    file: StaticString = #filePath, line: UInt = #line) -> [UInt32] {
        let taps = p.g.kernel_h * p.g.kernel_w
        let size = loupe_f32_dwconv_packed_size(taps, p.g.channels)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { packed.deallocate() }
        p.w.withUnsafeBufferPointer { w in
            if let bias = p.bias {
                bias.withUnsafeBufferPointer { loupe_f32_dwconv_pack(taps, p.g.channels, w.baseAddress, $0.baseAddress, packed) }
            } else {
                loupe_f32_dwconv_pack(taps, p.g.channels, w.baseAddress, nil, packed)
            }
        }
        // x in a buffer of exactly its size: a read past it is at least a chance for ASan.
        let xs = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(p.x.count, 1))
        defer { xs.deallocate() }
        xs.initialize(from: p.x, count: p.x.count)
        let count = p.outCount
        var y = [Float](repeating: Float(bitPattern: sentinel), count: count + 16)
        var g = p.g, params = p.params
        y.withUnsafeMutableBufferPointer { yp in
            for r in chunks ?? [0..<p.rows] {
                loupe_f32_dwconv_nhwc__isa(isa, &g, r.lowerBound, r.upperBound, xs, packed, yp.baseAddress, p.yStride, &params)
            }
        }
        let bits = y.map(\.bitPattern)
        XCTAssertEqual(Array(bits[count...]), [UInt32](repeating: sentinel, count: 16), "wrote past the output",
                       file: file, line: line)
        return Array(bits[..<count])
    }

    /// The geometries: each kernel size with each stride, dilation and a spread of paddings
    /// (none, symmetric, asymmetric, larger than the kernel's half so that whole tap rows and
    /// columns fall outside), widths from 1 up to a few interior groups, the channel counts
    /// around the SIMD widths (4, 8, 16) and MobileNet's 72.
    static func shapes() -> [Shape] {
        var rng = SeededRandom(seed: 0xD3C0)
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        let kernels = [(1, 1), (3, 3), (5, 5), (3, 5), (7, 7)]
        let channels = [1, 3, 8, 15, 16, 17, 31, 32, 33, 64, 72, 100]
        var out: [Shape] = []
        // Every kernel with every stride and dilation, over the channel counts in turn.
        var ci = 0
        for (kh, kw) in kernels {
            for stride in 1...3 {
                for dilation in 1...2 {
                    let c = channels[ci % channels.count]
                    ci += 1
                    let half = kh / 2
                    out.append(Shape(n: 1 + ci % 2, h: 5 + ci % 7, w: 1 + (ci * 7) % 20, c: c, kh: kh, kw: kw,
                                     stride: stride, dilation: dilation,
                                     padTop: half, padLeft: kw / 2, padBottom: half, padRight: kw / 2, gap: ci % 3))
                }
            }
        }
        // Every width 1...20 (edge pixels only, then interior groups of 8 and 4 plus a tail).
        for w in 1...20 {
            let (kh, kw) = kernels[w % kernels.count]
            out.append(Shape(n: 1, h: 4, w: w, c: channels[w % channels.count], kh: kh, kw: kw, stride: 1 + w % 2,
                             padTop: kh / 2, padLeft: kw / 2, padBottom: kh / 2, padRight: kw / 2, gap: w % 2))
        }
        // Random: asymmetric pads up to 4 (past the half of a 3x3 or 5x5), a few wide rows.
        for i in 0..<160 {
            let (kh, kw) = pick(kernels)
            out.append(Shape(n: pick([1, 2]), h: 1 + Int(rng.next() % 10), w: i % 8 == 0 ? 30 + Int(rng.next() % 40) : 1 + Int(rng.next() % 20),
                             c: pick(channels), kh: kh, kw: kw, stride: pick([1, 1, 2, 3]), dilation: pick([1, 2]),
                             padTop: Int(rng.next() % 5), padLeft: Int(rng.next() % 5),
                             padBottom: Int(rng.next() % 5), padRight: Int(rng.next() % 5), gap: Int(rng.next() % 3)))
        }
        // MobileNetV3-like layers, cut down.
        out.append(Shape(n: 1, h: 9, w: 40, c: 64, kh: 3, kw: 3, stride: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1))
        out.append(Shape(n: 1, h: 7, w: 37, c: 72, kh: 5, kw: 5, stride: 1, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2))
        out.append(Shape(n: 1, h: 6, w: 11, c: 240, kh: 5, kw: 5, stride: 2, padTop: 1, padLeft: 1, padBottom: 2, padRight: 2))
        // From 128 channels up, strided layers take the interior in groups too.
        out.append(Shape(n: 2, h: 5, w: 29, c: 144, kh: 3, kw: 3, stride: 3, dilation: 2, padTop: 2, padLeft: 3, padBottom: 1, padRight: 0, gap: 1))
        out.append(Shape(n: 1, h: 7, w: 41, c: 129, kh: 3, kw: 5, stride: 2, padTop: 1, padLeft: 2, padBottom: 1, padRight: 2))
        return out
    }

    func testScalarMatchesTheContract() {
        var checked = 0
        for (i, s) in Self.shapes().enumerated() {
            let seed = UInt64(7000 + i)
            guard let p = Self.problem(s, seed: seed, bias: i % 4 != 1, activation: i % Self.activations.count) else { continue }
            let got = Self.run(p, loupe_f32_dwconv_scalar)
            let (want, tol) = Self.reference(p)
            var bad = 0
            for pixel in 0..<(p.rows * p.g.out_w) {
                for c in 0..<p.yStride {
                    let j = pixel * p.yStride + c
                    if c >= p.g.channels {
                        if got[j] != Self.sentinel { bad += 1 }  // the gap between pixels: untouched
                    } else if !(abs(Double(Float(bitPattern: got[j])) - want[j]) <= tol[j]) {
                        bad += 1
                    }
                }
            }
            XCTAssertEqual(bad, 0, "\(s) seed \(seed) activation \(i % Self.activations.count)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 150)
    }

    func testSIMDVariantsMatchScalarBitForBit() throws {
        var ran = 0
        for (name, isa) in [("avx2", loupe_f32_dwconv_avx2), ("avx512", loupe_f32_dwconv_avx512),
                            ("neon", loupe_f32_dwconv_neon)]
        where loupe_f32_dwconv_isa_available(isa) != 0 {
            ran += 1
            for (i, s) in Self.shapes().enumerated() {
                let seed = UInt64(8000 + i)
                guard let p = Self.problem(s, seed: seed, bias: i % 4 != 2, activation: (i + 2) % Self.activations.count)
                else { continue }
                let want = Self.run(p, loupe_f32_dwconv_scalar)
                XCTAssertEqual(Self.run(p, isa), want, "\(name) \(s) seed \(seed)")
                // Rows in three uneven calls: the same as one call.
                if p.rows >= 3 {
                    let a = p.rows / 4 + 1, b = Swift.max(a, p.rows - 1)
                    XCTAssertEqual(Self.run(p, isa, chunks: [0..<a, a..<b, b..<p.rows]), want, "\(name) chunks \(s) seed \(seed)")
                }
            }
        }
        if ran == 0 { throw XCTSkip("this CPU has none of the SIMD variants") }
    }

    /// Every activation on one shape with a channel tail and interior groups, per variant.
    func testEveryActivationEveryVariant() {
        let s = Shape(n: 2, h: 7, w: 19, c: 33, kh: 3, kw: 3, padTop: 1, padLeft: 2, padBottom: 0, padRight: 1, gap: 3)
        for (k, _) in Self.activations.enumerated() {
            guard let p = Self.problem(s, seed: 9000 + UInt64(k), bias: true, activation: k) else { return XCTFail() }
            let want = Self.run(p, loupe_f32_dwconv_scalar)
            let (ref, tol) = Self.reference(p)
            for j in 0..<want.count where j % p.yStride < p.g.channels {
                XCTAssertLessThanOrEqual(abs(Double(Float(bitPattern: want[j])) - ref[j]), tol[j], "activation \(k) at \(j)")
            }
            for isa in [loupe_f32_dwconv_avx2, loupe_f32_dwconv_avx512, loupe_f32_dwconv_neon]
            where loupe_f32_dwconv_isa_available(isa) != 0 {
                XCTAssertEqual(Self.run(p, isa), want, "isa \(isa.rawValue) activation \(k)")
            }
        }
    }

    func testBestISAIsAvailable() {
        XCTAssertNotEqual(loupe_f32_dwconv_isa_available(loupe_f32_dwconv_best_isa()), 0)
        XCTAssertNotEqual(loupe_f32_dwconv_isa_available(loupe_f32_dwconv_scalar), 0)
    }
}
