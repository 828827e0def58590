import Foundation
import Loupe
import XCTest
import LoupeTestSupport
@testable import LoupeIQA

/// `ScoreMerge`: shard outputs joined with missing, duplicate, conflicting, failed and
/// truncated rows reported, scores carried to the bit.
final class ScoreMergeTests: XCTestCase {
    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testCleanShardsJoinToEveryPhotoOnceWithTheSameBits() throws {
        let dir = try makeTemporaryDirectory(self)
        let seed: UInt64 = 7
        var rng = SeededRandom(seed: seed)
        // Scores with all 52 mantissa bits in use, split over a CSV and a JSONL shard.
        let scores = (0..<40).map { i in ("p/\(i).jpg", Double(bitPattern: 0x3FE0_0000_0000_0000 | (rng.next() >> 12))) }
        let a = try ScoreWriter(path: dir.appendingPathComponent("s1.csv").path)
        let b = try ScoreWriter(path: dir.appendingPathComponent("s2.jsonl").path)
        for (i, (path, score)) in scores.enumerated() {
            try (i % 2 == 0 ? a : b).write(ScoreResult(path: path, score: score, timings: StageTimings(decodeMs: 1, preprocessMs: 1, inferenceMs: 1)))
        }
        try b.writeFailure(path: "p/bad.jpg", reason: "empty file (0 bytes)")
        let merged = try ScoreMerge(files: [a.path, b.path], expected: scores.map(\.0) + ["p/bad.jpg"])
        XCTAssertEqual(merged.scored.count, 40)
        let expected = Dictionary(uniqueKeysWithValues: scores)
        for r in merged.scored {
            XCTAssertEqual(r.score?.bitPattern, expected[r.path]?.bitPattern, "seed \(seed): \(r.path)")
            XCTAssertEqual(r.ms, 3)
        }
        XCTAssertEqual(merged.scored.map(\.path), scores.map(\.0).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        XCTAssertEqual(merged.failed.map(\.path), ["p/bad.jpg"])
        XCTAssertTrue(merged.missing.isEmpty && merged.duplicates.isEmpty && merged.conflicts.isEmpty && merged.truncated.isEmpty)
        XCTAssertFalse(merged.isComplete, "a failed photo leaves the merge incomplete")

        // Written and read back, in both formats: the same rows, the same bits.
        for out in ["all.csv", "all.jsonl"] {
            let path = dir.appendingPathComponent(out).path
            try merged.write(to: path)
            let again = try ScoreMerge(files: [path])
            XCTAssertEqual(again.scored, merged.scored, out)
            XCTAssertEqual(again.failed, merged.failed, out)
        }
    }

    func testDuplicatesConflictsMissingAndRetriedFailures() throws {
        let dir = try makeTemporaryDirectory(self)
        let s1 = try write("path,score,ms\na.jpg,0.5,1.00\nb.jpg,0.25,1.00\nc.jpg,0.75,1.00\n", "s1.csv", in: dir)
        let s2 = try write("path,score,ms\nb.jpg,0.25,2.00\nc.jpg,0.875,1.00\n", "s2.csv", in: dir)
        _ = try write("path,error\nd.jpg,not a JPEG or PNG\ne.jpg,empty file (0 bytes)\n", "s2.errors.csv", in: dir)
        let s3 = try write("{\"path\":\"e.jpg\",\"error\":\"timeout\"}\n{\"path\":\"e.jpg\",\"score\":0.125,\"ms\":4}\n", "s3.jsonl", in: dir)
        let merged = try ScoreMerge(files: [s1, s2, s3], expected: ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"])
        XCTAssertEqual(merged.scored.map(\.path), ["a.jpg", "b.jpg", "c.jpg", "e.jpg"], "a failure then a score keeps the score")
        XCTAssertEqual(merged.scored.map(\.score), [0.5, 0.25, 0.75, 0.125], "a conflict keeps the first input's score")
        XCTAssertEqual(merged.duplicates.map(\.path), ["b.jpg"])
        XCTAssertEqual(merged.duplicates.first?.files, [s1, s2])
        XCTAssertEqual(merged.conflicts.map(\.path), ["c.jpg"])
        XCTAssertEqual(merged.conflicts.first?.scores.map(\.score), [0.75, 0.875])
        XCTAssertEqual(merged.failed, [ScoreRecord(path: "d.jpg", score: nil, error: "not a JPEG or PNG")])
        XCTAssertEqual(merged.missing, ["f.jpg"])
        XCTAssertFalse(merged.isComplete)

        let clean = try ScoreMerge(files: [s1], expected: ["a.jpg", "b.jpg", "c.jpg"])
        XCTAssertTrue(clean.isComplete)
        XCTAssertEqual(try ScoreMerge(files: [s1], expected: ["a.jpg"]).unexpected, ["b.jpg", "c.jpg"])
    }

    func testTruncatedAndMalformedShardFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        let cut = try write("path,score,ms\na.jpg,0.5,1.00\nb.jpg,0.2", "cut.csv", in: dir)
        let cutJSON = try write("{\"path\":\"c.jpg\",\"score\":0.5}\n{\"path\":\"d.j", "cut.jsonl", in: dir)
        let empty = try write("", "empty.csv", in: dir)
        let merged = try ScoreMerge(files: [cut, cutJSON, empty], expected: ["a.jpg", "b.jpg", "c.jpg", "d.jpg"])
        XCTAssertEqual(merged.scored.map(\.path), ["a.jpg", "c.jpg"])
        XCTAssertEqual(merged.truncated, [cut, cutJSON])
        XCTAssertEqual(merged.missing, ["b.jpg", "d.jpg"])
        XCTAssertFalse(merged.isComplete)
        XCTAssertTrue(try ScoreMerge(files: [empty]).scored.isEmpty)

        let bad = try write("path,score\na.jpg,zero\n", "bad.csv", in: dir)
        XCTAssertThrowsError(try ScoreMerge(files: [bad])) { XCTAssertTrue("\($0)".contains("line 2"), "\($0)") }
        let badJSON = try write("{\"path\":\"a.jpg\"}\n", "bad.jsonl", in: dir)
        XCTAssertThrowsError(try ScoreMerge(files: [badJSON])) { XCTAssertTrue("\($0)".contains("line 1"), "\($0)") }
        XCTAssertThrowsError(try ScoreMerge(files: [dir.appendingPathComponent("none.csv").path]))
    }

    func testExpectedPhotosFromAListOrAFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        let folder = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let jpeg = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Data/kodak/kodim01.jpg"))
        try jpeg.write(to: folder.appendingPathComponent("x.jpg"))
        try Data().write(to: folder.appendingPathComponent("y.png"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("z.jpg").path, withDestinationPath: "gone")
        XCTAssertEqual(try ScoreMerge.expectedPhotos(folder.path), [folder.path + "/x.jpg", folder.path + "/y.png", folder.path + "/z.jpg"])
        let list = try write("one.jpg\ntwo.jpg\n", "list.txt", in: dir)
        XCTAssertEqual(try ScoreMerge.expectedPhotos(list), ["one.jpg", "two.jpg"])
        XCTAssertThrowsError(try ScoreMerge.expectedPhotos(dir.appendingPathComponent("nothing").path))
    }
}
