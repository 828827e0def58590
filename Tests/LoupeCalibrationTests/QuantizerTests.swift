import Foundation
import XCTest
import Loupe
@testable import LoupeCalibration
import LoupeIR
import LoupeTestSupport

/// CalibrationSession + QDQ insertion on TinyNet (conv/BN/relu6, depthwise + HardSwish,
/// squeeze-excite with Sigmoid, residual Add, MaxPool, an AveragePool island, GAP, Gemm):
/// the parameters follow XNNPACK's scheme exactly, the structure is standard QDQ, and ONNX
/// Runtime runs the exported file close to the float model.
final class QuantizerTests: XCTestCase {
    static let seed: UInt64 = 2024
    static let calibrationCount = 8

    func calibrated(_ options: CalibrationOptions = CalibrationOptions(),
                    metadata: [String: String] = [:]) throws -> (CalibrationSession, QuantizationResult) {
        let session = try CalibrationSession(graph: TinyNet.graph(seed: Self.seed), options: options)
        var rng = SeededRandom(seed: Self.seed + 1)
        for _ in 0..<Self.calibrationCount { try session.observe(["x": rng.image(TinyNet.inputShape)]) }
        XCTAssertEqual(session.observedCount, Self.calibrationCount)
        return (session, try session.quantize(metadata: metadata))
    }

    /// The DequantizeLinear node producing `value` in `g`.
    func dequantizer(of value: String, in g: Graph) throws -> Node {
        try XCTUnwrap(g.nodes.first { $0.outputs == [value] && $0.op.onnxName == "DequantizeLinear" }, "no DQ for \(value)")
    }

    func node(_ name: String, in g: Graph) throws -> Node {
        try XCTUnwrap(g.nodes.first { $0.name == name }, "no node \(name)")
    }

    func testParametersFollowTheXNNPACKScheme() throws {
        let (session, result) = try calibrated()
        let prepared = session.prepared, g = result.graph

        // Sigmoid output: exactly scale 1/256, zero point −128, in the params and the file.
        let gate = try node("se_gate", in: prepared)
        XCTAssertEqual(result.params[gate.outputs[0]], ValueQuantization.perTensor(scale: 1.0 / 256, zeroPoint: -128))
        let q = try XCTUnwrap(g.nodes.first { $0.op.onnxName == "QuantizeLinear" && $0.inputs[0] == gate.outputs[0] })
        XCTAssertEqual(g.initializers[q.inputs[1]]?.floats, [Float(1.0 / 256)])
        XCTAssertEqual(g.initializers[q.inputs[2]]?.ints, [-128])
        XCTAssertEqual(g.initializers[q.inputs[2]]?.dtype, .int8)

        // Weights: int8 per output channel, scale max|w_c|/127; bias int32 at s_x·s_w[c].
        for name in ["conv1", "dw", "se_fc1", "pw", "conv3"] {
            let p = try node(name, in: prepared), qn = try node(name, in: g)
            let w = prepared.initializers[p.inputs[1]]!
            let channels = w.shape[0], per = w.count / channels
            let wdq = try dequantizer(of: qn.inputs[1], in: g)
            guard case .dequantizeLinear(let axis) = wdq.op else { return XCTFail() }
            XCTAssertEqual(axis, 0, name)
            let scales = g.initializers[wdq.inputs[1]]!.floats
            let codes = g.initializers[wdq.inputs[0]]!
            XCTAssertEqual(codes.dtype, .int8, name)
            XCTAssertEqual(codes.shape, w.shape, name)
            XCTAssertEqual(g.initializers[wdq.inputs[2]]?.ints, Array(repeating: 0, count: channels), name)
            let wf = w.floats
            for c in 0..<channels {
                let absMax = wf[(c * per)..<((c + 1) * per)].map(abs).max()!
                XCTAssertEqual(scales[c], absMax / 127, "\(name) channel \(c)")
            }
            XCTAssertEqual(codes.ints.map(abs).max(), 127, "\(name): the largest weight takes code ±127")

            let sx = try XCTUnwrap(result.params[p.inputs[0]], name).scale
            let bdq = try dequantizer(of: qn.inputs[2], in: g)
            let bias = g.initializers[bdq.inputs[0]]!
            XCTAssertEqual(bias.dtype, .int32, name)
            XCTAssertEqual(g.initializers[bdq.inputs[1]]?.floats, scales.map { sx * $0 }, name)
            let realBias = prepared.initializers[p.inputs[2]]!.floats
            for c in 0..<channels {
                XCTAssertEqual(Float(bias.ints[c]) * sx * scales[c], realBias[c], accuracy: sx * scales[c] / 2 * 1.0001, "\(name) bias \(c)")
            }
        }
        // Gemm weight [N, K] (transB): per output channel along axis 0 as well.
        let fc = try node("fc", in: g)
        let fdq = try dequantizer(of: fc.inputs[1], in: g)
        XCTAssertEqual(fdq.op, .dequantizeLinear(axis: 0))
        XCTAssertEqual(g.initializers[fdq.inputs[1]]?.count, 10)

        // MaxPool output shares its input's parameters; activations are asymmetric int8
        // from the calibrated range.
        let pool = try node("pool", in: prepared)
        XCTAssertEqual(result.params[pool.outputs[0]], result.params[pool.inputs[0]])
        XCTAssertNil(result.ranges[pool.outputs[0]], "not observed: it reuses its input's range")
        for (v, r) in result.ranges {
            XCTAssertEqual(result.params[v], try Quantization.activationParams(min: r.min, max: r.max), v)
        }
    }

