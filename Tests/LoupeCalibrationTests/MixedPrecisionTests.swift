import Foundation
import XCTest
import Loupe
@testable import LoupeCalibration
import LoupeIR
import LoupeTestSupport

/// `--keep-fp32 auto`'s cost model: which conv/gemm nodes a QDQ graph leaves in float, and
/// the greedy order by noise removed per float MAC.
final class MixedPrecisionTests: XCTestCase {
    /// A cheap noisy unit goes before an expensive noisier one; a unit whose nodes an earlier
    /// unit already moved to float is free; a unit that moves nothing goes first.
    func testCostAwareOrderPrefersNoiseRemovedPerFloatMAC() {
        let macs = ["big": 1000, "small": 10]
        let noise = [0.1, 0.05, 0.01, 0.04]
        let nodes: [Set<String>] = [["big"], ["small"], [], ["small"]]
        // Ratios: 0.1/1000, 0.05/10, 0.01/1 (floor), then 0.04 free after unit 1.
        XCTAssertEqual(MixedPrecision.costAwareOrder(noise: noise, nodes: nodes, macs: macs, alreadyFloat: []), [2, 1, 3, 0])
        // What already runs float costs nothing: the big node's unit is then the noisiest free one.
        XCTAssertEqual(MixedPrecision.costAwareOrder(noise: noise, nodes: nodes, macs: macs, alreadyFloat: ["big"]), [0, 2, 1, 3])
        // Sorting by sensitivity alone would have said [0, 1, 3, 2].
    }

    /// On TinyNet's QDQ graph: all int8, no conv/gemm runs float; taking out the pair a conv
    /// reads moves that conv (and the producer of the value, when it does MACs) to float;
    /// keeping a conv's weights float moves exactly that conv.
    func testFloatMACNodesFollowTheQDQStructure() throws {
        func calibrated(_ keep: KeepFP32) throws -> (CalibrationSession, QuantizationResult) {
            let session = try CalibrationSession(graph: TinyNet.graph(seed: 2024), options: CalibrationOptions(keepFP32: keep))
            var rng = SeededRandom(seed: 2025)
            for _ in 0..<4 { try session.observe(["x": rng.image(TinyNet.inputShape)]) }
            return (session, try session.quantize())
        }
        let (session, int8) = try calibrated(.none)
        let macs = MixedPrecision.macsByNode(session.prepared)
        XCTAssertEqual(Set(macs.keys), ["conv1", "dw", "se_fc1", "se_fc2", "pw", "conv3", "fc"], "\(macs)")
        XCTAssertEqual(MixedPrecision.floatMACNodes(int8.graph, macs: macs), [])

        let conv3 = try XCTUnwrap(int8.graph.nodes.first { $0.name == "conv3" })
        let pair = try XCTUnwrap(QuantizedActivation.all(in: int8.graph).first { $0.dequantized == conv3.inputs[0] })
        // conv3 reads the MaxPool's output: no MACs on the other side.
        XCTAssertEqual(MixedPrecision.floatMACNodes(MixedPrecision.removingPairs(int8.graph, of: [pair.source]), macs: macs),
                       ["conv3"])
        // conv3's output feeds the LeakyRelu: only conv3 writes it.
        let out = try XCTUnwrap(QuantizedActivation.all(in: int8.graph).first { $0.source == conv3.outputs[0] })
        XCTAssertEqual(MixedPrecision.floatMACNodes(MixedPrecision.removingPairs(int8.graph, of: [out.source]), macs: macs),
                       ["conv3"])

        let (_, kept) = try calibrated(.layers(["pw"]))
        XCTAssertEqual(MixedPrecision.floatMACNodes(kept.graph, macs: macs), ["pw"])
    }

    /// MAC counts above 2^31 (the bundled scorer has 3.9 G) are written whole in the
    /// metadata summary, not wrapped to 32 bits.
    func testSummaryWritesLargeMACCountsWhole() {
        let unit = MixedPrecision.Sensitivity(unit: .weights(node: "stem"), isolatedSQNR: 40, floatMACs: 3_000_000_000)
        let choice = MixedPrecision.Choice(kept: [unit], sensitivities: [unit], int8SQNR: 10, reachedSQNR: 30,
                                           trials: [], floatMACs: 191_692_800, totalMACs: 3_924_975_616, searchKept: 1)
        let s = choice.summary(target: 20)
        XCTAssertTrue(s.contains("4.88% of the MACs float (191692800 of 3924975616)"), s)
        XCTAssertTrue(s.contains("weights of stem 40.0 dB 3000000000"), s)
    }
}
