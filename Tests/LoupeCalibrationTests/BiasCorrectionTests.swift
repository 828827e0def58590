import Foundation
import Loupe
@testable import LoupeCalibration
import XCTest
import LoupeTestSupport

/// Empirical bias correction: the int8 model's per-channel output means move toward the
/// FP32 model's, only biases change, and the run is recorded in the metadata.
final class BiasCorrectionTests: XCTestCase {
    static let seed: UInt64 = 7

    func testChannelMeansAverageOverEveryAxisButOne() {
        var m = ChannelMeans()
        // [N=2, C=2, 2]: channel 0 holds 1,2 and 5,6; channel 1 holds 3,4 and 7,8.
        m.add(Tensor(shape: [2, 2, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8]))
        XCTAssertEqual(m.means, [3.5, 5.5])
        m.add(Tensor(shape: [1, 2, 1], floats: [10, 20]))
        XCTAssertEqual(m.means[0], (1 + 2 + 5 + 6 + 10) / 5.0, accuracy: 1e-12)
        XCTAssertEqual(m.means[1], (3 + 4 + 7 + 8 + 20) / 5.0, accuracy: 1e-12)
    }

    func testAddToBiasCreatesOrCopiesTheBias() throws {
        var g = TinyNet.graph(seed: Self.seed)
        let convIndex = try XCTUnwrap(g.nodes.firstIndex { $0.name == "dw" })
        let before = try XCTUnwrap(g.initializers["bd"]).floats
        XCTAssertTrue(BiasCorrection.addToBias(&g, node: convIndex, delta: Array(repeating: 0.5, count: 16)))
        let renamed = g.nodes[convIndex].inputs[2]
        XCTAssertNotEqual(renamed, "bd", "a corrected bias is the node's own copy")
        XCTAssertEqual(g.initializers["bd"]?.floats, before, "the original bias is untouched")
        for (a, b) in zip(try XCTUnwrap(g.initializers[renamed]).floats, before) { XCTAssertEqual(a, b + 0.5, accuracy: 1e-6) }
        let noBias = try XCTUnwrap(g.nodes.firstIndex { $0.name == "conv1" })
        XCTAssertEqual(g.nodes[noBias].inputs.count, 2)
        XCTAssertTrue(BiasCorrection.addToBias(&g, node: noBias, delta: Array(repeating: -1, count: 16)))
        XCTAssertEqual(g.nodes[noBias].inputs.count, 3)
        XCTAssertEqual(g.initializers[g.nodes[noBias].inputs[2]]?.floats, Array(repeating: -1, count: 16))
        let hs = try XCTUnwrap(g.nodes.firstIndex { $0.name == "hs" })
        XCTAssertFalse(BiasCorrection.addToBias(&g, node: hs, delta: [1]), "only Conv and Gemm have a bias")
    }

    /// The shift an input's mean shift explains: Σ W over the window and the group's inputs.
    func testPropagatedShiftSumsTheWeightsOfEachGroup() throws {
        var g = Graph()
        // 2 groups, 2 inputs and 1 output per group, 1×2 kernel.
        g.initializers["w"] = Tensor(shape: [2, 1, 1, 2], floats: [1, 2, 3, 4])
        let conv = Node(name: "c", op: .conv(ConvAttributes(kernelShape: [1, 2], strides: [1, 1], dilations: [1, 1],
                                                            pads: [0, 0, 0, 0], group: 2)), inputs: ["x", "w"], outputs: ["y"])
        let p = try XCTUnwrap(BiasCorrection.propagatedShift(of: conv, in: g, inputShift: [0.5, -1]))
        let expectedConv: [Double] = [1.5, -7]  // (1 + 2)·0.5, (3 + 4)·−1
        XCTAssertEqual(p, expectedConv)
        // Gemm, B [K=2, N=3] not transposed, alpha 2: 2·Bᵀ·shift.
        g.initializers["b"] = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let gemm = Node(name: "g", op: .gemm(GemmAttributes(alpha: 2)), inputs: ["a", "b"], outputs: ["z"])
        let expected: [Double] = [6, 9, 12]  // 2·(1·1 + 4·0.5), 2·(2 + 2.5), 2·(3 + 3)
        XCTAssertEqual(try XCTUnwrap(BiasCorrection.propagatedShift(of: gemm, in: g, inputShift: [1, 0.5])), expected)
        XCTAssertNil(BiasCorrection.propagatedShift(of: conv, in: g, inputShift: [1]), "wrong channel count")
    }

