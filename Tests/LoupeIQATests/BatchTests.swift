import Foundation
import Loupe
import LoupeImaging
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

final class BatchTests: XCTestCase {
    let kodak = repositoryRoot.appendingPathComponent("Tests/Data/kodak")

    // MARK: - Shards

    func testShardsArePartition() throws {
        var rng = SeededRandom(seed: 42)
        let inputs = (0..<2000).map { i in
            PhotoInput(path: "/x/\(i).jpg", key: "folder\(rng.next() % 17)/photo-\(rng.next() % 100_000)-\(i).jpg")
        }
        for n in [1, 2, 3, 7] {
            let shards = try (1...n).map { try Shard(index: $0, count: n) }
            for p in inputs {
                XCTAssertEqual(shards.filter { $0.contains(p) }.count, 1, "seed 42, \(p.key) in \(n) shards")
            }
            let sizes = shards.map { s in inputs.filter { s.contains($0) }.count }
            XCTAssertEqual(sizes.reduce(0, +), inputs.count)
            XCTAssertTrue(sizes.allSatisfy { abs($0 - inputs.count / n) < inputs.count / n / 5 + 10 }, "unbalanced \(sizes)")
        }
        // FNV-1a test vectors (Fowler–Noll–Vo reference): "" and "a".
        XCTAssertEqual(Shard.fnv1a(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(Shard.fnv1a("a"), 0xaf63_dc4c_8601_ec8c)
        // Names differing in one digit still split evenly over a power-of-two count.
        let numbered = (0..<1000).map { PhotoInput(path: "", key: String(format: "IMG_%04d.jpg", $0 * 2)) }
        let half = numbered.filter { (try! Shard(index: 1, count: 2)).contains($0) }.count
        XCTAssertTrue((400...600).contains(half), "\(half) of 1000 in shard 1/2")
        XCTAssertEqual(try Shard(parsing: "2/3"), try Shard(index: 2, count: 3))
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3"] {
            XCTAssertThrowsError(try Shard(parsing: bad), bad)
        }
    }

    // MARK: - Discovery

    func testDiscoveryIsSortedRecursiveAndKeepsMisnamedFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("b/c"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        let jpeg = try Data(contentsOf: kodak.appendingPathComponent("kodim01.jpg"))
        try jpeg.write(to: dir.appendingPathComponent("b/c/z.jpg"))
        try jpeg.write(to: dir.appendingPathComponent("a.JPG"))
        try jpeg.write(to: dir.appendingPathComponent("photo.dat"))          // a JPEG without a photo name
        try jpeg.write(to: dir.appendingPathComponent(".hidden/x.jpg"))
        try Data("text".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        try Data().write(to: dir.appendingPathComponent("empty.png"))       // named as a photo: reported later
        let found = try PhotoCollection.discover([dir.path]).photos
        XCTAssertEqual(found.map(\.key), ["a.JPG", "b/c/z.jpg", "empty.png", "photo.dat"])
        XCTAssertEqual(found[1].path, dir.path + "/b/c/z.jpg")
        let file = dir.appendingPathComponent("notes.txt").path
        XCTAssertEqual(try PhotoCollection.discover([file, file]).photos.map(\.key), [file], "explicit files are always taken, once")
        XCTAssertThrowsError(try PhotoCollection.discover([dir.path + "/missing"])) { XCTAssertTrue("\($0)".contains("no such file")) }
    }

    // MARK: - Output files and resume

    func result(_ path: String, _ score: Double) -> ScoreResult {
        ScoreResult(path: path, score: score, timings: StageTimings(decodeMs: 1, preprocessMs: 2, inferenceMs: 3))
    }

    func testCSVOutputResumeAfterKill() throws {
        let dir = try makeTemporaryDirectory(self)
        let out = dir.appendingPathComponent("scores.csv").path
        do {
            let w = try ScoreWriter(path: out)
            try w.write(result("a.jpg", 0.5))
            try w.write(result("dir,with comma/b.jpg", 0.25))
            try w.writeFailure(path: "bad.jpg", reason: "empty file (0 bytes)")
        }
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "path,score,ms\na.jpg,0.5,6.00\n\"dir,with comma/b.jpg\",0.25,6.00\n")
        XCTAssertEqual(try String(contentsOfFile: ScoreWriter.errorsPath(for: out), encoding: .utf8), "path,error\nbad.jpg,empty file (0 bytes)\n")
        // A kill in the middle of a row leaves an unterminated line.
        let h = FileHandle(forWritingAtPath: out)!
        h.seekToEndOfFile()
        h.write(Data("c.jpg,0.7".utf8))
        try h.close()
        XCTAssertEqual(try ScoreFile.read(out).map(\.path), ["a.jpg", "dir,with comma/b.jpg"])

        let w = try ScoreWriter(path: out, resume: true)
        XCTAssertEqual(w.alreadyScored, ["a.jpg", "dir,with comma/b.jpg"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: ScoreWriter.errorsPath(for: out)), "stale errors file removed")
        try w.write(result("c.jpg", 0.75))
        XCTAssertEqual(try ScoreFile.read(out).map(\.score), [0.5, 0.25, 0.75])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).components(separatedBy: "path,score").count, 2, "one header")

