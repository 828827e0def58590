import LoupeIR

/// Moves a zero constant Pad of the spatial axes into the Conv that reads it.
///
/// TensorFlow's "same" padding is asymmetric, so TF-ported PyTorch models (timm's
/// `tf_efficientnet_*`, `tf_mobilenetv3_*`) export it as an explicit Pad before the conv.
/// The Pad costs a copy of the map in float, and in a quantized model it has no int8 form:
/// each one was a float island. Conv's own pads take any begin/end amounts.
///
/// Before: `%p = Pad(%x, pads=[0,0,0,0, 0,0,1,1]) [mode=constant]; %y = Conv(%p, %w) [pads=[0,0,0,0]]`
/// After:  `%y = Conv(%x, %w) [pads=[0,0,1,1]]`
/// Quantized form: `Pad → QuantizeLinear → DequantizeLinear → Conv` becomes
/// `QuantizeLinear → DequantizeLinear → Conv(pads merged)`: a per-tensor QuantizeLinear
/// maps the padding's 0 to its zero point exactly, so quantizing before or after the Pad
/// gives the same codes, and the int8 conv pads with the zero point.
///
/// Guards: mode constant with value 0 (absent or a constant); constant pads, none negative,
/// none on the batch or channel axes; a 4-D input; the Pad's output (and, in the quantized
/// form, the Q's and DQ's) read by exactly one node and not a graph output; the conv's
/// auto_pad NOTSET and the Pad's output its input 0; Q and DQ per tensor.
public struct FusePadIntoConv: GraphPass {
    public let name = "fuse-pad-into-conv"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        while let (padIndex, convIndex, rewire, spatial) = findCandidate(graph) {
            let pad = graph.nodes[padIndex]
            guard case .conv(var a) = graph.nodes[convIndex].op else { break }
            let k = a.kernelShape.count
            var pads = a.pads.isEmpty ? [Int](repeating: 0, count: 2 * k) : a.pads
            for i in 0..<k {
                pads[i] += spatial.begin[i]
                pads[k + i] += spatial.end[i]
            }
            a.pads = pads
            graph.nodes[convIndex].op = .conv(a)
            // The reader of the Pad's output (the conv, or the QuantizeLinear) reads its input.
            graph.nodes[rewire].inputs[0] = pad.inputs[0]
            graph.nodes.remove(at: padIndex)
            changed = true
        }
        if changed {
            try graph.inferTypes()
        }
        return changed
    }

    /// (Pad, Conv, node whose input 0 becomes the Pad's input, spatial pads).
    private func findCandidate(_ graph: Graph) -> (Int, Int, Int, (begin: [Int], end: [Int]))? {
        let consumers = graph.consumers()
        func onlyReader(_ v: String) -> Int? {
            guard !graph.isGraphOutput(v), let c = consumers[v], c.count == 1,
                  graph.nodes[c[0]].inputs.filter({ $0 == v }).count == 1 else { return nil }
            return c[0]
        }
        for (i, node) in graph.nodes.enumerated() {
            guard case .pad(.constant) = node.op, let x = node.input(0), let y = node.outputs.first,
                  let rank = graph.type(of: x)?.rank, rank == 4,
                  let spatial = spatialPads(node, graph, rank: rank),
                  let r = onlyReader(y) else { continue }
            let reader = graph.nodes[r]
            if case .conv(let a) = reader.op, reader.inputs[0] == y, a.autoPad == .notSet, a.kernelShape.count == 2 {
                return (i, r, r, spatial)
            }
            // Quantized form: Pad → Q → DQ → Conv, both converts per tensor.
            guard reader.op.isQuantize, reader.inputs[0] == y, isPerTensor(reader, graph),
                  let q = reader.outputs.first, let d = onlyReader(q), graph.nodes[d].op.isDequantize,
                  isPerTensor(graph.nodes[d], graph), let dq = graph.nodes[d].outputs.first,
                  let c = onlyReader(dq), case .conv(let a) = graph.nodes[c].op, graph.nodes[c].inputs[0] == dq,
                  a.autoPad == .notSet, a.kernelShape.count == 2 else { continue }
            return (i, c, r, spatial)
        }
        return nil
    }

    /// The Pad's H and W begin/end amounts when it pads only those, by zeros.
    private func spatialPads(_ node: Node, _ graph: Graph, rank: Int) -> (begin: [Int], end: [Int])? {
        guard let p = node.input(1), let pads = graph.initializers[p] else { return nil }
        if let v = node.input(2) {
            guard let value = graph.initializers[v], value.count == 1, value.dtype.isFloat, value.floats[0] == 0 else {
                return nil
            }
        }
        var axes: [Int]? = nil
        if let ax = node.input(3) {
            guard let t = graph.initializers[ax] else { return nil }
            axes = t.ints.map { Int($0) }
        }
        guard let (begin, end) = try? resolvePads(pads.ints.map { Int($0) }, axes: axes, rank: rank, node: node.reference),
              begin[0] == 0, begin[1] == 0, end[0] == 0, end[1] == 0,
              (begin + end).allSatisfy({ $0 >= 0 }) else { return nil }
        return (Array(begin[2...]), Array(end[2...]))
    }

    private func isPerTensor(_ node: Node, _ graph: Graph) -> Bool {
        guard let s = node.input(1), let scale = graph.initializers[s], scale.count == 1 else { return false }
        if let z = node.input(2) { return graph.initializers[z]?.count == 1 }
        return true
    }
}
