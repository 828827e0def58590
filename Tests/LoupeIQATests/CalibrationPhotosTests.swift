import Foundation
import LoupeImaging
import LoupeIR
import XCTest
@testable import LoupeIQA
import LoupeTestSupport

/// Calibration photo selection (deterministic, stratified over MOS for UHD-IQA, evenly
/// spaced over a sorted folder) and the recipe that turns a photo into model inputs.
final class CalibrationPhotosTests: XCTestCase {
    let kodak = repositoryRoot.appendingPathComponent("Tests/Data/kodak")

    func testEvenlySpacedTakesTheMiddleOfEachRun() throws {
        let items = Array(0..<10)
        XCTAssertEqual(try CalibrationPhotos.evenlySpaced(items, count: 5), [1, 3, 5, 7, 9])
        XCTAssertEqual(try CalibrationPhotos.evenlySpaced(items, count: 1), [5])
        XCTAssertEqual(try CalibrationPhotos.evenlySpaced(items, count: 10), items)
        XCTAssertEqual(try CalibrationPhotos.evenlySpaced(items, count: 3), [1, 5, 8])
        // Distinct picks for every count up to n.
        for n in 1...40 {
            for c in 1...n {
                let picked = try CalibrationPhotos.evenlySpaced(Array(0..<n), count: c)
                XCTAssertEqual(Set(picked).count, c, "n \(n) count \(c)")
                XCTAssertEqual(picked, picked.sorted(), "n \(n) count \(c)")
            }
        }
        XCTAssertThrowsError(try CalibrationPhotos.evenlySpaced(items, count: 11)) {
            XCTAssertTrue("\($0)".contains("asked for 11 items, only 10"), "\($0)")
        }
        XCTAssertThrowsError(try CalibrationPhotos.evenlySpaced(items, count: 0))
    }