        // Without --resume the file starts over.
        _ = try ScoreWriter(path: out)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "path,score,ms\n")
    }

    func testJSONLOutputHasStagesAndErrorRows() throws {
        let dir = try makeTemporaryDirectory(self)
        let out = dir.appendingPathComponent("scores.jsonl").path
        do {
            let w = try ScoreWriter(path: out)
            try w.write(result("a \"q\".jpg", 0.125))
            try w.writeFailure(path: "bad.jpg", reason: "not a JPEG\nor PNG")
        }
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["path"] as? String, "a \"q\".jpg")
        XCTAssertEqual(first["decode_ms"] as? Double, 1)
        XCTAssertEqual(first["inference_ms"] as? Double, 3)
        XCTAssertEqual(first["ms"] as? Double, 6)
        let records = try ScoreFile.read(out)
        XCTAssertEqual(records[1], ScoreRecord(path: "bad.jpg", score: nil, error: "not a JPEG\nor PNG"))
        XCTAssertEqual(try ScoreWriter(path: out, resume: true).alreadyScored, ["a \"q\".jpg"], "failures are retried on resume")
        XCTAssertThrowsError(try ScoreWriter(path: dir.appendingPathComponent("scores.txt").path))
    }

    // MARK: - Scorer and batch with a tiny model

    /// A folder of good photos plus corrupt, truncated, zero-byte and misnamed files.
    func makeMixedFolder() throws -> (URL, good: [String], bad: [String]) {
        let dir = try makeTemporaryDirectory(self).appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("nested"), withIntermediateDirectories: true)
        var good: [String] = []
        for (i, name) in ["kodim01.jpg", "kodim05.jpg", "kodim13.jpg", "kodim23.jpg"].enumerated() {
            let dest = i == 3 ? "nested/\(name)" : name
            try FileManager.default.copyItem(at: kodak.appendingPathComponent(name), to: dir.appendingPathComponent(dest))
            good.append(dir.path + "/" + dest)
        }
        // A real JPEG misnamed .png: scored (format comes from the bytes).
        try FileManager.default.copyItem(at: kodak.appendingPathComponent("kodim07.jpg"), to: dir.appendingPathComponent("misnamed.png"))
        good.append(dir.path + "/misnamed.png")
        let jpeg = try Data(contentsOf: kodak.appendingPathComponent("kodim02.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: dir.appendingPathComponent("truncated.jpg"))
        try Data().write(to: dir.appendingPathComponent("zero.jpg"))
        try Data("this is not a photo".utf8).write(to: dir.appendingPathComponent("text-named.jpg"))
        var corrupt = jpeg
        for i in stride(from: 600, to: corrupt.count, by: 97) { corrupt[i] = 0xFF }
        try corrupt.write(to: dir.appendingPathComponent("nested/corrupt.jpg"))
        try Data("readme".utf8).write(to: dir.appendingPathComponent("README.txt"))
        let bad = ["truncated.jpg", "zero.jpg", "text-named.jpg", "nested/corrupt.jpg"].map { dir.path + "/" + $0 }
        return (dir, good.sorted(), bad.sorted())
    }

    func scoreFolder(_ folder: URL, model path: String, threads: Int, overlap: Bool = true) throws -> (scores: [String: Double], failed: [String: String]) {
        let model = try Model(contentsOf: path, options: CompileOptions(threads: threads))
        let scorer = try Scorer(model: model, preset: .baseline)
        var scores: [String: Double] = [:], failed: [String: String] = [:]
        let inputs = try PhotoCollection.discover([folder.path]).photos
        try BatchScorer(scorer: scorer, overlapDecoding: overlap).run(inputs.map(\.path)) { event in
            switch event {
            case .scored(let r): scores[r.path] = r.score
            case .failed(let p, let reason): failed[p] = reason
            }
        }
        return (scores, failed)
    }

    func testBatchScoresGoodPhotosListsBadOnesAndIgnoresThreads() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let (folder, good, bad) = try makeMixedFolder()
        let one = try scoreFolder(folder, model: model, threads: 1)
        XCTAssertEqual(one.scores.keys.sorted(), good)
        XCTAssertEqual(one.failed.keys.sorted(), bad)
        XCTAssertEqual(one.failed[folder.path + "/zero.jpg"], "empty file (0 bytes)")
        XCTAssertTrue(one.failed[folder.path + "/text-named.jpg"]!.contains("not a JPEG or PNG"), one.failed.description)
        XCTAssertEqual(Set(one.scores.values).count, good.count, "different photos, different scores")
        let two = try scoreFolder(folder, model: model, threads: 2)
        XCTAssertEqual(two.scores, one.scores, "scores identical with 1 and 2 threads")
        XCTAssertEqual(two.failed, one.failed)
        let sequential = try scoreFolder(folder, model: model, threads: 1, overlap: false)
        XCTAssertEqual(sequential.scores, one.scores, "pipelined and sequential decoding agree")
    }

    func testShardedRunsTogetherEqualTheWholeRun() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = try Model(contentsOf: try TinyModels.make("single", in: dir))
        let scorer = try Scorer(model: model, preset: .baseline)
        let (folder, _, _) = try makeMixedFolder()
        let inputs = try PhotoCollection.discover([folder.path]).photos
        func run(_ paths: [String], into out: String) throws {
            let w = try ScoreWriter(path: out)
            try BatchScorer(scorer: scorer).run(paths) { e in
                switch e {
                case .scored(let r): try w.write(r)
                case .failed(let p, let reason): try w.writeFailure(path: p, reason: reason)
                }
            }
        }
        let whole = dir.appendingPathComponent("whole.jsonl").path
        try run(inputs.map(\.path), into: whole)
        var merged = Data()
        for k in 1...3 {
            let shard = try Shard(index: k, count: 3)
            let out = dir.appendingPathComponent("shard\(k).jsonl").path
            try run(inputs.filter { shard.contains($0) }.map(\.path), into: out)
            merged += try Data(contentsOf: URL(fileURLWithPath: out))
        }
        let mergedPath = dir.appendingPathComponent("merged.jsonl").path
        try merged.write(to: URL(fileURLWithPath: mergedPath))
        func table(_ p: String) throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try ScoreFile.read(p).map { ($0.path, $0.score.map { String($0) } ?? "error: \($0.error!)") })
        }
        XCTAssertEqual(try table(mergedPath), try table(whole))
        XCTAssertEqual(try ScoreFile.read(mergedPath).count, inputs.count, "no photo in two shards")
    }

    func testResumeAfterInterruptionDoesNotRescore() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = try Model(contentsOf: try TinyModels.make("single", in: dir))
        let scorer = try Scorer(model: model, preset: .baseline)
        let (folder, good, _) = try makeMixedFolder()
        let paths = try PhotoCollection.discover([folder.path]).photos.map(\.path)
        let out = dir.appendingPathComponent("scores.csv").path
        struct Killed: Error {}
        do {
            let w = try ScoreWriter(path: out)
            var n = 0
            XCTAssertThrowsError(try BatchScorer(scorer: scorer).run(paths) { e in
                if case .scored(let r) = e { try w.write(r); n += 1 }
                if n == 2 { throw Killed() }
            })
        }
        let w = try ScoreWriter(path: out, resume: true)
        XCTAssertEqual(w.alreadyScored.count, 2)
        var rescored: [String] = []
        try BatchScorer(scorer: scorer).run(paths.filter { !w.alreadyScored.contains($0) }) { e in
            if case .scored(let r) = e { rescored.append(r.path); try w.write(r) }
        }
        XCTAssertTrue(Set(rescored).isDisjoint(with: w.alreadyScored))
        XCTAssertEqual(try ScoreFile.read(out).map(\.path).sorted(), good)
    }

    func testScorerChecksModelAgainstPreset() throws {
        let dir = try makeTemporaryDirectory(self)
        let small = try Model(contentsOf: try TinyModels.make("single", height: 224, width: 224, in: dir))
        XCTAssertThrowsError(try Scorer(model: small, preset: .baseline)) {
            XCTAssertTrue("\($0)".contains("model input 0 'x' has shape float32[1x3x224x224], but preset baseline makes [1x3x720x1280]"), "\($0)")
        }
        XCTAssertThrowsError(try Scorer(model: small, preset: .sjtu)) {
            XCTAssertTrue("\($0)".contains("preset sjtu makes 3 tensor(s) per view"), "\($0)")
        }
        XCTAssertNoThrow(try Scorer(model: small, preset: .clipIqa))
        // Symbolic dimensions take the preset's sizes.
        let dynamic = try TinyModels.make("single", height: 0, width: 0, in: dir)
        XCTAssertEqual(try Scorer(contentsOf: dynamic, preset: .gsPiqa).model.inputs[0].type.staticShape, [1, 3, 384, 384])
        XCTAssertThrowsError(try Scorer(contentsOf: dynamic, preset: .ciplab)) {
            XCTAssertTrue("\($0)".contains("preset ciplab makes 3 tensor(s)"), "\($0)")
        }
    }

    /// Multi-input models get one tensor per input in input order; multi-view presets
    /// average their views.
    func testMultiInputOrderAndViewAveraging() throws {
        let dir = try makeTemporaryDirectory(self)
        let image = try ImageDecoder.decode(contentsOf: kodak.appendingPathComponent("kodim03.jpg").path)

        let three = try Scorer(model: try Model(contentsOf: try TinyModels.make("three", in: dir)), preset: .ciplab, normalization: .unit)
        let views = try Preset.ciplab.prepare(image, normalization: .unit)
        XCTAssertEqual(views.count, 1)
        var expected = 0.0
        for (k, t) in views[0].enumerated() {
            let v = t.floats, plane = v.count / 3
            for c in 0..<3 {
                let mean = v[c * plane..<(c + 1) * plane].reduce(0.0) { $0 + Double($1) } / Double(plane)
                expected += mean * [1.0, 10, 100][c] * Double(k + 1)
            }
        }
        XCTAssertEqual(try three.score(image: image), expected, accuracy: 1e-4 * abs(expected))

        let single = try Model(contentsOf: try TinyModels.make("single", height: 224, width: 224, in: dir))
        let clip = try Scorer(model: single, preset: .clipIqa)
        let clipViews = try Preset.clipIqa.prepare(image)
        XCTAssertEqual(clipViews.count, 11)
        let each = try clipViews.map { Double(try single.run(["x": $0[0]])["score"]!.floats[0]) }
        XCTAssertEqual(try clip.score(image: image), each.reduce(0, +) / 11, accuracy: 1e-12)
        XCTAssertGreaterThan(Set(each).count, 1, "views differ")

        let r = try clip.score(contentsOf: kodak.appendingPathComponent("kodim03.jpg").path)
        XCTAssertEqual(r.score, try clip.score(image: image), accuracy: 1e-6)
        XCTAssertGreaterThan(r.timings.decodeMs, 0)
        XCTAssertGreaterThan(r.timings.inferenceMs, 0)
    }

    func testDefaultModelResolvesFromTheBuildFolder() throws {
        let fake = repositoryRoot.appendingPathComponent(".build/debug/loupe").path
        XCTAssertEqual(DefaultModel.path(executable: fake), repositoryRoot.appendingPathComponent(DefaultModel.relativePath).path)
    }

    func testDefaultModelResolvesFromAnInstalledPrefixThroughTheBinarysRealPath() throws {
        // The package's layout: /usr/bin/loupe and /usr/share/loupe/models/; the binary is
        // reached through a link elsewhere, as from a PATH folder of links.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-prefix-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let model = root.appendingPathComponent("usr/\(DefaultModel.installedPath)")
        try fm.createDirectory(at: model.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1]).write(to: model)
        let binary = root.appendingPathComponent("usr/bin/loupe")
        try fm.createDirectory(at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1]).write(to: binary)
        let link = root.appendingPathComponent("links/loupe")
        try fm.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: link, withDestinationURL: binary)
        XCTAssertEqual(DefaultModel.path(executable: link.path).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path },
                       model.resolvingSymlinksInPath().path)
    }
}
