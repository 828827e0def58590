import XCTest
@testable import LoupeCalibration
import LoupeTestSupport

final class ObserverTests: XCTestCase {
    func testMinMaxStreamsAndSkipsNonFinite() {
        var o = MinMaxObserver()
        o.observe([1, -2, 3])
        o.observe([.nan, 0.5, .infinity, -7])
        XCTAssertEqual(o.min, -7); XCTAssertEqual(o.max, 3)
        XCTAssertEqual(o.count, 5); XCTAssertEqual(o.nonFiniteCount, 2)
    }

    func testHistogramGrowthMergesExactly() {
        let seed: UInt64 = 42
        var rng = SeededRandom(seed: seed)
        var o = HistogramObserver(absoluteBins: 64)
        var all: [Float] = []
        o.observe([0, 0])   // zeros before any range
        all += [0, 0]
        for batch in 0..<6 {
            let a = Float(1 << batch) * 0.7
            let xs = (0..<500).map { _ in rng.randomFloat(in: -a..<a) }
            all += xs
            o.observe(xs)
        }
        XCTAssertEqual(o.counts.reduce(0, +), all.count, "seed \(seed)")
        XCTAssertEqual(o.absoluteCounts.reduce(0, +), all.count, "seed \(seed)")
        XCTAssertGreaterThanOrEqual(o.range, all.map(abs).max()!, "seed \(seed)")
        // Same counts as binning every value directly at the final range.
        let w = Double(o.binWidth), r = Double(o.range)
        var direct = [Int](repeating: 0, count: o.binCount)
        for x in all { direct[min(o.binCount - 1, max(0, Int(((Double(x) + r) / w).rounded(.down))))] += 1 }
        let mismatched = zip(direct, o.counts).filter { $0 != $1 }.count
        XCTAssertLessThanOrEqual(mismatched, 4, "seed \(seed): only float edge cases may differ")
        XCTAssertEqual(o.minMax.min, all.min()); XCTAssertEqual(o.minMax.max, all.max())
    }
}