    /// The measure bias correction minimises: per-channel mean of "features" (an int8 conv
    /// output) in Loupe's int8 run against FP32, over the calibration inputs.
    func testCorrectionMovesInt8ChannelMeansTowardFP32() throws {
        var rng = SeededRandom(seed: Self.seed + 1)
        let inputs = (0..<8).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        func calibrated(rounds: Int) throws -> (CalibrationSession, QuantizationResult) {
            let s = try CalibrationSession(graph: TinyNet.graph(seed: Self.seed),
                                           options: CalibrationOptions(method: .minMax, biasCorrectionRounds: rounds))
            for x in inputs { try s.observe(x) }
            return (s, try s.quantize())
        }
        func meanShift(_ session: CalibrationSession, _ result: QuantizationResult) throws -> Double {
            let int8 = try Model(graph: result.graph)
            var f = ChannelMeans(), q = ChannelMeans()
            for x in inputs {
                f.add(try XCTUnwrap(try session.model.run(x)["features"]))
                q.add(try XCTUnwrap(try int8.run(x)["features"]))
            }
            return zip(f.means, q.means).map { abs($0 - $1) }.reduce(0, +) / Double(f.means.count)
        }
        let (s0, r0) = try calibrated(rounds: 0)
        let (s2, r2) = try calibrated(rounds: 2)
        XCTAssertNil(r0.graph.metadata[Quantizer.MetadataKey.biasCorrection])
        let note = try XCTUnwrap(r2.graph.metadata[Quantizer.MetadataKey.biasCorrection])
        XCTAssertTrue(note.hasPrefix("empirical, 2 round(s)"), note)
        let before = try meanShift(s0, r0), after = try meanShift(s2, r2)
        print("TinyNet features mean |Δ| per channel: \(before) without, \(after) with bias correction")
        // Measured 0.46× at this seed (deterministic); 0.6 leaves room for harmless numeric changes.
        XCTAssertLessThan(after, before * 0.6, "bias correction should cut the mean shift (seed \(Self.seed))")
        // Only biases move: every weight code is the same.
        for (name, t) in r0.graph.initializers where t.dtype == .int8 {
            XCTAssertEqual(r2.graph.initializers[name], t, "weight codes '\(name)' changed")
        }
    }
}

/// `--method auto`: every candidate is scored on the same observations and the best one is
/// kept, with the scores in the metadata.
final class MethodSelectionTests: XCTestCase {
    func testAutoKeepsTheCandidateWithTheBestOutputSQNR() throws {
        var rng = SeededRandom(seed: 11)
        let inputs = (0..<6).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        let candidates: [CalibrationMethod] = [.minMax, .percentile(99.0), .mse]
        let session = try CalibrationSession(graph: TinyNet.graph(seed: 11),
                                             options: CalibrationOptions(method: .entropy(bins: 2048), methodCandidates: candidates))
        for x in inputs { try session.observe(x) }
        let auto = try session.quantize()
        let note = try XCTUnwrap(auto.graph.metadata[Quantizer.MetadataKey.methodSelection])
        // Score every candidate independently here and check the choice.
        func outputSQNR(_ r: QuantizationResult) throws -> Double {
            let m = try Model(graph: r.graph)
            var s = 0.0, n = 0.0
            for x in inputs {
                let want = try session.model.run(x), got = try m.run(x)
                for (k, w) in want {
                    for (a, b) in zip(w.floats, try XCTUnwrap(got[k]).floats) { s += Double(a * a); n += Double((a - b) * (a - b)) }
                }
            }
            return 10 * log10(s / n)
        }
        let scored = try candidates.map { ($0, try outputSQNR(session.quantize(method: $0))) }
        let best = scored.max { $0.1 < $1.1 }!.0
        XCTAssertTrue(note.hasSuffix("chose \(Quantizer.describe(best))"), "\(note) vs \(scored)")
        XCTAssertEqual(auto.graph.metadata[Quantizer.MetadataKey.method], Quantizer.describe(best))
        for (m, _) in scored { XCTAssertTrue(note.contains(Quantizer.describe(m)), note) }
    }
}
