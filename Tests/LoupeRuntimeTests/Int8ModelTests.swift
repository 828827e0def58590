import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime

/// A MobileNetV3-style block in int8, end to end: 1×1 expand conv → HardSwish (table) →
/// depthwise 3×3 → HardSwish → squeeze-excite (GAP → 1×1 conv with ReLU → 1×1 conv →
/// Sigmoid on XNNPACK → Mul) → 1×1 project conv → residual Add.
final class Int8ModelTests: XCTestCase {
    func conv(_ k: Int, group: Int = 1, min: Float = -.infinity) -> Op {
        .conv(ConvAttributes(kernelShape: [k, k], strides: [1, 1], dilations: [1, 1], pads: [k / 2, k / 2, k / 2, k / 2],
                             group: group, outputMin: min, layout: .nhwc))
    }

    /// Sets every node's output parameters from the range its reference output takes (a
    /// min/max calibration on the test input), in order, so later layers see calibrated inputs.
    /// Sigmoid keeps XNNPACK's 1/256, −128.
    func calibrate(_ b: inout Int8Builder) throws {
        for node in b.graph.nodes {
            let out = node.outputs[0]
            if case .quantizeLinear = node.op { continue }
            if case .dequantizeLinear = node.op { continue }
            if case .unary(.sigmoid) = node.op { continue }
            var g = b.graph
            g.nodes = Array(g.nodes.prefix { $0.name != node.name }) + [node]
            var reals: [Float] = []
            // The reference's real output before quantization: evaluate the node on the
            // dequantized codes of its inputs.
            let codes = try Int8Reference.run(Graph(copying: g, droppingLast: true), feeds: b.feeds)
            var ins: [Tensor?] = []
            for v in node.inputs {
                if let c = g.constant(v) {
                    ins.append(g.quantization[v].map { $0.dequantize(c) } ?? c)
                } else {
                    ins.append(g.quantization[v]!.dequantize(Tensor(shape: g.types[v]!.staticShape!, ints: codes[v]!)))
                }
            }
            reals = try ReferenceInterpreter.evaluate(node, inputs: ins)[0].floats
            let q = b.params(min(reals.min()!, 0), max(reals.max()!, 1e-3))
            b.graph.quantization[out] = .perTensor(scale: q.scale, zeroPoint: Int32(q.zeroPoint))
        }
    }

    func makeBlock(seed: UInt64) throws -> Int8Builder {
        var b = Int8Builder(seed: seed)
        let (c, e, s) = (8, 24, 8)
        let shape = [1, 16, 16, c], wide = [1, 16, 16, e], dummy = ValueQuantization.perTensor(scale: 1, zeroPoint: 0)
        let qx = b.params(-2, 2)
        let x = b.input("x", shape, qx)
        // Biases are set after calibration (their scale depends on the input's).
        b.weights("w1", [e, c, 1, 1], axis: 0, scale: 0.002...0.006)
        b.node(conv(1), [x, "w1", "b1"], "expand", wide, dummy)
        b.node(.unary(.hardSwish), ["expand"], "hs1", wide, dummy)
        b.weights("w2", [e, 1, 3, 3], axis: 0, scale: 0.002...0.006)
        b.node(conv(3, group: e), ["hs1", "w2", "b2"], "dw", wide, dummy)
        b.node(.unary(.hardSwish), ["dw"], "hs2", wide, dummy)
        b.node(.globalAveragePool(layout: .nhwc), ["hs2"], "gap", [1, 1, 1, e], dummy)
        b.weights("w3", [s, e, 1, 1], axis: 0, scale: 0.002...0.006)
        b.node(conv(1, min: 0), ["gap", "w3", "b3"], "squeeze", [1, 1, 1, s], dummy)
        b.weights("w4", [e, s, 1, 1], axis: 0, scale: 0.002...0.006)
        b.node(conv(1), ["squeeze", "w4", "b4"], "excite", [1, 1, 1, e], dummy)
        b.node(.unary(.sigmoid), ["excite"], "gate", [1, 1, 1, e], ValueQuantization.perTensor(scale: 1.0 / 256, zeroPoint: -128))
        b.node(.binary(.mul), ["hs2", "gate"], "se", wide, dummy)
        b.weights("w5", [c, e, 1, 1], axis: 0, scale: 0.002...0.006)
        b.node(conv(1), ["se", "w5", "b5"], "project", shape, dummy)
        b.node(.binary(.add), ["project", x], "y", shape, dummy)
        // Biases at input scale · weight scale, drawn before calibration with placeholder
        // scales, then re-pointed once the inputs' scales are known.
        for (bias, w, count) in [("b1", "w1", e), ("b2", "w2", e), ("b3", "w3", s), ("b4", "w4", e), ("b5", "w5", c)] {
            b.bias(bias, count, inputScale: 1, weightScales: b.graph.quantization[w]!.scales)
        }
        for _ in 0..<2 {
            // Bias scales follow the calibrated input scales; two rounds settle them.
            try calibrate(&b)
            for (bias, w, input) in [("b1", "w1", x), ("b2", "w2", "hs1"), ("b3", "w3", "gap"), ("b4", "w4", "squeeze"), ("b5", "w5", "se")] {
                let sx = b.graph.quantization[input]!.scale
                b.graph.quantization[bias] = .perChannel(scales: b.graph.quantization[w]!.scales.map { sx * $0 }, axis: 0)
            }
        }
        return b
    }

