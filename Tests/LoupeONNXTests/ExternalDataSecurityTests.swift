import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX

/// External data is read only from regular files inside the model's folder: symbolic links
/// (to a file or a folder) that leave it, FIFOs and devices are refused, and none blocks.
final class ExternalDataSecurityTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-extdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("model"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    var modelDir: URL { dir.appendingPathComponent("model") }

    /// `y = x + W` with W (2 floats) stored externally at `location`; returns the model path.
    func writeModel(location: String, offset: String? = nil) throws -> String {
        var w = Onnx_TensorProto()
        w.name = "W"
        w.dataType = 1
        w.dims = [2]
        w.dataLocation = .external
        var entries = [("location", location)]
        if let offset { entries.append(("offset", offset)) }
        w.externalData = entries.map { key, value in
            var e = Onnx_StringStringEntryProto()
            e.key = key
            e.value = value
            return e
        }
        let add = MalformedModelTests.node("Add", ["x", "W"], ["y"], name: "add")
        var m = MalformedModelTests.model([add], initializers: [w])
        m.graph.input = [MalformedModelTests.valueInfo("x", [2])]
        m.graph.output = [MalformedModelTests.valueInfo("y", [2])]
        let path = modelDir.appendingPathComponent("model.onnx").path
        let bytes: Data = try m.serializedBytes()
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    func writeWeights(_ name: String, _ values: [Float] = [1.5, -2]) throws {
        let bytes = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        try Data(bytes).write(to: modelDir.appendingPathComponent(name))
    }

    func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: modelDir.appendingPathComponent(name).path,
                                                   withDestinationPath: target)
    }

    func assertRefused(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            let g = try ONNXImporter.load(contentsOf: path)
            XCTFail("loaded W = \(String(describing: g.initializers["W"]))", file: file, line: line)
        } catch let e as LoupeError {
            for f in fragments {
                XCTAssertTrue(e.description.contains(f), "'\(e)' does not contain '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected LoupeError, got \(error)", file: file, line: line)
        }
    }

    func testRegularFileAndLinksInsideTheFolderLoad() throws {
        try writeWeights("weights.bin")
        try link("alias.bin", to: "weights.bin")
        try FileManager.default.createDirectory(at: modelDir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try link("sub/up.bin", to: "../weights.bin")
        for location in ["weights.bin", "alias.bin", "sub/up.bin"] {
            let g = try ONNXImporter.load(contentsOf: try writeModel(location: location))
            XCTAssertEqual(g.initializers["W"], Tensor(shape: [2], floats: [1.5, -2]), location)
        }
        // The model's folder itself reached through a link is resolved too.
        let linkedFolder = dir.appendingPathComponent("linked")
        try FileManager.default.createSymbolicLink(at: linkedFolder, withDestinationURL: modelDir)
        let g = try ONNXImporter.load(contentsOf: linkedFolder.appendingPathComponent("model.onnx").path)
        XCTAssertEqual(g.initializers["W"]?.floats, [1.5, -2])
    }

    func testFileLinkLeavingTheFolderIsRefused() throws {
        try link("weights.bin", to: "/etc/passwd")
        assertRefused(try writeModel(location: "weights.bin"), ["'weights.bin'", "resolves to '/etc/passwd'", "outside the model's directory"])
        // A link to a sibling of the model's folder leaves it too.
        try Data(count: 8).write(to: dir.appendingPathComponent("outside.bin"))
        try link("sibling.bin", to: "../outside.bin")
        assertRefused(try writeModel(location: "sibling.bin"), ["outside the model's directory"])
    }

    func testFolderLinkLeavingTheFolderIsRefused() throws {
        try link("d", to: "/etc")
        assertRefused(try writeModel(location: "d/passwd"), ["'d/passwd'", "outside the model's directory"])
    }

    func testDeviceIsRefused() throws {
        try link("zero.bin", to: "/dev/zero")
        assertRefused(try writeModel(location: "zero.bin"), ["outside the model's directory"])
        XCTAssertThrowsError(try RegularFile.open("/dev/zero", what: "test file")) { error in
            XCTAssertTrue("\(error)".contains("'/dev/zero' is a character device"), "\(error)")
        }
    }

    func testFIFOIsRefusedWithoutBlocking() throws {
        let fifo = modelDir.appendingPathComponent("pipe.bin").path
        guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("mkfifo failed: errno \(errno)") }
        // Opening a FIFO for reading blocks until a writer appears: a regression hangs here.
        assertRefused(try writeModel(location: "pipe.bin"), ["pipe.bin", "is a FIFO (named pipe), not a regular file"])
    }

    func testOffsetOverflowIsReportedWithoutANegativeRange() throws {
        try writeWeights("weights.bin")
        let path = try writeModel(location: "weights.bin", offset: String(Int64.max))
        assertRefused(path, ["needs 8 bytes at offset 9223372036854775807 of 'weights.bin', which has 8 bytes"])
        do {
            _ = try ONNXImporter.load(contentsOf: path)
        } catch {
            XCTAssertFalse("\(error)".contains(" -"), "a negative number in '\(error)'")
        }
    }
}

/// The model file itself, given by path: errors name it, and only a regular file is read.
final class ModelFileErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-modelfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// A malformed model's message starts with its path (it did not: `loupe score --model
    /// m.onnx photos/` said "not a valid ONNX protobuf (8 bytes)" without saying which file).
    func testMalformedModelMessageNamesTheFile() throws {
        let valid: Data = try MalformedModelTests.validModel.serializedBytes()
        for (name, bytes) in [("empty.onnx", Data()), ("truncated.onnx", valid.prefix(valid.count / 2)),
                              ("text.onnx", Data("not a model\n".utf8)), ("nograph.onnx", Data([0x08, 0x08]))] {
            let path = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ONNXImporter.load(contentsOf: path), name) { error in
                guard case .malformedModel(let message)? = error as? LoupeError else {
                    return XCTFail("\(name): expected malformedModel, got \(error)")
                }
                XCTAssertTrue(message.hasPrefix("\(path): "), message)
            }
        }
    }

    /// A FIFO, a device and a folder given as the model are refused saying what they are
    /// (they were refused as "permission", a folder as "NSCocoaErrorDomain error 256").
    func testModelThatIsNotARegularFileIsRefused() throws {
        let fifo = dir.appendingPathComponent("pipe.onnx").path
        guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("mkfifo failed: errno \(errno)") }
        let folder = dir.appendingPathComponent("folder.onnx").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for (path, kind) in [(fifo, "a FIFO (named pipe)"), ("/dev/zero", "a character device"), (folder, "a directory")] {
            XCTAssertThrowsError(try ONNXImporter.load(contentsOf: path)) { error in
                guard case .io(let message)? = error as? LoupeError else { return XCTFail("expected io, got \(error)") }
                XCTAssertTrue(message.contains("'\(path)' is \(kind), not a regular file"), message)
            }
        }
    }
}
