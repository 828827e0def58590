import Foundation
import LoupeIR

/// Which nodes of the prepared graph stay in FP32 although they have an int8 kernel.
public enum KeepFP32: Sendable, Hashable {
    /// Quantize everything that has an int8 kernel.
    case none
    /// Mixed precision by measured sensitivity and cost (``MixedPrecision``): keep units
    /// (activations, conv/gemm weights) float, with few MACs moved to float, for the model's
    /// outputs to reach `targetSQNR` dB against FP32 on the calibration samples. A unit's
    /// sensitivity is the output SQNR of the model in which it alone is int8.
    case auto(targetSQNR: Double)
    /// Keep these nodes (names of the prepared graph, `loupe inspect` shows them).
    case layers([String])
}

/// What calibration produced: the QDQ graph and what was kept in float, and why.
public struct QuantizationResult {
    /// The QDQ graph: NCHW, float32 inputs and outputs, standard QuantizeLinear /
    /// DequantizeLinear (int8 activations per tensor, int8 weights per output channel,
    /// int32 biases); write it with `ONNXExporter.write(_:to:)`.
    public var graph: Graph
    /// Nodes that handle float32 activations but run in float, with the reason: no int8
    /// kernel, kept by `--keep-fp32`, or chosen by `--keep-fp32 auto`.
    public var keptFP32: [(node: String, reason: String)]
    /// The calibrated range of every observed activation (prepared-graph names).
    public var ranges: [String: ActivationRange]
    /// The int8 parameters of every quantized activation and constant stored int8
    /// (prepared-graph names), including fixed (Sigmoid) and shared (MaxPool, Reshape…) ones.
    public var params: [String: ValueQuantization]
    /// Estimated local SQNR (dB) of each int8 node with a calibrated output (weights and
    /// output rounding/clipping; errors arriving from earlier layers are not included).
    public var estimatedSQNR: [String: Double]
    /// Things the caller should show the user (e.g. NaN seen in an activation).
    public var warnings: [String]
    /// What `--keep-fp32 auto` measured and chose (nil without it).
    public var mixedPrecision: MixedPrecision.Choice? = nil
}

/// Turns observed activation statistics into a QDQ graph: ranges by the chosen calibrator,
/// parameters in XNNPACK's scheme, optional FP32 fallbacks, then the two-phase rewrite
/// (``QuantizationPlan``, ``QDQRewriter``).
public enum Quantizer {
    /// The Loupe version written into quantized models' metadata.
    public static let loupeVersion = "0.1.0"

    /// Metadata keys written by ``quantize(prepared:observers:method:keep:samples:metadata:)``.
    public enum MetadataKey {
        public static let format = "loupe.quantization.format"
        public static let method = "loupe.calibration.method"
        public static let samples = "loupe.calibration.samples"
        public static let keptFP32 = "loupe.quantization.kept_fp32"
        public static let version = "loupe.version"
        /// Present when empirical bias correction ran: rounds and layers corrected.
        public static let biasCorrection = "loupe.calibration.bias_correction"
        /// Present after `--method auto`: each method's output SQNR and the one chosen.
        public static let methodSelection = "loupe.calibration.method_selection"
        /// Present after `--keep-fp32 auto`: the target, the output SQNR reached, and each
        /// unit's isolated sensitivity.
        public static let mixedPrecision = "loupe.quantization.mixed_precision"
        /// How the int8 weight codes were rounded: `nearest`, or what adaptive rounding
        /// (``AdaptiveRounding``) did.
        public static let weightRounding = "loupe.calibration.weight_rounding"
    }

    /// Quantizes `prepared` (the fused NCHW float graph) from `observers` (one per value of
    /// the plan's `observed` list). `keep` names nodes of `prepared` to leave in FP32, with
    /// the reason (``explicitKeep(_:_:)`` makes it from `--keep-fp32` names; `auto` is
    /// applied afterwards by ``CalibrationSession``, which can run the model, see
    /// ``MixedPrecision``). `metadata` (e.g. the calibration photos) is added to the graph's
    /// metadata with the method, its parameters, the sample count (`samples`), and the Loupe
    /// version. `weightCodes` replaces the nearest-rounded weight codes of the nodes it
    /// names (``QDQRewriter/rewrite(_:plan:params:weightCodes:)``).
    public static func quantize(prepared: Graph, observers: [String: HistogramObserver],
                                method: CalibrationMethod, keep: [String: String] = [:],
                                samples: Int, metadata: [String: String] = [:],
                                weightCodes: [String: [Int8]] = [:]) throws -> QuantizationResult {
        let plan = QuantizationPlan(graph: prepared, keep: keep)
        var warnings: [String] = []
        var ranges: [String: ActivationRange] = [:]
        var params: [String: ValueQuantization] = [:]
        for v in plan.observed {
            guard let o = observers[v] else {
                throw LoupeError.verification("activation '\(v)' was not observed during calibration")
            }
            if o.minMax.nonFiniteCount > 0 {
                warnings.append("'\(v)' had \(o.minMax.nonFiniteCount) NaN or infinite values (ignored for its range)")
            }
            let range: ActivationRange
            do {
                range = try Calibrator.range(method, from: o)
            } catch CalibrationError.noData {
                throw LoupeError.badInput("activation '\(v)' had no finite value in the calibration samples")
            }
            ranges[v] = range
            params[v] = try Quantization.activationParams(min: range.min, max: range.max)
        }

        var sqnr: [String: Double] = [:]
        for (i, node) in prepared.nodes.enumerated() {
            guard let out = node.outputs.first, plan.activations[out] == .calibrated,
                  let o = observers[out], let p = params[out] else { continue }
            var weights: [Float]? = nil
            if case .weighted(let w, _, _) = plan.roles[i] { weights = prepared.initializers[node.inputs[w]]?.floats }
            sqnr[node.name] = estimatedSQNR(weights: weights.map { ($0, weightChannels(plan.roles[i], node, prepared)) },
                                            output: o, params: p)
        }
        var (graph, allParams) = try QDQRewriter.rewrite(prepared, plan: plan, params: params, weightCodes: weightCodes)
        graph.metadata[MetadataKey.format] =
            "QDQ: int8 activations asymmetric per tensor; int8 weights symmetric per output channel; int32 bias (scale = input scale x weight scale)"
        graph.metadata[MetadataKey.method] = describe(method)
        graph.metadata[MetadataKey.samples] = String(samples)
        graph.metadata[MetadataKey.version] = loupeVersion
        let kept = plan.floatNodes
        graph.metadata[MetadataKey.keptFP32] = keptFP32Entry(kept)
        graph.metadata[MetadataKey.weightRounding] = "nearest"
        for (k, v) in metadata { graph.metadata[k] = v }
        return QuantizationResult(graph: graph, keptFP32: kept, ranges: ranges, params: allParams,
                                  estimatedSQNR: sqnr, warnings: warnings)
    }

