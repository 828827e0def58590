import LoupeIR

/// Turns int8 nodes the runtime refuses back into float32 nodes between explicit converts,
/// so a model whose folded int8 node meets a runtime limit (an XNNPACK scale-ratio bound,
/// say) still compiles, with the node reported in `Graph.floatIslands`.
///
/// Before (NHWC, after FoldQuantization; the runtime refuses `add`):
/// ```
/// %s = Add(%xq : i8, %xq : i8)                      // quantization: %xq 1 zp 0, %s 10000 zp 0
/// ```
/// After:
/// ```
/// %xd = DQ(%xq, 1, 0);  %sf = Add(%xd, %xd);  %s = Q(%sf, 10000, 0)   // floatIslands[add]
/// ```
/// Constant int8/int32 operands (weights, biases) become float constants holding their
/// dequantized values — the numbers the QDQ file meant — so the float node computes what
/// the folded one would have, up to the rounding of its own arithmetic.
///
/// Guards: only nodes named in `refused` that read or write int8 activations; the runtime
/// decides which (the pass cannot know XNNPACK's limits), so it runs last, once, on the
/// finished graph.
public struct FallBackToFloat: GraphPass {
    public let name = "fall-back-to-float"
    /// Refused nodes by name, with the reason to record.
    public let refused: [String: String]
    public init(refused: [String: String]) { self.refused = refused }

    public func run(on graph: inout Graph) throws -> Bool {
        guard !refused.isEmpty else { return false }
        var nodes: [Node] = []
        var changed = false
        for node in graph.nodes {
            guard let reason = refused[node.name] else { nodes.append(node); continue }
            var float = node
            // Activations in: one DQ per distinct int8 value.
            var converted: [String: String] = [:]
            for (k, v) in node.inputs.enumerated() where !v.isEmpty {
                guard let q = graph.quantization[v], let t = graph.type(of: v), !t.dtype.isFloat else { continue }
                if let c = graph.initializers[v] {
                    let name = graph.freshName("\(v)::float")
                    graph.initializers[name] = q.dequantize(c)
                    float.inputs[k] = name
                    continue
                }
                if let d = converted[v] { float.inputs[k] = d; continue }
                let d = graph.freshName("\(v)::dq")
                let (scale, zeroPoint) = Self.parameterConstants(q, for: v, in: &graph)
                nodes.append(Node(name: "\(node.name)::dq\(k)", op: .dequantizeLinear(axis: 1),
                                  inputs: [v, scale, zeroPoint], outputs: [d], origin: node.origin))
                graph.types[d] = TensorType(.float32, t.dims)
                converted[v] = d
                float.inputs[k] = d
            }
            // Outputs: computed in float, then quantized into the value the consumers read.
            var quantize: [Node] = []
            for (k, y) in node.outputs.enumerated() where !y.isEmpty {
                guard let q = graph.quantization[y], let t = graph.type(of: y), t.dtype == .int8 else { continue }
                let f = graph.freshName("\(y)::float")
                let (scale, zeroPoint) = Self.parameterConstants(q, for: y, in: &graph)
                quantize.append(Node(name: "\(node.name)::q\(k)", op: .quantizeLinear(axis: 1, saturate: true),
                                     inputs: [f, scale, zeroPoint], outputs: [y], origin: node.origin))
                graph.types[f] = TensorType(.float32, t.dims)
                float.outputs[k] = f
            }
            nodes.append(float)
            nodes.append(contentsOf: quantize)
            graph.floatIslands[node.name] = reason
            changed = true
        }
        guard changed else { return false }
        graph.nodes = nodes
        try graph.inferTypes()
        return true
    }

    /// Scalar scale and int8 zero-point constants of a per-tensor int8 value.
    static func parameterConstants(_ q: ValueQuantization, for value: String, in graph: inout Graph) -> (String, String) {
        let scale = graph.freshName("\(value)::scale")
        graph.initializers[scale] = Tensor(shape: [], floats: [q.scale])
        let zeroPoint = graph.freshName("\(value)::zero_point")
        graph.initializers[zeroPoint] = Tensor(shape: [], ints: [Int64(q.zeroPoint)], dtype: .int8)
        return (scale, zeroPoint)
    }
}
