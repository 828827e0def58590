import Foundation
import Loupe

/// Options of a calibration run (STYLE rule 9: typed, no string bags).
public struct CalibrationOptions: Sendable {
    /// How each activation's range is chosen from its observed histogram.
    public var method: CalibrationMethod
    /// Nodes to leave in FP32.
    public var keepFP32: KeepFP32
    /// Threads for the FP32 model and for updating the observers.
    public var threads: Int
    /// Bytes each model the calibration compiles may take (`CompileOptions.memoryLimit`).
    public var memoryLimit: Int

    /// Rounds of empirical bias correction (``BiasCorrection``; 0 = none). Each round runs
    /// the quantized model once per calibration sample, and the samples are kept in memory
    /// for it.
    public var biasCorrectionRounds: Int

    /// When not empty, `loupe calibrate --method auto`: each method is tried on the same
    /// observations, the int8 model of each runs on the calibration samples, and the one
    /// whose outputs are closest to FP32 (highest SQNR over all graph outputs) is kept;
    /// `method` is then only the fallback for an explicit `quantize(method:)`.
    public var methodCandidates: [CalibrationMethod]

    /// Samples that `--keep-fp32 auto` measures output SQNR on (evenly spaced over the
    /// observed ones; all of them when fewer were observed). Each costs one run per
    /// candidate unit (activation or conv/gemm weights), and they are kept in memory.
    public var sensitivitySamples: Int

    /// How the int8 weight codes are rounded. `.adaround` (``AdaptiveRounding``) runs the
    /// int8 model (as it will be written, `--keep-fp32 auto`'s float activations included)
    /// once per int8 conv/gemm layer on every calibration sample; `.adaroundFP32` needs one
    /// FP32 pass. Both run after `--keep-fp32 auto` has chosen what stays float and before
    /// bias correction; the samples are kept in memory for them.
    public var weightRounding: WeightRounding

    /// Calibration positions (patches) drawn per layer for adaptive rounding, at least
    /// (4 × the weights per output channel when that is more).
    public var roundingRowsPerLayer: Int

    /// Options as given; `threads` and `sensitivitySamples` below 1 count as 1.
    public init(method: CalibrationMethod = .minMax, keepFP32: KeepFP32 = .none, threads: Int = 1,
                memoryLimit: Int = MemoryCeiling.defaultBytes, biasCorrectionRounds: Int = 0, methodCandidates: [CalibrationMethod] = [],
                sensitivitySamples: Int = 8, weightRounding: WeightRounding = .nearest,
                roundingRowsPerLayer: Int = AdaptiveRounding.defaultRowsPerLayer) {
        self.weightRounding = weightRounding
        self.roundingRowsPerLayer = max(1, roundingRowsPerLayer)
        self.methodCandidates = methodCandidates
        self.sensitivitySamples = max(1, sensitivitySamples)
        self.method = method
        self.keepFP32 = keepFP32
        self.threads = max(1, threads)
        self.memoryLimit = memoryLimit
        self.biasCorrectionRounds = max(0, biasCorrectionRounds)
    }
}

/// Post-training calibration of one float model: run it on preprocessed photos, record a
/// histogram of every activation that will be int8, then produce the QDQ graph.
///
/// ```swift
/// let session = try CalibrationSession(graph: imported, options: .init(method: .percentile(99.99)))
/// for photo in photos { try session.observe(["input": try preset.tensor(photo)]) }
/// let result = try session.quantize(metadata: ["loupe.calibration.photos": names])
/// try ONNXExporter.write(result.graph, to: "model.int8.onnx")
/// ```
///
/// The session optimizes the graph without the NHWC conversion (the ``prepared`` graph:
/// BatchNorm folded, activations fused, HardSwish recognised), plans the quantization
/// (``QuantizationPlan``) and compiles the FP32 model with `Model.capture(_:values:)` for
/// the planned activations. Every captured activation stays alive for the whole run, so
/// memory is large at 720×1280 (several GB for MobileNetV3-Large): fine for calibration,
/// which runs once on a workstation. Not thread-safe: one `observe` at a time.
public final class CalibrationSession {
    /// The options given.
    public let options: CalibrationOptions
    /// The optimized NCHW float graph that is observed and quantized.
    public let prepared: Graph
    /// The quantization plan (with `--keep-fp32` layers applied; `auto` decides in
    /// ``quantize(metadata:method:progress:)``).
    public let plan: QuantizationPlan
    /// The compiled FP32 model.
    public let model: Model
    private var observers: [HistogramObserver]
    private let observed: [String]
    /// Outputs of int8 Conv/Gemm nodes (bias correction), with their node index.
    private let corrected: [(value: String, node: Int)]
    private var fp32Means: [String: ChannelMeans] = [:]
    private let meanValues: [String]
    private var samples: [[String: Tensor]] = []
    private let keepsSamples: Bool
    /// `--keep-fp32 auto`'s samples when not every sample is kept: every `subsetStride`-th
    /// observed one, the stride doubling (and every other kept one dropped) whenever more
    /// than twice the needed count are held, so that they stay spread over all observed.
    private var subset: [[String: Tensor]] = []
    private var subsetStride = 1
    private var roundingProgress: ((Int, Int) -> Void)?

