import Foundation
import XCTest
import LoupeTestSupport

/// `loupe profile` end to end: the budget exit code and the layers it names, max resolution,
/// and the files it writes. Skips when the executable or the baseline is absent.
final class ProfileCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory.make(for: self, prefix: "loupe-profile")
    }

    var baseline: String {
        get throws {
            guard FileManager.default.fileExists(atPath: ProfilerTests.baseline) else {
                throw XCTSkip("challenge baseline absent")
            }
            return ProfilerTests.baseline
        }
    }

    func run(_ args: [String]) throws -> ProcessResult { try Subprocess.loupe(args) }

    func testOverBudgetExitsWithCode2AndNamesTheLargestLayers() throws {
        let r = try run(["profile", try baseline, "--static", "--budget", "3"])
        XCTAssertEqual(r.status, 2, r.err)
        XCTAssertTrue(r.err.contains("OVER BUDGET"), r.err)
        let named = r.err.split(separator: "\n").filter { $0.hasPrefix("  Conv '") }
        XCTAssertEqual(named.count, 5, r.err)
        // The largest layer of the baseline: the 112→672 1×1 expansion at 45×80 (270.95 M MACs).
        XCTAssertTrue(named[0].contains("270.950 M MACs"), String(named[0]))
    }

    /// `--json -`: the report alone on stdout (parseable), the tables on stderr, no file named "-".
    func testJSONToStandardOutput() throws {
        let r = try run(["profile", try baseline, "--static", "--budget", "50", "--json", "-"])
        XCTAssertEqual(r.status, 0, r.err)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
        XCTAssertEqual(report["macs"] as? Int, 3_924_975_616)
        XCTAssertTrue(r.err.contains("within budget"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "-"))
        XCTAssertEqual(try run(["profile", try baseline, "--static", "--json", "-", "--csv", "-"]).status, 64)
    }

    /// `--budget` alone decides from the static MAC count (the timed profile of a large input
    /// took minutes before the verdict); `--timed` adds the timing.
    func testBudgetDecidesFromTheStaticCountUnlessTimedIsAsked() throws {
        let r = try run(["profile", try baseline, "--budget", "50"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("within budget"), r.out)
        XCTAssertFalse(r.out.contains("ms per inference"), r.out)
        XCTAssertTrue(r.out.contains("not timed: --budget decides from the MAC count"), r.out)
        let over = try run(["profile", try baseline, "--budget", "3"])
        XCTAssertEqual(over.status, 2, over.err)
        XCTAssertFalse(over.out.contains("ms per inference"), over.out)

        let timed = try run(["profile", try baseline, "--budget", "50", "--timed", "--runs", "1", "--warmup", "0"])
        XCTAssertEqual(timed.status, 0, timed.err)
        XCTAssertTrue(timed.out.contains("ms per inference"), timed.out)
        XCTAssertTrue(timed.out.contains("within budget"), timed.out)
        XCTAssertEqual(try run(["profile", try baseline, "--timed"]).status, 64)
        XCTAssertEqual(try run(["profile", try baseline, "--budget", "50", "--timed", "--static"]).status, 64)
    }

    /// Progress on stderr: off by default when stderr is not a terminal (here a pipe), plain
    /// lines with --progress; the results on stdout are the same either way.
    func testProgressOnlyWhenAskedOutsideATerminal() throws {
        let quiet = try run(["profile", try baseline, "--runs", "2", "--warmup", "1"])
        XCTAssertEqual(quiet.status, 0, quiet.err)
        XCTAssertFalse(quiet.err.contains("profile: "), quiet.err)
        let shown = try run(["profile", try baseline, "--runs", "2", "--warmup", "1", "--progress"])
        XCTAssertEqual(shown.status, 0, shown.err)
        for stage in ["profile: compiling", "profile: warm-up 0/1", "profile: timed runs 0/2"] {
            XCTAssertTrue(shown.err.contains(stage), "missing '\(stage)' in \(shown.err)")
        }
        XCTAssertFalse(shown.err.contains("\u{1B}"), "no terminal escapes in a log: \(shown.err)")
        XCTAssertTrue(shown.out.contains("ms per inference"), shown.out)

        let bench = try run(["bench", try baseline, "--runs", "2", "--warmup", "0", "--progress", "--json"])
        XCTAssertEqual(bench.status, 0, bench.err)
        XCTAssertTrue(bench.err.contains("bench: timed runs 0/2"), bench.err)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(bench.out.utf8)), "stdout stays one JSON object")
        let benchQuiet = try run(["bench", try baseline, "--runs", "1", "--warmup", "0"])
        XCTAssertEqual(benchQuiet.err, "", benchQuiet.err)
    }

    /// On a terminal (a pseudo-terminal from util-linux `script`) the progress line is drawn
    /// in place and cleared before the results.
    func testProgressRedrawnOnATerminal() throws {
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else { throw XCTSkip("no \(script) to make a terminal") }
        let loupe = try Subprocess.loupeExecutable().path
        let r = try Subprocess.run(URL(fileURLWithPath: script),
                                   ["-qc", "'\(loupe)' bench '\(try baseline)' --runs 2 --warmup 0", "/dev/null"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("\r\u{1B}[Kbench: timed runs 0/2"), r.out)
        XCTAssertTrue(r.out.contains("\r\u{1B}[Kmodel: "), "the line is cleared before the results: \(r.out)")
    }

    func testWithinBudgetExitsZeroAndWritesFiles() throws {
        let json = dir.appendingPathComponent("p.json").path
        let csv = dir.appendingPathComponent("p.csv").path
        let html = dir.appendingPathComponent("p.html").path
        let r = try run(["profile", try baseline, "--static", "--budget", "50", "--json", json, "--csv", csv, "--html", html])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("within budget"), r.out)
        XCTAssertTrue(r.out.contains("3924975616"), r.out)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual(object["params"] as? Int, 3_203_713)
        XCTAssertTrue(FileManager.default.fileExists(atPath: csv))
        XCTAssertTrue(try String(contentsOfFile: html, encoding: .utf8).contains("<svg"))
    }

    func testMaxResolutionOfTheBaseline() throws {
        let r = try run(["profile", try baseline, "--max-resolution", "--budget", "50"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("largest input within 50.0 GMACs"), r.out)
        let none = try run(["profile", try baseline, "--max-resolution", "--budget", "0.001"])
        XCTAssertEqual(none.status, 2, none.err)
    }

    func testMaxResolutionNeedsBudget() throws {
        let r = try run(["profile", try baseline, "--max-resolution"])
        XCTAssertEqual(r.status, 64, r.err)
    }

    /// A model whose shape inference stops (an op the importer cannot represent) gets a static
    /// profile, and its budget check is undecided (exit 3), not passed.
    func testBudgetUndecidedWhenShapeInferenceStops() throws {
        let model = ProfilerTests.repo.appendingPathComponent("Fixtures/profile/swin_tiny_patch4_window7_224.onnx").path
        guard FileManager.default.fileExists(atPath: model) else {
            throw XCTSkip("swin fixture absent: run python3 Bench/scripts/profile_models/make_models.py")
        }
        let r = try run(["profile", model, "--static", "--budget", "50"])
        if r.status == 0 { throw XCTSkip("swin_tiny now types completely; the undecided path needs another model") }
        XCTAssertEqual(r.status, 3, r.err)
        XCTAssertTrue(r.err.contains("BUDGET UNDECIDED"), r.err)
        XCTAssertTrue(r.out.contains("LayerNormalization"), "the static profile names what is missing")
    }
}

