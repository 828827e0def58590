import LoupeIR

/// Folds an inference-mode BatchNormalization into the Conv that feeds it, and turns any
/// remaining BatchNormalization into a per-channel multiply and add.
///
/// Before: `%c = Conv(%x, %w, %b); %y = BatchNormalization(%c, %s, %t, %m, %v)`
/// After:  `%y = Conv(%x, %w', %b')` with `w'[o] = w[o]·s[o]/√(v[o]+ε)`,
///         `b'[o] = (b[o] − m[o])·s[o]/√(v[o]+ε) + t[o]`
///
/// Guards: the Conv output has no other reader and is not a graph output; the Conv weight
/// and bias and all four BatchNormalization parameters are constants; the Conv has no
/// fused clamp yet (folding must happen before `FuseActivations`).
public struct FoldBatchNorm: GraphPass {
    public let name = "fold-batchnorm"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var i = 0
        while i < graph.nodes.count {
            let bn = graph.nodes[i]
            guard case .batchNormalization(let eps, let layout) = bn.op, layout == .nchw,
                  let x = bn.input(0),
                  let s = bn.input(1).flatMap({ graph.initializers[$0] }),
                  let t = bn.input(2).flatMap({ graph.initializers[$0] }),
                  let m = bn.input(3).flatMap({ graph.initializers[$0] }),
                  let v = bn.input(4).flatMap({ graph.initializers[$0] }) else {
                i += 1
                continue
            }
            let c = s.count
            guard t.count == c, m.count == c, v.count == c else { i += 1; continue }
            let sc = (0..<c).map { Double(s.floats[$0]) / (Double(v.floats[$0]) + Double(eps)).squareRoot() }
            let sh = (0..<c).map { Double(t.floats[$0]) - Double(m.floats[$0]) * sc[$0] }

            if let p = graph.producers()[x], try foldIntoConv(convIndex: p, scale: sc, shift: sh, bn: bn, in: &graph) {
                graph.nodes.remove(at: i)  // the conv (p < i) now writes the BN output
                changed = true
                continue
            }
            // No conv to fold into: y = x·scale + shift, per channel (axis 1).
            guard let rank = graph.type(of: x)?.rank, rank >= 2 else { i += 1; continue }
            let cshape = [c] + [Int](repeating: 1, count: rank - 2)
            let scaleName = graph.freshName("\(bn.name)::scale")
            graph.initializers[scaleName] = Tensor(shape: cshape, floats: sc.map { Float($0) })
            let shiftName = graph.freshName("\(bn.name)::shift")
            graph.initializers[shiftName] = Tensor(shape: cshape, floats: sh.map { Float($0) })
            let mid = graph.freshName("\(bn.name)::scaled")
            let mul = Node(name: "\(bn.name)::mul", op: .binary(.mul), inputs: [x, scaleName], outputs: [mid], origin: bn.origin)
            let add = Node(name: "\(bn.name)::add", op: .binary(.add), inputs: [mid, shiftName], outputs: [bn.outputs[0]], origin: bn.origin)
            graph.nodes.replaceSubrange(i...i, with: [mul, add])
            changed = true
            i += 2
        }
        return changed
    }

    private func foldIntoConv(convIndex p: Int, scale: [Double], shift: [Double], bn: Node,
                              in graph: inout Graph) throws -> Bool {
        let conv = graph.nodes[p]
        guard case .conv(let attrs) = conv.op, attrs.layout == .nchw, !attrs.hasFusedClamp,
              let out = conv.outputs.first, graph.hasSingleNodeUse(out),
              let w = conv.input(1).flatMap({ graph.initializers[$0] }),
              w.shape.first == scale.count else { return false }
        let bias: [Float]
        if let bname = conv.input(2) {
            guard let b = graph.initializers[bname], b.count == scale.count else { return false }
            bias = b.floats
        } else {
            bias = [Float](repeating: 0, count: scale.count)
        }
        let perOut = w.count / scale.count
        var wf = w.floats
        for o in 0..<scale.count {
            for k in 0..<perOut { wf[o * perOut + k] = Float(Double(wf[o * perOut + k]) * scale[o]) }
        }
        let bf = (0..<scale.count).map { Float(Double(bias[$0]) * scale[$0] + shift[$0]) }
        let wName = graph.freshName("\(conv.name)::w_bn")
        graph.initializers[wName] = Tensor(shape: w.shape, floats: wf)
        let bName = graph.freshName("\(conv.name)::b_bn")
        graph.initializers[bName] = Tensor(shape: [scale.count], floats: bf)
        var newConv = conv
        newConv.inputs = [conv.inputs[0], wName, bName]
        newConv.outputs = [bn.outputs[0]]
        graph.nodes[p] = newConv
        graph.types[out] = nil
        return true
    }
}
