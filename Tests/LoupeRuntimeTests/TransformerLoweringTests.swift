import XCTest
import LoupeIR
@testable import LoupeRuntime

/// Transformer ops on Loupe kernels against the reference interpreter, at 1 and 2 threads.
/// LayerNormalization sums in float lanes (the reference in double): 1e-5 relative covers
/// rows of a few hundred elements. GELU's erf/tanh are polynomial (a few ulp, growing with
/// x²): the transcendental bound on inputs in [-2, 2].
final class TransformerLoweringTests: XCTestCase {
    func testLayerNormalizationOverTrailingAxes() throws {
        let cases: [(shape: [Int], axis: Int, bias: Bool)] = [
            ([2, 5, 16], -1, true), ([3, 7, 33], 2, false), ([2, 4, 6, 5], -2, true), ([1, 197, 384], -1, true),
        ]
        for (i, c) in cases.enumerated() {
            var b = G(seed: UInt64(700 + i))
            let x = b.input("x", c.shape)
            let a = c.axis < 0 ? c.axis + c.shape.count : c.axis
            let normalized = Array(c.shape[a...])
            var ins = [x, b.constant("scale", normalized, 0.5, 1.5)]
            if c.bias { ins.append(b.constant("bias", normalized)) }
            b.node(.layerNormalization(axis: c.axis, epsilon: 1e-5), ins, "y")
            let g = try b.finish(["y"])
            let ex = try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
            XCTAssertEqual(ex?.steps.first { $0.node == "y" }?.placement, .kernel("loupe_f32_layer_norm"), "case \(i)")
        }
    }

    /// The optional Mean and InvStdDev outputs (kept dims), as ONNX's node tests read them.
    func testLayerNormalizationStatisticsOutputs() throws {
        var b = G(seed: 705)
        let x = b.input("x", [3, 4, 10])
        b.graph.nodes.append(Node(name: "ln", op: .layerNormalization(axis: 1, epsilon: 1e-5),
                                  inputs: [x, b.constant("scale", [4, 10])], outputs: ["y", "mean", "inv"]))
        let g = try b.finish(["y", "mean", "inv"])
        XCTAssertEqual(g.type(of: "mean")?.staticShape, [3, 1, 1])
        try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
    }

    func testLayerNormalizationRefusesWhatItCannotRun() throws {
        var b = G(seed: 710)
        let x = b.input("x", [2, 3, 8])
        b.node(.layerNormalization(axis: -1, epsilon: 1e-5), [x, b.constant("scale", [1])], "y")
        let g = try b.finish(["y"])
        guard case .unsupported(let reason) = Lowering.placement(of: g.nodes[0], in: g) else {
            return XCTFail("a broadcast Scale should be refused")
        }
        XCTAssertTrue(reason.contains("one value per normalized element"), reason)
    }

    func testGeluExactAndTanh() throws {
        for (i, tanh) in [false, true].enumerated() {
            var b = G(seed: UInt64(720 + i))
            let x = b.input("x", [3, 17, 65])
            b.node(.gelu(tanhApproximation: tanh), [x], "y")
            let g = try b.finish(["y"])
            let ex = try checkAgainstReference(&b, g, .transcendental)
            XCTAssertEqual(ex?.steps.first { $0.node == "y" }?.placement, .kernel(tanh ? "loupe_f32_gelu_tanh" : "loupe_f32_gelu"))
        }
    }

    /// Split moves elements only: exact. Parts from the `split` input, and equal parts from
    /// the output count alone (the last one shorter when the axis does not divide).
    func testSplitAlongAnyAxis() throws {
        let cases: [(shape: [Int], axis: Int, split: [Int]?, outputs: Int)] = [
            ([3, 1, 4, 5, 6], 0, [1, 1, 1], 3), ([2, 3, 7], -1, [2, 5], 2), ([2, 9, 4], 1, nil, 3), ([2, 10], 1, nil, 3),
        ]
        for (i, c) in cases.enumerated() {
            var b = G(seed: UInt64(730 + i))
            let x = b.input("x", c.shape)
            var ins = [x]
            if let split = c.split { ins.append(b.ints("split", split)) }
            let outs = (0..<c.outputs).map { "y\($0)" }
            b.graph.nodes.append(Node(name: "split", op: .split(axis: c.axis), inputs: ins, outputs: outs))
            let g = try b.finish(outs)
            let ex = try checkAgainstReference(&b, g, .exact)
            XCTAssertEqual(ex?.steps.first { $0.node == "split" }?.placement, .xnnpack("xnn_create_copy_nc_x32"), "case \(i)")
        }
    }
}
