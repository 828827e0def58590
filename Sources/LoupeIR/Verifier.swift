// IR invariants, checked after import and after the pass pipeline.

extension Graph {
    /// Checks the IR invariants: no `.unsupported` nodes; nodes in topological order with
    /// every input defined exactly once before use (graph input, initializer or an earlier
    /// node's output); no value defined twice; every graph output produced; input and output
    /// counts within each op's arity, with required inputs present.
    ///
    /// - Throws: `LoupeError.unsupportedOp` (naming the first unsupported node and listing
    ///   all of them) or `LoupeError.verification` describing the first violation.
    public func verify() throws {
        let unsupported = nodes.filter { if case .unsupported = $0.op { return true } else { return false } }
        if let first = unsupported.first, case .unsupported(_, _, let reason) = first.op {
            let list = unsupported.map { $0.reference.description }.joined(separator: ", ")
            throw LoupeError.unsupportedOp(
                first.reference, reason: "\(reason); the graph has \(unsupported.count) unsupported node(s): \(list)")
        }
        var defined: [String: String] = [:]  // value → what defined it
        func define(_ name: String, by what: String) throws {
            guard !name.isEmpty else { return }
            if let earlier = defined[name] {
                throw LoupeError.verification("value '\(name)' is defined twice: by \(earlier) and by \(what)")
            }
            defined[name] = what
        }
        for input in inputs { try define(input.name, by: "graph input") }
        for name in initializers.keys.sorted() { try define(name, by: "initializer") }
        let producers = self.producers()
        for node in nodes {
            let arity = node.op.arity
            guard arity.inputs.contains(node.inputs.count) else {
                throw LoupeError.verification("\(node.reference) has \(node.inputs.count) inputs; \(node.op.onnxName) takes \(describe(arity.inputs))")
            }
            let required: Int
            if case .concat = node.op { required = node.inputs.count } else { required = arity.inputs.lowerBound }
            for i in 0..<required where node.inputs[i].isEmpty {
                throw LoupeError.verification("\(node.reference) lacks required input \(i)")
            }
            for (i, name) in node.inputs.enumerated() where !name.isEmpty && defined[name] == nil {
                if let p = producers[name] {
                    throw LoupeError.verification("\(node.reference) uses input \(i) '\(name)' before node \(p) '\(nodes[p].name)' produces it (nodes are not in topological order)")
                }
                throw LoupeError.verification("\(node.reference) uses input \(i) '\(name)', which nothing defines")
            }
            guard arity.outputs.contains(node.outputs.count), node.outputs.first.map({ !$0.isEmpty }) ?? false else {
                throw LoupeError.verification("\(node.reference) has outputs \(node.outputs); \(node.op.onnxName) produces \(describe(arity.outputs)) with the first named")
            }
            for name in node.outputs { try define(name, by: node.reference.description) }
        }
        var seenOutputs = Set<String>()
        for output in outputs {
            guard seenOutputs.insert(output.name).inserted else {
                throw LoupeError.verification("graph output '\(output.name)' is listed twice")
            }
            guard defined[output.name] != nil else {
                throw LoupeError.verification("graph output '\(output.name)' is not produced by any node")
            }
        }
    }

    private func describe(_ r: ClosedRange<Int>) -> String {
        if r.lowerBound == r.upperBound { return "\(r.lowerBound)" }
        if r.upperBound == .max { return "at least \(r.lowerBound)" }
        return "\(r.lowerBound) to \(r.upperBound)"
    }
}
