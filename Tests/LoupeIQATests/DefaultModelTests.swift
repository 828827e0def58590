import Foundation
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

/// Where `loupe score` finds its default model: the environment variable, the install
/// prefix of the executable's real path, the checkout, the current folder. The CLI tests
/// copy or link the built executable into a temporary prefix and put a file that is not
/// a model where the default should be found: the error then names the file that was picked.
final class DefaultModelTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try makeTemporaryDirectory(self).resolvingSymlinksInPath()
    }

    func testDefaultModelResolvesFromTheBuildFolder() throws {
        let fake = repositoryRoot.appendingPathComponent(".build/debug/loupe").path
        XCTAssertEqual(DefaultModel.path(executable: fake, environment: [:], currentDirectory: "/"),
                       repositoryRoot.appendingPathComponent(DefaultModel.relativePath).path)
    }

    func testOrderOfThePlacesLookedAt() {
        let c = DefaultModel.candidates(executable: "/opt/loupe/bin/loupe", environment: [:], currentDirectory: "/work")
        XCTAssertEqual(c.first, "/opt/loupe/share/loupe/models/loupe_iqa.onnx")
        XCTAssertEqual(c[1], "/opt/loupe/bin/tools/models/loupe_iqa.onnx")
        XCTAssertEqual(c.last, "/work/tools/models/loupe_iqa.onnx")
        XCTAssertEqual(DefaultModel.candidates(executable: "/opt/loupe/bin/loupe", environment: ["LOUPE_DEFAULT_MODEL": "/m.onnx"]),
                       ["/m.onnx"])
    }

    /// A prefix holding a copy of the built executable in bin/ and, when `model` is given,
    /// that text as share/loupe/models/loupe_iqa.onnx.
    func makePrefix(_ name: String, model: String?) throws -> URL {
        let prefix = dir.appendingPathComponent(name)
        let bin = prefix.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try Subprocess.loupeExecutable(), to: bin.appendingPathComponent("loupe"))
        if let model {
            let share = prefix.appendingPathComponent(DefaultModel.installedPath)
            try FileManager.default.createDirectory(at: share.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(model.utf8).write(to: share)
        }
        return prefix
    }

    /// Runs `executable score photo.jpg` from `cwd` (through sh, so that the folder is not the
    /// checkout) with `environment` added.
    func score(_ executable: URL, cwd: URL, environment: [String: String] = [:]) throws -> ProcessResult {
        try Data("not a photo".utf8).write(to: dir.appendingPathComponent("photo.jpg"))
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: DefaultModel.environmentVariable)
        env.merge(environment) { $1 }
        return try Subprocess.run(URL(fileURLWithPath: "/bin/sh"),
                                  ["-c", "cd \"$1\" && exec \"$2\" score \"$3\"", "sh", cwd.path, executable.path,
                                   dir.appendingPathComponent("photo.jpg").path],
                                  environment: env)
    }

    func testCopiedExecutableFindsTheModelUnderItsPrefix() throws {
        let prefix = try makePrefix("usr", model: "not an onnx model")
        let r = try score(prefix.appendingPathComponent("bin/loupe"), cwd: dir)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(prefix.appendingPathComponent(DefaultModel.installedPath).path), r.err)
    }

    /// A link on the PATH (`~/bin/loupe -> /opt/loupe/bin/loupe`) finds the model of the
    /// prefix it points into, not of the folder the link is in.
    func testLinkedExecutableFindsTheModelOfItsRealPrefix() throws {
        let prefix = try makePrefix("opt", model: "not an onnx model")
        let links = dir.appendingPathComponent("home/bin")
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        let link = links.appendingPathComponent("loupe")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: prefix.appendingPathComponent("bin/loupe"))
        let r = try score(link, cwd: dir)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(prefix.appendingPathComponent(DefaultModel.installedPath).path), r.err)
    }

    func testEnvironmentVariableOverridesThePrefix() throws {
        let prefix = try makePrefix("usr", model: "not an onnx model")
        let mine = dir.appendingPathComponent("mine.onnx")
        try Data("not a model either".utf8).write(to: mine)
        let r = try score(prefix.appendingPathComponent("bin/loupe"), cwd: dir, environment: ["LOUPE_DEFAULT_MODEL": mine.path])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(mine.path), r.err)
        XCTAssertFalse(r.err.contains(DefaultModel.installedPath), r.err)

        let missing = try score(prefix.appendingPathComponent("bin/loupe"), cwd: dir,
                                environment: ["LOUPE_DEFAULT_MODEL": dir.appendingPathComponent("nothing.onnx").path])
        XCTAssertEqual(missing.status, 1, missing.err)
        XCTAssertTrue(missing.err.contains("LOUPE_DEFAULT_MODEL=") && missing.err.contains("names no file"), missing.err)
    }

    func testNoModelAnywhereSaysWhereItLooked() throws {
        let prefix = try makePrefix("empty", model: nil)
        let r = try score(prefix.appendingPathComponent("bin/loupe"), cwd: dir)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(DefaultModel.installedPath) && r.err.contains("--model"), r.err)
    }
}
