/// Hands out names that no value of a graph uses, for code that writes new values while it
/// reads the graph (the ONNX exporter, the QDQ rewriter). Each name it returns is reserved,
/// so two requests for the same base get different names.
public struct ValueNames: Sendable {
    private var reserved: Set<String>

    /// Reserves every value name of `graph`: initializers, graph inputs and outputs, and
    /// every node input and output.
    public init(_ graph: Graph) {
        var names = Set(graph.initializers.keys)
        for v in graph.inputs { names.insert(v.name) }
        for v in graph.outputs { names.insert(v.name) }
        for n in graph.nodes { names.formUnion(n.inputs); names.formUnion(n.outputs) }
        reserved = names
    }

    /// Reserves more names (e.g. node names, when new values may be named after nodes).
    public mutating func reserve<S: Sequence>(_ names: S) where S.Element == String {
        reserved.formUnion(names)
    }

    /// `base` when it is free, else `base_2`, `base_3`, …; the name returned is reserved.
    public mutating func fresh(_ base: String) -> String {
        var name = base, k = 1
        while reserved.contains(name) { k += 1; name = "\(base)_\(k)" }
        reserved.insert(name)
        return name
    }
}
