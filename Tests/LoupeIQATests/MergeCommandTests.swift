import Foundation
import XCTest
import LoupeTestSupport
@testable import LoupeIQA

/// `loupe score --list/--shards` and `loupe merge` end to end, and `loupe score` on
/// hostile folders.
extension ScoreCommandTests {
    func testShardsFromTheEnvironmentMergeToTheSingleRun() throws {
        _ = try Subprocess.loupeExecutable()
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let folder = dir.appendingPathComponent("photos")
        try copyKodak(Array(1...6), into: folder)
        try Data("not a photo".utf8).write(to: folder.appendingPathComponent("corrupt.jpg"))
        let paths = try PhotoCollection.discover([folder.path]).photos.map(\.path)
        let list = Data((paths.joined(separator: "\n") + "\n").utf8)

        let whole = dir.appendingPathComponent("whole.csv").path
        XCTAssertEqual(try run(["score", "--list", "-", "--model", model, "-o", whole], input: list).status, 3)
        var outputs: [String] = []
        for (i, variable) in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"].enumerated() {
            let out = dir.appendingPathComponent("shard\(i).\(i == 1 ? "jsonl" : "csv")").path
            let r = try run(["score", "--list", "-", "--shards", "3", "--model", model, "-o", out], environment: [variable: String(i)], input: list)
            XCTAssertTrue(r.err.contains("shard \(i + 1)/3 from \(variable)"), r.err)
            // Shards hash the listed paths, which hold the temporary folder's random name: a
            // shard may get only the corrupt photo, and then exits 1 like any run that scores
            // none of its photos (testNothingScoredExitsOne).
            let mine = try paths.filter { try Shard(index: i + 1, count: 3).contains(key: $0) }
            let onlyCorrupt = !mine.isEmpty && mine.allSatisfy { $0.hasSuffix("/corrupt.jpg") }
            XCTAssertTrue((onlyCorrupt ? [1] : [0, 3]).contains(r.status), "\(mine): \(r.err)")
            outputs.append(out)
        }
        let listFile = dir.appendingPathComponent("list.txt")
        try list.write(to: listFile)
        let merged = dir.appendingPathComponent("merged.csv").path
        let m = try run(["merge"] + outputs + ["-o", merged, "--expect", listFile.path])
        XCTAssertEqual(m.status, 3, "the corrupt photo is listed: \(m.err)")
        XCTAssertTrue(m.err.contains("failed: \(folder.path)/corrupt.jpg"), m.err)
        XCTAssertTrue(m.err.contains("6 scored, 1 failed, 0 missing, 0 duplicate(s), 0 conflict(s)"), m.err)
        XCTAssertEqual(try String(contentsOfFile: merged, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",")[0...1] },
                       try String(contentsOfFile: whole, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",")[0...1] },
                       "the same rows and score text as one process")
        XCTAssertEqual(try String(contentsOfFile: ScoreWriter.errorsPath(for: merged), encoding: .utf8),
                       try String(contentsOfFile: ScoreWriter.errorsPath(for: whole), encoding: .utf8))

        // One shard lost: its photos are missing. The same shard twice: duplicates only.
        // (The largest shard: with 7 photos over 3 shards one may be empty.)
        let largest = try outputs.max { try ScoreFile.read($0).count < ScoreFile.read($1).count }!
        XCTAssertGreaterThan(try ScoreFile.read(largest).filter { $0.score != nil }.count, 0)
        let lost = try run(["merge"] + outputs.filter { $0 != largest } + ["--expect", folder.path])
        XCTAssertEqual(lost.status, 3)
        XCTAssertTrue(lost.err.contains("missing: "), lost.err)
        let twice = try run(["merge", largest, largest])
        XCTAssertTrue(twice.err.contains("duplicate: "), twice.err)
        XCTAssertEqual(try run(["merge"]).status, 64)
        XCTAssertEqual(try run(["score", "--list", "-", "--shards", "3", "--model", model], input: list).status, 1, "--shards without an index")
        XCTAssertEqual(try run(["score", folder.path, "--list", listFile.path]).status, 64)
    }

    func testHostileFoldersAreScoredOnceAndListed() throws {
        _ = try Subprocess.loupeExecutable()
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let folder = dir.appendingPathComponent("photos")
        let locked = folder.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        let kodak = repositoryRoot.appendingPathComponent("Tests/Data/kodak")
        try FileManager.default.copyItem(at: kodak.appendingPathComponent("kodim01.jpg"), to: folder.appendingPathComponent("a.jpg"))
        try FileManager.default.copyItem(at: kodak.appendingPathComponent("kodim02.jpg"), to: locked.appendingPathComponent("b.jpg"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("loop").path, withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("gone.jpg").path, withDestinationPath: "nowhere.jpg")
        XCTAssertEqual(chmod(locked.path, 0), 0)
        addTeardownBlock { chmod(locked.path, 0o755) }
        // Root reads any folder: drop the capabilities that let it, for the loupe process only.
        let prefix = getuid() == 0 ? ["/usr/bin/setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"] : []
        let out = dir.appendingPathComponent("scores.jsonl").path
        let r = try run(["score", folder.path, "--model", model, "-o", out], prefix: prefix)
        XCTAssertEqual(r.status, 3, r.err)
        XCTAssertTrue(r.err.contains("failed: \(locked.path): cannot list folder: Permission denied"), r.err)
        XCTAssertTrue(r.err.contains("failed: \(folder.path)/gone.jpg: a dangling link to nowhere.jpg"), r.err)
        XCTAssertTrue(r.err.contains("skipped: \(folder.path)/loop: a link to the folder"), r.err)
        let rows = try ScoreFile.read(out)
        XCTAssertEqual(rows.filter { $0.score != nil }.map(\.path), [folder.path + "/a.jpg"], "scored once")
        XCTAssertEqual(Set(rows.filter { $0.score == nil }.map(\.path)), [locked.path, folder.path + "/gone.jpg"])
    }
}
