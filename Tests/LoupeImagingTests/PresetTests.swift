import Foundation
import LoupeIR
import XCTest
@testable import LoupeImaging
import LoupeTestSupport

final class PresetTests: XCTestCase {
    /// Compares every preset's tensors (prepared with `.unit`, scaled back to 0...255) with
    /// reference.py on the same decoded pixels: ±1 LSB on average, ±2 at most.
    func compareWithReference(_ image: RGBImage, label: String, seed: UInt64 = 7) throws {
        try Python.require()
        let dir = try TempDir()
        try NPY.write(image, to: dir.path("in.npy"))
        try Python.reference(["presets", dir.path("in.npy"), dir.url.path, "\(seed)"])
        for preset in Preset.allCases {
            let views = try preset.prepare(image, normalization: .unit, seed: seed)
            XCTAssertEqual(views.count, preset.viewCount)
            for (v, inputs) in views.enumerated() {
                XCTAssertEqual(inputs.map(\.shape), preset.inputShapes, "\(preset)")
                for (i, tensor) in inputs.enumerated() {
                    let want = try NPY.readImage(dir.path("\(preset.rawValue)_v\(v)_i\(i).npy"))
                    let (h, w) = (tensor.shape[2], tensor.shape[3])
                    XCTAssertEqual([want.height, want.width], [h, w], "\(label) \(preset) view \(v) input \(i)")
                    guard want.height == h, want.width == w else { continue }
                    let f = tensor.floats
                    var sum = 0.0, mx = 0.0
                    for c in 0..<3 {
                        for p in 0..<(h * w) {
                            let d = abs(Double(f[c * h * w + p]) * 255 - Double(want.pixels[p * 3 + c]))
                            sum += d
                            mx = max(mx, d)
                        }
                    }
                    let mean = sum / Double(3 * h * w)
                    let where_ = "\(label) \(preset.rawValue) view \(v) input \(i): mean \(mean) max \(mx)"
                    XCTAssertLessThanOrEqual(mean, 1, where_)
                    XCTAssertLessThanOrEqual(mx, 2, where_)
                }
            }
        }
    }

    func testPresetsMatchReferenceOnA4KPhoto() throws {
        try Python.require()
        let dir = try TempDir()
        try Python.reference(["synthetic", "3840", "2160", "1", dir.path("uhd.npy")])
        try compareWithReference(try NPY.readImage(dir.path("uhd.npy")), label: "synthetic 3840x2160")
    }

    func testPresetsMatchReferenceOnSmallOddAndPortraitImages() throws {
        for (w, h, s) in [(300, 200, 2), (1001, 733, 3), (1000, 1500, 4), (2, 1, 5)] {
            try compareWithReference(syntheticImage(width: w, height: h, seed: UInt64(s)), label: "synthetic \(w)x\(h)", seed: UInt64(s))
        }
    }

    func testPresetsMatchReferenceOnKodakPhotos() throws {
        for i in [1, 4, 13, 23] {  // landscape and portrait
            try compareWithReference(try ImageDecoder.decode(contentsOf: Paths.kodim(i)), label: "kodim\(i)", seed: UInt64(i))
        }
    }

    func testPresetsMatchReferenceOnADCTScaledDecode() throws {
        try Python.require()
        let dir = try TempDir()
        try Python.reference(["synthetic", "3840", "2160", "9", dir.path("uhd.jpg")])
        let img = try ImageDecoder.decode(contentsOf: dir.path("uhd.jpg"), for: .clipIqa)
        XCTAssertEqual([img.width, img.height], [1920, 1080])
        try compareWithReference(img, label: "uhd.jpg at 1/2")
    }

