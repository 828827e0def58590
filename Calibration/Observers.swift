// Streaming statistics of one activation tensor, fed batch by batch during calibration.

/// Exact running minimum and maximum of every finite value seen.
public struct MinMaxObserver: Sendable, Hashable {
    /// Smallest finite value seen (`+infinity` before any).
    public private(set) var min: Float = .infinity
    /// Largest finite value seen (`-infinity` before any).
    public private(set) var max: Float = -.infinity
    /// Number of finite values seen.
    public private(set) var count: Int = 0
    /// Number of NaN or infinite values seen; they are skipped, not clipped, so a model
    /// that produces them is visible to the caller instead of silently stretching the range.
    public private(set) var nonFiniteCount: Int = 0

    /// An observer that has seen nothing.
    public init() {}

    /// Adds one batch of values.
    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        var lo = min, hi = max, n = 0, bad = 0
        for v in values {
            if !v.isFinite { bad += 1; continue }
            lo = Swift.min(lo, v); hi = Swift.max(hi, v); n += 1
        }
        min = lo; max = hi; count += n; nonFiniteCount += bad
    }

    /// Adds one batch of values.
    public mutating func observe(_ values: [Float]) {
        values.withUnsafeBufferPointer { observe($0) }
    }
}

/// A histogram over a symmetric range `[-range, range]` with a fixed number of bins that
/// grows as data arrives, plus the exact min/max.
///
/// Growth: the first batch with a nonzero value sets `range` to its largest |x|. When a
/// later batch exceeds `range`, the range doubles (as many times as needed) and each pair of
/// adjacent bins merges into one. Because the bin count is a multiple of 4 and the range is
/// centred on 0, doubling maps old bins `2j, 2j+1` exactly onto new bin `n/4 + j`: no count
/// is ever split or approximated, only the resolution coarsens (at worst to 2× the width a
/// two-pass histogram would have). Zero is always a bin edge, so the histogram folds exactly
/// into a histogram of |x| (``absoluteCounts``), which the calibrators use.
public struct HistogramObserver: Sendable, Hashable {
    /// Number of signed bins (twice ``absoluteBinCount``).
    public let binCount: Int
    /// Counts per signed bin; bin `i` covers `[-range + i·w, -range + (i+1)·w)`, `w = 2·range / binCount`.
    public private(set) var counts: [Int]
    /// Half-width of the covered range; 0 until a nonzero value arrives.
    public private(set) var range: Float = 0
    /// Exact min/max/count of the finite values seen.
    public private(set) var minMax = MinMaxObserver()
    private var pendingZeros = 0

    /// A histogram with `absoluteBins` bins over `[0, range]` (so `2·absoluteBins` signed bins);
    /// `absoluteBins` must be even and at least 2.
    public init(absoluteBins: Int = 2048) {
        precondition(absoluteBins >= 2 && absoluteBins % 2 == 0, "absoluteBins must be even and ≥ 2, got \(absoluteBins)")
        binCount = 2 * absoluteBins
        counts = [Int](repeating: 0, count: binCount)
    }

    /// Number of bins of the |x| histogram.
    public var absoluteBinCount: Int { binCount / 2 }

    /// Width of one bin (0 before a nonzero value arrives).
    public var binWidth: Float { 2 * range / Float(binCount) }

    /// Number of finite values seen.
    public var count: Int { minMax.count }

    /// Histogram of |x|: bin `k` covers `[k·w, (k+1)·w)`.
    public var absoluteCounts: [Int] {
        let h = binCount / 2
        if range == 0 { var z = [Int](repeating: 0, count: h); z[0] = pendingZeros; return z }
        return (0..<h).map { counts[h + $0] + counts[h - 1 - $0] }
    }

    /// Adds one batch of values; NaN and infinities are counted in `minMax.nonFiniteCount` and skipped.
    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        minMax.observe(values)
        var absMax: Float = 0
        for v in values where v.isFinite { absMax = Swift.max(absMax, abs(v)) }
        if absMax == 0 {
            if range == 0 { pendingZeros += values.filter { $0.isFinite }.count; return }
        } else if range == 0 {
            range = absMax
            counts[binCount / 2] += pendingZeros
            pendingZeros = 0
        } else {
            while absMax > range { doubleRange() }
        }
        let r = Double(range), scale = Double(binCount) / (2 * r)
        let last = binCount - 1
        for v in values where v.isFinite {
            let i = Int(((Double(v) + r) * scale).rounded(.down))
            counts[Swift.min(last, Swift.max(0, i))] += 1
        }
    }

    /// Adds one batch of values.
    public mutating func observe(_ values: [Float]) {
        values.withUnsafeBufferPointer { observe($0) }
    }

    private mutating func doubleRange() {
        var merged = [Int](repeating: 0, count: binCount)
        let q = binCount / 4
        for j in 0..<(binCount / 2) { merged[q + j] = counts[2 * j] + counts[2 * j + 1] }
        counts = merged
        range *= 2
    }
}
