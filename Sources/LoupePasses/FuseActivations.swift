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
        var changed = false
        var i = 0
        while i < graph.nodes.count {
            let act = graph.nodes[i]
            guard let x = act.input(0), let range = clampRange(of: act, in: graph),
                  let p = graph.producers()[x], graph.hasSingleNodeUse(x) else {
                i += 1
                continue
            }
            var producer = graph.nodes[p]
            guard let fused = Self.withClamp(producer.op, range) else {
                i += 1
                continue
            }
            producer.op = fused
            producer.outputs[0] = act.outputs[0]
            graph.nodes[p] = producer
            graph.types[x] = nil
            graph.nodes.remove(at: i)
            changed = true
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