    func testStructureIsStandardQDQ() throws {
        let (session, result) = try calibrated(metadata: ["loupe.calibration.photos": "a.jpg\nb.jpg"])
        let prepared = session.prepared, g = result.graph
        XCTAssertEqual(g.inputs, prepared.inputs)
        XCTAssertEqual(g.outputs.map(\.name), prepared.outputs.map(\.name))
        for o in g.outputs { XCTAssertEqual(g.types[o.name]?.dtype, .float32, o.name) }

        // One Q → DQ per int8 activation, shared by all its consumers.
        var quantizedInputs: [String: Int] = [:]
        for n in g.nodes where n.op.onnxName == "QuantizeLinear" { quantizedInputs[n.inputs[0], default: 0] += 1 }
        XCTAssertTrue(quantizedInputs.values.allSatisfy { $0 == 1 }, "\(quantizedInputs)")
        XCTAssertEqual(quantizedInputs.count, result.params.count - result.params.keys.filter { prepared.initializers[$0] != nil }.count)
        // The graph input is quantized right after the input; the features output (int8
        // producer) keeps its name on a DequantizeLinear so the interface stays float.
        XCTAssertEqual(quantizedInputs["x"], 1)
        XCTAssertEqual(try dequantizer(of: "features", in: g).op.onnxName, "DequantizeLinear")
        // int8 ops read only dequantized values or constants.
        let producers = g.producers()
        for name in ["conv1", "dw", "hs", "se_pool", "se_mul", "residual", "pool", "conv3", "fc"] {
            let n = try node(name, in: g)
            let dataInputs = name == "se_mul" || name == "residual" ? [0, 1] : [0]
            for k in dataInputs {
                let p = try XCTUnwrap(producers[n.inputs[k]].map { g.nodes[$0] }, "\(name) input \(k)")
                XCTAssertEqual(p.op.onnxName, "DequantizeLinear", "\(name) input \(k)")
            }
        }
        // The GlobalMaxPool island is reported, with its reason; nothing else is.
        XCTAssertEqual(result.keptFP32.map(\.node), ["gap"])
        XCTAssertEqual(result.keptFP32.first?.reason, "GlobalMaxPool has no int8 kernel")
        // No float weights are left behind.
        for (k, t) in g.initializers where t.dtype == .float32 && t.count > 64 { XCTFail("float constant \(k) \(t.shape) left") }

        XCTAssertEqual(g.metadata[Quantizer.MetadataKey.method], "minmax")
        XCTAssertEqual(g.metadata[Quantizer.MetadataKey.samples], "\(Self.calibrationCount)")
        XCTAssertEqual(g.metadata[Quantizer.MetadataKey.version], Quantizer.loupeVersion)
        XCTAssertEqual(g.metadata["loupe.calibration.photos"], "a.jpg\nb.jpg")
        XCTAssertTrue(g.metadata[Quantizer.MetadataKey.keptFP32]?.contains("gap: GlobalMaxPool has no int8 kernel") ?? false)
    }

