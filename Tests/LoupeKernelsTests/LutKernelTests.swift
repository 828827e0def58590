import Foundation
import XCTest
import LoupeKernels
import LoupeTestSupport

/// The int8 lookup-table kernels (Kernels/src/quantized): the table builder against a
/// Swift double-precision reference on all 256 codes (exact: same formula, same libm), and
/// every SIMD variant against the scalar reference (exact: a lookup has one answer).
final class LutKernelTests: XCTestCase {
    // MARK: table builder

    /// ONNX QuantizeLinear in double: round half to even, saturate; NaN → zero point.
    static func quantize(_ y: Double, scale: Float, zeroPoint: Int32) -> Int8 {
        let r = y / Double(scale)
        if r.isNaN { return Int8(zeroPoint) }
        let c = Swift.min(Swift.max(r, -1024), 1024).rounded(.toNearestOrEven)
        return Int8(Swift.min(Swift.max(Int32(c) + zeroPoint, -128), 127))
    }

    /// The real function of each table kind, written independently of the C builder.
    static func reference(_ f: loupe_lut_function, _ p0: Double, _ p1: Double) -> (Double) -> Double {
        func clamp01(_ v: Double) -> Double { Swift.min(Swift.max(v, 0), 1) }
        switch f {
        case loupe_lut_identity: return { $0 }
        case loupe_lut_relu: return { Swift.max($0, 0) }
        case loupe_lut_clip: return { Swift.min(Swift.max($0, p0), p1) }
        case loupe_lut_leaky_relu: return { $0 < 0 ? p0 * $0 : $0 }
        case loupe_lut_elu: return { $0 < 0 ? p0 * (Foundation.exp($0) - 1) : $0 }
        case loupe_lut_hardsigmoid: return { clamp01(p0 * $0 + p1) }
        case loupe_lut_hardswish: return { $0 * clamp01($0 * (1.0 / 6.0) + 0.5) }
        case loupe_lut_sigmoid: return { 1 / (1 + Foundation.exp(-$0)) }
        case loupe_lut_tanh: return { Foundation.tanh($0) }
        case loupe_lut_neg: return { -$0 }
        case loupe_lut_abs: return { Swift.abs($0) }
        case loupe_lut_sqrt: return { $0.squareRoot() }
        case loupe_lut_floor: return { $0.rounded(.down) }
        case loupe_lut_ceil: return { $0.rounded(.up) }
        case loupe_lut_reciprocal: return { 1 / $0 }
        case loupe_lut_exp: return { Foundation.exp($0) }
        case loupe_lut_log: return { Foundation.log($0) }
        case loupe_lut_erf: return { Foundation.erf($0) }
        case loupe_lut_gelu: return { 0.5 * $0 * (1 + Foundation.erf($0 * 0.70710678118654752440)) }
        case loupe_lut_gelu_tanh: return { 0.5 * $0 * (1 + Foundation.tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }
        case loupe_lut_softplus: return { $0 > 0 ? $0 + Foundation.log1p(Foundation.exp(-$0)) : Foundation.log1p(Foundation.exp($0)) }
        case loupe_lut_mish: return { x in x * Foundation.tanh(x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))) }
        default: preconditionFailure("unknown table function \(f)")
        }
    }

    struct Params { var inScale: Float; var inZP: Int32; var outScale: Float; var outZP: Int32 }

    /// Quantization params as a calibrator produces them: wide and narrow ranges, zero points
    /// at both ends, the XNNPACK sigmoid output params.
    static let params: [Params] = [
        Params(inScale: 0.05, inZP: 0, outScale: 0.05, outZP: 0),
        Params(inScale: 0.0473, inZP: -17, outScale: 0.0391, outZP: -60),
        Params(inScale: 0.011, inZP: 127, outScale: 0.3, outZP: -128),
        Params(inScale: 0.25, inZP: -128, outScale: 1.0 / 256, outZP: -128),
        Params(inScale: 0.0078125, inZP: 5, outScale: 0.0078125, outZP: 5),
    ]

    static let functions: [(String, loupe_lut_function, Double, Double)] = [
        ("identity", loupe_lut_identity, 0, 0), ("relu", loupe_lut_relu, 0, 0),
        ("clip", loupe_lut_clip, -0.5, 3), ("clip-inf", loupe_lut_clip, -.infinity, 0.25),
        ("leaky_relu", loupe_lut_leaky_relu, 0.1, 0), ("elu", loupe_lut_elu, 1.3, 0),
        ("hardsigmoid", loupe_lut_hardsigmoid, 0.2, 0.5), ("hardswish", loupe_lut_hardswish, 0, 0),
        ("sigmoid", loupe_lut_sigmoid, 0, 0), ("tanh", loupe_lut_tanh, 0, 0), ("neg", loupe_lut_neg, 0, 0),
        ("abs", loupe_lut_abs, 0, 0), ("sqrt", loupe_lut_sqrt, 0, 0), ("floor", loupe_lut_floor, 0, 0),
        ("ceil", loupe_lut_ceil, 0, 0), ("reciprocal", loupe_lut_reciprocal, 0, 0), ("exp", loupe_lut_exp, 0, 0),
        ("log", loupe_lut_log, 0, 0), ("erf", loupe_lut_erf, 0, 0),
        ("gelu", loupe_lut_gelu, 0, 0), ("gelu_tanh", loupe_lut_gelu_tanh, 0, 0),
        ("softplus", loupe_lut_softplus, 0, 0), ("mish", loupe_lut_mish, 0, 0),
    ]

    /// The float kernel of activations without a SIMD kernel evaluates the same definition:
    /// each output is the double reference rounded to float, over a sweep with ±0, tails and NaN.
    func testScalarActivationKernelIsTheDefinitionRoundedToFloat() {
        var xs: [Float] = stride(from: -12, through: 12, by: 0.0625).map { Float($0) }
        xs += [0, -0, 1e-30, -1e-30, 80, -80, .nan]
        for (name, f, p0, p1) in Self.functions {
            var ys = [Float](repeating: 0, count: xs.count)
            loupe_f32_activation__scalar(f, p0, p1, xs.count, xs, &ys)
            let ref = Self.reference(f, p0, p1)
            for (x, y) in zip(xs, ys) {
                let want = Float(ref(Double(x)))
                XCTAssertTrue(y == want || (y.isNaN && want.isNaN), "\(name)(\(x)) = \(y), want \(want)")
            }
        }
    }

    func testEveryTableIsExactOnAll256Codes() {
        for (name, f, p0, p1) in Self.functions {
            let ref = Self.reference(f, p0, p1)
            for p in Self.params {
                var table = [UInt8](repeating: 0, count: 256)
                XCTAssertEqual(loupe_x8_lut_build(f, p0, p1, p.inScale, p.inZP, p.outScale, p.outZP, &table), 0, name)
                var mismatches = 0
                for q in -128...127 {
                    let x = Double(q - Int(p.inZP)) * Double(p.inScale)
                    let want = Self.quantize(ref(x), scale: p.outScale, zeroPoint: p.outZP)
                    let got = Int8(bitPattern: table[Int(UInt8(bitPattern: Int8(q)))])
                    if got != want {
                        mismatches += 1
                        if mismatches <= 3 { XCTFail("\(name) \(p): code \(q) got \(got) want \(want)") }
                    }
                }
                XCTAssertEqual(mismatches, 0, "\(name) \(p)")
            }
        }
    }

    func testRequantizingIdentityIsACopyWithEqualParams() {
        var table = [UInt8](repeating: 0, count: 256)
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_identity, 0, 0, 0.037, -9, 0.037, -9, &table), 0)
        for i in 0..<256 { XCTAssertEqual(table[i], UInt8(i)) }
    }

    func testBuilderRejectsBadParameters() {
        var table = [UInt8](repeating: 0, count: 256)
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_function_count, 0, 0, 1, 0, 1, 0, &table), -1, "not a function")
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_relu, 0, 0, 0, 0, 1, 0, &table), -1, "zero input scale")
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_relu, 0, 0, 1, 0, .nan, 0, &table), -1, "NaN output scale")
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_relu, 0, 0, 1, 0, .infinity, 0, &table), -1, "infinite scale")
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_relu, 0, 0, 1, 128, 1, 0, &table), -1, "zero point 128")
        XCTAssertEqual(loupe_x8_lut_build(loupe_lut_relu, 0, 0, 1, 0, 1, -129, &table), -1, "zero point -129")
    }

    // MARK: lookup variants

    static let variants: [(String, loupe_x8_lut_isa)] = [
        ("ssse3", loupe_x8_lut_ssse3), ("avx2", loupe_x8_lut_avx2),
        ("avx512vbmi", loupe_x8_lut_avx512vbmi), ("neon", loupe_x8_lut_neon),
    ]

    func testEveryVariantEqualsScalarForLengths0To300AndUnalignedPointers() {
        var rng = SeededRandom(seed: 8)
        let table = (0..<256).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let pad = 64
        var ran = 0
        for (name, isa) in Self.variants where loupe_x8_lut_isa_available(isa) != 0 {
            ran += 1
            for n in 0...300 {
                for offset in [0, 1, 3] {
                    let seed = UInt64(n * 7 + offset)
                    var r = SeededRandom(seed: seed)
                    // Codes cover all 256 values; sentinels around the output catch stray writes.
                    let x = (0..<(n + offset + pad)).map { _ in Int8(truncatingIfNeeded: r.next()) }
                    var want = [Int8](repeating: 0x55, count: n + offset + pad)
                    var got = want
                    x.withUnsafeBufferPointer { xp in
                        table.withUnsafeBufferPointer { tp in
                            want.withUnsafeMutableBufferPointer { wp in
                                loupe_x8_lut__scalar(n, xp.baseAddress! + offset, wp.baseAddress! + offset, tp.baseAddress!)
                            }
                            got.withUnsafeMutableBufferPointer { gp in
                                loupe_x8_lut__isa(isa, n, xp.baseAddress! + offset, gp.baseAddress! + offset, tp.baseAddress!)
                            }
                        }
                    }
                    if got != want {
                        XCTFail("\(name) n=\(n) offset=\(offset) seed=\(seed) differs from scalar")
                        return
                    }
                }
            }
        }
        XCTAssertGreaterThan(ran, 0, "no SIMD lookup variant available on this CPU")
    }

    func testScalarCoversAllCodesAndInPlace() {
        let table = (0..<256).map { UInt8(255 - $0) }
        var x = (0..<256).map { Int8(truncatingIfNeeded: $0) }
        let want = x.map { Int8(bitPattern: table[Int(UInt8(bitPattern: $0))]) }
        x.withUnsafeMutableBufferPointer { p in loupe_x8_lut(256, p.baseAddress!, p.baseAddress!, table) }
        XCTAssertEqual(x, want)
    }

    func testDispatchRunsTheBestVariant() {
        let best = loupe_x8_lut_best_isa()
        XCTAssertNotEqual(loupe_x8_lut_isa_available(best), 0)
        #if arch(x86_64)
        if loupe_x8_lut_isa_available(loupe_x8_lut_avx512vbmi) != 0 { XCTAssertEqual(best, loupe_x8_lut_avx512vbmi) }
        #endif
    }

    // MARK: x8 transpose

    func testX8TransposeMatchesIndexReference() {
        let cases: [([Int], [Int])] = [([2, 3, 4], [2, 0, 1]), ([1, 5, 7, 3], [0, 3, 1, 2]), ([4, 6], [1, 0]),
                                       ([2, 3, 4, 5], [3, 2, 1, 0]), ([3, 4], [0, 1]),
                                       // Planes larger than the kernel's 32 x 32 tiles, partial tiles,
                                       // axes of extent 1 between them.
                                       ([1, 3, 40, 70], [0, 2, 3, 1]), ([2, 5, 33, 37], [0, 2, 3, 1]), ([70, 45], [1, 0]),
                                       ([3, 1, 50, 1, 40], [4, 2, 0, 1, 3])]
        for (shape, perm) in cases {
            let count = shape.reduce(1, *)
            let x = (0..<count).map { Int8(truncatingIfNeeded: $0 * 37 + 11) }
            var y = [Int8](repeating: 0, count: count)
            loupe_x8_transpose__scalar(shape.count, shape, perm, x, &y)
            // In batches, as the runtime splits it over threads: the same bytes.
            let batches = loupe_x8_transpose_batches(shape.count, shape, perm)
            var split = [Int8](repeating: 0, count: count)
            for (lo, hi) in [(0, batches / 3), (batches / 3, batches / 2), (batches / 2, batches)] {
                split.withUnsafeMutableBufferPointer { loupe_x8_transpose(shape.count, shape, perm, x, $0.baseAddress, lo, hi) }
            }
            XCTAssertEqual(split, y, "shape \(shape) perm \(perm): in batches")
            var inStrides = [Int](repeating: 1, count: shape.count)
            for i in stride(from: shape.count - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
            let outShape = perm.map { shape[$0] }
            for o in 0..<count {
                var rem = o, src = 0
                for a in stride(from: shape.count - 1, through: 0, by: -1) {
                    src += (rem % outShape[a]) * inStrides[perm[a]]
                    rem /= outShape[a]
                }
                if y[o] != x[src] { XCTFail("shape \(shape) perm \(perm): output \(o)"); break }
            }
        }
    }
}
