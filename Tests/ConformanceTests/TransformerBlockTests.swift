import Foundation
import XCTest
import Loupe
import LoupeNumPy
import LoupeTestSupport

/// A ViT-style encoder block (Tests/Tools/transformers/encoder_block.py: onnx.helper, seeded
/// weights) in the forms exporters write it — LayerNormalization and Gelu ops (opsets 20 and
/// 17), and both written out of elementary ops (opsets 13 and 18) — compiled with every node
/// on XNNPACK or a Loupe kernel and matching ONNX Runtime within 1e-4·max(1, |y|) at 1 and
/// 2 threads. Skipped when python3 with onnx, numpy and onnxruntime is missing.
final class TransformerBlockTests: XCTestCase {
    func testEncoderBlockMatchesONNXRuntime() throws {
        let script = FixtureLocation.repoRoot.appendingPathComponent("Tests/Tools/transformers/encoder_block.py").path
        let forms: [[String]] = [["--opset", "20"], ["--opset", "17"], ["--opset", "13", "--decomposed"],
                                 ["--opset", "18", "--decomposed", "--tokens", "50", "--dim", "96", "--heads", "6"]]
        for form in forms {
            try TemporaryDirectory.with(prefix: "loupe-encoder") { dir in
                try Python.guarded([script, dir.path] + form, requires: "onnx, numpy, onnxruntime")
                let x = try NumPy.read(contentsOf: dir.appendingPathComponent("x.npy").path)
                let want = try NumPy.read(contentsOf: dir.appendingPathComponent("y.npy").path).floats
                for threads in [1, 2] {
                    let model = try Model(contentsOf: dir.appendingPathComponent("model.onnx").path,
                                          options: CompileOptions(threads: threads))
                    let kinds = Set(model.optimized.nodes.map(\.op.onnxName))
                    XCTAssertTrue(kinds.contains("LayerNormalization") && kinds.contains("Gelu"),
                                  "\(form): LayerNorm and GELU are one node each, got \(kinds.sorted())")
                    let got = try XCTUnwrap(model.run(["x": x])["y"]).floats
                    XCTAssertEqual(got.count, want.count)
                    let worst = zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
                    XCTAssertLessThanOrEqual(worst, 1e-4, "\(form) at \(threads) thread(s)")
                }
            }
        }
    }
}