    /// Number of ``observe(_:)`` calls that succeeded.
    public private(set) var observedCount = 0

    /// Optimizes `graph` (an imported float model with static input shapes), plans which
    /// activations become int8, and compiles the FP32 model that captures them. Throws for
    /// a `--keep-fp32` layer that is not a node of the optimized graph, or a graph that is
    /// already quantized.
    public init(graph: Graph, options: CalibrationOptions) throws {
        if let q = graph.nodes.first(where: { $0.op.isQuantize || $0.op.isDequantize }) {
            throw LoupeError.unsupportedOp(q.reference, reason: "the model is already quantized; calibrate its float original")
        }
        self.options = options
        model = try Model(graph: graph, options: CompileOptions(threads: options.threads, memoryLimit: options.memoryLimit))
        prepared = try model.prepared()
        plan = QuantizationPlan(graph: prepared, keep: try Quantizer.explicitKeep(options.keepFP32, prepared))
        observed = plan.observed
        observers = observed.map { _ in options.method.makeObserver() }
        let observedSet = Set(plan.observed)
        var corrected: [(String, Int)] = []
        for (i, node) in prepared.nodes.enumerated() where plan.isInt8(i) {
            guard case .weighted = plan.roles[i], let out = node.outputs.first, observedSet.contains(out) else { continue }
            if BiasCorrection.Layer(node.op) != nil { corrected.append((out, i)) }
        }
        let kept = options.biasCorrectionRounds > 0 ? corrected : []
        self.corrected = kept
        // Outputs and inputs of the corrected layers: the input's shift is taken out of the
        // output's (BiasCorrection).
        let graph = prepared
        meanValues = Array(Set(kept.flatMap { [$0.0, graph.nodes[$0.1].inputs[0]] })).sorted()
        keepsSamples = options.biasCorrectionRounds > 0 || !options.methodCandidates.isEmpty || options.weightRounding != .nearest
    }

