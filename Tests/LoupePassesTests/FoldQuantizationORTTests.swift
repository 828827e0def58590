import Foundation
import LoupeIR
import LoupeONNX
import LoupePasses
import XCTest

/// FoldQuantization on real ONNX Runtime quantize_static output (QDQ, per-channel int8
/// weights, QUInt8 and QInt8 activations), made at test time by
/// Tests/Tools/quantization/make_ort_qdq.py into a temporary directory.
final class FoldQuantizationORTTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the generator once per test into a fresh temporary directory.
    private func makeFixtures() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-ort-qdq-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let script = Self.root.appendingPathComponent("Tests/Tools/quantization/make_ort_qdq.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-W", "ignore", script, dir.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { throw XCTSkip("python3 not runnable: \(error)") }
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 || p.terminationStatus == 127 { throw XCTSkip("onnx/onnxruntime unavailable: \(log)") }
        guard p.terminationStatus == 0 else {
            XCTFail("make_ort_qdq.py failed (\(p.terminationStatus)): \(log)")
            throw XCTSkip("no fixtures")
        }
        return dir
    }

    private func floats(_ url: URL, shape: [Int]) throws -> Tensor {
        let data = try Data(contentsOf: url)
        let v = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return Tensor(shape: shape, floats: v)
    }

    /// The ops of the int8 set that must run in int8 in this net.
    private let int8Ops: Set<String> = ["Conv", "Gemm", "Add", "Mul", "GlobalAveragePool", "MaxPool", "Sigmoid",
                                        "HardSwish", "Concat", "Flatten"]

    func testORTModelsFoldCompletely() throws {
        let dir = try makeFixtures()
        let input = try floats(dir.appendingPathComponent("input.bin"), shape: [1, 3, 32, 32])
        for tag in ["u8", "s8"] {
            let qdq = try ONNXImporter.load(contentsOf: dir.appendingPathComponent("qdq_\(tag).onnx").path)
            for options in [Pipeline.Options(convertToNHWC: false), Pipeline.Options()] {
                let o = try Pipeline.optimize(qdq, options: options)
                let what = "\(tag), NHWC \(options.convertToNHWC)"
                XCTAssertTrue(o.floatIslands.isEmpty, "\(what): \(o.floatIslands)")
                var seen = Set<String>()
                for n in o.nodes where int8Ops.contains(n.op.onnxName) {
                    seen.insert(n.op.onnxName)
                    XCTAssertEqual(o.type(of: n.inputs[0])?.dtype, .int8, "\(what): \(n.reference) input")
                    XCTAssertEqual(o.type(of: n.outputs[0])?.dtype, .int8, "\(what): \(n.reference) output")
                    for v in n.inputs + n.outputs where !v.isEmpty && o.type(of: v)?.dtype == .int8 {
                        XCTAssertNotNil(o.quantization[v], "\(what): \(v) of \(n.reference)")
                    }
                }
                XCTAssertEqual(seen, int8Ops, what)
                let quantizers = o.nodes.filter { $0.op.onnxName == "QuantizeLinear" }
                XCTAssertEqual(quantizers.count, 1, "\(what): only the graph input is quantized: \(opNames(o))")
                XCTAssertEqual(o.inputs, qdq.inputs)
                XCTAssertEqual(o.outputs, qdq.outputs)
                // Output scale of the final DQ: the tolerance unit.
                let last = try XCTUnwrap(o.nodes.last { $0.op.onnxName == "DequantizeLinear" })
                let step = try XCTUnwrap(o.initializers[last.inputs[1]]).floats[0]
                try assertSameQuantizedOutputs(qdq, o, inputs: ["x": input], step: step, seed: 2)
                // ONNX Runtime runs the same QDQ file with its own int8 kernels, which round
                // intermediate requantizations their own way: within a few output codes.
                let ort = try floats(dir.appendingPathComponent("ort_\(tag).bin"), shape: [1, 10])
                let ours = try XCTUnwrap(QDQSimulator.run(o, inputs: ["x": input])[o.outputs[0].name])
                let err = zip(ours.floats, ort.floats).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(err, 4 * step, "\(what): \(err / step) codes from ONNX Runtime")
                print("FoldQuantization ORT \(what): \(o.nodes.count) nodes, max |int8 − ONNX Runtime| = \(err / step) output codes")
            }
        }
    }
}