    func testSplitMix64KnownValues() {
        var r = SplitMix64(seed: 0)
        XCTAssertEqual([r.next(), r.next(), r.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    func testDeterministicAndSeeded() throws {
        let img = syntheticImage(width: 640, height: 500, seed: 6)
        for preset in Preset.allCases {
            XCTAssertEqual(preset.images(img, seed: 3), preset.images(img, seed: 3), "\(preset)")
        }
        XCTAssertNotEqual(Preset.sjtu.images(img, seed: 3)[0][1], Preset.sjtu.images(img, seed: 4)[0][1])
        XCTAssertEqual(Preset.sjtu.images(img, seed: 3)[0][0], Preset.sjtu.images(img, seed: 4)[0][0])
        XCTAssertNotEqual(Preset.gsPiqa.images(img, seed: 3), Preset.gsPiqa.images(img, seed: 4))
        XCTAssertEqual(Recipes.clipPermutation(seed: 1).sorted(), Array(0..<9))
        XCTAssertNotEqual(Recipes.clipPermutation(seed: 1), Recipes.clipPermutation(seed: 2))
    }

    func testFragmentsComeFromTheirCells() {
        // Pixel value encodes its grid cell, so every spliced patch must be uniform.
        let grid = 15, patch = 32, w = 500, h = 481
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w {
            let gx = x * grid / w, gy = y * grid / h
            // Cell boundaries are floor(i * size / grid): find the cell as the recipe does.
            let cx = (0..<grid).last { $0 * w / grid <= x }!, cy = (0..<grid).last { $0 * h / grid <= y }!
            _ = (gx, gy)
            px[(y * w + x) * 3] = UInt8(cx); px[(y * w + x) * 3 + 1] = UInt8(cy)
        } }
        let out = Recipes.fragments(RGBImage(width: w, height: h, pixels: px), grid: grid, patch: patch, seed: 1)
        for y in 0..<out.height { for x in 0..<out.width {
            XCTAssertEqual(Int(out[x, y].r), x / patch); XCTAssertEqual(Int(out[x, y].g), y / patch)
        } }
    }

    func testImagenetNormalization() throws {
        let img = RGBImage(width: 1, height: 1, pixels: [255, 128, 0])
        let t = try Normalization.imagenet.tensor(img)
        XCTAssertEqual(t.shape, [1, 3, 1, 1])
        let want: [Float] = [(1 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (0 - 0.406) / 0.225]
        for c in 0..<3 { XCTAssertEqual(t.floats[c], want[c], accuracy: 1e-5) }
        XCTAssertThrowsError(try Preset.baseline.prepare(img, normalization: Normalization(mean: [0], std: [1])))
        XCTAssertThrowsError(try Normalization(mean: [0, 0, 0], std: [1, 0, 1]).tensor(img))
    }

    func testMinimumDecodeSizes() {
        for p in [Preset.baseline, .sjtu, .gsPiqa, .ciplab] {
            XCTAssert(p.minimumDecodeSize(width: 3840, height: 2160) == (3840, 2160), "\(p)")
        }
        XCTAssert(Preset.clipIqa.minimumDecodeSize(width: 3840, height: 2160) == (672, 672))
        XCTAssert(Preset.clipIqa.minimumDecodeSize(width: 500, height: 400) == (500, 400))
        XCTAssert(Preset.nfRegnets.minimumDecodeSize(width: 3840, height: 2160) == (1152, 384))
        for p in Preset.allCases { XCTAssert(p.summary.contains("§"), "\(p)") }
    }

    func testPresetGeometry() {
        XCTAssert(Recipes.coveringSize(3840, 2160, 224, 224) == (399, 224))
        XCTAssert(Recipes.ciplabScaleSize(3840, 2160, target: 960) == (960, 540))
        XCTAssert(Recipes.ciplabScaleSize(3840, 2160, target: 256) == (399, 224))
        XCTAssert(Recipes.ciplabScaleSize(3840, 2160, target: nil) == (3840, 2160))
        let cells = Recipes.clipCells(syntheticImage(width: 10, height: 7, seed: 1))
        XCTAssertEqual(cells.last, PixelRect(x: 6, y: 4, width: 3, height: 2))
    }
}