    /// ORT loads the exported QDQ file (a check that it is standard) and its int8 outputs
    /// are close to the float model on inputs not used for calibration. Budget: correlation
    /// ≥ 0.99 and SQNR ≥ 25 dB for the features map (per-tensor int8 activations through 8
    /// int8 layers of a random-weight net give 35 dB here with MinMax, percentile and MSE).
    /// Entropy is left out: on 8 small images it clips hard (15 dB on this net; the peer's
    /// entropy calibrator behaves the same), and its KL search is slow in debug builds.
    func testOnnxRuntimeRunsTheQDQFileCloseToFloat() throws {
        for method: CalibrationMethod in [.minMax, .percentile(99.99), .mse] {
            let (session, result) = try calibrated(CalibrationOptions(method: method, threads: 2))
            let (xs, int8) = try exportedAndRunByOnnxRuntime(result.graph, seed: Self.seed + 99, images: 4)
            var want: [Float] = [], got: [Float] = [], wantLogits: [Float] = [], gotLogits: [Float] = []
            for (x, q) in zip(xs, int8) {
                let float = try session.model.run(x)
                want += float["features"]!.floats; got += q["features"]!.floats
                wantLogits += float["logits"]!.floats; gotLogits += q["logits"]!.floats
            }
            let c = correlation(want, got), s = sqnr(want, got)
            XCTAssertGreaterThanOrEqual(c, 0.99, "\(method) seed \(Self.seed): features correlation")
            XCTAssertGreaterThanOrEqual(s, 25, "\(method) seed \(Self.seed): features SQNR")
            XCTAssertGreaterThanOrEqual(correlation(wantLogits, gotLogits), 0.99, "\(method) seed \(Self.seed): logits")
            print("TinyNet \(Quantizer.describe(method)): features corr \(c), SQNR \(s) dB; logits corr \(correlation(wantLogits, gotLogits))")
        }
    }

    /// The reference interpreter (the oracle of Loupe's int8 runtime) runs the QDQ graph
    /// as ONNX Runtime runs the exported file. ORT folds Q/DQ into integer kernels whose
    /// requantization may round a code the other way, and an off-by-one code travels on;
    /// the budget is the interoperability target, correlation ≥ 0.999, and the
    /// features within 4 output steps.
    func testReferenceInterpreterAgreesWithOnnxRuntimeOnTheQDQGraph() throws {
        let (_, result) = try calibrated()
        let (xs, ort) = try exportedAndRunByOnnxRuntime(result.graph, seed: Self.seed + 7, images: 2)
        let step = try XCTUnwrap(result.params["features"]).scale
        for (x, o) in zip(xs, ort) {
            let ref = try ReferenceInterpreter.run(result.graph, inputs: x)
            for name in ["features", "logits"] {
                let a = ref[name]!.floats, b = o[name]!.floats
                XCTAssertGreaterThanOrEqual(correlation(a, b), 0.999, "\(name) seed \(Self.seed + 7)")
            }
            XCTAssertLessThanOrEqual(maxAbsDiff(ref["features"]!.floats, o["features"]!.floats), 4 * step * 1.0001)
        }
    }

