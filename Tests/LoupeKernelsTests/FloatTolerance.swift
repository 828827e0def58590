import Foundation

/// Unit roundoff of Float (2^-24): the relative error of one correctly rounded operation.
let floatRoundoff = 0.5 * Double(Float.ulpOfOne)

/// Distance in Float ulps between a result and a double reference, measured in the ulp of
/// the reference's binade (never below the smallest normal's, so subnormal results count as
/// absolute error). NaN matches NaN only; an infinity matches only itself.
func ulpDistance(_ got: Float, _ ref: Double) -> Double {
    if ref.isNaN { return got.isNaN ? 0 : .infinity }
    if ref.isInfinite { return Double(got) == ref ? 0 : .infinity }
    if got.isNaN || got.isInfinite { return .infinity }
    let magnitude = Swift.max(abs(Float(ref)), Float.leastNormalMagnitude)
    return abs(Double(got) - ref) / Double(magnitude.ulp)
}

/// Row and vector lengths for the transformer kernels: below, at and above every SIMD width
/// (4, 8, 16) with odd tails, plus the widths of ViT-S (384) and a long odd row.
let tailSizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 255, 384, 1031]

/// Floats from `lo` to `hi` (same sign, both non-zero) stepping `stride` bit patterns:
/// every binade in between is visited, densely near its values.
func floatSweep(from lo: Float, to hi: Float, stride: UInt32) -> [Float] {
    let sign: Float = lo < 0 ? -1 : 1
    let a = abs(lo).bitPattern, b = abs(hi).bitPattern
    return Swift.stride(from: Swift.min(a, b), through: Swift.max(a, b), by: Int(stride)).map { sign * Float(bitPattern: $0) }
}
