import LoupeIR

/// Recognises LayerNormalization written out of elementary ops, as exports before opset 17
/// (and torch.export graphs) write it, so it runs as one kernel instead of two reductions
/// and five element-wise passes.
///
/// Before:
/// ```
/// %m = ReduceMean(%x, axes=[-1], keepdims=1);  %d = Sub(%x, %m)
/// %s = Pow(%d, 2)  (or Mul(%d, %d));           %v = ReduceMean(%s, axes=[-1], keepdims=1)
/// %r = Sqrt(Add(%v, ε));  %n = Div(%d, %r);  %g = Mul(%n, γ);  %y = Add(%g, β)
/// ```
/// After: `%y = LayerNormalization(%x, γ, β; axis=-1, epsilon=ε)`
///
/// The reduced axes may be any trailing run (axis = the first of them); γ and β are
/// optional (γ absent: ones). Guards: both reductions keep dims and reduce the same
/// constant trailing axes; ε, γ and β are constants (γ and β hold one value per
/// normalized element, or one value); every intermediate value is read only inside the
/// pattern and is not a graph output.
public struct RecognizeLayerNormalization: GraphPass {
    public let name = "recognize-layer-normalization"
    public init() {}

    /// One recognised pattern: the node that becomes LayerNormalization, the nodes that go,
    /// and the constants the new node reads (Scale and B shaped like the normalized axes).
    struct Match {
        var root: Int
        var node: Node
        var dead: [Int]
        var constants: [String: Tensor]
    }

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        while let m = firstMatch(graph) {
            graph.initializers.merge(m.constants) { a, _ in a }
            graph.nodes[m.root] = m.node
            for d in m.dead.sorted(by: >) { graph.nodes.remove(at: d) }
            changed = true
        }
        return changed
    }

    private func firstMatch(_ graph: Graph) -> Match? {
        let producers = graph.producers(), consumers = graph.consumers()
        for (i, node) in graph.nodes.enumerated() {
            if let m = match(div: i, node, graph, producers, consumers) { return m }
        }
        return nil
    }

    /// The match rooted at the Div `%n = Div(%d, %r)`.
    private func match(div i: Int, _ div: Node, _ graph: Graph, _ producers: [String: Int],
                       _ consumers: [String: [Int]]) -> Match? {
        guard div.op == .binary(.div), let d = div.input(0), let r = div.input(1) else { return nil }
        func producer(_ v: String) -> (Int, Node)? { producers[v].map { ($0, graph.nodes[$0]) } }
        func onlyReader(_ v: String, _ k: Int) -> Bool { graph.soleReader(of: v, consumers)?.0 == k }
        // %r = Sqrt(Add(%v, ε))
        guard let (ri, sqrt) = producer(r), sqrt.op == .unary(.sqrt), onlyReader(r, i),
              let a = sqrt.input(0), let (ai, add) = producer(a), onlyReader(a, ri),
              let (v, epsilon) = graph.operandAndScalar(add, .add), epsilon >= 0,
              let (vi, meanOfSquares) = producer(v), onlyReader(v, ai),
              let axes = trailingMeanAxes(meanOfSquares, graph),
              let s = meanOfSquares.input(0), let (si, square) = producer(s), onlyReader(s, vi),
              isSquare(square, of: d, graph),
              let (di, sub) = producer(d), sub.op == .binary(.sub),
              let x = sub.input(0), let m = sub.input(1), let (mi, mean) = producer(m), onlyReader(m, di),
              mean.input(0) == x, trailingMeanAxes(mean, graph) == axes,
              !graph.isGraphOutput(d), Set(consumers[d] ?? []) == [si, i],
              let rank = graph.type(of: x)?.rank, let shape = graph.type(of: x)?.staticShape,
              axes.first.map({ $0 >= 0 && axes == Array($0..<rank) }) ?? false
        else { return nil }
        let normalized = Array(shape[axes[0]...])
        let count = normalized.reduce(1, *)
        var dead = [mi, di, si, vi, ai, ri]
        var root = i, out = div.outputs[0]
        var gamma: String?, beta: String?
        // Optional `Mul(%n, γ)` then `Add(·, β)`, each the only reader of what it reads.
        if let (k, mul) = graph.soleReader(of: out, consumers), mul.op == .binary(.mul),
           let c = otherOperand(mul, out), affine(c, normalized, graph) {
            gamma = c; dead.append(root); root = k; out = mul.outputs[0]
        }
        if let (k, add) = graph.soleReader(of: out, consumers), add.op == .binary(.add),
           let c = otherOperand(add, out), affine(c, normalized, graph) {
            beta = c; dead.append(root); root = k; out = add.outputs[0]
        }
        var g = graph
        let scale = gamma.map { expanded($0, normalized, &g) } ?? {
            let name = g.freshName("\(div.name)::scale")
            g.initializers[name] = Tensor(shape: normalized, floats: [Float](repeating: 1, count: count))
            return name
        }()
        let bias = beta.map { expanded($0, normalized, &g) }
        var node = graph.nodes[root]
        node.op = .layerNormalization(axis: axes[0], epsilon: epsilon)
        node.inputs = [x, scale] + (bias.map { [$0] } ?? [])
        node.outputs = [out]
        return Match(root: root, node: node, dead: dead, constants: g.initializers.filter { graph.initializers[$0.key] == nil })
    }

    private func otherOperand(_ node: Node, _ v: String) -> String? {
        guard node.inputs.count == 2 else { return nil }
        return node.inputs[0] == v ? node.inputs[1] : node.inputs[1] == v ? node.inputs[0] : nil
    }

    /// A float constant with one value, or shaped like the normalized axes (leading 1s aside),
    /// so that it broadcasts over the rows only.
    private func affine(_ v: String, _ normalized: [Int], _ graph: Graph) -> Bool {
        guard let t = graph.initializers[v], t.dtype == .float32 else { return false }
        return t.count == 1 || Array(t.shape.drop { $0 == 1 }) == Array(normalized.drop { $0 == 1 })
    }

    /// The constant `v` as a tensor shaped like the normalized axes.
    private func expanded(_ v: String, _ normalized: [Int], _ graph: inout Graph) -> String {
        let t = graph.initializers[v]!
        if t.shape == normalized { return v }
        let count = normalized.reduce(1, *)
        let values = t.count == 1 ? [Float](repeating: t.floats[0], count: count) : t.floats
        let name = graph.freshName("\(v)::layer_norm")
        graph.initializers[name] = Tensor(shape: normalized, floats: values)
        return name
    }

    /// `Pow(%d, 2)` or `Mul(%d, %d)`.
    private func isSquare(_ node: Node, of d: String, _ graph: Graph) -> Bool {
        guard node.input(0) == d else { return false }
        if node.op == .binary(.pow) { return node.input(1).flatMap(graph.scalarConstant) == 2 }
        return node.op == .binary(.mul) && node.input(1) == d
    }

    /// The normalised, sorted axes of a ReduceMean that keeps dims over constant axes.
    private func trailingMeanAxes(_ node: Node, _ graph: Graph) -> [Int]? {
        guard case .reduce(.mean, keepDims: true, _) = node.op, let x = node.input(0),
              let rank = graph.type(of: x)?.rank, let a = node.input(1), let t = graph.initializers[a] else { return nil }
        let axes = t.ints.map { Int($0) < 0 ? Int($0) + rank : Int($0) }.sorted()
        return axes.isEmpty || axes.contains(where: { $0 < 0 || $0 >= rank }) ? nil : axes
    }
}
