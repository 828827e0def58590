import Foundation
import XCTest
@testable import LoupeIQA

/// The paper's Table 1 could not be read from this environment (no download; the search
/// tool only returned the abstract), so these tests use a table constructed here, chosen
/// so that the entry best on the correlations is not first overall.
final class ChallengeRankTests: XCTestCase {
    func entry(_ name: String, _ s: Double, _ p: Double, _ k: Double, _ mae: Double, _ rmse: Double) -> ChallengeRank.Entry {
        .init(name: name, metrics: Metrics(n: 0, srcc: s, plcc: p, krcc: k, mae: mae, rmse: rmse))
    }

    func testFinalScoreIsMeanOfFiveRanks() throws {
        // Ranks (SRCC, PLCC, KRCC, MAE, RMSE): A 2,2,2,2,2 = 2.0; B 1,1,1,4,4 = 2.2;
        // C 3,3,3,1,1 = 2.2; D 4,4,4,3,3 = 3.6.
        let table = [
            entry("D", 0.70, 0.72, 0.52, 0.060, 0.080),
            entry("B", 0.82, 0.83, 0.63, 0.070, 0.090),
            entry("A", 0.80, 0.82, 0.62, 0.050, 0.065),
            entry("C", 0.78, 0.80, 0.60, 0.040, 0.055),
        ]
        let ranked = try ChallengeRank.rank(table)
        XCTAssertEqual(ranked.map(\.entry.name), ["A", "B", "C", "D"])
        XCTAssertEqual(ranked.map(\.place), [1, 2, 2, 4])
        XCTAssertEqual(ranked.map(\.finalScore), [2.0, 2.2, 2.2, 3.6].map { $0 }, "\(ranked.map(\.finalScore))")
        XCTAssertEqual(ranked[1].ranks, [1, 1, 1, 4, 4])
    }

    func testTieRules() {
        XCTAssertEqual(ChallengeRank.ranks(of: [-0.8, -0.9, -0.9, -0.7], ties: .average), [3, 1.5, 1.5, 4])
        XCTAssertEqual(ChallengeRank.ranks(of: [-0.8, -0.9, -0.9, -0.7], ties: .min), [3, 1, 1, 4])
    }

    func testTiedMetricWithEachRule() throws {
        let table = [entry("X", 0.8, 0.8, 0.6, 0.05, 0.06), entry("Y", 0.8, 0.7, 0.5, 0.06, 0.07)]
        XCTAssertEqual(try ChallengeRank.rank(table, ties: .average).map(\.finalScore), [1.1, 1.9])
        XCTAssertEqual(try ChallengeRank.rank(table, ties: .min).map(\.finalScore), [1.0, 1.8])
    }

    func testNaNMetricIsRejected() {
        XCTAssertThrowsError(try ChallengeRank.rank([entry("X", .nan, 0.8, 0.6, 0.05, 0.06)])) {
            XCTAssertTrue("\($0)".contains("'X': SRCC is NaN"), "\($0)")
        }
    }

    func testEntriesFromCSV() throws {
        let table = try CSVTable(text: "Name,SRCC,PLCC,KRCC,MAE,RMSE,n\n\"Team, one\",0.8,0.81,0.6,0.05,0.06,600\nTwo,0.7,0.7,0.5,0.06,0.07,600\n", source: "t.csv")
        let entries = try ChallengeRank.entries(table)
        XCTAssertEqual(entries.map(\.name), ["Team, one", "Two"])
        XCTAssertEqual(entries[0].metrics.n, 600)
        XCTAssertThrowsError(try ChallengeRank.entries(try CSVTable(text: "name,srcc,plcc,krcc,mae\nx,1,1,1,1\n", source: "t.csv"))) {
            XCTAssertTrue("\($0)".contains("missing column 'rmse'"), "\($0)")
        }
    }
}
