import LoupeIR

/// Recognises HardSwish and HardSigmoid written out of elementary ops, as older PyTorch
/// exports and hand-written models do, so they run as one op (XNNPACK hardswish, or one
/// lookup table once quantized).
///
/// Before: `%a = Add(%x, 3); %c = Clip(%a, 0, 6); %m = Mul(%x, %c); %y = Div(%m, 6)`
/// After:  `%y = HardSwish(%x)`
///
/// Also: `Mul(%x, Div(Clip(Add(%x,3),0,6),6))`, `Mul(%x, HardSigmoid(%x; 1/6, 0.5))`
/// → HardSwish, and `Div(Clip(Add(%x,3),0,6),6)` → HardSigmoid(1/6, 0.5). `Div(·, 6)` may
/// also be written `Mul(·, 1/6)`.
///
/// Guards: every intermediate value has exactly one reader and is not a graph output;
/// the constants are scalars equal to 3, 0, 6 (1/6 within 1e-6).
public struct RecognizeHardActivations: GraphPass {
    public let name = "recognise-hard-activations"
    public init() {}

    /// The graph-wide maps the matchers read, built once per sweep.
    private struct Lookup {
        let producers: [String: Int]
        let uses: [String: Int]
        let graph: Graph

        init(_ graph: Graph) {
            producers = graph.producers()
            uses = graph.nodeUseCounts()
            self.graph = graph
        }

        /// Read by exactly one node input and not a graph output.
        func single(_ v: String) -> Bool { uses[v] == 1 && !graph.isGraphOutput(v) }
    }

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        // HardSwish first (its forms contain HardSigmoid's); a new HardSigmoid op may then
        // complete a HardSwish (form 3), hence the loop. Each sweep rewrites every match it
        // finds, so the work is linear in the graph per sweep, not per match.
        while true {
            if sweep(&graph, match: matchHardSwish, op: .unary(.hardSwish)) {
                changed = true
                continue
            }
            guard sweep(&graph, match: matchHardSigmoid, op: .hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5)) else { break }
            changed = true
        }
        return changed
    }

    /// Rewrites every match of `match` whose nodes no earlier match of this sweep took. A
    /// rewrite only lowers use counts of pattern inputs and removes its own nodes, so the
    /// maps built at the start stay right for the matches it keeps.
    private func sweep(_ graph: inout Graph, match: (Node, Graph, Lookup) -> (String, [Int])?, op: Op) -> Bool {
        let lookup = Lookup(graph)
        var taken = [Bool](repeating: false, count: graph.nodes.count)
        var dead = taken
        var progress = false
        for i in graph.nodes.indices where !taken[i] {
            guard let (x, removed) = match(graph.nodes[i], graph, lookup), !removed.contains(where: { taken[$0] }) else { continue }
            graph.nodes[i].op = op
            graph.nodes[i].inputs = [x]
            taken[i] = true
            for d in removed {
                taken[d] = true
                dead[d] = true
            }
            progress = true
        }
        if progress { graph.nodes = graph.nodes.indices.filter { !dead[$0] }.map { graph.nodes[$0] } }
        return progress
    }

    private func near(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-6 * max(1, abs(b)) }

    /// Matches `%y = v / 6` or `v * (1/6)`; returns `v`.
    private func divBySix(_ node: Node, _ graph: Graph) -> String? {
        if let (v, c) = graph.operandAndScalar(node, .div), near(c, 6) { return v }
        if let (v, c) = graph.operandAndScalar(node, .mul), near(c, 1.0 / 6.0) { return v }
        return nil
    }

    /// Matches `%c = Clip(Add(%x, 3), 0, 6)` at value `c`; returns `x` and the node indices.
    private func relu6OfXPlus3(_ c: String, _ graph: Graph, _ lookup: Lookup) -> (String, [Int])? {
        guard lookup.single(c), let ci = lookup.producers[c] else { return nil }
        let clip = graph.nodes[ci]
        guard case .clip = clip.op, let a = clip.input(0),
              let lo = clip.input(1).flatMap({ graph.scalarConstant($0) }), lo == 0,
              let hi = clip.input(2).flatMap({ graph.scalarConstant($0) }), hi == 6,
              lookup.single(a), let ai = lookup.producers[a],
              let (x, three) = graph.operandAndScalar(graph.nodes[ai], .add), three == 3 else { return nil }
        return (x, [ci, ai])
    }

    private func matchHardSwish(_ node: Node, _ graph: Graph, _ lookup: Lookup) -> (String, [Int])? {
        // Form 1: Div(Mul(x, relu6(x+3)), 6)
        if let m = divBySix(node, graph), lookup.single(m), let mi = lookup.producers[m] {
            let mul = graph.nodes[mi]
            if case .binary(.mul) = mul.op, let l = mul.input(0), let r = mul.input(1) {
                for (x, c) in [(l, r), (r, l)] {
                    if let (x2, dead) = relu6OfXPlus3(c, graph, lookup), x2 == x {
                        return (x, dead + [mi])
                    }
                }
            }
        }
        // Forms 2 and 3: Mul(x, hardsigmoid(x)) where hardsigmoid is written out or an op.
        guard case .binary(.mul) = node.op, let l = node.input(0), let r = node.input(1) else { return nil }
        for (x, h) in [(l, r), (r, l)] {
            guard lookup.single(h), let hi = lookup.producers[h] else { continue }
            let hs = graph.nodes[hi]
            if case .hardSigmoid(let alpha, let beta) = hs.op, hs.input(0) == x,
               near(alpha, 1.0 / 6.0), near(beta, 0.5) {
                return (x, [hi])
            }
            if let d = divBySix(hs, graph), let (x2, dead) = relu6OfXPlus3(d, graph, lookup), x2 == x {
                return (x, dead + [hi])
            }
        }
        return nil
    }

    private func matchHardSigmoid(_ node: Node, _ graph: Graph, _ lookup: Lookup) -> (String, [Int])? {
        guard let d = divBySix(node, graph), let (x, dead) = relu6OfXPlus3(d, graph, lookup) else { return nil }
        return (x, dead)
    }
}
