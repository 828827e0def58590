import Foundation
import LoupeIR
import XCTest
@testable import LoupeImaging
import LoupeTestSupport

final class DecoderTests: XCTestCase {
    struct Manifest: Decodable {
        struct Entry: Decodable { var file: String; var expected: String; var scale: Int?; var orientation: Int? }
        var png: [Entry]
        var jpeg: [Entry]
        var orientation: [Entry]
    }

    /// Images made by reference.py make-images, once per test process.
    static let made: Result<(TempDir, Manifest), Error> = Result {
        try Python.require()
        let dir = try TempDir()
        try Python.reference(["make-images", dir.url.path, Paths.kodim(23)])
        let data = try Data(contentsOf: dir.url.appendingPathComponent("manifest.json"))
        return (dir, try JSONDecoder().decode(Manifest.self, from: data))
    }

    func manifest() throws -> Manifest { try Self.made.get().1 }

    func assertBadImage(_ body: @autoclosure () throws -> RGBImage, contains: String? = nil,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        do {
            let img = try body()
            XCTFail("decoded \(img.width)x\(img.height), expected an error. \(message)", file: file, line: line)
        } catch LoupeError.badImage(_, let reason) {
            if let contains { XCTAssert(reason.contains(contains), "reason '\(reason)' lacks '\(contains)'. \(message)", file: file, line: line) }
        } catch {
            XCTFail("unexpected error \(error). \(message)", file: file, line: line)
        }
    }

    // MARK: PNG

    func testEveryPNGColorTypeBitDepthAndInterlace() throws {
        let m = try manifest()
        XCTAssertEqual(m.png.count, 2 * 16)  // 16 kinds, plain and Adam7
        for e in m.png {
            let got = try ImageDecoder.decode(contentsOf: e.file)
            let want = try NPY.readImage(e.expected)
            XCTAssertEqual(got, want, (e.file as NSString).lastPathComponent)
        }
    }

    func testSwiftWrittenPNGRoundTrips() throws {
        let img = syntheticImage(width: 53, height: 31, seed: 1)
        XCTAssertEqual(try ImageDecoder.decode(data: Data(PNGWriter.encode(img)), name: "mem.png"), img)
    }

    // MARK: JPEG

    func testJPEGMatchesPillow() throws {
        for e in try manifest().jpeg where e.scale == 1 {
            let got = try ImageDecoder.decode(contentsOf: e.file)
            let want = try NPY.readImage(e.expected)
            let name = (e.file as NSString).lastPathComponent
            XCTAssertEqual([got.width, got.height], [want.width, want.height], name)
            let d = byteDiff(got.pixels, want.pixels)
            XCTAssertLessThanOrEqual(d.mean, 0.05, name)
            XCTAssertLessThanOrEqual(d.max, 2, name)
        }
    }

    func testJPEGDCTScalingMatchesPillowDraft() throws {
        for e in try manifest().jpeg where (e.scale ?? 1) > 1 {
            let s = e.scale!
            let full = try ImageDecoder.header(data: Data(contentsOf: URL(fileURLWithPath: e.file)), name: e.file)
            let minimum = ((full.width + s - 1) / s, (full.height + s - 1) / s)
            let got = try ImageDecoder.decode(contentsOf: e.file, options: DecodeOptions(minimumSize: minimum))
            let want = try NPY.readImage(e.expected)
            let name = "\((e.file as NSString).lastPathComponent) 1/\(s)"
            XCTAssertEqual([got.width, got.height], [want.width, want.height], name)
            let d = byteDiff(got.pixels, want.pixels)
            XCTAssertLessThanOrEqual(d.mean, 0.05, name)
            XCTAssertLessThanOrEqual(d.max, 2, name)
        }
    }

    func testDCTScaleIsTheLargestReductionCoveringTheMinimum() throws {
        let path = Paths.kodim(1)  // 768x512
        func size(_ m: (Int, Int)?) throws -> [Int] {
            let img = try ImageDecoder.decode(contentsOf: path, options: DecodeOptions(minimumSize: m))
            return [img.width, img.height]
        }
        XCTAssertEqual(try size(nil), [768, 512])
        XCTAssertEqual(try size((96, 64)), [96, 64])
        XCTAssertEqual(try size((97, 64)), [192, 128])
        XCTAssertEqual(try size((100, 100)), [192, 128])
        XCTAssertEqual(try size((384, 256)), [384, 256])
        XCTAssertEqual(try size((385, 10)), [768, 512])
        XCTAssertEqual(try size((5000, 5000)), [768, 512])
        XCTAssertEqual(ImageDecoder.jpegScale(width: 3840, height: 2160, minimum: (672, 672)), 2)
        XCTAssertEqual(ImageDecoder.jpegScale(width: 3840, height: 2160, minimum: (480, 270)), 8)
    }

    // MARK: EXIF orientation

