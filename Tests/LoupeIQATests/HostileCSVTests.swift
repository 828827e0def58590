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

    /// A photo labelled twice counted twice in every correlation and error (the
    /// hostile-input corpus's labels_duplicate_names); now the second line is refused.
    func testPhotoLabelledTwiceIsAnError() throws {
        let labels = try CSVTable(text: "image_name,MOS\np0.png,1\np1.png,2\np0.png,3\n", source: "labels.csv")
        assertBadInput(["labels.csv: line 4", "'p0.png' is labelled again (first on line 2)"]) {
            _ = try LabelTable.photos(labels, images: "/photos")
        }
        let header = "image_name,quality_mos,set,subset,orig_width,orig_height"
        let meta = try CSVTable(text: "\(header)\n1.jpg,0.5,training,,3840,2160\n1.jpg,0.6,test,,3840,2160\n", source: "meta.csv")
        assertBadInput(["meta.csv: line 3", "image_name '1.jpg' is listed again (first on line 2)"]) {
            _ = try UHDIQA(root: "/photos", table: meta)
        }
    }

    /// Fields are trimmed as Foundation's `trimmingCharacters(in: .whitespaces)` trims
    /// them (the parser now trims without it): tabs, Unicode space separators and the
    /// zero-width space go, other white space (NEL, a byte-order mark) stays.
    func testFieldTrimmingMatchesFoundation() throws {
        let samples = ["", " ", "\t", "a", " a ", "\ta b\t", "\u{00A0}x\u{3000}", "\u{2003}\u{2009}", "x\u{200B}",
                       " \u{0301}é ", "\u{1680}ok\u{202F}", "a\u{85}", "\u{FEFF}b"]
        for s in samples {
            let table = try CSVTable(text: "h,i\n\(s),\"\(s)\"\n", source: "t.csv")
            XCTAssertEqual(table.rows.first?.fields, [s.trimmingCharacters(in: .whitespaces), s],
                           "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // A quote after blanks opens a quoted field; after text it is kept as text.
        let quotes = try CSVTable(text: "a,b\n \u{3000}\"x,y\",z\"q\"\n", source: "t.csv")
        XCTAssertEqual(quotes.rows.first?.fields, ["x,y", "z\"q\""])
    }
}
