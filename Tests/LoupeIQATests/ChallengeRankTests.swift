import Foundation
import XCTest
@testable import LoupeIQA

/// The rule on constructed tables (the entry best on the correlations is not first
/// overall), then on the challenge report's own Tables 1 and 3 (Tests/Data/aim2024).
final class ChallengeRankTests: XCTestCase {
    static let report = repositoryRoot.appendingPathComponent("Tests/Data/aim2024")

    /// The 8 ranked teams of one of the report's tables.
    func teams(_ file: String) throws -> [ChallengeRank.Entry] {
        var table = try CSVTable(contentsOf: Self.report.appendingPathComponent(file).path)
        let section = try table.column("section")
        table.rows = table.rows.filter { $0.fields[section] == "team" }
        return try ChallengeRank.entries(table)
    }

    func assertClose(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-12, "\(a)", file: file, line: line) }
    }

    /// Table 1 (test split): SJTU wins, GS-PIQA is first runner-up, CIPLAB second
    /// runner-up, as the report says, though CIPLAB has the best PLCC.
    func testReportTable1Podium() throws {
        let teams = try teams("table1_test.csv")
        XCTAssertEqual(teams.count, 8)
        for rule in [ChallengeRank.TieRule.average, .min] {
            let ranked = try ChallengeRank.rank(teams, ties: rule)
            XCTAssertEqual(ranked.prefix(3).map(\.entry.name), ["SJTU", "GS-PIQA", "CIPLAB"], "\(rule)")
            XCTAssertEqual(ranked.map(\.place), Array(1...8), "no tied final scores")
            assertClose(ranked.map(\.finalScore), [1.4, 2.4, 2.6, 3.6, 5.0, 6.0, 7.0, 8.0])
        }
    }

    /// Table 3 (exclusive test photos): CIPLAB second. MAE 0.0328 is shared by EQCNet and
    /// MobileNet-IQA: both take the mean of ranks 4 and 5 (average, the default: the rank
    /// sum stays 36 as without ties) or both rank 4 (min); the places do not change.
    func testReportTable3TieOnMAE() throws {
        let teams = try teams("table3_test_exclusive.csv")
        let average = try ChallengeRank.rank(teams)
        XCTAssertEqual(average.map(\.entry.name), ["SJTU", "CIPLAB", "GS-PIQA", "EQCNet", "MobileNet-IQA", "NF-RegNets", "CLIP-IQA*", "ICL"])
        func maeRank(_ ranked: [ChallengeRank.Ranked], _ name: String) -> Double { ranked.first { $0.entry.name == name }!.ranks[3] }
        XCTAssertEqual(maeRank(average, "EQCNet"), 4.5)
        XCTAssertEqual(maeRank(average, "MobileNet-IQA"), 4.5)
        XCTAssertEqual(average.reduce(0) { $0 + $1.ranks[3] }, 36, "average ranks keep the rank sum")
        assertClose(average.map(\.finalScore), [1.0, 2.0, 3.0, 4.1, 5.3, 5.6, 7.0, 8.0])
        let min = try ChallengeRank.rank(teams, ties: .min)
        XCTAssertEqual(maeRank(min, "EQCNet"), 4)
        XCTAssertEqual(maeRank(min, "MobileNet-IQA"), 4)
        XCTAssertEqual(min.map(\.entry.name), average.map(\.entry.name))
    }

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