    /// Writes the QDQ `graph` as ONNX and runs it with ONNX Runtime on `images` seeded
    /// random images; returns the inputs and ORT's outputs.
    func exportedAndRunByOnnxRuntime(_ graph: Graph, seed: UInt64, images: Int) throws
        -> (inputs: [[String: Tensor]], outputs: [[String: Tensor]]) {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tiny.int8.onnx").path
        try ONNXExporter.write(graph, to: file)
        var rng = SeededRandom(seed: seed)
        let xs = (0..<images).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        return (xs, try OnnxRuntime.run(file, batch: xs))
    }

    func testKeepFP32LayersLeavesTheNodeFloat() throws {
        let (_, result) = try calibrated(CalibrationOptions(keepFP32: .layers(["dw"])))
        let g = result.graph
        let dw = try node("dw", in: g)
        XCTAssertEqual(g.initializers[dw.inputs[1]]?.dtype, .float32, "weights stay float")
        XCTAssertNotNil(g.initializers[dw.inputs[2]], "bias stays a float constant")
        XCTAssertTrue(result.keptFP32.contains { $0.node == "dw" && $0.reason.contains("--keep-fp32") })
        // Its input still comes dequantized from the int8 conv1, its output is converted
        // for the int8 HardSwish.
        XCTAssertEqual(g.nodes.first { $0.outputs.contains(dw.inputs[0]) }?.op.onnxName, "DequantizeLinear")
        XCTAssertTrue(g.nodes.contains { $0.op.onnxName == "QuantizeLinear" && $0.inputs[0] == dw.outputs[0] })

        XCTAssertThrowsError(try CalibrationSession(graph: TinyNet.graph(seed: Self.seed),
                                                    options: CalibrationOptions(keepFP32: .layers(["bn1"])))) { e in
            XCTAssertTrue("\(e)".contains("--keep-fp32 names 'bn1', which is not a node of the optimized graph"), "\(e)")
        }
    }

