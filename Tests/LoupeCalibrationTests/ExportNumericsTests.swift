import Foundation
import XCTest
import Loupe
@testable import LoupeCalibration
import LoupeTestSupport

/// Float numerics of the exporter and of `Model.capture`: the prepared (fused NCHW) graph,
/// exported and imported again, computes what the original computes (Loupe's runtime and
/// the reference interpreter), and ONNX Runtime runs the exported file to the same outputs.
final class ExportNumericsTests: XCTestCase {
    /// Float32 through the same or re-fused ops: differences are summation order only.
    static let floatTolerance: Float = 1e-4

    func testPreparedBaselineExportRunsTheSameInLoupeAndOnnxRuntime() throws {
        let path = try challengeBaselinePath()
        let seed: UInt64 = 11
        // Fully convolutional up to the global pool: a small size keeps the test fast.
        let shape = [1, 3, 96, 160]
        let original = try Model(contentsOf: path, options: CompileOptions(inputShapes: ["input": shape]))
        let prepared = try original.prepared()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("prepared.onnx").path
        try ONNXExporter.write(prepared, to: file)

        let reloaded = try Model(contentsOf: file)
        var rng = SeededRandom(seed: seed)
        let x = rng.image(shape)
        let want = try original.run(["input": x])["score"]!.floats
        let got = try reloaded.run(["input": x])["score"]!.floats
        XCTAssertLessThanOrEqual(maxAbsDiff(want, got), Self.floatTolerance, "seed \(seed)")
        // The re-import fuses the exported Conv → Relu/Clip pairs again.
        XCTAssertEqual(try reloaded.prepared().nodes.map(\.op.onnxName), prepared.nodes.map(\.op.onnxName))

        let ort = try OnnxRuntime.run(file, ["input": x])["score"]!.floats
        XCTAssertLessThanOrEqual(maxAbsDiff(want, ort), Self.floatTolerance, "seed \(seed): Loupe \(want) vs ORT \(ort)")
    }

    func testCaptureReturnsIntermediateValuesInNCHW() throws {
        let g = TinyNet.graph(seed: 3)
        let model = try Model(graph: g)
        let prepared = try model.prepared()
        var rng = SeededRandom(seed: 5)
        let x = rng.tensor(TinyNet.inputShape)
        // Every produced value of the prepared graph, an initializer and the input.
        let values = prepared.nodes.flatMap(\.outputs) + ["x", prepared.nodes[0].inputs[1]]
        let captured = try model.capture(["x": x], values: values)
        var refGraph = prepared
        for v in prepared.nodes.flatMap(\.outputs) where !refGraph.isGraphOutput(v) {
            refGraph.outputs.append(ValueInfo(name: v, type: prepared.types[v]!))
        }
        let reference = try ReferenceInterpreter.run(refGraph, inputs: ["x": x])
        for v in prepared.nodes.flatMap(\.outputs) {
            let c = try XCTUnwrap(captured[v], v), r = try XCTUnwrap(reference[v], v)
            XCTAssertEqual(c.shape, r.shape, v)
            XCTAssertLessThanOrEqual(maxAbsDiff(c.floats, r.floats), Self.floatTolerance, v)
        }
        XCTAssertEqual(captured["x"], x)
        XCTAssertEqual(captured[prepared.nodes[0].inputs[1]], prepared.initializers[prepared.nodes[0].inputs[1]])
        // The normal run is unaffected, and a second capture of the same set reuses the plan.
        let plain = try model.run(["x": x])
        XCTAssertLessThanOrEqual(maxAbsDiff(plain["logits"]!.floats, captured["logits"]!.floats), Self.floatTolerance)
        XCTAssertEqual(try model.capture(["x": x], values: values)["logits"], captured["logits"])

        XCTAssertThrowsError(try model.capture(["x": x], values: ["no_such_value"])) { e in
            XCTAssertTrue("\(e)".contains("'no_such_value' is not a value of the prepared graph"), "\(e)")
        }
    }
}
