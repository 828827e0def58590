import LoupeIR

/// Removes Identity and inference-mode Dropout.
///
/// Before: `%y = Identity(%x); %z = Relu(%y)`
/// After:  `%z = Relu(%x)`
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
            guard isPassThrough(node.op), let x = node.input(0), let y = node.outputs.first else {
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

    private func isPassThrough(_ op: Op) -> Bool {
        if case .identity = op { return true }
        if case .dropout = op { return true }
        return false
    }
}
