import Loupe

/// One activation a QDQ graph quantizes: the float value a QuantizeLinear reads and the
/// DequantizeLinear output that stands for it downstream. `loupe quant-report` pairs these
/// with the FP32 model's values; bias correction reads the quantized side.
public struct QuantizedActivation: Sendable, Hashable {
    /// The float value quantized (the QuantizeLinear's input).
    public var source: String
    /// The DequantizeLinear output that reads `Q(source)`.
    public var dequantized: String

    /// Every QuantizeLinear → DequantizeLinear pair of `qdq` on a computed value or a graph
    /// input, in the order of the DequantizeLinear nodes. Weights are skipped: their
    /// QuantizeLinear, if any, reads an initializer.
    public static func all(in qdq: Graph) -> [QuantizedActivation] {
        let producers = qdq.producers()
        var out: [QuantizedActivation] = []
        for node in qdq.nodes where node.op.isDequantize {
            guard let codes = node.inputs.first, let q = producers[codes], qdq.nodes[q].op.isQuantize,
                  let source = qdq.nodes[q].inputs.first, qdq.initializers[source] == nil,
                  let dq = node.outputs.first else { continue }
            out.append(QuantizedActivation(source: source, dequantized: dq))
        }
        return out
    }
}
