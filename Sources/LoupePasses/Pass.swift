import LoupeIR

/// A named graph-to-graph rewrite. Each pass documents its Before/After IR and its guard
/// conditions; it returns whether it changed the graph.
public protocol GraphPass {
    /// Short name used in `--print-after` style diagnostics and tests.
    var name: String { get }
    /// Rewrites `graph` in place. Returns true when something changed.
    func run(on graph: inout Graph) throws -> Bool
}

extension Graph {
    /// Replaces every use of `old` (node inputs) by `new`. Graph outputs are left alone:
    /// callers that remove a value which is a graph output must rename instead.
    mutating func replaceUses(of old: String, with new: String) {
        for i in nodes.indices {
            for j in nodes[i].inputs.indices where nodes[i].inputs[j] == old {
                nodes[i].inputs[j] = new
            }
        }
    }

    /// Number of node inputs (plus graph outputs) that read `value`.
    func useCount(_ value: String) -> Int {
        var n = outputs.filter { $0.name == value }.count
        for node in nodes { n += node.inputs.filter { $0 == value }.count }
        return n
    }

    /// Node inputs reading each value, for every value at once: passes that ask per node
    /// build this once instead of calling `useCount` (which walks the whole graph).
    func nodeUseCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes {
            for v in node.inputs where !v.isEmpty { counts[v, default: 0] += 1 }
        }
        return counts
    }

    /// True when `value` is read by exactly one node input and is not a graph output.
    func hasSingleNodeUse(_ value: String) -> Bool {
        !isGraphOutput(value) && useCount(value) == 1
    }

    /// A value name not used anywhere in the graph, derived from `base`. Walks the whole
    /// graph: a pass that needs many names keeps one `FreshNames` instead.
    func freshName(_ base: String) -> String {
        var names = FreshNames(self)
        return names.make(base)
    }

    /// A fresh name (see `freshName`) given a placeholder `type` at once, so that it stays
    /// taken while the pass adds more values before types are inferred again.
    mutating func reserveFreshName(_ base: String, type: TensorType = TensorType(.float32, [])) -> String {
        let name = freshName(base)
        types[name] = type
        return name
    }

    /// True when every input of `node` after the first (shape, axes, …) is omitted or a constant.
    func hasConstantOperands(_ node: Node) -> Bool {
        node.inputs.dropFirst().allSatisfy { $0.isEmpty || initializers[$0] != nil }
    }

    /// Scalar value of a constant input, if it is a one-element initializer.
    func scalarConstant(_ value: String) -> Float? {
        guard let t = initializers[value], t.count == 1 else { return nil }
        return t.floats[0]
    }

    /// `(%v, c)` when `node` is `binary(op)` of a non-constant value and a scalar constant c:
    /// `op(%v, c)`, or `op(c, %v)` too for the commutative Add and Mul.
    func operandAndScalar(_ node: Node, _ op: BinaryOp) -> (String, Float)? {
        guard case .binary(let b) = node.op, b == op, let l = node.input(0), let r = node.input(1) else { return nil }
        if let c = scalarConstant(r), initializers[l] == nil { return (l, c) }
        if op == .add || op == .mul, let c = scalarConstant(l), initializers[r] == nil { return (r, c) }
        return nil
    }

    /// The node that alone reads `value`, once, when `value` is not a graph output
    /// (`consumers` as `Graph.consumers()` gives it).
    func soleReader(of value: String, _ consumers: [String: [Int]]) -> (Int, Node)? {
        guard !isGraphOutput(value), let c = consumers[value], c.count == 1,
              nodes[c[0]].inputs.filter({ $0 == value }).count == 1 else { return nil }
        return (c[0], nodes[c[0]])
    }
}

/// Hands out value names unused in a graph (initializers, types, inputs, node outputs) and
/// not handed out before, from one set of used names built once.
struct FreshNames {
    private var used: Set<String>
    /// Per base, the suffix to try next: names are only ever added, so every smaller one is
    /// taken (a pass naming thousands of values after one node stays linear).
    private var nextSuffix: [String: Int] = [:]

    init(_ graph: Graph) {
        used = Set(graph.initializers.keys).union(graph.types.keys)
        for i in graph.inputs { used.insert(i.name) }
        for n in graph.nodes { used.formUnion(n.outputs) }
    }

    /// `base`, or `base_k` with the smallest k ≥ 1 that is free; the name is then taken.
    mutating func make(_ base: String) -> String {
        var name = base
        var k = nextSuffix[base] ?? 1
        if used.contains(name) {
            while used.contains("\(base)_\(k)") { k += 1 }
            name = "\(base)_\(k)"
            k += 1
        }
        nextSuffix[base] = k
        used.insert(name)
        return name
    }
}
