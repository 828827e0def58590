import LoupeIR

/// Folds a Relu or a constant Clip that follows a Conv, ConvTranspose or Gemm into the
/// producer's output range (XNNPACK applies it for free).
///
/// Before: `%c = Conv(%x, %w, %b); %y = Clip(%c, 0, 6)`
/// After:  `%y = Conv(%x, %w, %b) [out ∈ [0, 6]]`
///
/// Guards: the producer's output has no other reader and is not a graph output; Clip
/// bounds are constants; ranges compose by intersection.
public struct FuseActivations: GraphPass {
    public let name = "fuse-activations"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        // The maps are built once and kept up to date, so the pass is linear in the graph.
        var producers = graph.producers()
        let uses = graph.nodeUseCounts()
        var removed = [Bool](repeating: false, count: graph.nodes.count)
        var changed = false
        for i in graph.nodes.indices {
            let act = graph.nodes[i]
            guard let x = act.input(0), let range = clampRange(of: act, in: graph),
                  let p = producers[x], uses[x] == 1, !graph.isGraphOutput(x) else { continue }
            var producer = graph.nodes[p]
            guard producer.outputs.first == x, let fused = Self.withClamp(producer.op, range) else { continue }
            producer.op = fused
            producer.outputs[0] = act.outputs[0]
            graph.nodes[p] = producer
            graph.types[x] = nil
            producers[x] = nil
            producers[act.outputs[0]] = p
            removed[i] = true
            changed = true
        }
        if changed {
            graph.nodes = graph.nodes.indices.filter { !removed[$0] }.map { graph.nodes[$0] }
        }
        return changed
    }

    /// The producer op with `range` intersected into its output range, or nil when the
    /// op has no output range to fuse into.
    static func withClamp(_ op: Op, _ range: (lo: Float, hi: Float)) -> Op? {
        if case .conv(var a) = op {
            a.outputMin = max(a.outputMin, range.lo)
            a.outputMax = min(a.outputMax, range.hi)
            return .conv(a)
        }
        if case .convTranspose(var a) = op {
            a.outputMin = max(a.outputMin, range.lo)
            a.outputMax = min(a.outputMax, range.hi)
            return .convTranspose(a)
        }
        if case .gemm(var a) = op {
            a.outputMin = max(a.outputMin, range.lo)
            a.outputMax = min(a.outputMax, range.hi)
            return .gemm(a)
        }
        return nil
    }

    private func clampRange(of node: Node, in graph: Graph) -> (lo: Float, hi: Float)? {
        if case .unary(.relu) = node.op { return (0, .infinity) }
        if case .clip = node.op {
            var lo = -Float.infinity, hi = Float.infinity
            if let m = node.input(1) {
                guard let v = graph.scalarConstant(m) else { return nil }
                lo = v
            }
            if let m = node.input(2) {
                guard let v = graph.scalarConstant(m) else { return nil }
                hi = v
            }
            guard lo <= hi else { return nil }
            return (lo, hi)
        }
        return nil
    }
}