    func testFolderSelectionIsSortedAndDeterministic() throws {
        let dir = try makeTemporaryDirectory(self)
        let sub = dir.appendingPathComponent("b-sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        // Copied in an order unlike the sorted one: selection must not depend on it.
        for (i, n) in [5, 1, 3, 2, 4].enumerated() {
            try FileManager.default.copyItem(at: kodak.appendingPathComponent(String(format: "kodim%02d.jpg", n)),
                                             to: dir.appendingPathComponent("a\(n)-\(i).jpg"))
        }
        try FileManager.default.copyItem(at: kodak.appendingPathComponent("kodim06.jpg"), to: sub.appendingPathComponent("x.jpg"))
        try "not a photo".write(to: dir.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: kodak.appendingPathComponent("kodim07.jpg"), to: dir.appendingPathComponent(".hidden.jpg"))

        let all = try CalibrationPhotos.folder(dir.path, count: 6)
        XCTAssertEqual(all.map(\.name), ["a1-1.jpg", "a2-3.jpg", "a3-2.jpg", "a4-4.jpg", "a5-0.jpg", "b-sub/x.jpg"])
        XCTAssertTrue(all.allSatisfy { FileManager.default.fileExists(atPath: $0.path) && $0.mos == nil })
        let three = try CalibrationPhotos.folder(dir.path, count: 3)
        XCTAssertEqual(three.map(\.name), ["a2-3.jpg", "a4-4.jpg", "b-sub/x.jpg"])
        XCTAssertEqual(try CalibrationPhotos.folder(dir.path, count: 3), three)

        XCTAssertThrowsError(try CalibrationPhotos.folder(dir.path, count: 7)) {
            XCTAssertTrue("\($0)".contains("holds 6 photo(s), fewer than the 7 asked for; give --count 6 or less"), "\($0)")
        }
        XCTAssertEqual(try CalibrationPhotos.folder(dir.path, count: 7, orFewer: true), all, "orFewer: all of them")
        XCTAssertEqual(try CalibrationPhotos.folder(dir.path, count: 3, orFewer: true), three)
        let empty = try makeTemporaryDirectory(self)
        try "x".write(to: empty.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CalibrationPhotos.folder(empty.path, count: 1)) {
            XCTAssertTrue("\($0)".contains("no JPEG or PNG photos in"), "\($0)")
        }
        XCTAssertThrowsError(try CalibrationPhotos.folder(dir.appendingPathComponent("missing").path, count: 1)) {
            XCTAssertTrue("\($0)".contains("no such folder"), "\($0)")
        }
    }

    func testUHDIQASelectionIsStratifiedOverTheSplitsMOS() throws {
        let dir = try makeTemporaryDirectory(self)
        // 40 training photos with MOS 0.40 … 0.79 (shuffled), 3 validation photos.
        var rng = SeededRandom(seed: 11)
        var rows = (0..<40).shuffled(using: &rng).map { "\"t\($0).jpg\",\(Double(40 + $0) / 100),\"training\",\"\",3840,2160,1,u,p" }
        rows += (0..<3).map { "\"v\($0).jpg\",0.5,\"validation\",\"exclusive\",3840,2160,1,u,p" }
        try ([UHDIQATests.header] + rows).joined(separator: "\n").write(
            to: dir.appendingPathComponent("uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)

        let picked = try CalibrationPhotos.uhdIQA(root: dir.path, split: .training, count: 4)
        XCTAssertEqual(picked.map(\.name), ["t5.jpg", "t15.jpg", "t25.jpg", "t35.jpg"])
        XCTAssertEqual(picked.compactMap(\.mos), [0.45, 0.55, 0.65, 0.75])
        XCTAssertEqual(picked[0].path, dir.appendingPathComponent("training/t5.jpg").path)
        XCTAssertEqual(try CalibrationPhotos.uhdIQA(root: dir.path, split: .training, count: 4), picked)
        XCTAssertEqual(try CalibrationPhotos.uhdIQA(root: dir.path, split: .validation, count: 3).count, 3)

        XCTAssertThrowsError(try CalibrationPhotos.uhdIQA(root: dir.path, split: .validation, count: 4)) {
            XCTAssertTrue("\($0)".contains("the validation split of \(dir.path) has 3 photo(s), fewer than the 4 asked for"), "\($0)")
        }
        XCTAssertEqual(try CalibrationPhotos.uhdIQA(root: dir.path, split: .validation, count: 4, orFewer: true).count, 3)
        XCTAssertThrowsError(try CalibrationPhotos.uhdIQA(root: dir.path, split: .test, count: 1, orFewer: true), "an empty split still fails")
        XCTAssertThrowsError(try CalibrationPhotos.uhdIQA(root: dir.path, split: .test, count: 1)) {
            XCTAssertTrue("\($0)".contains("has 0 photo(s)"), "\($0)")
        }
        let noMOS = try makeTemporaryDirectory(self)
        try "image_name,set,subset,orig_width,orig_height\n1.jpg,training,,1,1\n".write(
            to: noMOS.appendingPathComponent("uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CalibrationPhotos.uhdIQA(root: noMOS.path, split: .training, count: 1)) {
            XCTAssertTrue("\($0)".contains("missing column 'quality_mos'"), "\($0)")
        }
    }

    func testRecipeImpliedByInputShape() throws {
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[1, 3, 720, 1280]]), .preset(.baseline))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[nil, 3, 224, 224]]), .preset(.clipIqa))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[1, 3, 384, 384]]), .preset(.gsPiqa))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: Array(repeating: [1, 3, 224, 224], count: 3)), .preset(.ciplab))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[1, 3, 384, 384], [1, 3, 384, 768], [1, 3, 384, 1152]]), .preset(.nfRegnets))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[1, 3, 48, 64]]), .resize(width: 64, height: 48))
        XCTAssertEqual(try InputRecipe.implied(byInputShapes: [[nil, 3, 48, 64]]), .resize(width: 64, height: 48))
        XCTAssertThrowsError(try InputRecipe.implied(byInputShapes: [[nil, 3, nil, nil]])) {
            XCTAssertTrue("\($0)".contains("fits several presets (baseline, gs-piqa, clip-iqa)"), "\($0)")
        }
        XCTAssertThrowsError(try InputRecipe.implied(byInputShapes: [[1, 1, 48, 64]])) {
            XCTAssertTrue("\($0)".contains("no preset makes the model's input shape [1x1x48x64]"), "\($0)")
        }
        XCTAssertThrowsError(try InputRecipe.implied(byInputShapes: [[1, 3, 48, 64], [1, 3, 48, 64]]))
    }

    /// The resize fallback against Pillow: the whole photo, bilinear with antialiasing,
    /// ImageNet normalization. Loupe decodes at 1/8 DCT scale first (the output is 1/12 of
    /// the photo), which Pillow's full decode does not, so the budget is a mean of 1.5 and
    /// a max of 12 8-bit levels rather than the presets' ±1.
    func testResizeRecipeMatchesPillow() throws {
        let dir = try makeTemporaryDirectory(self)
        let photo = kodak.appendingPathComponent("kodim03.jpg").path
        let views = try InputRecipe.resize(width: 64, height: 48).prepare(contentsOf: photo)
        XCTAssertEqual(views.count, 1)
        XCTAssertEqual(views[0].count, 1)
        XCTAssertEqual(views[0][0].shape, [1, 3, 48, 64])
        let raw = dir.appendingPathComponent("loupe.f32")
        try views[0][0].floats.withUnsafeBufferPointer { try Data(buffer: $0).write(to: raw) }
        guard let (status, output) = try runPython("""
            import sys, numpy as np
            from PIL import Image
            a = np.fromfile(sys.argv[2], np.float32).reshape(3, 48, 64)
            ref = np.asarray(Image.open(sys.argv[1]).convert('RGB').resize((64, 48), Image.BILINEAR), np.float32) / 255
            ref = ((ref - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).transpose(2, 0, 1)
            d = np.abs(a - ref) * np.array([0.229, 0.224, 0.225])[:, None, None] * 255
            print(f"{d.mean():.3f} {d.max():.3f}")
            """, arguments: [photo, raw.path]) else { throw XCTSkip("python3 is not installed") }
        if status != 0 && output.contains("ModuleNotFoundError") { throw XCTSkip("python3 lacks numpy or PIL") }
        XCTAssertEqual(status, 0, output)
        let parts = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(parts.count, 2, output)
        XCTAssertLessThanOrEqual(parts[0], 1.5, "mean |Δ| in 8-bit levels: \(output)")
        XCTAssertLessThanOrEqual(parts[1], 12, "max |Δ| in 8-bit levels: \(output)")
    }
}
