import LoupeIR

/// Removes nodes whose outputs nobody reads, and initializers no node reads.
///
/// Before: `%a = Relu(%x); %y = Sigmoid(%x)` with only `%y` a graph output
/// After:  `%y = Sigmoid(%x)`
public struct EliminateDeadCode: GraphPass {
    public let name = "dead-code"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var live = Set(graph.outputs.map(\.name))
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for i in graph.nodes.indices.reversed() {
            let node = graph.nodes[i]
            if node.outputs.contains(where: { live.contains($0) }) {
                keep[i] = true
                for v in node.inputs where !v.isEmpty { live.insert(v) }
            }
        }
        let before = graph.nodes.count
        graph.nodes = graph.nodes.indices.filter { keep[$0] }.map { graph.nodes[$0] }
        let deadConstants = graph.initializers.keys.filter { !live.contains($0) }
        for k in deadConstants { graph.initializers[k] = nil }
        let liveTypes = graph.types.keys.filter { !live.contains($0) }
        for k in liveTypes { graph.types[k] = nil }
        return graph.nodes.count != before || !deadConstants.isEmpty
    }
}