    /// Runs the FP32 model on one photo's preprocessed inputs (float32, NCHW, by input
    /// name) and adds every planned activation to its histogram.
    public func observe(_ inputs: [String: Tensor]) throws {
        let values = try model.capture(inputs, values: observed)
        var tensors: [[Float]] = []
        tensors.reserveCapacity(observed.count)
        for v in observed {
            guard let t = values[v] else { throw LoupeError.badInput("calibration: no value captured for '\(v)'") }
            tensors.append(t.floats)
        }
        let threads = min(options.threads, max(1, observed.count))
        observers.withUnsafeMutableBufferPointer { obs in
            let o = obs
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                // Each worker owns a stride of observers: no two touch the same one.
                for i in stride(from: worker, to: o.count, by: threads) {
                    tensors[i].withUnsafeBufferPointer { o[i].observe($0) }
                }
            }
        }
        for v in meanValues {
            if let t = values[v] ?? inputs[v] { fp32Means[v, default: ChannelMeans()].add(t) }
        }
        if keepsSamples {
            samples.append(inputs)
        } else if case .auto = options.keepFP32 {
            if observedCount % subsetStride == 0 { subset.append(inputs) }
            if subset.count > 2 * options.sensitivitySamples {
                subset = subset.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                subsetStride *= 2
            }
        }
        observedCount += 1
    }

    /// Chooses ranges with the options' method (or `method`, to compare calibrators on one
    /// set of observations: every method reads the same histograms, except that
    /// `.entropy(bins:)` needs the bin count the observers were built with — 2048 unless the
    /// options' method is an entropy with another count), applies `--keep-fp32`, and
    /// rewrites the prepared graph into QDQ form. `metadata` (e.g. the list of calibration
    /// photos) is stored in the model's metadata with the method, its parameters, the number
    /// of samples and the Loupe version. `progress(done, total)` follows `--keep-fp32
    /// auto`'s sensitivity measurements, the long part; `roundingProgress(done, total)` the
    /// layers of adaptive weight rounding. Throws when nothing was observed.
    public func quantize(metadata: [String: String] = [:], method: CalibrationMethod? = nil,
                         progress: ((Int, Int) -> Void)? = nil,
                         roundingProgress: ((Int, Int) -> Void)? = nil) throws -> QuantizationResult {
        self.roundingProgress = roundingProgress
        defer { self.roundingProgress = nil }
        guard observedCount > 0 else {
            throw LoupeError.badInput("calibration observed no input; call observe(_:) with at least one photo")
        }
        if method == nil, !options.methodCandidates.isEmpty {
            return try quantizeChoosingMethod(options.methodCandidates, metadata: metadata, progress: progress)
        }
        return try quantize(with: method ?? options.method, metadata: metadata, rounds: options.biasCorrectionRounds,
                            resolveAuto: true, progress: progress)
    }

    /// The FP32 outputs of `inputs`.
    private func reference(_ inputs: [[String: Tensor]]) throws -> [[String: Tensor]] {
        try inputs.map { try model.run($0) }
    }

    /// Output SQNR (``OutputSQNR``) of the QDQ `graph` built and run by Loupe on `inputs`.
    private func outputSQNR(_ graph: Graph, _ inputs: [[String: Tensor]], _ reference: [[String: Tensor]]) throws -> Double {
        let int8 = try Model(graph: graph, options: CompileOptions(threads: options.threads, memoryLimit: options.memoryLimit))
        return try OutputSQNR.measure(reference: reference, test: inputs.map { try int8.run($0) })
    }

    /// Tries every candidate without bias correction, scores each int8 model by the SQNR of
    /// its outputs against FP32 on the calibration samples, and returns the best one (bias
    /// corrected as the options say). The scores go into the metadata.
    /// The choice is made with `--keep-fp32 auto` not yet applied (it would multiply the
    /// cost by the number of candidates); `auto` then runs once, for the chosen method.
    private func quantizeChoosingMethod(_ candidates: [CalibrationMethod], metadata: [String: String],
                                        progress: ((Int, Int) -> Void)?) throws -> QuantizationResult {
        let fp32 = try reference(samples)
        var scores: [(CalibrationMethod, Double)] = []
        for c in candidates {
            let r = try quantize(with: c, metadata: metadata, rounds: 0, resolveAuto: false, progress: nil)
            scores.append((c, try outputSQNR(r.graph, samples, fp32)))
        }
        let best = scores.max { $0.1 < $1.1 }!.0
        var meta = metadata
        meta[Quantizer.MetadataKey.methodSelection] = "auto by output SQNR on the calibration samples: "
            + scores.map { String(format: "%@ %.2f dB", Quantizer.describe($0.0), $0.1) }.joined(separator: ", ")
            + "; chose \(Quantizer.describe(best))"
        return try quantize(with: best, metadata: meta, rounds: options.biasCorrectionRounds, resolveAuto: true, progress: progress)
    }

    /// The samples `--keep-fp32 auto` measures on: `sensitivitySamples` evenly spaced ones.
    private var sensitivitySet: [[String: Tensor]] {
        let pool = keepsSamples ? samples : subset
        let n = min(options.sensitivitySamples, pool.count)
        return (0..<n).map { pool[$0 * pool.count / n] }
    }

    private func quantize(with method: CalibrationMethod, metadata: [String: String], rounds: Int,
                          resolveAuto: Bool, progress: ((Int, Int) -> Void)?) throws -> QuantizationResult {
        if case .entropy(let bins) = method, let o = observers.first, o.absoluteBinCount != bins {
            throw LoupeError.badInput(
                "\(Quantizer.describe(method)) needs observers with \(bins) bins; this session built them with \(o.absoluteBinCount) (calibrate with that method)")
        }
        let byName = Dictionary(uniqueKeysWithValues: zip(observed, observers))
        var source = prepared
        var keep = try Quantizer.explicitKeep(options.keepFP32, prepared)
        var mixed: (choice: MixedPrecision.Choice, target: Double, samples: Int)? = nil
        if resolveAuto, case .auto(let target) = options.keepFP32 {
            let inputs = sensitivitySet
            let fp32 = try reference(inputs)
            let count = observedCount
            let choice = try MixedPrecision.choose(
                prepared: prepared, baseKeep: keep, targetSQNR: target,
                quantize: { try Quantizer.quantize(prepared: source, observers: byName, method: method, keep: $0, samples: count).graph },
                measure: { try self.outputSQNR($0, inputs, fp32) }, progress: progress)
            keep.merge(choice.weightKeep(target: target)) { a, _ in a }
            mixed = (choice, target, inputs.count)
        }
        // Adaptive rounding only for the model that is returned (not for `--method auto`'s
        // candidates), after `--keep-fp32 auto` chose the float layers.
        var codes: [String: [Int8]] = [:]
        var metadata = metadata
        if resolveAuto, let reconstruction = options.weightRounding.reconstruction {
            let count = observedCount, plan = QuantizationPlan(graph: prepared, keep: keep), frozen = keep, frozenMixed = mixed
            let outcome = try AdaptiveRounding.run(
                prepared: prepared, plan: plan, samples: samples, fp32: model,
                compile: CompileOptions(threads: options.threads, memoryLimit: options.memoryLimit),
                rowsPerLayer: options.roundingRowsPerLayer,
                reconstruction: reconstruction,
                quantize: {
                    // The int8 model as it will be written: `--keep-fp32 auto`'s float
                    // activations included, so that x̂ has exactly the int8 model's noise.
                    var r = try Quantizer.quantize(prepared: source, observers: byName, method: method, keep: frozen, samples: count,
                                                   weightCodes: $0)
                    if let m = frozenMixed { MixedPrecision.apply(m.choice, to: &r, target: m.target, samples: m.samples) }
                    return r.graph
                },
                progress: roundingProgress)
            codes = outcome.codes
            metadata[Quantizer.MetadataKey.weightRounding] = outcome.summary
        }
        var result = try Quantizer.quantize(prepared: source, observers: byName, method: method,
                                            keep: keep, samples: observedCount, metadata: metadata, weightCodes: codes)
        if let mixed { MixedPrecision.apply(mixed.choice, to: &result, target: mixed.target, samples: mixed.samples) }
        guard !corrected.isEmpty else { return result }
        let values = meanValues
        for round in 0..<rounds {
            let means = try BiasCorrection.quantizedMeans(qdq: result.graph, prepared: prepared, values: values,
                                                          inputs: samples, compile: CompileOptions(threads: options.threads, memoryLimit: options.memoryLimit))
            var changedLayers = 0
            for (v, node) in corrected {
                guard let q = means[v], let f = fp32Means[v]?.means, q.count == f.count else { continue }
                var delta = zip(f, q).map { $0 - $1 }
                let x = prepared.nodes[node].inputs[0]
                if let qx = means[x], let fx = fp32Means[x]?.means, qx.count == fx.count,
                   let propagated = BiasCorrection.propagatedShift(of: prepared.nodes[node], in: prepared,
                                                                   inputShift: zip(qx, fx).map { $0 - $1 }),
                   propagated.count == delta.count {
                    for c in delta.indices { delta[c] += propagated[c] }
                }
                if BiasCorrection.addToBias(&source, node: node, delta: delta) { changedLayers += 1 }
            }
            var meta = metadata
            meta[Quantizer.MetadataKey.biasCorrection] = "empirical, \(round + 1) round(s), \(changedLayers) layer(s)"
            // Ranges stay those of the FP32 model: only the biases of the int8 model move.
            result = try Quantizer.quantize(prepared: source, observers: byName, method: method,
                                            keep: keep, samples: observedCount, metadata: meta, weightCodes: codes)
            if let mixed { MixedPrecision.apply(mixed.choice, to: &result, target: mixed.target, samples: mixed.samples) }
        }
        return result
    }
}
