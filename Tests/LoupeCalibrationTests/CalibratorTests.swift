import XCTest
@testable import LoupeCalibration
import LoupeTestSupport

final class CalibratorTests: XCTestCase {
    /// Gaussian(0, 1) samples plus `outliers` values at ±`outlierValue`.
    func gaussianWithOutliers(seed: UInt64, n: Int, outliers: Int, outlierValue: Float, method: CalibrationMethod) -> HistogramObserver {
        var rng = SeededRandom(seed: seed)
        var o = method.makeObserver()
        for _ in 0..<(n / 10_000) { o.observe((0..<10_000).map { _ in rng.gaussian() }) }
        o.observe((0..<outliers).map { $0 % 2 == 0 ? outlierValue : -outlierValue })
        return o
    }

    func testMinMaxIsExact() throws {
        var o = HistogramObserver()
        o.observe([0.25, -3.5, 7.125]); o.observe([1, 2])
        XCTAssertEqual(try Calibrator.range(.minMax, from: o), ActivationRange(min: -3.5, max: 7.125))
        var m = MinMaxObserver(); m.observe([0.25, -3.5, 7.125])
        XCTAssertEqual(try Calibrator.range(from: m), ActivationRange(min: -3.5, max: 7.125))
        XCTAssertThrowsError(try Calibrator.range(.minMax, from: HistogramObserver()))
    }

    func testPercentileOnUniform() throws {
        let seed: UInt64 = 7
        var rng = SeededRandom(seed: seed)
        var o = HistogramObserver()
        for _ in 0..<10 { o.observe((0..<10_000).map { _ in rng.randomFloat(in: -1..<1) }) }
        // |x| is uniform on [0, 1): its p-th percentile is p/100.
        for p in [50.0, 90.0, 99.0] {
            let r = try Calibrator.range(.percentile(p), from: o)
            XCTAssertEqual(Double(r.max), p / 100, accuracy: 0.006, "seed \(seed) p \(p)")
            XCTAssertEqual(Double(r.min), -p / 100, accuracy: 0.006, "seed \(seed) p \(p)")
        }
        // Non-negative data keeps its lower end at the observed min.
        var relu = HistogramObserver()
        relu.observe((0..<10_000).map { _ in rng.randomFloat(in: 0..<4) })
        let r = try Calibrator.range(.percentile(50), from: relu)
        XCTAssertGreaterThanOrEqual(r.min, 0, "seed \(seed)")
        XCTAssertEqual(r.max, 2, accuracy: 0.1, "seed \(seed)")
        XCTAssertThrowsError(try Calibrator.range(.percentile(0), from: o))
        XCTAssertThrowsError(try Calibrator.range(.percentile(101), from: o))
    }

    /// N(0,1) with 20 values at ±50 in 200k. The histogram has 2048 bins of width 50/2048, so
    /// the smallest candidate is 128 bins ≈ 3.1σ; beyond ≈ 5σ the histogram is empty up to
    /// the outliers, so widening the threshold past the bulk only coarsens Q over the same P
    /// support and raises KL. Expect t in [3σ, 6σ], far below the max of 50.
    func testEntropyClipsOutlierTail() throws {
        let seed: UInt64 = 2024
        let o = gaussianWithOutliers(seed: seed, n: 200_000, outliers: 20, outlierValue: 50, method: .entropy(bins: 2048))
        let r = try Calibrator.range(.entropy(bins: 2048), from: o)
        XCTAssertGreaterThanOrEqual(r.max, 3, "seed \(seed) range \(r)")
        XCTAssertLessThanOrEqual(r.max, 6, "seed \(seed) range \(r)")
        XCTAssertEqual(r.min, -r.max, "seed \(seed): symmetric data, symmetric threshold")
        XCTAssertThrowsError(try Calibrator.range(.entropy(bins: 1024), from: o))
        XCTAssertThrowsError(try Calibrator.range(.entropy(bins: 64), from: CalibrationMethod.entropy(bins: 64).makeObserver()))
    }

    /// One outlier at X = 100 in 10⁶ N(0,1) samples. For t well past the bulk, the total
    /// error is k(X − t)² + N·((t − lo)/255)²/12 (k = 1 clipped value, N values with rounding
    /// noise, lo = observed min), minimized at t* = (kX + c·lo)/(k + c), c = N/(12·255²) —
    /// about 41, well below the max of 100 and above the bulk. With 1% outliers the same
    /// formula puts t* ≈ 99, so MSE keeps (nearly) the full range.
    func testMSEMatchesAnalyticOptimum() throws {
        let seed: UInt64 = 99
        let o = gaussianWithOutliers(seed: seed, n: 1_000_000, outliers: 1, outlierValue: 100, method: .mse)
        let r = try Calibrator.range(.mse, from: o)
        let c = Double(o.count) / (12 * 255 * 255), lo = Double(o.minMax.min)
        let expected = (100 + c * lo) / (1 + c)
        XCTAssertEqual(Double(r.max), expected, accuracy: 0.5, "seed \(seed) range \(r)")
        XCTAssertEqual(r.min, o.minMax.min, "seed \(seed): lower end not clipped")
        // 500 values at each of ±100 (1%): both ends stay near ±100.
        let f = try Calibrator.range(.mse, from: gaussianWithOutliers(seed: seed, n: 100_000, outliers: 1000, outlierValue: 100, method: .mse))
        XCTAssertGreaterThanOrEqual(f.max, 99, "seed \(seed) range \(f)")
        XCTAssertLessThanOrEqual(f.min, -99, "seed \(seed) range \(f)")
    }
}
