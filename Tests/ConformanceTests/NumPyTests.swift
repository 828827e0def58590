import Foundation
import XCTest

import Loupe
@testable import LoupeNumPy
import LoupeTestSupport

/// `.npy` reading against files NumPy wrote (Tests/Data/npy, made by
/// tools/reference/make_npy_testdata.py), round trips, and malformed input.
final class NumPyTests: XCTestCase {
    static let dataDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/npy")

    private func path(_ name: String) -> String { Self.dataDir.appendingPathComponent(name).path }

    private func read(_ name: String) throws -> Tensor { try NumPy.read(contentsOf: path(name)) }

    private func assertBadInput(
        _ body: @autoclosure () throws -> Tensor, containing fragment: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case LoupeError.badInput(let message) = error else {
                return XCTFail("expected LoupeError.badInput, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(fragment), "message \"\(message)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    }

    // MARK: Files NumPy wrote

    func testFloat32() throws {
        let t = try read("f4_2x3.npy")
        XCTAssertEqual(t.dtype, .float32)
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.storage, .float([-1, -0.5, 0, 0.5, 1, 1.5]))
    }

    func testFloat64IsConverted() throws {
        let t = try read("f8_2x3.npy")
        XCTAssertEqual(t.dtype, .float64)
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.storage, .float([-0.5, -0.25, 0, 0.25, 0.5, 0.75]))
    }

    func testFloat16IsConvertedExactly() throws {
        let t = try read("f2_6.npy")
        XCTAssertEqual(t.dtype, .float16)
        let v = t.floats
        XCTAssertEqual(v.count, 6)
        XCTAssertEqual(v[0].bitPattern, Float(0).bitPattern)
        XCTAssertEqual(v[1].bitPattern, Float(-0.0).bitPattern)
        XCTAssertEqual(v[2], Float(sign: .plus, exponent: -24, significand: 1))  // smallest subnormal
        XCTAssertEqual(v[3], 65504)
        XCTAssertEqual(v[4], -.infinity)
        XCTAssertEqual(v[5], 1.5)
        XCTAssertTrue(NumPy.floatFromHalf(0x7E00).isNaN)
    }

    func testIntegerTypes() throws {
        let cases: [(String, DType, [Int], [Int64])] = [
            ("i1_4.npy", .int8, [4], [-128, -1, 0, 127]),
            ("u1_4.npy", .uint8, [4], [0, 1, 128, 255]),
            ("i2_3.npy", .int16, [3], [-32768, 0, 32767]),
            ("u2_3.npy", .uint16, [3], [0, 1, 65535]),
            ("i4_2x2.npy", .int32, [2, 2], [-2_147_483_648, -1, 0, 2_147_483_647]),
            ("u4_2.npy", .uint32, [2], [0, 4_294_967_295]),
            ("i8_3.npy", .int64, [3], [-(1 << 40), 0, 1 << 62]),
            ("b1_4.npy", .bool, [4], [1, 0, 0, 1]),
        ]
        for (name, dtype, shape, values) in cases {
            let t = try read(name)
            XCTAssertEqual(t.dtype, dtype, name)
            XCTAssertEqual(t.shape, shape, name)
            XCTAssertEqual(t.storage, .int(values), name)
        }
    }

    func testHeaderVersions2And3() throws {
        let v1 = try read("f4_2x3.npy")
        XCTAssertEqual(try read("f4_v2.npy"), v1)
        XCTAssertEqual(try read("f4_v3.npy"), v1)
    }

    func testScalarEmptyAndRank4() throws {
        let s = try read("f4_scalar.npy")
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.storage, .float([3.25]))
        let e = try read("f4_0x3.npy")
        XCTAssertEqual(e.shape, [0, 3])
        XCTAssertEqual(e.count, 0)
        let r4 = try read("f4_1x3x2x2.npy")
        XCTAssertEqual(r4.shape, [1, 3, 2, 2])
        XCTAssertEqual(r4.floats, (0..<12).map { Float($0) / 8 })
    }

    func testRejectedFiles() {
        assertBadInput(try read("bad_fortran.npy"), containing: "Fortran order")
        assertBadInput(try read("bad_bigendian.npy"), containing: "big-endian")
        assertBadInput(try read("bad_structured.npy"), containing: "structured")
        assertBadInput(try read("bad_complex.npy"), containing: "unsupported .npy dtype '<c8'")
        // The file name is part of the message.
        assertBadInput(try read("bad_fortran.npy"), containing: "bad_fortran.npy")
    }

