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

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var progress = true
        while progress {
            progress = false
            let producers = graph.producers()
            for (i, node) in graph.nodes.enumerated() {
                if let (x, dead) = matchHardSwish(node, graph, producers) {
                    replace(i, with: .unary(.hardSwish), input: x, removing: dead, in: &graph)
                    progress = true
                    break
                }
            }
            if progress { changed = true; continue }
            for (i, node) in graph.nodes.enumerated() {
                if let (x, dead) = matchHardSigmoid(node, graph, producers) {
                    replace(i, with: .hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5), input: x, removing: dead, in: &graph)
                    progress = true
                    changed = true
                    break
                }
            }
        }
        return changed
    }

    private func replace(_ i: Int, with op: Op, input x: String, removing dead: [Int], in graph: inout Graph) {
        var node = graph.nodes[i]
        node.op = op
        node.inputs = [x]
        graph.nodes[i] = node
        for d in dead.sorted(by: >) { graph.nodes.remove(at: d) }
    }

    /// `(%v, c)` when `node` is `binary(op)` of a value and the scalar constant c, either order
    /// (only the given order for non-commutative ops).
    private func operandAndConstant(_ node: Node, _ op: BinaryOp, _ graph: Graph) -> (String, Float)? {
        guard case .binary(let b) = node.op, b == op, let l = node.input(0), let r = node.input(1) else { return nil }
        if let c = graph.scalarConstant(r), graph.initializers[l] == nil { return (l, c) }
        if op == .add || op == .mul, let c = graph.scalarConstant(l), graph.initializers[r] == nil { return (r, c) }
        return nil
    }

    private func near(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-6 * max(1, abs(b)) }

    /// Matches `%y = v / 6` or `v * (1/6)`; returns `v`.
    private func divBySix(_ node: Node, _ graph: Graph) -> String? {
        if let (v, c) = operandAndConstant(node, .div, graph), near(c, 6) { return v }
        if let (v, c) = operandAndConstant(node, .mul, graph), near(c, 1.0 / 6.0) { return v }
        return nil
    }

    /// Matches `%c = Clip(Add(%x, 3), 0, 6)` at value `c`; returns `x` and the node indices.
    private func relu6OfXPlus3(_ c: String, _ graph: Graph, _ producers: [String: Int]) -> (String, [Int])? {
        guard graph.hasSingleNodeUse(c), let ci = producers[c] else { return nil }
        let clip = graph.nodes[ci]
        guard case .clip = clip.op, let a = clip.input(0),
              let lo = clip.input(1).flatMap({ graph.scalarConstant($0) }), lo == 0,
              let hi = clip.input(2).flatMap({ graph.scalarConstant($0) }), hi == 6,
              graph.hasSingleNodeUse(a), let ai = producers[a],
              let (x, three) = operandAndConstant(graph.nodes[ai], .add, graph), three == 3 else { return nil }
        return (x, [ci, ai])
    }

    private func matchHardSwish(_ node: Node, _ graph: Graph, _ producers: [String: Int]) -> (String, [Int])? {
        // Form 1: Div(Mul(x, relu6(x+3)), 6)
        if let m = divBySix(node, graph), graph.hasSingleNodeUse(m), let mi = producers[m] {
            let mul = graph.nodes[mi]
            if case .binary(.mul) = mul.op, let l = mul.input(0), let r = mul.input(1) {
                for (x, c) in [(l, r), (r, l)] {
                    if let (x2, dead) = relu6OfXPlus3(c, graph, producers), x2 == x {
                        return (x, dead + [mi])
                    }
                }
            }
        }
        // Forms 2 and 3: Mul(x, hardsigmoid(x)) where hardsigmoid is written out or an op.
        guard case .binary(.mul) = node.op, let l = node.input(0), let r = node.input(1) else { return nil }
        for (x, h) in [(l, r), (r, l)] {
            guard graph.hasSingleNodeUse(h), let hi = producers[h] else { continue }
            let hs = graph.nodes[hi]
            if case .hardSigmoid(let alpha, let beta) = hs.op, hs.input(0) == x,
               near(alpha, 1.0 / 6.0), near(beta, 0.5) {
                return (x, [hi])
            }
            if let d = divBySix(hs, graph), let (x2, dead) = relu6OfXPlus3(d, graph, producers), x2 == x {
                return (x, dead + [hi])
            }
        }
        return nil
    }

    private func matchHardSigmoid(_ node: Node, _ graph: Graph, _ producers: [String: Int]) -> (String, [Int])? {
        guard let d = divBySix(node, graph), let (x, dead) = relu6OfXPlus3(d, graph, producers) else { return nil }
        return (x, dead)
    }
}
