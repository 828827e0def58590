import XCTest
@testable import LoupeCalibration
import LoupeTestSupport

/// The entropy search never clips more than `entropyMaxClippedFraction` of the values.
final class EntropyGuardTests: XCTestCase {
    /// A squeeze-excite gate after HardSigmoid: 70% exact zeros, the rest spread over (0, 1].
    /// Without the guard the KL search returned t ≈ 0.1 on such data (the baseline's gates).
    func testSpikeAtZeroPlusSpreadKeepsAtLeastThe99thPercentile() throws {
        let seed: UInt64 = 3
        var rng = SeededRandom(seed: seed)
        var o = CalibrationMethod.entropy(bins: 2048).makeObserver()
        for _ in 0..<10 {
            o.observe((0..<10_000).map { i in i % 10 < 7 ? 0 : rng.randomFloat(in: 0..<1) })
        }
        let r = try Calibrator.range(.entropy(bins: 2048), from: o)
        // 30% of the values are uniform on (0, 1): the 99th percentile of all values is
        // the (1 − 0.01/0.3) quantile of that spread, ≈ 0.967.
        XCTAssertGreaterThanOrEqual(r.max, 0.96, "seed \(seed): entropy clipped more than 1% (range \(r))")
        XCTAssertEqual(r.min, 0)
    }
}