    /// `--keep-fp32 auto`: the fewest most sensitive units (activations, conv/gemm weights)
    /// kept float for the target, measured.
    func testKeepFP32AutoKeepsTheFewestMostSensitiveUnitsFloat() throws {
        let (_, int8) = try calibrated(CalibrationOptions(keepFP32: .auto(targetSQNR: 0.01)))
        let met = try XCTUnwrap(int8.mixedPrecision)
        XCTAssertTrue(met.kept.isEmpty, "the all-int8 model already meets 0.01 dB")
        XCTAssertEqual(int8.keptFP32.map(\.node), ["gap"])
        XCTAssertTrue(met.sensitivities.isEmpty, "nothing is measured when the target is met")

        // A target above all-int8: something is kept, and the choice is minimal.
        let target = met.int8SQNR + 15
        let (session, result) = try calibrated(CalibrationOptions(keepFP32: .auto(targetSQNR: target)))
        let choice = try XCTUnwrap(result.mixedPrecision)
        XCTAssertFalse(choice.kept.isEmpty)
        XCTAssertGreaterThanOrEqual(choice.reachedSQNR, target)
        let plan = QuantizationPlan(graph: session.prepared)
        let weighted = session.prepared.nodes.indices.filter { if case .weighted = plan.roles[$0] { return true }; return false }
        XCTAssertEqual(choice.sensitivities.count,
                       Set(QuantizedActivation.all(in: int8.graph).map(\.source)).count + weighted.count,
                       "every quantized activation and every conv/gemm's weights are measured alone")
        // The search order is the cost-aware greedy order of the measured sensitivities, and
        // the kept units are taken from it in that order (a prefix, less what pruning put back).
        let macs = MixedPrecision.macsByNode(session.prepared)
        XCTAssertEqual(choice.totalMACs, macs.values.reduce(0, +))
        let position = Dictionary(uniqueKeysWithValues: choice.sensitivities.enumerated().map { ($1.unit, $0) })
        let keptPositions = choice.kept.map { position[$0.unit]! }
        XCTAssertEqual(keptPositions, keptPositions.sorted())
        // Both orders were searched; the kept one has no more float MACs than the other.
        let other = try XCTUnwrap(choice.otherOrder)
        XCTAssertLessThanOrEqual(choice.floatMACs, other.floatMACs)
        let prefix = choice.searchKept
        XCTAssertLessThan(keptPositions.last!, prefix)
        let pruned = prefix - choice.kept.count
        XCTAssertLessThanOrEqual(pruned, MixedPrecision.pruneTrials)
        let fewer = prefix - 1
        let missed = fewer == 0 ? choice.int8SQNR : try XCTUnwrap(choice.trials.first { $0.kept == fewer }?.sqnr)
        XCTAssertLessThan(missed, target, "the prefix one unit shorter was tried first and missed the target")

        // The file: no QuantizeLinear on a float activation, float weights where kept, and
        // every node that runs float because of the choice is listed.
        let g = result.graph
        for a in choice.floatActivations {
            XCTAssertFalse(g.nodes.contains { $0.op.isQuantize && $0.inputs.first == a }, a)
            for n in g.nodes where !n.op.isQuantize && !n.op.isDequantize && n.op != .identity
                && (n.inputs + n.outputs).contains(a) {
                // A float island of the plan (gap) stays listed with its own reason: the
                // cost-aware order takes the free pairs next to it early.
                let island = int8.keptFP32.contains { $0.node == n.name }
                XCTAssertTrue(result.keptFP32.contains { $0.node == n.name && ($0.reason.contains("--keep-fp32 auto") || island) },
                              n.name)
            }
        }
        for s in choice.kept {
            guard case .weights(let name) = s.unit else { continue }
            let n = try node(name, in: g)
            XCTAssertEqual(g.initializers[n.inputs[1]]?.dtype, .float32, "\(name) keeps float weights")
            XCTAssertTrue(result.keptFP32.contains { $0.node == name && $0.reason.contains("float weights") }, name)
        }
        XCTAssertEqual(g.outputs.map(\.name), int8.graph.outputs.map(\.name))
        XCTAssertTrue(g.metadata[Quantizer.MetadataKey.keptFP32]?.contains("--keep-fp32 auto") ?? false)
        XCTAssertNotNil(g.metadata[Quantizer.MetadataKey.mixedPrecision])

        // The written model meets the target on the measured samples (all 8 observed here),
        // measured again from the graph alone.
        var rng = SeededRandom(seed: Self.seed + 1)
        let xs = (0..<Self.calibrationCount).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        let q = try Model(graph: g)
        let sqnr = try OutputSQNR.measure(reference: xs.map { try session.model.run($0) }, test: xs.map { try q.run($0) })
        XCTAssertEqual(sqnr, choice.reachedSQNR, accuracy: 1e-6)
        // The float MACs it reports are those of the written graph's float conv/gemm nodes.
        let floatNodes = MixedPrecision.floatMACNodes(g, macs: macs)
        XCTAssertEqual(choice.floatMACs, floatNodes.reduce(0) { $0 + macs[$1]! })
        XCTAssertLessThan(choice.floatMACFraction, 1)
        XCTAssertTrue(g.metadata[Quantizer.MetadataKey.mixedPrecision]?.contains("of the MACs float") ?? false)
    }

