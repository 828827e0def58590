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

    /// Rounds of empirical bias correction (``BiasCorrection``; 0 = none). Each round runs
    /// the quantized model once per calibration sample, and the samples are kept in memory
    /// for it.
    public var biasCorrectionRounds: Int

    /// When not empty, `loupe calibrate --method auto`: each method is tried on the same
    /// observations, the int8 model of each runs on the calibration samples, and the one
    /// whose outputs are closest to FP32 (highest SQNR over all graph outputs) is kept;
    /// `method` is then only the fallback for an explicit `quantize(method:)`.
    public var methodCandidates: [CalibrationMethod]

    /// Options as given; `threads` below 1 counts as 1.
    public init(method: CalibrationMethod = .minMax, keepFP32: KeepFP32 = .none, threads: Int = 1,
                biasCorrectionRounds: Int = 0, methodCandidates: [CalibrationMethod] = []) {
        self.methodCandidates = methodCandidates
        self.method = method
        self.keepFP32 = keepFP32
        self.threads = max(1, threads)
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
    /// The quantization plan (with `--keep-fp32` layers applied; `auto` decides at the end).
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
        model = try Model(graph: graph, options: CompileOptions(threads: options.threads))
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
        keepsSamples = options.biasCorrectionRounds > 0 || !options.methodCandidates.isEmpty
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
        if keepsSamples { samples.append(inputs) }
        observedCount += 1
    }

    /// Chooses ranges with the options' method (or `method`, to compare calibrators on one
    /// set of observations: every method reads the same histograms, except that
    /// `.entropy(bins:)` needs the bin count the observers were built with — 2048 unless the
    /// options' method is an entropy with another count), applies `--keep-fp32`, and
    /// rewrites the prepared graph into QDQ form. `metadata` (e.g. the list of calibration
    /// photos) is stored in the model's metadata with the method, its parameters, the number
    /// of samples and the Loupe version. Throws when nothing was observed.
    public func quantize(metadata: [String: String] = [:], method: CalibrationMethod? = nil) throws -> QuantizationResult {
        guard observedCount > 0 else {
            throw LoupeError.badInput("calibration observed no input; call observe(_:) with at least one photo")
        }
        if method == nil, !options.methodCandidates.isEmpty {
            return try quantizeChoosingMethod(options.methodCandidates, metadata: metadata)
        }
        return try quantize(with: method ?? options.method, metadata: metadata, rounds: options.biasCorrectionRounds)
    }

    /// Tries every candidate without bias correction, scores each int8 model by the SQNR of
    /// its outputs against FP32 on the calibration samples, and returns the best one (bias
    /// corrected as the options say). The scores go into the metadata.
    private func quantizeChoosingMethod(_ candidates: [CalibrationMethod], metadata: [String: String]) throws -> QuantizationResult {
        var fp32: [[String: Tensor]] = []
        for x in samples { fp32.append(try model.run(x)) }
        var scores: [(CalibrationMethod, Double)] = []
        for c in candidates {
            let r = try quantize(with: c, metadata: metadata, rounds: 0)
            let int8 = try Model(graph: r.graph, options: CompileOptions(threads: options.threads))
            var signal = 0.0, noise = 0.0
            for (x, want) in zip(samples, fp32) {
                let got = try int8.run(x)
                for (name, w) in want {
                    guard let g = got[name] else { continue }
                    for (a, b) in zip(w.floats, g.floats) {
                        signal += Double(a) * Double(a)
                        noise += Double(a - b) * Double(a - b)
                    }
                }
            }
            scores.append((c, noise == 0 ? .infinity : 10 * log10(signal / noise)))
        }
        let best = scores.max { $0.1 < $1.1 }!.0
        var meta = metadata
        meta[Quantizer.MetadataKey.methodSelection] = "auto by output SQNR on the calibration samples: "
            + scores.map { String(format: "%@ %.2f dB", Quantizer.describe($0.0), $0.1) }.joined(separator: ", ")
            + "; chose \(Quantizer.describe(best))"
        return try quantize(with: best, metadata: meta, rounds: options.biasCorrectionRounds)
    }

    private func quantize(with method: CalibrationMethod, metadata: [String: String], rounds: Int) throws -> QuantizationResult {
        if case .entropy(let bins) = method, let o = observers.first, o.absoluteBinCount != bins {
            throw LoupeError.badInput(
                "\(Quantizer.describe(method)) needs observers with \(bins) bins; this session built them with \(o.absoluteBinCount) (calibrate with that method)")
        }
        let byName = Dictionary(uniqueKeysWithValues: zip(observed, observers))
        var source = prepared
        var result = try Quantizer.quantize(prepared: source, observers: byName, method: method,
                                            keepFP32: options.keepFP32, samples: observedCount, metadata: metadata)
        guard !corrected.isEmpty else { return result }
        let values = meanValues
        for round in 0..<rounds {
            let means = try BiasCorrection.quantizedMeans(qdq: result.graph, prepared: prepared, values: values,
                                                          inputs: samples, threads: options.threads)
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
                                            keepFP32: options.keepFP32, samples: observedCount, metadata: meta)
        }
        return result
    }
}
