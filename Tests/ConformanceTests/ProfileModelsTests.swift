import Foundation
import XCTest

import Loupe
import LoupeNumPy
import LoupeTestSupport

/// The two challenge architectures
/// NF-RegNet and Swin, exported by Bench/scripts/profile_models/make_models.py into
/// Fixtures/profile/: static MACs on the optimized graph against torch's flop counter, and
/// one seeded input through Loupe (runtime for NF-RegNet, reference for Swin) against ONNX
/// Runtime. Skipped when the fixtures or python3 + onnxruntime are missing.
final class ProfileModelsTests: XCTestCase {
    /// ONNX Runtime's output for a seeded standard-normal input (numpy default_rng(seed)).
    private func onnxRuntime(_ model: String, shape: [Int], seed: Int) throws -> (x: Tensor, y: Tensor) {
        let script = """
        import sys, numpy as np, onnxruntime as ort
        x = np.random.default_rng(\(seed)).standard_normal(\(shape)).astype(np.float32)
        s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
        np.save(sys.argv[2] + "/x.npy", x); np.save(sys.argv[2] + "/y.npy", s.run(None, {s.get_inputs()[0].name: x})[0])
        """
        return try TemporaryDirectory.with(prefix: "loupe-profile") { dir in
            let r: ProcessResult
            do { r = try Python.run(["-c", script, model, dir.path]) } catch { throw XCTSkip("python3 is not available") }
            guard r.status == 0 else { throw XCTSkip("python3 with numpy and onnxruntime is not available") }
            return (try NumPy.read(contentsOf: dir.appendingPathComponent("x.npy").path),
                    try NumPy.read(contentsOf: dir.appendingPathComponent("y.npy").path))
        }
    }

    private func macs(_ g: Graph) -> (total: Int, matMul: Int) {
        var total = 0, matMul = 0
        for n in g.nodes {
            let m = n.macs(in: g)
            total += m
            if case .matMul = n.op { matMul += m }
        }
        return (total, matMul)
    }

    private func assertClose(_ got: Tensor, _ want: Tensor, _ what: String) {
        XCTAssertEqual(got.shape, want.shape, what)
        for (i, (a, b)) in zip(got.floats, want.floats).enumerated() where abs(a - b) > 1e-4 * max(1, abs(b)) {
            XCTFail("\(what): element \(i) \(a) vs ONNX Runtime \(b)")
            return
        }
    }

    func testNFRegNetFoldsWeightStandardizationAndRuns() throws {
        let url = try FixtureLocation.require("profile/nf_regnet_b1.onnx", for: "NF-RegNet profile model",
            makeWith: "python3 Bench/scripts/profile_models/make_models.py (needs torch and timm)")
        let g = try Pipeline.optimize(try ONNXImporter.load(contentsOf: url.path))
        XCTAssertFalse(g.nodes.contains { $0.op.onnxName == "BatchNormalization" }, "weight standardization folded")
        let m = macs(g).total
        XCTAssertEqual(Double(m), 6.30168e9, accuracy: 0.01 * 6.30168e9, "torch flop counter: 6.30 G MACs")
        let (x, want) = try onnxRuntime(url.path, shape: [1, 3, 720, 720], seed: 0)
        let model = try Model(contentsOf: url.path)
        let got = try model.run([g.inputs[0].name: x])
        assertClose(try XCTUnwrap(got[g.outputs[0].name]), want, "nf_regnet_b1 runtime")
    }

    func testSwinTinyStaticProfileAndReference() throws {
        let url = try FixtureLocation.require("profile/swin_tiny_patch4_window7_224.onnx", for: "Swin-T profile model",
            makeWith: "python3 Bench/scripts/profile_models/make_models.py (needs torch and timm)")
        var g = try Pipeline.optimize(try ONNXImporter.load(contentsOf: url.path), options: .init(convertToNHWC: false))
        try g.inferTypes()
        let (total, matMul) = macs(g)
        XCTAssertEqual(Double(total), 4.49057e9, accuracy: 0.01 * 4.49057e9, "torch flop counter: 4.49 G MACs")
        XCTAssertEqual(Double(matMul), 4.476e9, accuracy: 0.01 * 4.476e9, "4.48 G of it in MatMul")
        let (x, want) = try onnxRuntime(url.path, shape: [1, 3, 224, 224], seed: 0)
        let got = try ReferenceInterpreter.run(g, inputs: [g.inputs[0].name: x])
        assertClose(try XCTUnwrap(got[g.outputs[0].name]), want, "swin_tiny reference interpreter")
    }
}
