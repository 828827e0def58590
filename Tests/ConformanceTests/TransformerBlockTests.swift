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
    /// A ViT's multiply-accumulates, counted by hand: patch embedding, per block QKV,
    /// Q·Kᵀ, attention·V, projection and the two MLP layers, and the head.
    func vitMACs(image: Int, patch: Int, dim: Int, heads: Int, mlp: Int, depth: Int, classes: Int) -> Int {
        let patches = (image / patch) * (image / patch), tokens = patches + 1
        let embed = patches * dim * 3 * patch * patch
        let attention = 2 * heads * tokens * tokens * (dim / heads)
        let block = tokens * dim * 3 * dim + attention + tokens * dim * dim + 2 * tokens * dim * mlp
        return embed + depth * block + dim * classes
    }

    /// Swin's shifted-window attention: roll as Slice+Concat, 6-D window transposes, the
    /// relative position bias and the window mask.
    func testSwinWindowAttentionMatchesONNXRuntime() throws {
        let script = FixtureLocation.repoRoot.appendingPathComponent("Tests/Tools/transformers/swin_block.py").path
        try TemporaryDirectory.with(prefix: "loupe-swin") { dir in
            try Python.guarded([script, dir.path], requires: "onnx, numpy, onnxruntime")
            let x = try NumPy.read(contentsOf: dir.appendingPathComponent("x.npy").path)
            let want = try NumPy.read(contentsOf: dir.appendingPathComponent("y.npy").path).floats
            for threads in [1, 2] {
                let model = try Model(contentsOf: dir.appendingPathComponent("model.onnx").path,
                                      options: CompileOptions(threads: threads))
                let got = try XCTUnwrap(model.run(["x": x])["y"]).floats
                let worst = zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(threads) thread(s)")
            }
        }
    }

    /// ViT-S/16 at 224: 4.60 G MACs, as torch's flop counter gives for vit_small_patch16_224.
    func testViTSmallMACsAndPlacement() throws {
        let script = FixtureLocation.repoRoot.appendingPathComponent("Tests/Tools/transformers/encoder_block.py").path
        try TemporaryDirectory.with(prefix: "loupe-vit") { dir in
            try Python.guarded([script, dir.path, "--vit", "12", "--dim", "384", "--heads", "6", "--mlp", "1536",
                                "--classes", "1000"], requires: "onnx, numpy, onnxruntime")
            let model = try Model(contentsOf: dir.appendingPathComponent("model.onnx").path)
            let macs = model.imported.nodes.reduce(0) { $0 + $1.macs(in: model.imported) }
            XCTAssertEqual(macs, vitMACs(image: 224, patch: 16, dim: 384, heads: 6, mlp: 1536, depth: 12, classes: 1000))
            XCTAssertEqual(Double(macs) / 1e9, 4.60, accuracy: 0.005)
            XCTAssertTrue(model.optimized.nodes.allSatisfy { node in
                if case .unsupported = Lowering.placement(of: node, in: model.optimized) { return false }
                return true
            }, "every node of ViT-S runs on XNNPACK or a Loupe kernel")
        }
    }

    func testEncoderBlockMatchesONNXRuntime() throws {
        let script = FixtureLocation.repoRoot.appendingPathComponent("Tests/Tools/transformers/encoder_block.py").path
        let forms: [[String]] = [["--opset", "20"], ["--opset", "17"], ["--opset", "13", "--decomposed"],
                                 ["--opset", "18", "--decomposed", "--tokens", "50", "--dim", "96", "--heads", "6"],
                                 ["--vit", "2", "--dim", "96", "--heads", "4", "--mlp", "192", "--image", "64"]]
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
