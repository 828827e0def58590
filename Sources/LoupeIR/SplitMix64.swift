/// Loupe's one seeded generator: SplitMix64 (Steele, Lea, Flood, 2014), chosen because it is
/// four lines in any language, so the Python reference (Tests/Tools/imaging/reference.py)
/// draws the same numbers. The presets' random crops, the seeded inputs of bench/profile, the
/// shard order and the tests' `SeededRandom` all draw from it. State starts at the seed; each draw adds 0x9E3779B97F4A7C15 and
/// mixes. `below(n)` is `next() % n` (the modulo bias, < n / 2^64, is irrelevant here).
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A draw in 0..<n (n > 0).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }
}
