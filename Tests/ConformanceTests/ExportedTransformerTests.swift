import Foundation
import XCTest
import Loupe
import LoupeNumPy

/// The challenge's transformer architectures as PyTorch exports them (timm's Swin-T/B, ViT-S
/// at opsets 17 and 13, a CLIP ViT-B/16 image tower with QuickGELU, DeiT distilled,
/// MobileViT, an SJTU-style three-input Swin model, MobileNetV3 + TransformerEncoderLayer),
/// made with seed-0 random weights by Bench/scripts/transformers/export_models.py together
/// with ONNX Runtime's outputs. Each compiles with every node on XNNPACK or a Loupe kernel,
/// matches ONNX Runtime within 1e-4·max(1, |y|) at 1 and 2 threads, and its MAC count
/// equals torch.utils.flop_counter's within 0.5%. Skipped when the fixtures are absent
/// (making them needs torch and timm, which CI does not install).
final class ExportedTransformerTests: XCTestCase {
    struct Info: Decodable {
        var model: String
        var inputs: [String: [Int]]
        var outputs: [String]
        var macs_torch: Int
    }

    func testExportsMatchONNXRuntime() throws {
        let dir = try FixtureLocation.require("transformers", for: "ExportedTransformerTests",
                                              makeWith: "Bench/scripts/transformers/export_models.py")
        let infos = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertFalse(infos.isEmpty, "no exports in \(dir.path)")
        for file in infos {
            let info = try JSONDecoder().decode(Info.self, from: Data(contentsOf: dir.appendingPathComponent(file)))
            let path = dir.appendingPathComponent("\(info.model).onnx").path
            var feeds: [String: Tensor] = [:]
            for name in info.inputs.keys {
                feeds[name] = try NumPy.read(contentsOf: dir.appendingPathComponent("\(info.model).input.\(name).npy").path)
            }
            for threads in [1, 2] {
                let model = try Model(contentsOf: path, options: CompileOptions(threads: threads))
                if threads == 1 {
                    let unplaced = model.optimized.nodes.filter { node in
                        if case .unsupported = Lowering.placement(of: node, in: model.optimized) { return true }
                        return false
                    }
                    XCTAssertTrue(unplaced.isEmpty, "\(info.model): cannot run \(unplaced.map(\.name))")
                    let macs = model.imported.nodes.reduce(0) { $0 + $1.macs(in: model.imported) }
                    XCTAssertEqual(Double(macs), Double(info.macs_torch), accuracy: Double(info.macs_torch) * 0.005,
                                   "\(info.model): Loupe \(macs) MACs vs torch \(info.macs_torch)")
                }
                let outputs = try model.run(feeds)
                for name in info.outputs {
                    let want = try NumPy.read(contentsOf: dir.appendingPathComponent("\(info.model).expected.\(name).npy").path)
                    let got = try XCTUnwrap(outputs[name], "\(info.model): output \(name)")
                    XCTAssertEqual(got.shape, want.shape, "\(info.model)")
                    let worst = zip(got.floats, want.floats).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
                    XCTAssertLessThanOrEqual(worst, 1e-4, "\(info.model) output \(name) at \(threads) thread(s)")
                }
            }
        }
    }
}
