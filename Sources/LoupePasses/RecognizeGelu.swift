import LoupeIR

/// Recognises GELU written out of elementary ops, as exports before opset 20 write it, so it
/// runs as one kernel (and one lookup table once quantized) instead of five element-wise
/// passes.
///
/// Before (erf form): `%e = Erf(Div(%x, √2)); %a = Add(%e, 1); %y = Mul(Mul(%x, %a), 0.5)`
/// After: `%y = Gelu(%x)`
///
/// The tanh form (`nn.GELU(approximate="tanh")`) likewise becomes `Gelu(%x, approximate: tanh)`:
/// `%e = Tanh(Mul(Add(%x, Mul(%x³, 0.044715)), √(2/π)))` with the same tail, the cube written
/// as `Pow(%x, 3)` or two Muls.
///
/// Also recognised: `Mul(%x, 1/√2)` for the Div, the constants on either side of Add/Mul,
/// and the halving first: `Mul(Mul(%x, 0.5), %a)`.
///
/// The QuickGELU of CLIP, `Mul(%x, Sigmoid(Mul(%x, 1.702)))` (any scalar), becomes
/// `Swish(%x, alpha: 1.702)`: one kernel instead of three passes. SiLU without the inner
/// scale, `Mul(%x, Sigmoid(%x))`, stays as it is: both its ops already run on XNNPACK.
///
/// Guards: constants are scalars within 1e-4 (relative) of √2, 1/√2, 1 and 0.5; every
/// intermediate value has exactly one reader and is not a graph output.
public struct RecognizeGelu: GraphPass {
    public let name = "recognize-gelu"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        while let (root, op, x, dead) = firstMatch(graph) {
            graph.nodes[root].op = op
            graph.nodes[root].inputs = [x]
            for d in dead.sorted(by: >) { graph.nodes.remove(at: d) }
            changed = true
        }
        return changed
    }

    private func firstMatch(_ graph: Graph) -> (Int, Op, String, [Int])? {
        let producers = graph.producers(), consumers = graph.consumers()
        func single(_ v: String) -> (Int, Node)? { graph.soleReader(of: v, consumers) }
        func near(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-4 * abs(b) }
        func operand(_ node: Node, _ op: BinaryOp) -> (String, Float)? { graph.operandAndScalar(node, op) }
        // The shared tail of both forms, after %e = Erf(…) or Tanh(…):
        // %a = %e + 1; %y = (%x · %a) · 0.5 or (%x · 0.5) · %a. The root and the nodes it removes.
        func halfTail(_ e: Node, _ x: String) -> (Int, [Int])? {
            guard let (ai, add) = single(e.outputs[0]), let (_, one) = operand(add, .add), near(one, 1),
                  let (mi, mul) = single(add.outputs[0]), mul.op == .binary(.mul) else { return nil }
            let other = mul.inputs[0] == add.outputs[0] ? mul.inputs[1] : mul.inputs[0]
            if other == x, let (hi, half) = single(mul.outputs[0]), let (_, c) = operand(half, .mul), near(c, 0.5) {
                return (hi, [ai, mi])
            }
            if let pi = producers[other], single(other)?.0 == mi, let (v, c) = operand(graph.nodes[pi], .mul),
               v == x, near(c, 0.5) {
                return (mi, [ai, pi])
            }
            return nil
        }
        for (ei, erf) in graph.nodes.enumerated() where erf.op == .unary(.erf) {
            // %e = Erf(%x / √2) or Erf(%x · 1/√2)
            guard let s = erf.input(0), let si = producers[s], single(s)?.0 == ei else { continue }
            let scaled = graph.nodes[si]
            let x: String
            if let (v, c) = operand(scaled, .div), near(c, Float(2).squareRoot()) { x = v }
            else if let (v, c) = operand(scaled, .mul), near(c, Float(0.5).squareRoot()) { x = v }
            else { continue }
            if let (root, dead) = halfTail(erf, x) { return (root, .gelu(tanhApproximation: false), x, [si, ei] + dead) }
        }
        for (ti, tanh) in graph.nodes.enumerated() where tanh.op == .unary(.tanh) {
            // %e = Tanh(√(2/π) · (%x + 0.044715 · %x³)), the cube as Pow(%x, 3), %x·(%x·%x) or (%x·%x)·%x
            guard let u = tanh.input(0), let ui = producers[u], single(u)?.0 == ti,
                  let (inner, k) = operand(graph.nodes[ui], .mul), near(k, (2 / Float.pi).squareRoot()),
                  let ii = producers[inner], single(inner)?.0 == ui, graph.nodes[ii].op == .binary(.add) else { continue }
            let sum = graph.nodes[ii]
            var found: (x: String, dead: [Int])?
            for (x, m) in [(sum.inputs[0], sum.inputs[1]), (sum.inputs[1], sum.inputs[0])] {
                guard let mi = producers[m], single(m)?.0 == ii, let (cube, c) = operand(graph.nodes[mi], .mul),
                      near(c, 0.044715), let ci = producers[cube], single(cube)?.0 == mi else { continue }
                let cubing = graph.nodes[ci]
                if let (v, p) = operand(cubing, .pow), v == x, p == 3 { found = (x, [ci, mi]); break }
                guard cubing.op == .binary(.mul), cubing.inputs.contains(x) else { continue }
                let sq = cubing.inputs[0] == x ? cubing.inputs[1] : cubing.inputs[0]
                if let qi = producers[sq], single(sq)?.0 == ci, graph.nodes[qi].op == .binary(.mul),
                   graph.nodes[qi].inputs == [x, x] {
                    found = (x, [qi, ci, mi])
                    break
                }
            }
            guard let (x, cubeDead) = found, let (root, dead) = halfTail(tanh, x) else { continue }
            return (root, .gelu(tanhApproximation: true), x, cubeDead + [ii, ui, ti] + dead)
        }
        for (si, sigmoid) in graph.nodes.enumerated() where sigmoid.op == .unary(.sigmoid) {
            // %y = Mul(%x, Sigmoid(Mul(%x, alpha)))
            guard let t = sigmoid.input(0), let ti = producers[t], single(t)?.0 == si,
                  let (x, alpha) = operand(graph.nodes[ti], .mul), alpha.isFinite,
                  let (mi, mul) = single(sigmoid.outputs[0]), mul.op == .binary(.mul),
                  Set(mul.inputs) == [x, sigmoid.outputs[0]] else { continue }
            return (mi, .swish(alpha: alpha), x, [ti, si])
        }
        return nil
    }
}
