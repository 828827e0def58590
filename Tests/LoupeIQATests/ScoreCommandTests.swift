import Foundation
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

/// `loupe score` end to end: exit codes, the errors file, a run killed mid-way and resumed.
/// Runs the `loupe` executable built next to the test bundle; skipped when it is absent
/// (e.g. `swift test` without a prior `swift build`) or python3+onnx is missing.
final class ScoreCommandTests: XCTestCase {
    /// Runs `loupe` (after `prefix`, a command that runs it, such as setpriv) with extra
    /// environment and standard input; with `killWhen`, kills it (SIGKILL) once `killWhen(watch)` holds.
    @discardableResult
    func run(_ args: [String], killWhen: ((URL) -> Bool)? = nil, watch: URL? = nil,
             environment: [String: String] = [:], input: Data? = nil, prefix: [String] = []) throws -> ProcessResult {
        let loupe = try Subprocess.loupeExecutable()
        let executable = prefix.first.map { URL(fileURLWithPath: $0) } ?? loupe
        let arguments = prefix.isEmpty ? args : Array(prefix.dropFirst()) + [loupe.path] + args
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return try Subprocess.run(executable, arguments, environment: env, input: input) { p in
            guard let killWhen, let watch else { return }
            let deadline = Date().addingTimeInterval(120)
            while p.isRunning && Date() < deadline && !killWhen(watch) { usleep(5_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }

    func testExitCodesErrorsFileAndKilledRunResumed() throws {
        _ = try Subprocess.loupeExecutable()
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let folder = dir.appendingPathComponent("photos")
        try copyKodak(Array(1...8), into: folder)

        // All good: exit 0, one row per photo.
        let out = dir.appendingPathComponent("scores.csv")
        let clean = try run(["score", folder.path, "--model", model, "-o", out.path])
        XCTAssertEqual(clean.status, 0, clean.err)
        let full = try ScoreFile.read(out.path)
        XCTAssertEqual(full.count, 8)

        // Killed after two rows, then resumed: every photo exactly once, none rescored.
        let partial = dir.appendingPathComponent("partial.csv")
        try run(["score", folder.path, "--model", model, "-o", partial.path], killWhen: { url in
            ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").count >= 3
        }, watch: partial)
        let before = try ScoreFile.read(partial.path)
        XCTAssertGreaterThanOrEqual(before.count, 2)
        XCTAssertLessThan(before.count, 8, "the kill came too late to test resuming")
        let resumed = try run(["score", folder.path, "--model", model, "-o", partial.path, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(resumed.err.contains("resume: \(before.count) photos already scored"), resumed.err)
        let after = try ScoreFile.read(partial.path)
        XCTAssertEqual(after.map(\.path).sorted(), full.map(\.path).sorted())
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: after.map { ($0.path, $0.score!) }),
                       Dictionary(uniqueKeysWithValues: full.map { ($0.path, $0.score!) }))

        // A bad photo: exit 3, listed on stderr and in the errors file, the rest scored.
        try Data().write(to: folder.appendingPathComponent("zero.jpg"))
        let mixed = try run(["score", folder.path, "--model", model, "-o", out.path, "--threads", "2"])
        XCTAssertEqual(mixed.status, 3, mixed.err)
        XCTAssertTrue(mixed.err.contains("zero.jpg: empty file (0 bytes)"), mixed.err)
        XCTAssertEqual(try ScoreFile.read(out.path).count, 8)
        let errors = try String(contentsOfFile: ScoreWriter.errorsPath(for: out.path), encoding: .utf8)
        XCTAssertEqual(errors, "path,error\n\(folder.path)/zero.jpg,empty file (0 bytes)\n")

        // Without -o: a ranked table on stdout. A missing model: fatal, exit 1.
        let table = try run(["score", folder.appendingPathComponent("kodim01.jpg").path, "--model", model])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.hasPrefix("rank  score"), table.out)
        XCTAssertEqual(try run(["score", folder.path, "--model", dir.appendingPathComponent("none.onnx").path]).status, 1)
        XCTAssertEqual(try run(["score", folder.path, "--shard", "4/3"]).status, 64)
    }

    /// `score -o -` and `merge -o -`: CSV rows on stdout (nothing else there), failures on
    /// stderr, no file named "-"; --resume cannot go with it.
    func testScoreAndMergeToStandardOutput() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let folder = dir.appendingPathComponent("photos")
        try copyKodak([1, 2], into: folder)
        try Data().write(to: folder.appendingPathComponent("zero.jpg"))
        let r = try run(["score", folder.path, "--model", model, "-o", "-"])
        XCTAssertEqual(r.status, 3, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "path,score,ms")
        XCTAssertEqual(lines.count, 3, r.out)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix(folder.path + "/kodim0") }, r.out)
        XCTAssertTrue(r.err.contains("zero.jpg: empty file (0 bytes)"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "-"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ScoreWriter.errorsPath(for: "-")))
        XCTAssertEqual(try run(["score", folder.path, "--model", model, "-o", "-", "--resume"]).status, 64)