    func testAllEightEXIFOrientationsMatchPillowExifTranspose() throws {
        let m = try manifest()
        XCTAssertEqual(m.orientation.count, 8)
        for e in m.orientation {
            let data = try Data(contentsOf: URL(fileURLWithPath: e.file))
            let header = try ImageDecoder.header(data: data, name: e.file)
            XCTAssertEqual(header.orientation, e.orientation)
            let got = try ImageDecoder.decode(data: data, name: e.file)
            let want = try NPY.readImage(e.expected)
            XCTAssertEqual([got.width, got.height], [want.width, want.height], "orientation \(e.orientation!)")
            XCTAssertEqual([got.width, got.height], [header.displayWidth, header.displayHeight])
            let d = byteDiff(got.pixels, want.pixels)
            XCTAssertLessThanOrEqual(d.max, 2, "orientation \(e.orientation!)")
            let stored = try ImageDecoder.decode(data: data, name: e.file, options: DecodeOptions(applyEXIFOrientation: false))
            XCTAssertEqual([stored.width, stored.height], [61, 40])
            XCTAssertEqual(stored.oriented(exif: e.orientation!), got)
        }
    }

    func testMinimumSizeIsInDisplayOrientation() throws {
        let m = try manifest()
        let rotated = m.orientation.first { $0.orientation == 6 }!  // stored 61x40, shown 40x61
        let img = try ImageDecoder.decode(contentsOf: rotated.file, options: DecodeOptions(minimumSize: (20, 31)))
        XCTAssertEqual([img.width, img.height], [20, 31])  // 1/2 of stored 61x40, rotated
        let img2 = try ImageDecoder.decode(contentsOf: rotated.file, options: DecodeOptions(minimumSize: (31, 20)))
        XCTAssertEqual([img2.width, img2.height], [40, 61])  // 1/2 would be 20x31 shown: too narrow
    }

    /// The orientation kernel against the definition (no Python needed).
    func testOrientationKernelAgainstDefinition() {
        let w = 7, h = 4
        let img = syntheticImage(width: w, height: h, seed: 9)
        // Source pixel (x, y) for each output pixel (ox, oy), per orientation.
        let maps: [Int: (Int, Int) -> (Int, Int)] = [
            1: { ($0, $1) }, 2: { (w - 1 - $0, $1) }, 3: { (w - 1 - $0, h - 1 - $1) }, 4: { ($0, h - 1 - $1) },
            5: { ($1, $0) }, 6: { ($1, h - 1 - $0) }, 7: { (w - 1 - $1, h - 1 - $0) }, 8: { (w - 1 - $1, $0) },
        ]
        for o in 1...8 {
            let out = img.oriented(exif: o)
            XCTAssertEqual([out.width, out.height], o >= 5 ? [h, w] : [w, h])
            for oy in 0..<out.height {
                for ox in 0..<out.width {
                    let (x, y) = maps[o]!(ox, oy)
                    XCTAssert(out[ox, oy] == img[x, y], "orientation \(o) at \(ox),\(oy)")
                }
            }
        }
        XCTAssertEqual(img.oriented(exif: 0), img)
        XCTAssertEqual(img.oriented(exif: 9), img)
    }

