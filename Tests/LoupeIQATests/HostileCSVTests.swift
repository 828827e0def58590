import Foundation
import LoupeIR
import XCTest
import LoupeIQA

/// Tables as a hostile or broken file writes them: every reader built on `CSVTable` throws
/// `LoupeError.badInput` naming the line and column, never traps. Each input here is one
/// that libFuzzer found trapping (scripts/fuzz/run.sh csv), rebuilt by the test.
final class HostileCSVTests: XCTestCase {
    func assertBadInput(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected LoupeError.badInput mentioning \(fragments)", file: file, line: line)
        } catch LoupeError.badInput(let message) {
            for f in fragments where !message.contains(f) {
                XCTFail("'\(message)' does not mention '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected LoupeError.badInput, got \(error)", file: file, line: line)
        }
    }

    /// A pixel size beyond `Int` (a 96-digit number, as the fuzzer wrote it) trapped the
    /// Double-to-Int conversion of the UHD-IQA reader.
    func testUHDIQASizeBeyondIntIsAnError() throws {
        let header = "image_name,quality_mos,set,subset,orig_width,orig_height"
        for (width, height) in [("3840", "2" + String(repeating: "4", count: 95)), ("1e300", "2160"), ("-5", "2160"),
                                ("3840.5", "2160"), ("9223372036854775808", "1")] {
            let table = try CSVTable(text: "\(header)\n1.jpg,0.52,training,exclusive,\(width),\(height)\n", source: "meta.csv")
            let bad = width == "3840" ? ("orig_height", height) : ("orig_width", width)
            assertBadInput(["meta.csv: line 2, column '\(bad.0)'", "'\(bad.1)' is not a whole number"]) {
                _ = try UHDIQA(root: "/photos", table: table)
            }
        }
        let fine = try CSVTable(text: "\(header)\n1.jpg,0.52,training,exclusive,3840,2160.0\n", source: "meta.csv")
        XCTAssertEqual(try UHDIQA(root: "/photos", table: fine).photos.map(\.originalHeight), [2160])
    }

    /// The same conversion in the `n` column of a results table.
    func testChallengeResultCountBeyondIntIsAnError() throws {
        let table = try CSVTable(text: "name,srcc,plcc,krcc,mae,rmse,n\nA,0.8,0.8,0.6,0.05,0.06,1e20\n", source: "results.csv")
        assertBadInput(["results.csv: line 2, column 'n'", "'1e20' is not a whole number"]) {
            _ = try ChallengeRank.entries(table)
        }
    }
}
