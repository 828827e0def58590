import Foundation
import Loupe
import LoupeImaging
import LoupeProfile
import XCTest

/// `Profiler.profileImage` and `loupe profile --image --preset`: ms per photo split into
/// decode, preprocess and inference. Small models and 2 runs keep these fast.
final class ProfileImageTests: XCTestCase {
    static let photo = ProfilerTests.repo.appendingPathComponent("Tests/Data/kodak/kodim01.jpg").path

    func photoPath() throws -> String {
        guard FileManager.default.fileExists(atPath: Self.photo) else { throw XCTSkip("Kodak photo absent at \(Self.photo)") }
        return Self.photo
    }

    static let symbolic: [Dim] = [.param("batch"), .value(3), .param("h"), .param("w")]

    func checkStatistics(_ t: ProfileReport.ImageTiming, file: StaticString = #filePath, line: UInt = #line) {
        for s in [t.decodeMs, t.preprocessMs, t.inferenceMs, t.totalMs] {
            XCTAssertGreaterThan(s.min, 0, file: file, line: line)
            XCTAssertLessThanOrEqual(s.min, s.median, file: file, line: line)
            XCTAssertLessThanOrEqual(s.median, s.max, file: file, line: line)
        }
        // The total of each run is the sum of its stages, so the bounds add up.
        XCTAssertGreaterThanOrEqual(t.totalMs.max + 1e-9, t.decodeMs.min + t.preprocessMs.min + t.inferenceMs.min, file: file, line: line)
        XCTAssertLessThanOrEqual(t.totalMs.min, t.decodeMs.max + t.preprocessMs.max + t.inferenceMs.max + 1e-9, file: file, line: line)
    }

    /// A model with symbolic height and width takes the preset's sizes.
    func testSymbolicModelTakesThePresetSizes() throws {
        let g = ProfilerTests.convModel(Self.symbolic)
        XCTAssertEqual(Profiler.presetInputShapes(g, preset: .gsPiqa), ["x": [1, 3, 384, 384]])
        XCTAssertEqual(Profiler.presetInputShapes(ProfilerTests.convModel(), preset: .gsPiqa), [:], "static inputs are left alone")
        let t = try Profiler.profileImage(graph: g, imagePath: try photoPath(), preset: .gsPiqa, options: .init(runs: 2, warmup: 1))
        XCTAssertEqual(t.preset, "gs-piqa")
        XCTAssertEqual(t.views, 1)
        XCTAssertEqual(t.runs, 2)
        XCTAssertEqual(t.warmup, 1)
        XCTAssertEqual(t.path, Self.photo)
        // kodim01 is 768x512: gs-piqa needs no downscaled decode.
        XCTAssertEqual(t.decodedWidth, 768)
        XCTAssertEqual(t.decodedHeight, 512)
        checkStatistics(t)
    }

    /// clip-iqa: 11 views of one 224x224 input; the inference time covers all of them.
    func testMultiViewPresetTimesEveryView() throws {
        let g = ProfilerTests.convModel(Self.symbolic)
        let t = try Profiler.profileImage(graph: g, imagePath: try photoPath(), preset: .clipIqa, options: .init(runs: 2, warmup: 0))
        XCTAssertEqual(t.views, 11)
        checkStatistics(t)
    }

    func testModelThatDoesNotTakeThePresetIsRejected() throws {
        // Static 64x64 input; baseline makes 720x1280.
        XCTAssertThrowsError(try Profiler.profileImage(graph: ProfilerTests.convModel(), imagePath: try photoPath(), preset: .baseline,
                                                       options: .init(runs: 1, warmup: 0))) { error in
            guard case LoupeError.badInput(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("baseline"), m)
        }
        // ciplab makes three tensors; the model has one input.
        XCTAssertThrowsError(try Profiler.profileImage(graph: ProfilerTests.convModel(Self.symbolic), imagePath: try photoPath(),
                                                       preset: .ciplab, options: .init(runs: 1, warmup: 0)))
    }

    func testUndecodablePhotoThrows() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-not-a-photo-\(UUID().uuidString).jpg")
        try Data("not a jpeg".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        XCTAssertThrowsError(try Profiler.profileImage(graph: ProfilerTests.convModel(Self.symbolic), imagePath: bad.path,
                                                       preset: .gsPiqa, options: .init(runs: 1, warmup: 0)))
    }

    /// The report's JSON has the `image` key (null without a photo).
    func testJSONImageKey() throws {
        let g = ProfilerTests.convModel(Self.symbolic)
        var report = try Profiler.profile(graph: g, options: .init(inputShapes: Profiler.presetInputShapes(g, preset: .gsPiqa), timed: false))
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        XCTAssertTrue(object["image"] is NSNull)
        report.image = try Profiler.profileImage(graph: g, imagePath: try photoPath(), preset: .gsPiqa, options: .init(runs: 2, warmup: 0))
        object = try XCTUnwrap(JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let image = try XCTUnwrap(object["image"] as? [String: Any])
        XCTAssertEqual(image["preset"] as? String, "gs-piqa")
        XCTAssertEqual(image["views"] as? Int, 1)
        for key in ["decode_ms", "preprocess_ms", "inference_ms", "total_ms"] {
            let t = try XCTUnwrap(image[key] as? [String: Double], key)
            XCTAssertEqual(Set(t.keys), ["median", "min", "max", "p90", "p99"], key)
        }
        XCTAssertEqual(try JSONDecoder().decode(ProfileReport.self, from: report.jsonData()), report, "round trip")
        XCTAssertTrue(report.html().contains("ms decode"))
    }
}