    /// Big-endian ("MM") and little-endian EXIF, and malformed ones (which mean 1).
    func testEXIFParserByteOrdersAndMalformedData() {
        func jpeg(exif tiff: [UInt8]) -> [UInt8] {
            let payload = Array("Exif".utf8) + [0, 0] + tiff
            let len = payload.count + 2
            return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(len >> 8), UInt8(len & 0xFF)] + payload + [0xFF, 0xD9]
        }
        let mm: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]
        let ii: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]
        func orientation(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer { EXIF.orientation(jpeg: $0) } }
        XCTAssertEqual(orientation(jpeg(exif: mm)), 6)
        XCTAssertEqual(orientation(jpeg(exif: ii)), 8)
        // Cut before the end of the orientation value (byte 20): not readable, so 1.
        for cut in 0..<20 { XCTAssertEqual(orientation(jpeg(exif: Array(mm[0..<cut]))), 1, "cut \(cut)") }
        var badOffset = mm; badOffset[7] = 0xF0  // IFD past the end
        XCTAssertEqual(orientation(jpeg(exif: badOffset)), 1)
        var badType = mm; badType[13] = 4  // LONG instead of SHORT
        XCTAssertEqual(orientation(jpeg(exif: badType)), 1)
        var badValue = mm; badValue[19] = 9
        XCTAssertEqual(orientation(jpeg(exif: badValue)), 1)
    }

    // MARK: Bad input

    func testZeroByteFile() throws {
        assertBadImage(try ImageDecoder.decode(data: Data(), name: "empty.jpg"), contains: "empty")
        let dir = try TempDir()
        XCTAssert(FileManager.default.createFile(atPath: dir.path("empty.png"), contents: Data()))
        assertBadImage(try ImageDecoder.decode(contentsOf: dir.path("empty.png")), contains: "empty")
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: "/nonexistent/x.jpg")) { error in
            guard case LoupeError.io = error else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedJPEGAndPNGAtManyPoints() throws {
        let jpeg = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Paths.kodim(3))))
        let png = PNGWriter.encode(syntheticImage(width: 40, height: 30, seed: 2))
        for (name, file) in [("kodim03.jpg", jpeg), ("synthetic.png", png)] {
            var cuts = Set([1, 2, 3, 4, 7, 8, 9, 16, 33, 100, file.count - 1, file.count - 2, file.count - 12])
            for k in 1..<40 { cuts.insert(file.count * k / 40) }
            for cut in cuts.sorted() where cut < file.count {
                assertBadImage(try ImageDecoder.decode(data: Data(file[0..<cut]), name: name), "\(name) cut at \(cut) of \(file.count)")
            }
        }
    }

    func testRandomBytesAndCorruptedFilesNeverCrash() throws {
        let seed: UInt64 = ProcessInfo.processInfo.environment["LOUPE_TEST_SEED"].flatMap(UInt64.init) ?? 20240
        print("DecoderTests random seed \(seed) (replay with LOUPE_TEST_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        // Pure noise, and noise behind each format's signature.
        for i in 0..<50 {
            let noise = bytes(1 + rng.below(4000))
            assertBadImage(try ImageDecoder.decode(data: Data(noise), name: "noise\(i)"), "seed \(seed) case \(i)")
            assertBadImage(try ImageDecoder.decode(data: Data([0xFF, 0xD8, 0xFF] + noise), name: "jnoise\(i)"), "seed \(seed)")
            assertBadImage(try ImageDecoder.decode(data: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + noise), name: "pnoise\(i)"), "seed \(seed)")
        }
        // Byte flips in valid files: an error or an image, never a crash.
        let jpeg = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Paths.kodim(4))))
        let png = PNGWriter.encode(syntheticImage(width: 64, height: 48, seed: 3))
        var decoded = 0, refused = 0
        for file in [jpeg, png] {
            for _ in 0..<60 {
                var f = file
                for _ in 0..<(1 + rng.below(8)) { f[rng.below(f.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                do { _ = try ImageDecoder.decode(data: Data(f), name: "flipped"); decoded += 1 } catch { refused += 1 }
            }
        }
        print("byte flips: \(decoded) decoded, \(refused) refused")
    }

    func testFormatComesFromMagicBytesNotTheName() throws {
        let img = syntheticImage(width: 20, height: 10, seed: 4)
        let dir = try TempDir()
        let misnamed = dir.path("photo.jpg")
        try Data(PNGWriter.encode(img)).write(to: URL(fileURLWithPath: misnamed))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: misnamed), img)
        let jpegAsPNG = dir.path("photo.png")
        try Data(contentsOf: URL(fileURLWithPath: Paths.kodim(5))).write(to: URL(fileURLWithPath: jpegAsPNG))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: jpegAsPNG).width, 768)
        let text = dir.path("notes.jpg")
        try Data("hello, not a photo".utf8).write(to: URL(fileURLWithPath: text))
        assertBadImage(try ImageDecoder.decode(contentsOf: text), contains: "not a JPEG or PNG")
        assertBadImage(try ImageDecoder.decode(data: Data("GIF89a........".utf8), name: "a.gif"), contains: "GIF")
        assertBadImage(try ImageDecoder.decode(data: Data("RIFF\0\0\0\0WEBPVP8 ".utf8), name: "a.webp"), contains: "WebP")
    }

    func testHugeDeclaredSizeIsRefusedFromTheHeader() throws {
        // Both would need 30 GB; the cap is checked from the header before any allocation.
        let tiny = syntheticImage(width: 2, height: 2, seed: 5)
        let png = PNGWriter.encode(tiny, declared: (100_000, 100_000))
        assertBadImage(try ImageDecoder.decode(data: Data(png), name: "huge.png"), contains: "pixel cap")
        var jpeg = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Paths.kodim(6))))
        let sof = try XCTUnwrap((2..<jpeg.count - 9).first { jpeg[$0] == 0xFF && (0xC0...0xC2).contains(jpeg[$0 + 1]) })
        jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60  // height 60000
        jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60  // width 60000
        let header = try ImageDecoder.header(data: Data(jpeg), name: "huge.jpg")
        XCTAssertEqual([header.width, header.height], [60000, 60000])
        assertBadImage(try ImageDecoder.decode(data: Data(jpeg), name: "huge.jpg"), contains: "pixel cap")
        // A real photo over a small cap.
        assertBadImage(try ImageDecoder.decode(contentsOf: Paths.kodim(1), options: DecodeOptions(maxPixels: 768 * 512 - 1)),
                       contains: "pixel cap")
        XCTAssertNoThrow(try ImageDecoder.decode(contentsOf: Paths.kodim(1), options: DecodeOptions(maxPixels: 768 * 512)))
    }

    func testDecodeForPresetPicksTheScale() throws {
        try Python.require()
        let dir = try TempDir()
        let path = dir.path("uhd.jpg")
        try Python.reference(["synthetic", "3840", "2160", "11", path])
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path, for: .baseline).width, 3840)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path, for: .clipIqa).width, 1920)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path, for: .nfRegnets).width, 1920)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path, for: .sjtu).width, 3840)
    }

    func testAllKodakPhotosDecode() throws {
        for i in 1...24 {
            let img = try ImageDecoder.decode(contentsOf: Paths.kodim(i))
            XCTAssertEqual(img.width * img.height, 768 * 512, "kodim\(i)")
        }
    }
}
