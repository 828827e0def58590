import Foundation
import LoupeIR

/// SplitMix64 (Steele, Lea, Flood, 2014) for replicable test data: the same seed gives the
/// same draws on every machine, so a failure message that prints `seed` can be replayed.
///
/// The float makers below are not interchangeable: each keeps the draw sequence that
/// seeded expectations were written against. `uniform`, `floats` and `tensor` take the top
/// 24 bits of one draw; `float53` and `tensor53` the top 53 bits; `randomFloat(in:)` and
/// `gaussian` follow the standard library's `Float.random(in:using:)` rule.
/// The draws are LoupeIR's `SplitMix64`, the generator the presets use at run time.
public struct SeededRandom: RandomNumberGenerator, CustomStringConvertible {
    /// The seed this generator started from, for failure messages.
    public let seed: UInt64
    private var generator: SplitMix64

    public init(seed: UInt64) {
        self.seed = seed
        generator = SplitMix64(seed: seed)
    }

    public var description: String { "SeededRandom(seed: \(seed))" }

    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [lo, hi) from the top 24 bits of one draw.
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }

    /// `n` values of `uniform(lo, hi)`.
    public mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<n).map { _ in uniform(lo, hi) }
    }

    /// A float32 tensor of `uniform(lo, hi)` values.
    public mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        Tensor(shape: shape, floats: floats(shape.reduce(1, *), lo, hi))
    }

    /// Uniform in [-1, 1) from the top 53 bits of one draw, rounded to Float.
    public mutating func float53() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }

    /// A float32 tensor of `float53()` values.
    public mutating func tensor53(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in float53() })
    }

    /// Uniform in `range` by the standard library's rule (`Float.random(in:using:)`).
    public mutating func randomFloat(in range: Range<Float>) -> Float { Float.random(in: range, using: &self) }

    /// Standard normal (Box-Muller over the standard library's `Double.random(in:using:)`).
    public mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self), u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}
