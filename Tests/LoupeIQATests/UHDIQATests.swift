import Foundation
import LoupeIR
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

final class UHDIQATests: XCTestCase {
    static let header = "\"image_name\",\"quality_mos\",\"set\",\"subset\",\"orig_width\",\"orig_height\",\"views\",\"user_name\",\"page_url\""

    func writeDataset(_ rows: [String], header: String = UHDIQATests.header, name: String = "uhd-iqa-metadata.csv") throws -> URL {
        let dir = try makeTemporaryDirectory(self)
        try ([header] + rows).joined(separator: "\n").appending("\n")
            .write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return dir
    }

    func testReadsTheDistributedFormat() throws {
        let root = try writeDataset([
            "\"1.jpg\",0.76,\"training\",\"\",5515,3375,10860,\"a\",\"https://x/y-1/\"",
            "\"4.jpg\",0.5745,\"test\",\"\",5456,3632,20224,\"b, c\",\"https://x/\"",
            "\"7.jpg\",0.61,\"test\",\"exclusive\",4000,3000,1,\"d\",\"u\"",
            "\"9.jpg\",0.7,\"validation\",\"exclusive\",4000,3000,1,\"d\",\"u\"",
        ], name: "uhd-iqa-training-metadata.csv")
        let db = try UHDIQA(root: root.path)
        XCTAssertEqual(db.photos.count, 4)
        XCTAssertEqual(db.photos(in: .test).map(\.name), ["4.jpg", "7.jpg"])
        XCTAssertEqual(db.photos(in: .test, exclusive: true).map(\.name), ["7.jpg"])
        XCTAssertEqual(db.photos(in: .training)[0].mos, 0.76)
        XCTAssertEqual(db.photos(in: .training)[0].originalWidth, 5515)
        XCTAssertEqual(db.photos(in: .test)[0].path, root.appendingPathComponent("test/4.jpg").path)
    }

    func testErrorsNameTheProblem() throws {
        let missing = try writeDataset(["\"1.jpg\",0.5,\"test\",5515,3375"], header: "image_name,quality_mos,set,orig_width,orig_height")
        XCTAssertThrowsError(try UHDIQA(root: missing.path)) { XCTAssertTrue("\($0)".contains("missing column 'subset'"), "\($0)") }

        let badNumber = try writeDataset(["\"1.jpg\",0.5,\"test\",\"\",5515,3375,1,a,u", "\"2.jpg\",high,\"test\",\"\",5515,3375,1,a,u"])
        XCTAssertThrowsError(try UHDIQA(root: badNumber.path)) {
            XCTAssertTrue("\($0)".contains("line 3, column 'quality_mos': 'high' is not a number"), "\($0)")
        }
        let badSplit = try writeDataset(["\"1.jpg\",0.5,\"dev\",\"\",5515,3375,1,a,u"])
        XCTAssertThrowsError(try UHDIQA(root: badSplit.path)) { XCTAssertTrue("\($0)".contains("unknown split 'dev'"), "\($0)") }

        XCTAssertThrowsError(try UHDIQA.Split(name: "val")) { XCTAssertTrue("\($0)".contains("training, validation, test"), "\($0)") }
        XCTAssertEqual(try UHDIQA.Split(name: "Validation"), .validation)

        let empty = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try UHDIQA(root: empty.path)) { XCTAssertTrue("\($0)".contains("no UHD-IQA metadata"), "\($0)") }

        let ragged = try writeDataset(["\"1.jpg\",0.5,\"test\""])
        XCTAssertThrowsError(try UHDIQA(root: ragged.path)) { XCTAssertTrue("\($0)".contains("line 2 has 3 fields"), "\($0)") }
    }

    func testStratifiedSelection() throws {
        // MOS 0.00 … 0.99 shuffled; names carry the MOS so order is checkable.
        var rng = SeededRandom(seed: 7)
        let rows = (0..<100).shuffled(using: &rng).map { "\"p\($0).jpg\",\(Double($0) / 100),\"training\",\"\",1,1,1,a,u" }
        let db = try UHDIQA(root: try writeDataset(rows).path)
        let picked = try db.select(count: 10, from: .training)
        XCTAssertEqual(picked.map(\.mos), [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95])
        XCTAssertEqual(try db.select(count: 1, from: .training).map(\.mos), [0.5])
        XCTAssertEqual(Set(try db.select(count: 100, from: .training).map(\.name)).count, 100)
        XCTAssertEqual(try db.select(count: 33, from: .training), try db.select(count: 33, from: .training))
        XCTAssertThrowsError(try db.select(count: 101, from: .training)) {
            XCTAssertTrue("\($0)".contains("asked for 101 photos, only 100 available"), "\($0)")
        }
        XCTAssertThrowsError(try db.select(count: 0, from: .training))
    }

    func testCSVQuotingAndConcatenatedHeaders() throws {
        let t = try CSVTable(text: "path,score\r\n\"a,\"\"b\"\".jpg\",1\r\npath,score\r\n\r\nc.jpg, 2 \r\n", source: "s.csv")
        XCTAssertEqual(t.rows.map(\.fields), [["a,\"b\".jpg", "1"], ["c.jpg", "2"]])
        XCTAssertEqual(CSVTable.quote("a,\"b\".jpg"), "\"a,\"\"b\"\".jpg\"")
        XCTAssertEqual(CSVTable.quote("plain.jpg"), "plain.jpg")
        XCTAssertThrowsError(try CSVTable(text: "a,b\n\"x,1\n", source: "s.csv")) { XCTAssertTrue("\($0)".contains("not closed"), "\($0)") }
    }

    /// The real metadata, when this machine has it (never committed).
    func testRealMetadataWhenPresent() throws {
        let root = "/work/shared/data/uhd-iqa"
        guard FileManager.default.fileExists(atPath: root + "/uhd-iqa-training-metadata.csv") else { throw XCTSkip("no UHD-IQA metadata here") }
        let db = try UHDIQA(root: root)
        XCTAssertEqual(db.photos.count, 6073)
        XCTAssertEqual(db.photos(in: .training).count, 4269)
        XCTAssertEqual(db.photos(in: .validation).count, 904)
        XCTAssertEqual(db.photos(in: .test).count, 900)
        XCTAssertEqual(db.photos(in: .test, exclusive: true).count, 300)
    }
}
