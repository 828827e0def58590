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
        // One walk building the new node list; the producer map, use counts and used names
        // are made once, so the pass is linear in the graph.
        var names = FreshNames(graph)
        let uses = graph.nodeUseCounts()
        var producers: [String: Int] = [:]
        var out: [Node] = []
        out.reserveCapacity(graph.nodes.count)
        var changed = false
        for bn in graph.nodes {
            guard let (x, sc, sh) = Self.parameters(of: bn, graph) else {
                for v in bn.outputs where !v.isEmpty { producers[v] = out.count }
                out.append(bn)
                continue
            }
            if let p = producers[x], foldIntoConv(&out[p], scale: sc, shift: sh, bn: bn, uses: uses, names: &names, in: &graph) {
                changed = true
                producers[x] = nil
                producers[bn.outputs[0]] = p  // the conv (before the BN) now writes its output
                continue
            }
            // No conv to fold into: y = x·scale + shift, per channel (axis 1).
            guard let rank = graph.type(of: x)?.rank, rank >= 2 else {
                for v in bn.outputs where !v.isEmpty { producers[v] = out.count }
                out.append(bn)
                continue
            }
            changed = true
            let cshape = [sc.count] + [Int](repeating: 1, count: rank - 2)
            let scaleName = names.make("\(bn.name)::scale")
            graph.initializers[scaleName] = Tensor(shape: cshape, floats: sc.map { Float($0) })
            let shiftName = names.make("\(bn.name)::shift")
            graph.initializers[shiftName] = Tensor(shape: cshape, floats: sh.map { Float($0) })
            let mid = names.make("\(bn.name)::scaled")
            producers[mid] = out.count
            out.append(Node(name: "\(bn.name)::mul", op: .binary(.mul), inputs: [x, scaleName], outputs: [mid], origin: bn.origin))
            producers[bn.outputs[0]] = out.count
            out.append(Node(name: "\(bn.name)::add", op: .binary(.add), inputs: [mid, shiftName], outputs: [bn.outputs[0]],
                            origin: bn.origin))
        }
        graph.nodes = out
        return changed
    }

    /// The input and the per-channel scale and shift of an inference-mode NCHW
    /// BatchNormalization with constant parameters; nil for any other node.
    private static func parameters(of bn: Node, _ graph: Graph) -> (String, [Double], [Double])? {
        guard case .batchNormalization(let eps, let layout) = bn.op, layout == .nchw,
              let x = bn.input(0),
              let s = bn.input(1).flatMap({ graph.initializers[$0] }),
              let t = bn.input(2).flatMap({ graph.initializers[$0] }),
              let m = bn.input(3).flatMap({ graph.initializers[$0] }),
              let v = bn.input(4).flatMap({ graph.initializers[$0] }) else { return nil }
        let c = s.count
        guard t.count == c, m.count == c, v.count == c else { return nil }
        let sc = (0..<c).map { Double(s.floats[$0]) / (Double(v.floats[$0]) + Double(eps)).squareRoot() }
        let sh = (0..<c).map { Double(t.floats[$0]) - Double(m.floats[$0]) * sc[$0] }
        return (x, sc, sh)
    }

    private func foldIntoConv(_ conv: inout Node, scale: [Double], shift: [Double], bn: Node, uses: [String: Int],
                              names: inout FreshNames, in graph: inout Graph) -> Bool {
        guard case .conv(let attrs) = conv.op, attrs.layout == .nchw, !attrs.hasFusedClamp,
              let out = conv.outputs.first, uses[out] == 1, !graph.isGraphOutput(out),
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
        let wName = names.make("\(conv.name)::w_bn")
        graph.initializers[wName] = Tensor(shape: w.shape, floats: wf)
        let bName = names.make("\(conv.name)::b_bn")
        graph.initializers[bName] = Tensor(shape: [scale.count], floats: bf)
        conv.inputs = [conv.inputs[0], wName, bName]
        conv.outputs = [bn.outputs[0]]
        graph.types[out] = nil
        return true
    }
}
