import LoupeIR

/// Recognises GELU written out of elementary ops, as exports before opset 20 write it, so it
/// runs as one kernel (and one lookup table once quantized) instead of five element-wise
/// passes.
///
/// Before (erf form): `%e = Erf(Div(%x, √2)); %a = Add(%e, 1); %y = Mul(Mul(%x, %a), 0.5)`
/// After: `%y = Gelu(%x)`
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
        for (ei, erf) in graph.nodes.enumerated() where erf.op == .unary(.erf) {
            // %e = Erf(%x / √2) or Erf(%x · 1/√2)
            guard let s = erf.input(0), let si = producers[s], single(s)?.0 == ei else { continue }
            let scaled = graph.nodes[si]
            let x: String
            if let (v, c) = operand(scaled, .div), near(c, Float(2).squareRoot()) { x = v }
            else if let (v, c) = operand(scaled, .mul), near(c, Float(0.5).squareRoot()) { x = v }
            else { continue }
            // %a = %e + 1
            guard let (ai, add) = single(erf.outputs[0]), let (_, one) = operand(add, .add), near(one, 1),
                  let (mi, mul) = single(add.outputs[0]), mul.op == .binary(.mul) else { continue }
            let other = mul.inputs[0] == add.outputs[0] ? mul.inputs[1] : mul.inputs[0]
            if other == x, let (hi, half) = single(mul.outputs[0]), let (_, c) = operand(half, .mul), near(c, 0.5) {
                return (hi, .gelu(tanhApproximation: false), x, [si, ei, ai, mi])  // (x · a) · 0.5
            }
            if let pi = producers[other], single(other)?.0 == mi, let (v, c) = operand(graph.nodes[pi], .mul),
               v == x, near(c, 0.5) {
                return (mi, .gelu(tanhApproximation: false), x, [si, ei, ai, pi])  // (x · 0.5) · a
            }
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