extension ProfileCommandTests {
    /// `--image --preset` on the baseline: the text gives decode, preprocess and inference;
    /// the JSON holds the `image` key. One run keeps it fast.
    func testImageTimingOfTheBaseline() throws {
        let photo = ProfilerTests.repo.appendingPathComponent("Tests/Data/kodak/kodim01.jpg").path
        guard FileManager.default.fileExists(atPath: photo) else { throw XCTSkip("Kodak photo absent") }
        let json = dir.appendingPathComponent("p.json").path
        let r = try run(["profile", try baseline, "--runs", "1", "--warmup", "0", "--image", photo, "--preset", "baseline", "--json", json])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("ms per image: \(photo), preset baseline (1 view(s))"), r.out)
        for stage in ["  decode:", "  preprocess:", "  inference:", "  total:"] {
            XCTAssertTrue(r.out.contains(stage), stage)
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let image = try XCTUnwrap(object["image"] as? [String: Any])
        XCTAssertEqual(image["preset"] as? String, "baseline")
        XCTAssertEqual(image["runs"] as? Int, 1)
        XCTAssertGreaterThan(try XCTUnwrap((image["inference_ms"] as? [String: Double])?["median"]), 0)
    }

    func testImageOptionsAreValidated() throws {
        XCTAssertEqual(try run(["profile", try baseline, "--preset", "baseline"]).status, 64, "--preset needs --image")
        XCTAssertEqual(try run(["profile", try baseline, "--image", "x.jpg", "--preset", "nope"]).status, 64)
        XCTAssertEqual(try run(["profile", try baseline, "--image", "x.jpg", "--static"]).status, 64)
        let missing = try run(["profile", try baseline, "--runs", "1", "--warmup", "0", "--image", dir.appendingPathComponent("none.jpg").path])
        XCTAssertEqual(missing.status, 1, missing.err)
    }
}
