import LoupeIR

/// Removes Identity, inference-mode Dropout and Slices that take the whole tensor.
///
/// Before: `%y = Identity(%x); %z = Relu(%y)`
/// After:  `%z = Relu(%x)`
///
/// A whole-tensor Slice is what timm's GhostNet exports for `torch.cat([a, b], 1)[:, :oup]`
/// when the concatenation has exactly `oup` channels (every ghost module of ghostnet_100):
/// constant starts, ends, axes and steps that keep every element in order (start 0, step 1,
/// full length on each sliced axis of a static shape). The runtime has no Slice (it folds
/// away with constants), so left in place it would stop the model from compiling.
///
/// Guards: when `%y` is a graph output, the producer of `%x` is renamed to `%y` instead,
/// which is only possible if `%x` is produced by a node and is not itself a graph output;
/// otherwise the node stays (the runtime copies).
public struct RemoveIdentity: GraphPass {
    public let name = "remove-identity"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        // One walk in order: a removed node's output becomes a rename applied to the inputs
        // of the nodes after it, instead of a rewrite of the whole graph per removed node.
        let uses = graph.nodeUseCounts()
        var rename: [String: String] = [:]
        func resolve(_ v: String) -> String {
            var v = v
            while let r = rename[v] { v = r }
            return v
        }
        var kept: [Node] = []
        kept.reserveCapacity(graph.nodes.count)
        var producers: [String: Int] = [:]
        var changed = false
        for var node in graph.nodes {
            for j in node.inputs.indices { node.inputs[j] = resolve(node.inputs[j]) }
            if remove(node, &graph, &kept, &producers, &rename, uses) {
                changed = true
                continue
            }
            for v in node.outputs where !v.isEmpty { producers[v] = kept.count }
            kept.append(node)
        }
        graph.nodes = kept
        return changed
    }

    /// Removes `node` when it passes its input through, recording what its readers must read
    /// instead. `kept` holds the nodes before it (inputs already renamed).
    private func remove(_ node: Node, _ graph: inout Graph, _ kept: inout [Node], _ producers: inout [String: Int],
                        _ rename: inout [String: String], _ uses: [String: Int]) -> Bool {
        guard isPassThrough(node, graph), let x = node.input(0), let y = node.outputs.first else { return false }
        // Dropout's optional mask output must be unused.
        if node.outputs.count > 1,
           node.outputs[1...].contains(where: { !$0.isEmpty && (uses[$0, default: 0] > 0 || graph.isGraphOutput($0)) }) {
            return false
        }
        guard graph.isGraphOutput(y) else {
            rename[y] = x
            return true
        }
        guard let p = producers[x], !graph.isGraphOutput(x), !graph.inputs.contains(where: { $0.name == x }) else {
            return false
        }
        for k in kept[p].outputs.indices where kept[p].outputs[k] == x { kept[p].outputs[k] = y }
        // Readers of %x between its producer and here; those after read it through `rename`.
        for k in (p + 1)..<kept.count {
            for j in kept[k].inputs.indices where kept[k].inputs[j] == x { kept[k].inputs[j] = y }
        }
        producers[x] = nil
        producers[y] = p
        rename[x] = y
        graph.types[y] = graph.types[x]
        return true
    }

    private func isPassThrough(_ node: Node, _ graph: Graph) -> Bool {
        if case .identity = node.op { return true }
        if case .dropout = node.op { return true }
        if case .slice = node.op { return isWholeSlice(node, graph) }
        return false
    }

    /// Whether a Slice keeps every element of its (static-shaped) input in order.
    private func isWholeSlice(_ node: Node, _ graph: Graph) -> Bool {
        func ints(_ i: Int) -> [Int]? {
            node.input(i).flatMap { graph.initializers[$0] }.map { $0.ints.map { Int($0) } }
        }
        // Every present parameter must be a constant (absent axes/steps take their defaults).
        guard (1...4).allSatisfy({ i in node.input(i).map { graph.initializers[$0] != nil } ?? (i > 2) }),
              let x = node.input(0), let shape = graph.type(of: x)?.staticShape,
              let starts = ints(1), let ends = ints(2),
              let resolved = try? resolveSlice(shape: shape, starts: starts, ends: ends, axes: ints(3), steps: ints(4),
                                               node: node.reference) else { return false }
        return zip(resolved, shape).allSatisfy { $0.start == 0 && $0.step == 1 && $0.count == $1 }
    }
}