    func testMissingFileIsIOError() {
        XCTAssertThrowsError(try NumPy.read(contentsOf: "/nonexistent/x.npy")) { error in
            guard case LoupeError.io = error else { return XCTFail("expected LoupeError.io, got \(error)") }
        }
    }

    func testFIFOAndDeviceAreNamedNotBlockedOn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("x.npy").path
        guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("mkfifo failed: errno \(errno)") }
        // Opening a FIFO for reading blocks until a writer appears: a regression hangs here.
        for (path, kind) in [(fifo, "a FIFO (named pipe)"), ("/dev/zero", "a character device"), (dir.path, "a directory")] {
            XCTAssertThrowsError(try NumPy.read(contentsOf: path)) { error in
                guard case LoupeError.io(let message) = error else { return XCTFail("expected LoupeError.io, got \(error)") }
                XCTAssertTrue(message.contains("'\(path)' is \(kind), not a regular file"), message)
                XCTAssertFalse(message.contains("permission"), message)
            }
        }
    }

    // MARK: Writing

    /// Writing to a path that is a device goes through the device: a link to /dev/full
    /// fails with an error naming the path and stays a link (an atomic write renamed a new
    /// file over it and reported success; run as root at /dev/full itself, it replaced the
    /// device), and a link to /dev/null takes the array.
    func testWriteToADeviceWritesThroughAndReportsFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-npy-dev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = dir.appendingPathComponent("full.npy").path, null = dir.appendingPathComponent("null.npy").path
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "/dev/full")
        try FileManager.default.createSymbolicLink(atPath: null, withDestinationPath: "/dev/null")
        let t = Tensor(shape: [2], floats: [1, 2])
        XCTAssertThrowsError(try NumPy.write(t, to: full)) { error in
            guard case LoupeError.io(let message) = error else { return XCTFail("expected LoupeError.io, got \(error)") }
            XCTAssertTrue(message.contains(full), message)
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: full), "/dev/full")
        XCTAssertNoThrow(try NumPy.write(t, to: null))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: null), "/dev/null")
    }

    func testWriteMatchesNumPyBytes() throws {
        // NumPy's own file for the same float32 array: identical header and data.
        let numpyBytes = try Data(contentsOf: URL(fileURLWithPath: path("f4_2x3.npy")))
        let t = Tensor(shape: [2, 3], floats: [-1, -0.5, 0, 0.5, 1, 1.5])
        XCTAssertEqual(try NumPy.encode(t), numpyBytes)
        let i8 = try Data(contentsOf: URL(fileURLWithPath: path("i8_3.npy")))
        XCTAssertEqual(try NumPy.encode(Tensor(shape: [3], ints: [-(1 << 40), 0, 1 << 62])), i8)
        let scalar = try Data(contentsOf: URL(fileURLWithPath: path("f4_scalar.npy")))
        XCTAssertEqual(try NumPy.encode(Tensor(shape: [], floats: [3.25])), scalar)
    }

    func testRoundTrip() throws {
        var rng = SeededRandom(seed: 7)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for shape in [[], [0], [7], [2, 3], [1, 3, 5, 4], [2, 1, 1, 3, 2]] as [[Int]] {
            let n = shape.reduce(1, *)
            let f = Tensor(shape: shape, floats: (0..<n).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBF7F_FFFF) })
            let file = dir.appendingPathComponent("f.npy").path
            try NumPy.write(f, to: file)
            XCTAssertEqual(try NumPy.read(contentsOf: file), f, "shape \(shape), seed 7")
            let i = Tensor(shape: shape, ints: (0..<n).map { _ in Int64(bitPattern: rng.next()) })
            XCTAssertEqual(try NumPy.read(data: NumPy.encode(i)), i, "shape \(shape), seed 7")
        }
        // Non-float32 dtypes are written as float32 / int64.
        let half = Tensor(shape: [2], floats: [1, 2], dtype: .float16)
        XCTAssertEqual(try NumPy.read(data: NumPy.encode(half)).dtype, .float32)
        let bytes = Tensor(shape: [2], ints: [1, 200], dtype: .uint8)
        let back = try NumPy.read(data: NumPy.encode(bytes))
        XCTAssertEqual(back.dtype, .int64)
        XCTAssertEqual(back.ints, [1, 200])
    }

    func testEncodedHeaderIsAlignedTo64Bytes() throws {
        for rank in 0..<12 {
            let t = Tensor(shape: Array(repeating: 1, count: rank), floats: [0])
            let d = try NumPy.encode(t)
            let headerLength = Int(d[8]) | Int(d[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0)
            XCTAssertEqual(d[10 + headerLength - 1], UInt8(ascii: "\n"))
        }
    }

    // MARK: Malformed input never crashes

    private func header(_ dict: String, version: UInt8 = 1, data: [UInt8] = []) -> Data {
        var d = Data(NumPy.magic)
        let h = Array(dict.utf8)
        d.append(contentsOf: [version, 0])
        if version == 1 {
            d.append(contentsOf: [UInt8(h.count & 0xFF), UInt8(h.count >> 8)])
        } else {
            d.append(contentsOf: [UInt8(h.count & 0xFF), UInt8(h.count >> 8), 0, 0])
        }
        d.append(contentsOf: h)
        d.append(contentsOf: data)
        return d
    }

    func testMalformedHeaders() {
        let four: [UInt8] = [0, 0, 0x80, 0x3F]  // 1.0f
        let cases: [(Data, String)] = [
            (Data(), "not a .npy file"),
            (Data("NUMPY not really".utf8), "not a .npy file"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", version: 4, data: four), "version 4.0"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: four), "needs 8 bytes, the file has 4"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: four + four), "needs 4 bytes, the file has 8"),
            (header("{'descr': '<f4', 'fortran_order': False}", data: four), "no 'shape'"),
            (header("{'descr': '<f4', 'shape': (1,)}", data: four), "fortran_order"),
            (header("{'fortran_order': False, 'shape': (1,)}", data: four), "no 'descr'"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", data: four), "unexpected key 'x'"),
            (header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", data: four), "duplicate key"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", data: four), "trailing characters"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", data: four), "malformed .npy header"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", data: four), "bad integer"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", data: four), "too large"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 'a')}", data: four), "no 'shape' tuple"),
            (header("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,)}", data: four), "fortran_order"),
            (header("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", data: four), "malformed .npy header"),
            (header("{'descr': 'f4', 'fortran_order': False, 'shape': (1,)}", data: four), "bad byte-order"),
            (header("{'descr': '', 'fortran_order': False, 'shape': (1,)}", data: four), "unsupported .npy dtype"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((1,)))))))))))))))))) }", data: four), "nesting too deep"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", data: four), "malformed .npy header"),
            (header("", data: four), "malformed .npy header"),
        ]
        for (bytes, fragment) in cases {
            assertBadInput(try NumPy.read(data: bytes), containing: fragment)
        }
        // A header length pointing past the end of the file.
        var d = header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: four)
        d[8] = 0xFF
        d[9] = 0xFF
        assertBadInput(try NumPy.read(data: d), containing: "truncated .npy header")
        var v2 = header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", version: 2, data: four)
        v2[11] = 0x80  // a 2 GiB header
        assertBadInput(try NumPy.read(data: v2), containing: "truncated .npy header")
    }

    func testEveryTruncationThrows() throws {
        for name in ["f4_2x3.npy", "f4_v3.npy", "i8_3.npy", "f2_6.npy", "f4_1x3x2x2.npy"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path(name)))
            for n in 0..<bytes.count {
                XCTAssertThrowsError(try NumPy.read(data: bytes.prefix(n)), "\(name) cut to \(n) bytes")
            }
        }
    }

    func testRandomCorruptionNeverCrashes() throws {
        let seed: UInt64 = 0x5EED_2026
        var rng = SeededRandom(seed: seed)
        let original = try Data(contentsOf: URL(fileURLWithPath: path("f4_1x3x2x2.npy")))
        var accepted = 0
        for _ in 0..<5000 {
            var d = original
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(128))  // the preamble and header
                d[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if let t = try? NumPy.read(data: d) {
                accepted += 1
                XCTAssertEqual(t.count * MemoryLayout<Float>.size <= d.count, true, "seed \(seed)")
            }
        }
        for _ in 0..<2000 {
            let n = Int(rng.next() % 300)
            var d = Data(NumPy.magic + [1, 0])
            d.append(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            _ = try? NumPy.read(data: d)
        }
        // Most single-byte corruptions of the header are caught; some (a space turned into a
        // tab) are harmless. The point is that nothing crashed.
        XCTAssertLessThan(accepted, 5000, "seed \(seed)")
    }
}
