import Foundation
import XCTest
import Loupe
@testable import LoupeCalibration
import LoupeTestSupport

/// Whole INT8 models on every int8 kernel path `LOUPE_INT8_KERNELS` can force on this CPU:
/// the outputs are bit-identical to the XNNPACK path's, at 1, 2 and 4 threads. The own
/// kernels requantize exactly as XNNPACK does, so any difference is a bug, not rounding.
final class Int8KernelPathModelTests: XCTestCase {
    static let paths = ["xnnpack", "vnni512", "avx2", "scalar"]
    static let variable = "LOUPE_INT8_KERNELS"

    /// Outputs of `graph` per (path, threads) that this CPU can run; XNNPACK's first.
    func outputsPerPath(_ graph: Graph, _ feeds: [String: Tensor], shapes: [String: [Int]] = [:])
        throws -> [(String, Int, [String: Tensor])] {
        let saved = getenv(Self.variable).map { String(cString: $0) }
        defer { if let saved { setenv(Self.variable, saved, 1) } else { unsetenv(Self.variable) } }
        var results: [(String, Int, [String: Tensor])] = []
        for path in Self.paths {
            setenv(Self.variable, path, 1)
            for threads in [1, 2, 4] {
                let model: Model
                do {
                    model = try Model(graph: graph, options: CompileOptions(threads: threads, inputShapes: shapes))
                } catch where "\(error)".contains("lacks the instructions") {
                    print("int8 kernel path \(path): not on this CPU (\(error))")
                    break
                }
                results.append((path, threads, try model.run(feeds)))
            }
        }
        return results
    }

    func assertAllEqual(_ results: [(String, Int, [String: Tensor])], _ what: String) {
        guard let (_, _, want) = results.first else { return XCTFail("\(what): no path ran") }
        XCTAssertGreaterThan(results.count, 2, "\(what): only XNNPACK ran")
        for (path, threads, got) in results.dropFirst() {
            for (name, t) in want {
                XCTAssertEqual(got[name]?.floats, t.floats, "\(what): output '\(name)' on \(path) at \(threads) thread(s)")
            }
        }
    }

    /// The challenge baseline quantized here (MinMax on seeded images, every unit int8) at a
    /// small size: its 1×1 convolutions and head Gemms run on the own kernels.
    func testChallengeBaselineINT8IsBitIdenticalOnEveryPath() throws {
        let path = try challengeBaselinePath()
        let shape = [1, 3, 96, 160]
        var graph = try ONNXImporter.load(contentsOf: path)
        graph = try Model.applyInputShapes(graph, ["input": shape])
        let session = try CalibrationSession(graph: graph, options: CalibrationOptions(method: .minMax, threads: 2))
        var rng = SeededRandom(seed: 31)
        for _ in 0..<3 { try session.observe(["input": rng.image(shape)]) }
        let int8 = try session.quantize().graph
        let x = rng.image(shape)
        let results = try outputsPerPath(int8, ["input": x])
        assertAllEqual(results, "challenge baseline INT8")
        // The score moves with the input (not a constant that would hide a broken path).
        let y = try Model(graph: int8).run(["input": rng.image(shape)])["score"]!.floats
        XCTAssertNotEqual(y, results[0].2["score"]!.floats)
    }

    /// The bundled scorer's INT8 file (tools/models), at a small input size.
    func testBundledScorerINT8IsBitIdenticalOnEveryPath() throws {
        let file = URL(fileURLWithPath: try challengeBaselinePath()).deletingLastPathComponent()
            .appendingPathComponent("loupe_iqa.int8.onnx").path
        guard FileManager.default.fileExists(atPath: file) else { throw XCTSkip("\(file) is missing") }
        let shape = [1, 3, 96, 160]
        let graph = try Model.applyInputShapes(try ONNXImporter.load(contentsOf: file), ["input": shape])
        var rng = SeededRandom(seed: 32)
        assertAllEqual(try outputsPerPath(graph, ["input": rng.image(shape)]), "bundled scorer INT8")
    }
}
