import Foundation
import LoupeIR
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

final class MetricsTests: XCTestCase {
    /// Expected values computed once with scipy 1.17.1 (spearmanr, pearsonr, kendalltau)
    /// and numpy (MAE, RMSE) on the same vectors.
    struct Case {
        var name: String
        var x: [Double], y: [Double]
        var srcc, plcc, krcc, mae, rmse: Double
    }

    let cases: [Case] = [
        Case(name: "basic", x: [0.61, 0.72, 0.55, 0.80, 0.68, 0.47, 0.74, 0.59], y: [0.58, 0.75, 0.60, 0.77, 0.64, 0.50, 0.70, 0.66],
             srcc: 0.8571428571428572, plcc: 0.917338922092601, krcc: 0.7142857142857142, mae: 0.04000000000000002, rmse: 0.04213074886588181),
        Case(name: "ties", x: [1, 2, 2, 3, 4, 4, 4, 5], y: [2, 1, 3, 3, 5, 4, 4, 6],
             srcc: 0.9256265453136692, plcc: 0.886796350347864, krcc: 0.8406728074767076, mae: 0.625, rmse: 0.7905694150420949),
        Case(name: "ties in both, some jointly", x: [0.5, 0.5, 0.5, 0.7, 0.7, 0.2, 0.9, 0.9, 0.1], y: [0.4, 0.6, 0.4, 0.4, 0.8, 0.8, 0.3, 0.9, 0.1],
             srcc: 0.26637808565202375, plcc: 0.2989282658232709, krcc: 0.19050019050028574, mae: 0.21111111111111114, rmse: 0.3073181485764296),
        Case(name: "negative", x: [0.1, 0.4, 0.35, 0.8, 0.95, 0.2, 0.6], y: [0.9, 0.55, 0.6, 0.3, 0.05, 0.5, 0.62],
             srcc: -0.6785714285714287, plcc: -0.8594798434143788, krcc: -0.5238095238095238, mae: 0.41714285714285715, rmse: 0.5176043718075474),
        Case(name: "n=2", x: [0.3, 0.7], y: [0.9, 0.2],
             srcc: -0.9999999999999999, plcc: -1.0, krcc: -1.0, mae: 0.55, rmse: 0.552268050859363),
    ]

    func testMatchesScipyOnFixedVectors() throws {
        for c in cases {
            XCTAssertEqual(try srcc(c.x, c.y), c.srcc, accuracy: 1e-9, c.name)
            XCTAssertEqual(try plcc(c.x, c.y), c.plcc, accuracy: 1e-9, c.name)
            XCTAssertEqual(try krcc(c.x, c.y), c.krcc, accuracy: 1e-9, c.name)
            XCTAssertEqual(try mae(c.x, c.y), c.mae, accuracy: 1e-9, c.name)
            XCTAssertEqual(try rmse(c.x, c.y), c.rmse, accuracy: 1e-9, c.name)
            let m = try Metrics(predicted: c.x, truth: c.y)
            XCTAssertEqual(m.n, c.x.count)
            XCTAssertEqual(m.krcc, c.krcc, accuracy: 1e-9, c.name)
        }
    }

    func testAverageRanks() {
        XCTAssertEqual(averageRanks([10, 20, 20, 5, 20]), [2, 4, 4, 1, 4])
        XCTAssertEqual(averageRanks([]), [])
    }

    /// scipy returns NaN for correlations of a constant vector; so do we. Errors stay defined.
    func testConstantInputGivesNaNCorrelations() throws {
        let x = [0.5, 0.5, 0.5, 0.5], y = [0.1, 0.4, 0.2, 0.9]
        XCTAssertTrue(try srcc(x, y).isNaN)
        XCTAssertTrue(try plcc(x, y).isNaN)
        XCTAssertTrue(try krcc(x, y).isNaN)
        XCTAssertTrue(try krcc(y, x).isNaN)
        XCTAssertEqual(try mae(x, y), 0.3, accuracy: 1e-12)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try plcc([1], [2])) { XCTAssertTrue("\($0)".contains("at least 2"), "\($0)") }
        XCTAssertThrowsError(try srcc([1], [2]))
        XCTAssertThrowsError(try krcc([], []))
        XCTAssertThrowsError(try mae([], []))
        XCTAssertThrowsError(try rmse([1, 2], [1])) { XCTAssertTrue("\($0)".contains("differ in length"), "\($0)") }
        XCTAssertThrowsError(try Metrics(predicted: [1, .nan], truth: [1, 2])) { XCTAssertTrue("\($0)".contains("nan"), "\($0)") }
        XCTAssertThrowsError(try plcc([1, .infinity], [1, 2]))
    }

    /// Live cross-check against scipy on seeded random vectors (with rounded values, so
    /// that ties occur); skipped when python3 with scipy is not installed.
    func testMatchesLiveScipyOnRandomVectors() throws {
        let check = try runPython("import scipy.stats, numpy")
        guard let check, check.status == 0 else { throw XCTSkip("python3 with scipy and numpy is not installed") }
        let dir = try makeTemporaryDirectory(self)
        let script = """
            import sys, json, numpy as np, scipy.stats as s
            for line in open(sys.argv[1]):
                x, y = json.loads(line)
                x = np.array(x); y = np.array(y)
                print(json.dumps([float(s.spearmanr(x, y).statistic), float(s.pearsonr(x, y).statistic),
                    float(s.kendalltau(x, y).statistic), float(np.mean(np.abs(x - y))), float(np.sqrt(np.mean((x - y) ** 2)))]))
            """
        var lines: [String] = []
        var vectors: [([Double], [Double], UInt64)] = []
        for seed in UInt64(1)...12 {
            var rng = SeededRandom(seed: seed)
            let n = [2, 3, 10, 57, 300, 904][Int(seed) % 6]
            let decimals = seed % 3 == 0 ? 10.0 : 1000.0   // coarse rounding: many ties
            let x = (0..<n).map { _ in (Double.random(in: 0...1, using: &rng) * decimals).rounded() / decimals }
            let y = x.map { ($0 * 0.6 + Double.random(in: 0...0.4, using: &rng)) * decimals }.map { $0.rounded() / decimals }
            vectors.append((x, y, seed))
            lines.append(String(decoding: try JSONEncoder().encode([x, y]), as: UTF8.self))
        }
        let input = dir.appendingPathComponent("vectors.jsonl")
        try lines.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        guard let (status, output) = try runPython(script, arguments: [input.path]), status == 0 else {
            return XCTFail("scipy script failed")
        }
        let results = output.split(separator: "\n").map { try? JSONDecoder().decode([Double].self, from: Data($0.utf8)) }
        XCTAssertEqual(results.count, vectors.count)
        for ((x, y, seed), expected) in zip(vectors, results) {
            guard let e = expected else { XCTFail("seed \(seed): unreadable scipy output"); continue }
            let ours = [try srcc(x, y), try plcc(x, y), try krcc(x, y), try mae(x, y), try rmse(x, y)]
            for (k, name) in ["SRCC", "PLCC", "KRCC", "MAE", "RMSE"].enumerated() {
                if e[k].isNaN { XCTAssertTrue(ours[k].isNaN, "seed \(seed) n=\(x.count) \(name)"); continue }
                XCTAssertEqual(ours[k], e[k], accuracy: 1e-9, "seed \(seed) n=\(x.count) \(name)")
            }
        }
    }
}
