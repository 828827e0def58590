import Foundation

/// How an activation's int8 range is chosen from calibration statistics (STYLE rule 9).
public enum CalibrationMethod: Sendable, Hashable {
    /// The exact observed [min, max].
    case minMax
    /// Clip |x| at this percentile (e.g. `99.99`) of |x|.
    case percentile(Double)
    /// KL-divergence threshold search (TensorRT / ONNX Runtime entropy calibrator) over an
    /// |x| histogram of `bins` bins.
    case entropy(bins: Int)
    /// The clipping threshold that minimizes the expected quantization mean-squared error.
    case mse

    /// A histogram observer sized for this method: `bins` |x| bins for `.entropy`, 2048 otherwise.
    public func makeObserver() -> HistogramObserver {
        switch self {
        case let .entropy(bins): return HistogramObserver(absoluteBins: bins)
        case .minMax, .percentile, .mse: return HistogramObserver(absoluteBins: 2048)
        }
    }
}

/// A real-valued activation range `[min, max]` to turn into int8 parameters with
/// ``Quantization/activationParams(min:max:)``.
public struct ActivationRange: Sendable, Hashable {
    /// Lower end.
    public var min: Float
    /// Upper end.
    public var max: Float
    /// A range as given.
    public init(min: Float, max: Float) { self.min = min; self.max = max }
}

/// Why a calibrator cannot produce a range.
public enum CalibrationError: Error, Equatable, CustomStringConvertible {
    /// The observer saw no finite value.
    case noData
    /// Percentile outside (0, 100].
    case invalidPercentile(Double)
    /// `.entropy(bins:)` with fewer than 128 bins or an odd count.
    case invalidEntropyBins(Int)
    /// The observer's |x| bin count differs from `.entropy(bins:)`.
    case binCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .noData: return "the observer saw no finite value"
        case let .invalidPercentile(p): return "percentile \(p) is outside (0, 100]"
        case let .invalidEntropyBins(n): return "entropy needs an even bin count ≥ \(Calibrator.entropyQuantizedBins), got \(n)"
        case let .binCountMismatch(e, a): return "entropy(bins: \(e)) given an observer with \(a) |x| bins; build it with CalibrationMethod.makeObserver()"
        }
    }
}

/// Activation ranges from observed statistics.
///
/// Every method except `.minMax` picks a threshold `t` on |x| and returns the observed
/// range clipped to it: `[max(min, −t), min(max, t)]`. A ReLU output thus stays `[0, t]`
/// instead of wasting half the int8 codes on a symmetric `[−t, t]` (ONNX Runtime's entropy
/// calibrator returns `[−t, t]`; we keep its threshold but not that waste).
public enum Calibrator {
    /// Levels the |x| distribution is quantized to in the entropy search (TensorRT: 128, one
    /// sign of int8).
    public static let entropyQuantizedBins = 128
    /// The entropy search never clips more than this fraction of the observed values.
    public static let entropyMaxClippedFraction = 0.01

    /// The activation range `method` chooses from `observer`.
    public static func range(_ method: CalibrationMethod, from observer: HistogramObserver) throws -> ActivationRange {
        let mm = observer.minMax
        guard mm.count > 0 else { throw CalibrationError.noData }
        let t: Double
        switch method {
        case .minMax:
            return ActivationRange(min: mm.min, max: mm.max)
        case let .percentile(p):
            guard p > 0, p <= 100, p.isFinite else { throw CalibrationError.invalidPercentile(p) }
            t = percentileThreshold(observer, percentile: p)
        case let .entropy(bins):
            guard bins >= entropyQuantizedBins, bins % 2 == 0 else { throw CalibrationError.invalidEntropyBins(bins) }
            guard observer.absoluteBinCount == bins else {
                throw CalibrationError.binCountMismatch(expected: bins, actual: observer.absoluteBinCount)
            }
            t = entropyThreshold(observer)
        case .mse:
            t = mseThreshold(observer)
        }
        return clip(mm, Float(t))
    }

    /// The exact observed range of a plain min/max observer.
    public static func range(from observer: MinMaxObserver) throws -> ActivationRange {
        guard observer.count > 0 else { throw CalibrationError.noData }
        return ActivationRange(min: observer.min, max: observer.max)
    }

    private static func clip(_ mm: MinMaxObserver, _ t: Float) -> ActivationRange {
        ActivationRange(min: Swift.max(mm.min, -t), max: Swift.min(mm.max, t))
    }

    /// The |x| value below which `percentile`% of the values lie, linearly interpolated
    /// inside the bin where the cumulative count crosses it.
    static func percentileThreshold(_ o: HistogramObserver, percentile p: Double) -> Double {
        let h = o.absoluteCounts, w = Double(o.binWidth)
        let total = Double(h.reduce(0, +))
        let target = total * p / 100
        var cum = 0.0
        for (k, c) in h.enumerated() where c > 0 {
            let next = cum + Double(c)
            if next >= target { return (Double(k) + (target - cum) / Double(c)) * w }
            cum = next
        }
        return Double(h.count) * w
    }

