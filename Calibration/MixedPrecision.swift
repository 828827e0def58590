import Foundation
import LoupeIR

/// `--keep-fp32 auto`: mixed precision chosen by measured sensitivity.
///
/// Why measured: a layer's local rounding noise does not say how much of it reaches the
/// output. On Loupe's bundled IQA scorer, the input's and the stem's int8 rounding
/// (about a grey level) is read by the network as image noise, which is what it is trained
/// to detect: quantized alone, the stem's HardSwish costs more output SQNR than all 100
/// later activations together (Bench/RESULTS.md), although its local SQNR is as good as
/// theirs. So each int8 node is measured where it matters, at the model's outputs:
///
/// 1. the fully int8 model's output SQNR (``OutputSQNR``); when it meets the target,
///    nothing more is kept;
/// 2. for every node that runs in int8, the model in which that node alone is int8 (every
///    other node kept in FP32, converts around it): its *isolated* output SQNR;
/// 3. nodes ordered from the lowest isolated SQNR; the fewest first-k kept in FP32 for
///    which the int8 model reaches the target: k = 1, 2, 4, … until it does, then a
///    bisection between the last k that missed and the first that met it (each a model
///    built and measured; the search assumes keeping more does not hurt, which holds
///    nearly always, and every trial is recorded).
///
/// The cost is one model build and run of the samples per int8 node, plus ~2 log₂(n)
/// trials: on a 120-node MobileNetV3 at 720×1280, 8 samples, a few minutes on 2 cores.
public enum MixedPrecision {
    /// The isolated output SQNR of one node: the model with only this node in int8.
    public struct Sensitivity: Sendable, Hashable {
        /// Node name in the prepared graph.
        public var node: String
        /// Output SQNR (dB, ``OutputSQNR``) with only this node in int8.
        public var isolatedSQNR: Double
    }

    /// What `choose` decided.
    public struct Choice: Sendable {
        /// The nodes to keep in FP32 (the given ones and the chosen ones), with the reason.
        public var keep: [String: String]
        /// Every int8 node's sensitivity, most sensitive first (empty when the fully int8
        /// model already met the target).
        public var sensitivities: [Sensitivity]
        /// Output SQNR of the model with no node kept by `auto`.
        public var int8SQNR: Double
        /// Output SQNR of the chosen model.
        public var reachedSQNR: Double
        /// Every model tried after the isolations: (most sensitive nodes kept, its SQNR).
        public var trials: [(kept: Int, sqnr: Double)]
        /// How many nodes `auto` kept.
        public var keptCount: Int

        /// One line for the model's metadata.
        public func summary(target: Double) -> String {
            var s = String(format: "target %.1f dB output SQNR on the calibration samples; all int8 %.2f dB; ", target, int8SQNR)
            s += String(format: "kept %d most sensitive node(s): %.2f dB", keptCount, reachedSQNR)
            if !trials.isEmpty {
                s += "; tried " + trials.map { String(format: "%d→%.2f dB", $0.kept, $0.sqnr) }.joined(separator: ", ")
            }
            if !sensitivities.isEmpty {
                s += "; isolated SQNR per node " + sensitivities.map { String(format: "%@ %.1f", $0.node, $0.isolatedSQNR) }
                    .joined(separator: ", ")
            }
            return s
        }
    }

    /// Chooses the nodes of `prepared` to keep in FP32 so that the model's output SQNR
    /// reaches `targetSQNR` dB. `baseKeep` (explicit `--keep-fp32` nodes) is always kept.
    /// `quantize(keep)` builds the QDQ graph with those nodes in FP32 (parameters of values
    /// that the isolations calibrate but the full plan shares or fixes come from the fully
    /// int8 model: pass them as `knownParams`); `measure(graph)` returns a QDQ graph's output
    /// SQNR against FP32. `progress(done, total)` follows the isolations.
    public static func choose(prepared: Graph, baseKeep: [String: String], targetSQNR: Double,
                              quantize: ([String: String]) throws -> QuantizationResult,
                              measure: (Graph) throws -> Double,
                              progress: ((Int, Int) -> Void)? = nil) throws -> Choice {
        let full = try quantize(baseKeep)
        let fullSQNR = try measure(full.graph)
        guard fullSQNR < targetSQNR else {
            return Choice(keep: baseKeep, sensitivities: [], int8SQNR: fullSQNR, reachedSQNR: fullSQNR, trials: [], keptCount: 0)
        }
        let plan = QuantizationPlan(graph: prepared, keep: baseKeep)
        let candidates = prepared.nodes.indices.filter { plan.isInt8($0) }
        var sensitivities: [(Sensitivity, order: Int)] = []
        for (j, i) in candidates.enumerated() {
            var keep = baseKeep
            for k in candidates where k != i { keep[prepared.nodes[k].name] = "isolating another node" }
            let r = try quantize(keep)
            sensitivities.append((Sensitivity(node: prepared.nodes[i].name, isolatedSQNR: try measure(r.graph)), j))
            progress?(j + 1, candidates.count)
        }
        // Ties (e.g. +∞ for nodes that add no rounding) keep graph order.
        let ordered = sensitivities.sorted { ($0.0.isolatedSQNR, $0.order) < ($1.0.isolatedSQNR, $1.order) }.map(\.0)

        var trials: [(kept: Int, sqnr: Double)] = []
        var results: [Int: Double] = [0: fullSQNR]
        func keep(_ k: Int) -> [String: String] {
            var keep = baseKeep
            for s in ordered.prefix(k) {
                keep[s.node] = String(format: "--keep-fp32 auto: isolated output SQNR %.1f dB, among the %d most sensitive kept for %.1f dB",
                                      s.isolatedSQNR, k, targetSQNR)
            }
            return keep
        }
        func trial(_ k: Int) throws -> Double {
            if let r = results[k] { return r }
            let r = try measure(try quantize(keep(k)).graph)
            results[k] = r
            trials.append((k, r))
            return r
        }
        // Exponential search for a k that meets the target, then bisection below it.
        var missed = 0, met = ordered.count
        var k = 1
        while k < ordered.count {
            if try trial(k) >= targetSQNR { met = k; break }
            missed = k
            k *= 2
        }
        if met == ordered.count { _ = try trial(met) }
        while met - missed > 1 {
            let mid = (met + missed) / 2
            if try trial(mid) >= targetSQNR { met = mid } else { missed = mid }
        }
        return Choice(keep: keep(met), sensitivities: ordered, int8SQNR: fullSQNR, reachedSQNR: results[met]!,
                      trials: trials, keptCount: met)
    }
}