    /// The `loupe.quantization.kept_fp32` value: "node: reason; node: reason" (`loupe
    /// quant-report` and `loupe inspect` read it back).
    static func keptFP32Entry(_ kept: [(node: String, reason: String)]) -> String {
        kept.map { "\($0.node): \($0.reason)" }.joined(separator: "; ")
    }

    /// `.minMax`, `.percentile(99.99)`, … as written in metadata.
    public static func describe(_ m: CalibrationMethod) -> String {
        switch m {
        case .minMax: return "minmax"
        case .percentile(let p): return "percentile(\(p))"
        case .entropy(let bins): return "entropy(bins: \(bins))"
        case .mse: return "mse"
        }
    }

    /// The nodes `--keep-fp32 NODE,NODE` names, each with its reason (empty for `.none` and
    /// `.auto`); throws for a name that is not a node of `g`.
    public static func explicitKeep(_ k: KeepFP32, _ g: Graph) throws -> [String: String] {
        guard case .layers(let names) = k else { return [:] }
        let known = Set(g.nodes.map(\.name))
        var keep: [String: String] = [:]
        for n in names {
            guard known.contains(n) else {
                throw LoupeError.badInput(
                    "--keep-fp32 names '\(n)', which is not a node of the optimized graph (fused Relu/Clip/BatchNorm nodes no longer exist; `loupe inspect` lists the nodes)")
            }
            keep[n] = "kept in FP32 (--keep-fp32)"
        }
        return keep
    }

    static func weightChannels(_ role: NodeRole, _ node: Node, _ g: Graph) -> Int {
        guard case .weighted(let w, let axis, _) = role, let t = g.initializers[node.inputs[w]] else { return 1 }
        return t.shape[axis]
    }

    /// A local SQNR estimate (dB) of one int8 node: the output's rounding and clipping noise
    /// at `params`, from its histogram (a value inside the range costs s²/12, outside its
    /// squared distance to the range), plus the relative weight noise of per-channel int8
    /// (Σ(w − ŵ)² / Σw², which passes through a linear op at about the same ratio). Noise
    /// powers add; errors from earlier layers are not included, so this ranks layers but
    /// does not predict the end-to-end SQNR (`loupe quant-report` measures that).
    public static func estimatedSQNR(weights: ([Float], channels: Int)?, output: HistogramObserver,
                                     params p: ValueQuantization) -> Double {
        var ratio = 0.0
        if let (w, channels) = weights, channels > 0, w.count % channels == 0,
           let scales = try? Quantization.weightScales(w, outputChannels: channels),
           let codes = try? Quantization.quantizeWeights(w, scales: scales) {
            let per = w.count / channels
            var signal = 0.0, noise = 0.0
            for i in w.indices {
                let d = Double(w[i]) - Double(codes[i]) * Double(scales[i / per])
                signal += Double(w[i]) * Double(w[i]); noise += d * d
            }
            if signal > 0 { ratio += noise / signal }
        }
        let counts = output.counts, r = Double(output.range), width = Double(output.binWidth)
        let s = Double(p.scale)
        let lo = Double(-128 - p.zeroPoint) * s, hi = Double(127 - p.zeroPoint) * s
        var signal = 0.0, noise = 0.0
        if width > 0 {
            for (i, c) in counts.enumerated() where c > 0 {
                let x = -r + (Double(i) + 0.5) * width
                signal += Double(c) * x * x
                let e = x < lo ? (lo - x) * (lo - x) : x > hi ? (x - hi) * (x - hi) : s * s / 12
                noise += Double(c) * e
            }
        }
        if signal > 0 { ratio += noise / signal }
        return ratio > 0 ? -10 * log10(ratio) : .infinity
    }
}