    /// TensorRT's KL-divergence calibration on the |x| histogram `h` of `n` bins: for each
    /// candidate `i` in 128...n bins, the reference `P` is `h[0..<i]` with all the mass beyond
    /// folded into its last bin; the candidate `Q` merges `h[0..<i]` into 128 levels and
    /// spreads each level evenly back over the bins of `P` that are nonzero. Both are
    /// normalized and smoothed (ε = 1e-4 moved from nonzero onto zero bins, as MXNet/ONNX
    /// Runtime), and the `i` with the smallest KL(P‖Q) gives `t = i · binWidth`.
    ///
    /// Candidates that would clip more than ``entropyMaxClippedFraction`` of the values are
    /// skipped: the search assumes the mass sits near zero, and on a distribution that is a
    /// spike at zero plus a spread (a squeeze-excite gate after HardSigmoid) it chose
    /// thresholds that clipped most of the spread — the challenge baseline's gates ended at
    /// t ≈ 0.1 of their [0, 1] range and its features at 1 dB SQNR (measured, Bench/RESULTS.md).
    static func entropyThreshold(_ o: HistogramObserver) -> Double {
        let h = o.absoluteCounts.map(Double.init), n = h.count, levels = entropyQuantizedBins
        let w = Double(o.binWidth)
        var suffix = [Double](repeating: 0, count: n + 1)
        for k in stride(from: n - 1, through: 0, by: -1) { suffix[k] = suffix[k + 1] + h[k] }
        let total = suffix[0]
        var first = levels
        while first < n, suffix[first] > entropyMaxClippedFraction * total { first += 1 }
        var best = n, bestKL = Double.infinity
        var p = [Double](repeating: 0, count: n), q = [Double](repeating: 0, count: n)
        for i in first...n {
            for k in 0..<i { p[k] = h[k] }
            p[i - 1] += suffix[i]
            let merged = i / levels
            for j in 0..<levels {
                let start = j * merged, stop = j == levels - 1 ? i : start + merged
                var sum = 0.0, nonzero = 0
                for k in start..<stop { sum += h[k]; if p[k] != 0 { nonzero += 1 } }
                for k in start..<stop { q[k] = p[k] != 0 ? sum / Double(nonzero) : 0 }
            }
            guard let kl = smoothedKL(p: p[0..<i], q: q[0..<i]) else { continue }
            if kl < bestKL { bestKL = kl; best = i }
        }
        return Double(best) * w
    }

    private static func smooth(_ d: ArraySlice<Double>, eps: Double = 1e-4) -> [Double]? {
        let total = d.reduce(0, +)
        guard total > 0 else { return nil }
        let zeros = d.filter { $0 == 0 }.count, nonzeros = d.count - zeros
        guard nonzeros > 0 else { return nil }
        let eps1 = eps * Double(zeros) / Double(nonzeros)
        return d.map { $0 == 0 ? eps : $0 / total - eps1 }
    }

    private static func smoothedKL(p: ArraySlice<Double>, q: ArraySlice<Double>) -> Double? {
        guard let ps = smooth(p), let qs = smooth(q) else { return nil }
        var kl = 0.0
        for k in ps.indices where ps[k] > 0 {
            guard qs[k] > 0 else { return nil }
            kl += ps[k] * log(ps[k] / qs[k])
        }
        return kl
    }

    /// The |x| threshold minimizing the expected squared int8 error over the signed
    /// histogram, candidates at every bin edge. For a candidate range `[lo, hi]` (the observed
    /// range clipped to ±t, widened to include 0, step `s = (hi − lo)/255`), a value inside
    /// costs the uniform rounding noise `s²/12` and a value outside costs its squared distance
    /// to the nearer end (values taken at bin centres).
    static func mseThreshold(_ o: HistogramObserver) -> Double {
        let mm = o.minMax, n = o.absoluteBinCount, w = Double(o.binWidth), r = Double(o.range)
        guard w > 0 else { return 0 }
        let counts = o.counts
        var best = Double(n) * w, bestErr = Double.infinity
        for k in 1...n {
            let t = Double(k) * w
            let lo = Swift.min(0, Swift.max(Double(mm.min), -t)), hi = Swift.max(0, Swift.min(Double(mm.max), t))
            let s = (hi - lo) / 255
            var err = 0.0
            for (i, c) in counts.enumerated() where c > 0 {
                let x = -r + (Double(i) + 0.5) * w
                let e = x < lo ? (lo - x) * (lo - x) : x > hi ? (x - hi) * (x - hi) : s * s / 12
                err += Double(c) * e
            }
            if err < bestErr { bestErr = err; best = t }
        }
        return best
    }
}