        let shard = dir.appendingPathComponent("a.csv")
        try Data(r.out.utf8).write(to: shard)
        let merged = try run(["merge", shard.path, "-o", "-"])
        XCTAssertEqual(merged.status, 0, merged.err)
        XCTAssertEqual(Set(merged.out.split(separator: "\n").map(String.init).dropFirst()), Set(lines[1...]), merged.out)
    }

    /// The README's main command: `loupe score` with no --model scores with the bundled
    /// trained scorer and ranks every clean sample photo above its own blurred, noisy and
    /// heavily JPEG-compressed copies (the samples are held-out photos: never trained on).
    /// The FP32 and INT8 bundles agree on that order. Fails for an untrained model.
    func testBundledScorerRanksCleanSamplesAboveTheirDistortedCopies() throws {
        _ = try Subprocess.loupeExecutable()
        let samples = repositoryRoot.appendingPathComponent("tools/models/samples").path
        let int8 = repositoryRoot.appendingPathComponent("tools/models/loupe_iqa.int8.onnx").path
        for model in [nil, int8] {
            let dir = try makeTemporaryDirectory(self)
            let out = dir.appendingPathComponent("scores.csv")
            let r = try run(["score", samples, "-o", out.path] + (model.map { ["--model", $0] } ?? []))
            XCTAssertEqual(r.status, 0, r.err)
            var score: [String: Double] = [:]
            for row in try ScoreFile.read(out.path) {
                score[URL(fileURLWithPath: row.path).deletingPathExtension().lastPathComponent] = row.score
            }
            XCTAssertEqual(score.count, 8, "\(score)")
            for photo in ["kodim21", "kodim23"] {
                let clean = try XCTUnwrap(score[photo])
                for variant in ["blur3", "noise3", "jpeg4"] {
                    let d = try XCTUnwrap(score["\(photo)-\(variant)"])
                    XCTAssertGreaterThan(clean, d, "\(model ?? "default model"): \(photo) vs \(variant)")
                }
            }
        }
    }

    func testRankCommand() throws {
        let dir = try makeTemporaryDirectory(self)
        let csv = dir.appendingPathComponent("entries.csv")
        try "name,srcc,plcc,krcc,mae,rmse\nD,0.70,0.72,0.52,0.060,0.080\nB,0.82,0.83,0.63,0.070,0.090\nA,0.80,0.82,0.62,0.050,0.065\nC,0.78,0.80,0.60,0.040,0.055\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let r = try run(["rank", csv.path])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n").dropFirst(2)
        XCTAssertEqual(lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ") },
                       ["1 A 2.00", "2 B 2.20", "2 C 2.20", "4 D 3.60"])
    }

    /// `loupe rank` on the report's Table 1 as distributed (method column, baselines in the
    /// table): --where section=team ranks the 8 teams, SJTU, GS-PIQA, CIPLAB first.
    func testRankReproducesTheReport() throws {
        let table1 = repositoryRoot.appendingPathComponent("Tests/Data/aim2024/table1_test.csv").path
        let r = try run(["rank", table1, "--where", "section=team", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]], r.out)
        XCTAssertEqual(rows.count, 8)
        XCTAssertEqual(rows.prefix(3).compactMap { $0["name"] as? String }, ["SJTU", "GS-PIQA", "CIPLAB"])
        let table3 = repositoryRoot.appendingPathComponent("Tests/Data/aim2024/table3_test_exclusive.csv").path
        let exclusive = try run(["rank", table3, "--where", "section=team"])
        XCTAssertEqual(exclusive.status, 0, exclusive.err)
        XCTAssertTrue(exclusive.out.split(separator: "\n")[3].hasPrefix("2      CIPLAB"), exclusive.out)
        let all = try run(["rank", table1, "--json"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as? [Any])?.count, 15, "without --where every row")
        XCTAssertEqual(try run(["rank", table1, "--where", "section=nobody"]).status, 1)
        XCTAssertEqual(try run(["rank", table1, "--where", "section"]).status, 64)
    }

    func testEvalJoinsPredictionsOnImageName() throws {
        let root = try makeTemporaryDirectory(self)
        try """
            "image_name","quality_mos","set","subset","orig_width","orig_height","views"
            "1.jpg",0.61,"test","",1,1,1
            "2.jpg",0.72,"test","exclusive",1,1,1
            "3.jpg",0.55,"test","exclusive",1,1,1
            "4.jpg",0.80,"test","",1,1,1
            "5.jpg",0.68,"validation","",1,1,1

            """.write(to: root.appendingPathComponent("uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        // Two concatenated shard outputs from another machine; 4.jpg has no prediction, 5.jpg is another split.
        let predictions = root.appendingPathComponent("p.csv")
        try "path,score,ms\n/elsewhere/test/1.jpg,0.58,1\n/elsewhere/test/5.jpg,0.1,1\npath,score,ms\n/elsewhere/test/2.jpg,0.75,1\n/elsewhere/test/3.jpg,0.60,1\n"
            .write(to: predictions, atomically: true, encoding: .utf8)
        let r = try run(["eval", "--uhd-iqa", root.path, "--split", "test", "--predictions", predictions.path, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("1 of 4 photos of the test split have no prediction"), r.err)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        XCTAssertEqual(json["n"] as? Int, 3)
        let expected = try Metrics(predicted: [0.58, 0.75, 0.60], truth: [0.61, 0.72, 0.55])
        XCTAssertEqual(json["plcc"] as! Double, expected.plcc, accuracy: 1e-12)
        XCTAssertEqual(json["rmse"] as! Double, expected.rmse, accuracy: 1e-12)
        let exclusive = try run(["eval", "--uhd-iqa", root.path, "--split", "test", "--exclusive", "--predictions", predictions.path])
        XCTAssertTrue(exclusive.out.contains("n       2"), exclusive.out)
        XCTAssertEqual(try run(["eval", "--uhd-iqa", root.path, "--split", "dev", "--predictions", predictions.path]).status, 64)
    }

    /// `loupe score` names the WebP and TIFF files of a folder it does not score.
    func testScoreListsUnsupportedFormatsAsSkipped() throws {
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let folder = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Data/kodak/kodim01.jpg"),
                                         to: folder.appendingPathComponent("a.jpg"))
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8).write(to: folder.appendingPathComponent("b.webp"))
        try Data([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 0, 0, 0]).write(to: folder.appendingPathComponent("c.tiff"))
        let r = try run(["score", folder.path, "--model", model])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("skipped: \(folder.path)/b.webp: WebP is not decoded"), r.err)
        XCTAssertTrue(r.err.contains("skipped: \(folder.path)/c.tiff: TIFF is not decoded"), r.err)
        // Only unsupported files: they are listed before the error.
        let only = dir.appendingPathComponent("webp-only")
        try FileManager.default.createDirectory(at: only, withIntermediateDirectories: true)
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8).write(to: only.appendingPathComponent("x.webp"))
        let none = try run(["score", only.path, "--model", model])
        XCTAssertEqual(none.status, 1, none.err)
        XCTAssertTrue(none.err.contains("x.webp: WebP is not decoded"), none.err)
    }

    /// The metadata without the photos' folder: one error naming the folder before any
    /// model is compiled (it printed a failure per photo, then a metrics error).
    func testEvalChecksThePhotosFolderFirst() throws {
        let root = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: root)
        try """
            "image_name","quality_mos","set","subset","orig_width","orig_height","views"
            "1.jpg",0.61,"validation","",1,1,1
            "2.jpg",0.72,"validation","",1,1,1

            """.write(to: root.appendingPathComponent("uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        let r = try run(["eval", "--uhd-iqa", root.path, "--model", model])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(root.appendingPathComponent("validation").path) && r.err.contains("does not exist"), r.err)
        XCTAssertFalse(r.err.contains("failed:"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)

        // The folder is there but holds none of the photos: the same, naming the first.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("validation"), withIntermediateDirectories: true)
        let empty = try run(["eval", "--uhd-iqa", root.path, "--model", model])
        XCTAssertEqual(empty.status, 1, empty.err)
        XCTAssertTrue(empty.err.contains("none of the 2 photos"), empty.err)
    }

    /// Every photo failing is a failure (exit 1), not a partial success (exit 3), for
    /// score and eval alike.
    func testNothingScoredExitsOne() throws {
        let root = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: root)
        let folder = root.appendingPathComponent("validation")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for n in ["1.jpg", "2.jpg"] { try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).write(to: folder.appendingPathComponent(n)) }
        let score = try run(["score", folder.path, "--model", model])
        XCTAssertEqual(score.status, 1, score.err)
        XCTAssertTrue(score.err.contains("none of the 2 photo(s) could be scored"), score.err)

        try """
            "image_name","quality_mos","set","subset","orig_width","orig_height","views"
            "1.jpg",0.61,"validation","",1,1,1
            "2.jpg",0.72,"validation","",1,1,1

            """.write(to: root.appendingPathComponent("uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        let eval = try run(["eval", "--uhd-iqa", root.path, "--model", model])
        XCTAssertEqual(eval.status, 1, eval.err)
        XCTAssertTrue(eval.err.contains("none of the 2 photos of the validation split could be scored"), eval.err)

        // One good photo among bad ones stays a partial success.
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Data/kodak/kodim01.jpg"),
                                         to: folder.appendingPathComponent("3.jpg"))
        XCTAssertEqual(try run(["score", folder.path, "--model", model]).status, 3)
    }

    /// A set labelled by any CSV (KonIQ-, SPAQ-like), columns named or found, against
    /// predictions and against a model.
    func testEvalOnALabelledCSV() throws {
        let root = try makeTemporaryDirectory(self)
        let photos = root.appendingPathComponent("photos")
        try copyKodak(Array(1...4), into: photos) { "\($0).jpg" }
        let labels = root.appendingPathComponent("koniq.csv")
        try "Image name,c1,MOS_zscore,Mean\n1.jpg,0,10,3.1\n2.jpg,0,20,2.2\n3.jpg,0,30,4.0\n4.jpg,0,40,1.5\n"
            .write(to: labels, atomically: true, encoding: .utf8)
        let predictions = root.appendingPathComponent("p.csv")
        try "path,score,ms\n/x/1.jpg,0.3,1\n/x/2.jpg,0.25,1\n/x/3.jpg,0.5,1\n/x/4.jpg,0.1,1\n".write(to: predictions, atomically: true, encoding: .utf8)

        // No column the defaults know: the error names the option.
        let unnamed = try run(["eval", "--labels", labels.path, "--images", photos.path, "--predictions", predictions.path])
        XCTAssertEqual(unnamed.status, 1, unnamed.err)
        XCTAssertTrue(unnamed.err.contains("--name-column"), unnamed.err)

        let r = try run(["eval", "--labels", labels.path, "--images", photos.path, "--name-column", "Image name",
                         "--score-column", "Mean", "--predictions", predictions.path, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
        let expected = try Metrics(predicted: [0.3, 0.25, 0.5, 0.1], truth: [3.1, 2.2, 4.0, 1.5])
        XCTAssertEqual(json["n"] as? Int, 4)
        XCTAssertEqual(try XCTUnwrap(json["plcc"] as? Double), expected.plcc, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(json["srcc"] as? Double), 1, accuracy: 1e-12)

        let model = try TinyModels.make("single", in: root)
        try "image_name,mos\n1.jpg,3.1\n2.jpg,2.2\n3.jpg,4.0\n4.jpg,1.5\n".write(to: labels, atomically: true, encoding: .utf8)
        let scored = try run(["eval", "--labels", labels.path, "--images", photos.path, "--model", model, "--json"])
        XCTAssertEqual(scored.status, 0, scored.err)
        let m = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(scored.out.utf8)) as? [String: Any], scored.out)
        XCTAssertEqual(m["n"] as? Int, 4)
        XCTAssertEqual(try run(["eval", "--labels", labels.path, "--model", model]).status, 64, "--labels needs --images")
        XCTAssertEqual(try run(["eval", "--labels", labels.path, "--images", root.appendingPathComponent("none").path,
                                "--model", model]).status, 1)
    }

    /// A model exported at a fixed size whose convolutions take any size: `--input-shape`
    /// compiles it at the size a preset makes, as the refusal without it suggests.
    func testInputShapeCompilesAFixedSizeModelForAnotherPreset() throws {
        _ = try Subprocess.loupeExecutable()
        let dir = try makeTemporaryDirectory(self)
        let model = try TinyModels.make("single", in: dir)
        let photo = repositoryRoot.appendingPathComponent("Tests/Data/kodak/kodim01.jpg").path
        let refused = try run(["score", photo, "--model", model, "--preset", "clip-iqa"])
        XCTAssertEqual(refused.status, 1, refused.err)
        XCTAssertTrue(refused.err.contains("--input-shape x=1x3x224x224"), refused.err)

        func score(_ shape: String) throws -> String {
            let r = try run(["score", photo, "--model", model, "--preset", "clip-iqa", "--input-shape", shape])
            XCTAssertEqual(r.status, 0, "\(shape): \(r.err)")
            let row = r.out.split(separator: "\n").last.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            return row.map { String($0[1]) } ?? ""
        }
        let named = try score("x=1x3x224x224")
        XCTAssertNotNil(Double(named), named)
        XCTAssertEqual(try score("1x3x224x224"), named, "a bare shape names the only input")

        let unknown = try run(["score", photo, "--model", model, "--preset", "clip-iqa", "--input-shape", "y=1x3x224x224"])
        XCTAssertEqual(unknown.status, 1, unknown.err)
        XCTAssertTrue(unknown.err.contains("'y'"), unknown.err)
        XCTAssertEqual(try run(["score", photo, "--model", model, "--input-shape", "1x3x0x224"]).status, 64)
    }
}
