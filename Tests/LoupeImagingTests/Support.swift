import Foundation
import LoupeIR
import XCTest
@testable import LoupeImaging
import LoupeTestSupport

/// Paths of the committed test data and tools, from this file's location.
enum Paths {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let reference = tests.appendingPathComponent("Tools/imaging/reference.py").path
    static let kodak = tests.appendingPathComponent("Data/kodak")
    static func kodim(_ i: Int) -> String { kodak.appendingPathComponent(String(format: "kodim%02d.jpg", i)).path }
}

/// A temp directory removed at deinit: tests never write into the working tree.
final class TempDir {
    let url: URL
    init() throws {
        url = try TemporaryDirectory.make(prefix: "loupe-imaging")
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The Python reference (Tests/Tools/imaging/reference.py), when python3 with numpy and
/// Pillow is installed; tests that need it skip otherwise (CI installs Pillow).
extension Python {
    static func reference(_ args: [String]) throws { try output([Paths.reference] + args) }

    static func require() throws { try require("numpy, PIL") }
}

/// Minimal .npy (format 1.0) for uint8 H x W x 3 arrays.
enum NPY {
    static func write(_ image: RGBImage, to path: String) throws {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(image.height), \(image.width), 3), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: image.pixels)
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func readImage(_ path: String) throws -> RGBImage {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93 else { throw NSError(domain: "npy", code: 1) }
        let major = bytes[6]
        let (len, start): (Int, Int) = major == 1
            ? (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
            : (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        let header = String(decoding: bytes[start..<start + len], as: UTF8.self)
        guard header.contains("'|u1'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw NSError(domain: "npy", code: 2, userInfo: [NSLocalizedDescriptionKey: header]) }
        let dims = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let body = Array(bytes[(start + len)...])
        if dims.count == 3, dims[2] == 3 { return RGBImage(width: dims[1], height: dims[0], pixels: body) }
        if dims.count == 2 {  // gray
            return RGBImage(width: dims[1], height: dims[0], pixels: body.flatMap { [$0, $0, $0] })
        }
        throw NSError(domain: "npy", code: 3, userInfo: [NSLocalizedDescriptionKey: header])
    }
}

/// Mean and max absolute difference of two equal-size byte arrays.
func byteDiff(_ a: [UInt8], _ b: [UInt8]) -> (mean: Double, max: Int) {
    precondition(a.count == b.count)
    var sum = 0, mx = 0
    for i in 0..<a.count {
        let d = abs(Int(a[i]) - Int(b[i]))
        sum += d
        mx = max(mx, d)
    }
    return (a.isEmpty ? 0 : Double(sum) / Double(a.count), mx)
}

/// A seeded synthetic image (gradients plus noise), made in Swift so tests without Python
/// still have pixels.
func syntheticImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var rng = SplitMix64(seed: seed)
    var px = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            let base = [x * 255 / max(width - 1, 1), y * 255 / max(height - 1, 1), (x + y) * 255 / max(width + height - 2, 1)]
            for c in 0..<3 { px[i + c] = UInt8(clamping: base[c] + rng.below(81) - 40) }
        }
    }
    return RGBImage(width: width, height: height, pixels: px)
}

/// A minimal PNG writer (8-bit RGB, stored deflate blocks) so decoder tests have PNGs
/// without Python, and can forge headers (e.g. a declared 100000x100000).
enum PNGWriter {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            let last: UInt8 = i + n == raw.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += raw[i..<i + n]
            i += n
        } while i < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        return out + be32(b << 16 | a)
    }

    /// An RGB8 PNG of `image`; `declared` overrides the size written in IHDR.
    static func encode(_ image: RGBImage, declared: (Int, Int)? = nil) -> [UInt8] {
        var raw: [UInt8] = []
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(y * image.width * 3)..<((y + 1) * image.width * 3)]
        }
        let (w, h) = declared ?? (image.width, image.height)
        let ihdr = be32(UInt32(w)) + be32(UInt32(h)) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
            + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }
}