    /// Taking every activation's Q/DQ pair out leaves int8 weights only: graph outputs keep
    /// their names (through an Identity where a DequantizeLinear wrote one), no activation
    /// is quantized, and the outputs come closer to FP32 than the all-int8 model's.
    func testRemovingActivationPairsLeavesWeightsOnly() throws {
        let (session, result) = try calibrated()
        let acts = Set(QuantizedActivation.all(in: result.graph).map(\.source))
        XCTAssertTrue(acts.contains("features") || acts.contains("logits") || acts.contains { $0.hasSuffix("_float") }, "\(acts)")
        let g = MixedPrecision.removingPairs(result.graph, of: acts)
        XCTAssertTrue(QuantizedActivation.all(in: g).isEmpty)
        XCTAssertEqual(g.outputs.map(\.name), result.graph.outputs.map(\.name))
        XCTAssertTrue(g.nodes.contains { $0.op.isDequantize }, "weights stay int8 behind DequantizeLinear")
        var rng = SeededRandom(seed: Self.seed + 3)
        let xs = (0..<4).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        let fp32 = try xs.map { try session.model.run($0) }
        let weightsOnly = try OutputSQNR.measure(reference: fp32, test: xs.map { try Model(graph: g).run($0) })
        let int8 = try OutputSQNR.measure(reference: fp32, test: xs.map { try Model(graph: result.graph).run($0) })
        XCTAssertGreaterThan(weightsOnly, int8 + 3, "weights only \(weightsOnly) dB, all int8 \(int8) dB")
    }

    func testOutputSQNRJudgesNoiseAgainstTheSpreadBetweenSamples() throws {
        let ref = [0.5, 0.6, 0.7].map { ["score": Tensor(shape: [1], floats: [Float($0)])] }
        let test = [0.51, 0.59, 0.71].map { ["score": Tensor(shape: [1], floats: [Float($0)])] }
        // Spread Σ(r − r̄)² = 0.02, noise 3 × 0.01² → 10 log10(0.02 / 0.0003) = 18.24 dB; the
        // uncentered Σr² = 1.1 would have said 35.6 dB.
        XCTAssertEqual(try OutputSQNR.measure(reference: ref, test: test), 18.239, accuracy: 0.01)
        XCTAssertEqual(try OutputSQNR.measure(reference: [ref[0]], test: [test[0]]), 10 * log10(0.25 / 0.0001), accuracy: 0.01)
        XCTAssertEqual(try OutputSQNR.measure(reference: ref, test: ref), .infinity)
        XCTAssertThrowsError(try OutputSQNR.measure(reference: ref, test: [["other": ref[0]["score"]!]] + test.dropFirst()))
    }

    func testMisuseIsAnError() throws {
        let session = try CalibrationSession(graph: TinyNet.graph(seed: Self.seed), options: CalibrationOptions())
        XCTAssertThrowsError(try session.quantize()) { e in
            XCTAssertTrue("\(e)".contains("observed no input"), "\(e)")
        }
        XCTAssertThrowsError(try session.observe(["x": Tensor(shape: [1, 3, 8, 8], floats: Array(repeating: 0, count: 192))]))
        XCTAssertEqual(session.observedCount, 0)
    }

    /// timm's squeeze-excite (EfficientNet, GhostNet) pools with ReduceMean over H and W:
    /// quantized, it runs as an int8 global average pool, so the model has no float island,
    /// and its int8 run stays close to float.
    func testSqueezeExciteWithReduceMeanQuantizesWithoutIslands() throws {
        var graph = TinyNet.graph(seed: Self.seed)
        let i = try XCTUnwrap(graph.nodes.firstIndex { $0.name == "se_pool" })
        graph.initializers["se_axes"] = Tensor(shape: [2], ints: [2, 3])
        graph.nodes[i] = Node(name: "se_pool", op: .reduce(.mean, keepDims: true, noopWithEmptyAxes: false),
                              inputs: [graph.nodes[i].inputs[0], "se_axes"], outputs: graph.nodes[i].outputs)
        let session = try CalibrationSession(graph: graph, options: CalibrationOptions(method: .minMax))
        XCTAssertTrue(session.plan.floatNodes.filter { $0.node == "se_pool" }.isEmpty, "\(session.plan.floatNodes)")
        var rng = SeededRandom(seed: Self.seed + 1)
        for _ in 0..<Self.calibrationCount { try session.observe(["x": rng.image(TinyNet.inputShape)]) }
        let result = try session.quantize()
        let int8 = try Model(graph: result.graph)
        XCTAssertEqual(int8.optimized.floatIslands.keys.sorted(), try Model(graph: try calibrated(CalibrationOptions(method: .minMax)).1.graph).optimized.floatIslands.keys.sorted(),
                       "ReduceMean added a float island")
        XCTAssertFalse(int8.optimized.floatIslands.keys.contains("se_pool"))
        let x = rng.image(TinyNet.inputShape)
        let want = try session.model.run(["x": x])["features"]!.floats, got = try int8.run(["x": x])["features"]!.floats
        XCTAssertGreaterThanOrEqual(correlation(want, got), 0.99)
    }

