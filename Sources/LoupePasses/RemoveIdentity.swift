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
        var changed = false
        var i = 0
        while i < graph.nodes.count {
            let node = graph.nodes[i]
            guard isPassThrough(node, graph), let x = node.input(0), let y = node.outputs.first else {
                i += 1
                continue
            }
            // Dropout's optional mask output must be unused.
            if node.outputs.count > 1, node.outputs[1...].contains(where: { !$0.isEmpty && graph.useCount($0) > 0 }) {
                i += 1
                continue
            }
            if graph.isGraphOutput(y) {
                let producers = graph.producers()
                guard let p = producers[x], !graph.isGraphOutput(x),
                      !graph.inputs.contains(where: { $0.name == x }) else {
                    i += 1
                    continue
                }
                for k in graph.nodes[p].outputs.indices where graph.nodes[p].outputs[k] == x {
                    graph.nodes[p].outputs[k] = y
                }
                graph.replaceUses(of: x, with: y)
                graph.types[y] = graph.types[x]
            } else {
                graph.replaceUses(of: y, with: x)
            }
            graph.nodes.remove(at: i)
            changed = true
        }
        return changed
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
