import Foundation
import Loupe
import XCTest
import LoupeTestSupport
@testable import LoupeIQA

/// Folder walks and photo lists on hostile trees: link loops, repeated links, dangling
/// links, names that are not UTF-8, unreadable subfolders, FIFOs.
final class FolderWalkTests: XCTestCase {
    let jpeg = try! Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Data/kodak/kodim01.jpg"))

    func link(_ dir: URL, _ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(name).path, withDestinationPath: target)
    }

    /// Creates a file whose name is raw bytes (FileManager only takes UTF-8 names).
    func writeFile(in dir: URL, name: [UInt8], contents: Data) throws {
        let path = (Array(dir.path.utf8) + [UInt8(ascii: "/")] + name + [0]).map { CChar(bitPattern: $0) }
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0, "cannot create the test file")
        _ = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Images Loupe does not decode are listed as skipped with the format and what to do,
    /// found by extension or by their first bytes; other files are passed over silently.
    func testUnsupportedImageFormatsAreListedAsSkipped() throws {
        let root = try makeTemporaryDirectory(self).appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try jpeg.write(to: root.appendingPathComponent("a.jpg"))
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8).write(to: root.appendingPathComponent("b.webp"))
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8).write(to: root.appendingPathComponent("webp-without-extension"))
        try Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 0, 0, 0, 0]).write(to: root.appendingPathComponent("c.TIF"))
        try Data("just text, long enough".utf8).write(to: root.appendingPathComponent("notes.txt"))
        let found = try PhotoCollection.discover([root.path])
        XCTAssertEqual(found.photos.map(\.key), ["a.jpg"])
        XCTAssertEqual(found.failed, [])
        XCTAssertEqual(found.skipped.map(\.key), ["b.webp", "c.TIF", "webp-without-extension"])
        XCTAssertEqual(found.skipped.map { $0.reason.components(separatedBy: " is not decoded").first! }, ["WebP", "TIFF", "WebP"])
        XCTAssertTrue(found.skipped[0].reason.contains("Loupe reads JPEG and PNG"), found.skipped[0].reason)
    }

    func testLinkLoopsAndRepeatedLinksWalkOnceAndScoreEachPhotoOnce() throws {
        let root = try makeTemporaryDirectory(self).appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try jpeg.write(to: root.appendingPathComponent("top.jpg"))
        try jpeg.write(to: root.appendingPathComponent("a/b/deep.jpg"))
        try link(root, "loop", to: ".")                   // loop -> .
        try link(root.appendingPathComponent("a/b"), "up", to: "../..")
        try link(root, "self1", to: root.path)           // two absolute links to the folder itself
        try link(root, "self2", to: root.path)
        try link(root, "0-first-link", to: "a")           // sorts before the real folder it names
        try link(root, "alias.jpg", to: "top.jpg")        // a second name for one photo
        let start = Date()
        let found = try PhotoCollection.discover([root.path])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "walk must be linear in the tree")
        XCTAssertEqual(found.photos.map(\.key), ["a/b/deep.jpg", "top.jpg"], "real paths win over links")
        XCTAssertEqual(found.failed, [])
        XCTAssertEqual(Set(found.skipped.map(\.key)), ["0-first-link", "a/b/up", "alias.jpg", "loop", "self1", "self2"])
        XCTAssertTrue(found.skipped.first { $0.key == "loop" }!.reason.contains("walked already"), "\(found.skipped)")
        XCTAssertTrue(found.skipped.first { $0.key == "alias.jpg" }!.reason.contains("same file as \(root.path)/top.jpg"), "\(found.skipped)")

        // The same folder given twice, or a file inside it given again: each photo once.
        let again = try PhotoCollection.discover([root.path, root.path + "/top.jpg", root.path + "/alias.jpg"])
        XCTAssertEqual(again.photos.map(\.key), ["a/b/deep.jpg", "top.jpg"])
    }

    func testPhotosReachableOnlyThroughALinkAreTakenUnderTheLinkName() throws {
        let dir = try makeTemporaryDirectory(self)
        let outside = dir.appendingPathComponent("outside")
        let root = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try jpeg.write(to: outside.appendingPathComponent("x.jpg"))
        try link(root, "mounted", to: outside.path)
        try link(root, "mounted-again", to: outside.path)
        let found = try PhotoCollection.discover([root.path])
        XCTAssertEqual(found.photos.map(\.key), ["mounted/x.jpg"])
        XCTAssertEqual(found.skipped.map(\.key), ["mounted-again"])
    }

    func testDanglingLinksFIFOsAndNonUTF8NamesAreListed() throws {
        let root = try makeTemporaryDirectory(self).appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try jpeg.write(to: root.appendingPathComponent("good.jpg"))
        try link(root, "gone.jpg", to: "nowhere.jpg")
        try link(root, "gone-sidecar", to: "nowhere.xmp")
        try link(root, "spin.png", to: "spin.png")
        XCTAssertEqual(mkfifo(root.appendingPathComponent("pipe.jpg").path, 0o644), 0)
        XCTAssertEqual(mkfifo(root.appendingPathComponent("pipe").path, 0o644), 0)   // must not be opened
        try writeFile(in: root, name: Array("caf".utf8) + [0xE9] + Array(".jpg".utf8), contents: jpeg)   // Latin-1 é
        try writeFile(in: root, name: [0xFF, 0xFE] + Array("-no-extension".utf8), contents: jpeg)
        try writeFile(in: root, name: [0xFF] + Array(".txt".utf8), contents: Data("notes".utf8))
        let badFolder = (Array(root.path.utf8) + Array("/d".utf8) + [0xC3, 0x28, 0]).map { CChar(bitPattern: $0) }   // C3 28: not UTF-8
        XCTAssertEqual(mkdir(badFolder, 0o755), 0)

        let found = try PhotoCollection.discover([root.path])
        XCTAssertEqual(found.photos.map(\.key), ["good.jpg"])
        let failed = Dictionary(uniqueKeysWithValues: found.failed.map { ($0.key, $0.reason) })
        XCTAssertEqual(Set(failed.keys), ["caf\\xe9.jpg", "\\xff\\xfe-no-extension", "d\\xc3(", "gone.jpg", "pipe.jpg", "spin.png"], "\(found.failed)")
        XCTAssertEqual(failed["gone.jpg"], "a dangling link to nowhere.jpg")
        XCTAssertEqual(failed["spin.png"], "a link in a loop of links")
        XCTAssertEqual(failed["pipe.jpg"], "not a regular file (a FIFO)")
        XCTAssertTrue(failed["caf\\xe9.jpg"]!.contains("not UTF-8"))
        XCTAssertTrue(failed["d\\xc3("]!.contains("folder's name is not UTF-8"))
        XCTAssertEqual(found.failed.first { $0.key == "gone.jpg" }?.path, root.path + "/gone.jpg")
        XCTAssertEqual(found.skipped.map(\.key), ["gone-sidecar"], "a dangling link without a photo name is listed, not failed")
        let fifo = try PhotoCollection.discover([root.path + "/pipe"])
        XCTAssertEqual(fifo.photos, [], "a FIFO given as a file is never handed to the decoder")
        XCTAssertEqual(fifo.failed.map(\.reason), ["not a regular file (a FIFO)"])
    }

    func testUnreadableSubfolderIsListedAndTheRestIsWalked() throws {
        guard getuid() != 0 else {
            throw XCTSkip("root reads any folder; ScoreCommandTests covers this through loupe score without the DAC capabilities")
        }
        let root = try makeTemporaryDirectory(self).appendingPathComponent("photos")
        let locked = root.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try jpeg.write(to: root.appendingPathComponent("a.jpg"))
        try jpeg.write(to: locked.appendingPathComponent("hidden-from-us.jpg"))
        XCTAssertEqual(chmod(locked.path, 0), 0)
        addTeardownBlock { chmod(locked.path, 0o755) }
        let found = try PhotoCollection.discover([root.path])
        XCTAssertEqual(found.photos.map(\.key), ["a.jpg"])
        XCTAssertEqual(found.failed.map(\.key), ["locked"])
        XCTAssertTrue(found.failed[0].reason.contains("cannot list folder"), found.failed[0].reason)
    }

    func testPhotoListsAndShardsOfThem() throws {
        let dir = try makeTemporaryDirectory(self)
        try jpeg.write(to: dir.appendingPathComponent("a.jpg"))
        try Data("not checked: listed files are always taken".utf8).write(to: dir.appendingPathComponent("b.txt"))
        let list = dir.appendingPathComponent("list.txt")
        let a = dir.path + "/a.jpg", b = dir.path + "/b.txt"
        try "\(a)\r\n\n\(b)\n\(dir.path)/missing.jpg\n\(dir.path)\n\(a)\n".write(to: list, atomically: true, encoding: .utf8)
        let lines = try PhotoCollection.readList(list.path)
        XCTAssertEqual(lines, [a, b, dir.path + "/missing.jpg", dir.path, a])
        let found = PhotoCollection.listed(lines)
        XCTAssertEqual(found.photos.map(\.path), [a, b])
        XCTAssertEqual(found.photos.map(\.key), [a, b], "a list line is its own key")
        XCTAssertEqual(found.failed.map(\.key), [dir.path + "/missing.jpg", dir.path])
        XCTAssertEqual(found.failed.map(\.reason), ["No such file or directory", "a folder (a photo list names files)"])
        XCTAssertEqual(found.skipped.map(\.key), [a], "the second line naming a.jpg")

        try Data([0x61, 0x0A, 0xFF, 0x0A]).write(to: list)
        XCTAssertThrowsError(try PhotoCollection.readList(list.path)) { XCTAssertTrue("\($0)".contains("line 2 is not UTF-8"), "\($0)") }
        XCTAssertThrowsError(try PhotoCollection.readList(dir.path + "/none.txt"))

        // Shards of a discovery split photos, failures and skipped entries alike.
        let all = PhotoCollection.listed(lines)
        let parts = try (1...3).map { all.filtered(try Shard(index: $0, count: 3)) }
        XCTAssertEqual(parts.flatMap(\.photos).map(\.key).sorted(), all.photos.map(\.key).sorted())
        XCTAssertEqual(parts.flatMap(\.failed).count, all.failed.count)
        XCTAssertEqual(parts.flatMap(\.skipped).count, all.skipped.count)
    }

    func testShardIndexFromTheJobArrayEnvironment() throws {
        let (slurm, v1) = try Shard.fromEnvironment(count: 4, environment: ["SLURM_ARRAY_TASK_ID": "0", "JOB_COMPLETION_INDEX": "3"])
        XCTAssertEqual(slurm, try Shard(index: 1, count: 4))
        XCTAssertEqual(v1, "SLURM_ARRAY_TASK_ID", "Slurm comes first")
        let (k8s, v2) = try Shard.fromEnvironment(count: 4, environment: ["JOB_COMPLETION_INDEX": "3", "AWS_BATCH_JOB_ARRAY_INDEX": "1"])
        XCTAssertEqual(k8s, try Shard(index: 4, count: 4))
        XCTAssertEqual(v2, "JOB_COMPLETION_INDEX")
        XCTAssertEqual(try Shard.fromEnvironment(count: 2, environment: ["AWS_BATCH_JOB_ARRAY_INDEX": "1"]).shard, try Shard(index: 2, count: 2))
        XCTAssertThrowsError(try Shard.fromEnvironment(count: 4, environment: [:])) { XCTAssertTrue("\($0)".contains("none is set"), "\($0)") }
        for bad in ["4", "-1", "x", ""] {
            XCTAssertThrowsError(try Shard.fromEnvironment(count: 4, environment: ["SLURM_ARRAY_TASK_ID": bad]), bad) {
                XCTAssertTrue("\($0)".contains("not a task index 0...3"), "\($0)")
            }
        }
    }
}