    /// GhostNet's `cat(...)[:, :oup]` with an odd `oup`: a Slice that really cuts channels
    /// keeps its input's parameters and runs on int8 codes (no float island, no converts).
    func testChannelSliceQuantizesWithoutIslands() throws {
        var graph = TinyNet.graph(seed: Self.seed)
        var rng = SeededRandom(seed: Self.seed + 2)
        graph.initializers["cut_starts"] = Tensor(shape: [1], ints: [0])
        graph.initializers["cut_ends"] = Tensor(shape: [1], ints: [13])
        graph.initializers["cut_axes"] = Tensor(shape: [1], ints: [1])
        graph.initializers["w3"] = rng.tensor([24, 13, 3, 3], -0.15, 0.15)
        let conv3 = try XCTUnwrap(graph.nodes.firstIndex { $0.name == "conv3" })
        graph.nodes[conv3].inputs[0] = "cut"
        graph.nodes.insert(Node(name: "ghost_cut", op: .slice, inputs: ["mp", "cut_starts", "cut_ends", "cut_axes"],
                                outputs: ["cut"]), at: conv3)
        let session = try CalibrationSession(graph: graph, options: CalibrationOptions(method: .minMax))
        XCTAssertTrue(session.plan.floatNodes.filter { $0.node == "ghost_cut" }.isEmpty, "\(session.plan.floatNodes)")
        for _ in 0..<Self.calibrationCount { try session.observe(["x": rng.image(TinyNet.inputShape)]) }
        let int8 = try Model(graph: try session.quantize().graph)
        XCTAssertFalse(int8.optimized.floatIslands.keys.contains("ghost_cut"), "\(int8.optimized.floatIslands)")
        XCTAssertEqual(int8.executor.steps.first { $0.op == "Slice" }?.placement, .xnnpack("xnn_create_copy_nc_x8"))
        let x = rng.image(TinyNet.inputShape)
        let want = try session.model.run(["x": x])["features"]!.floats, got = try int8.run(["x": x])["features"]!.floats
        XCTAssertGreaterThanOrEqual(correlation(want, got), 0.99)
    }

    /// MobileNetV3 (the challenge baseline) has no float island, and ORT runs its QDQ file.
    func testChallengeBaselineQuantizesWithoutIslands() throws {
        let path = try challengeBaselinePath()
        let shape = [1, 3, 64, 96]
        var graph = try ONNXImporter.load(contentsOf: path)
        graph = try Model.applyInputShapes(graph, ["input": shape])
        let session = try CalibrationSession(graph: graph, options: CalibrationOptions(method: .percentile(99.99), threads: 2))
        XCTAssertTrue(session.plan.floatNodes.isEmpty, "\(session.plan.floatNodes)")
        var rng = SeededRandom(seed: 7)
        for _ in 0..<3 { try session.observe(["input": rng.image(shape)]) }
        let result = try session.quantize()
        XCTAssertTrue(result.keptFP32.isEmpty)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("baseline.int8.onnx").path
        try ONNXExporter.write(result.graph, to: file)
        let x = rng.image(shape)
        let ort = try OnnxRuntime.run(file, ["input": x])["score"]!.floats
        let float = try session.model.run(["input": x])["score"]!.floats
        XCTAssertEqual(ort.count, 1)
        XCTAssertTrue(ort[0].isFinite)
        print("baseline score float \(float[0]) int8 (ORT) \(ort[0])")
    }
}