    func testMobileNetBlockPerOpWithinOneCodeAndEndToEnd() throws {
        var b = try makeBlock(seed: 900)
        let values = ["expand", "hs1", "dw", "hs2", "gap", "squeeze", "excite", "gate", "se", "project", "y"]
        var perOp = b
        for v in values { perOp.output(v) }
        let (worst, ex) = try checkInt8(perOp, tolerance: 1, "MobileNet block, per op")
        _ = worst
        let p = Dictionary(uniqueKeysWithValues: ex.steps.map { ($0.node, $0.placement) })
        let path = Int8KernelPath.automatic
        XCTAssertEqual(p["dw"], path == .xnnpack ? .xnnpack("xnn_create_convolution2d_nhwc_qc8") : .kernel(Lowering.dwconvKernelName(path)))
        XCTAssertEqual(p["hs1"], .kernel("loupe_x8_lut (HardSwish)"))
        XCTAssertEqual(p["gate"], .xnnpack("xnn_create_sigmoid_nc_qs8"))
        XCTAssertEqual(p["se"], path == .xnnpack ? .xnnpack("xnn_create_multiply_nd_qs8") : .kernel(Lowering.mulChannelsKernelName(path)))
        XCTAssertEqual(p["y"], .xnnpack("xnn_create_add_nd_qs8"))
        XCTAssertFalse(ex.steps.contains { !$0.placement.isSupported })

        // End to end: the block's output against the reference chain run on its own codes
        // throughout. One-code differences inside can move the output by a few codes.
        b.output("y")
        let (got, _) = try runtimeCodes(b.graph, b.feeds, threads: 2)
        let want = try Int8Reference.run(b.graph, feeds: b.feeds)
        let d = maxCodeDiff(got["y"]!, want["y"]!)
        let differing = zip(got["y"]!, want["y"]!).filter { $0 != $1 }.count
        print("int8 MobileNet block end to end: max code diff \(d), \(differing) of \(got["y"]!.count) codes differ")
        XCTAssertLessThanOrEqual(d, 3, "end-to-end seed=\(b.seed)")
        // The int8 block keeps the signal: its codes span the output range.
        XCTAssertGreaterThan(Set(got["y"]!).count, 64)
    }
}

private extension Graph {
    /// The graph without its outputs (the calibration walk needs only the nodes).
    init(copying g: Graph, droppingLast: Bool) {
        self = g
        if droppingLast { nodes.removeLast() }
        outputs = []
    }
}
