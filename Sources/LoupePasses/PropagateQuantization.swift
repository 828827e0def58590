import LoupeIR

/// Fills `Graph.quantization` for int8 values that passes after `FoldQuantization` created
/// (ConvertToNHWC's transposes and reshapes, LiftOneDimensional's reshapes), drops entries
/// of values that no longer exist, and checks that every int8 value an op reads or writes has
/// parameters.
///
/// Before: `%t = Transpose(%cq : i8, [0,2,3,1])` with `%cq` scale 0.05 zp -128, `%t` unknown
/// After:  the same node; `%t` scale 0.05 zp -128
///
/// Guards: only per-tensor parameters flow through data movement (a per-axis value would
/// need its axis remapped, and int8 activations are per tensor); QuantizeLinear outputs take
/// their node's constant parameters.
public struct PropagateQuantization: GraphPass {
    public let name = "propagate-quantization"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        let before = graph.quantization
        Self.fill(&graph)
        try Self.check(graph)
        return graph.quantization != before
    }

    /// Fills and prunes entries (no checks).
    static func fill(_ graph: inout Graph) {
        guard !graph.quantization.isEmpty || graph.nodes.contains(where: { $0.op.isQuantize }) else { return }
        for node in graph.nodes {
            if node.op.isQuantize {
                if let p = try? graph.qdqOperands(of: node), p.codeType == .int8 {
                    graph.quantization[node.outputs[0]] = p.quantization
                }
            } else if node.op.isDataMovement, let x = node.input(0), let q = graph.quantization[x], q.isPerTensor,
                      let y = node.outputs.first, graph.quantization[y] == nil {
                graph.quantization[y] = q
            }
        }
        var live = Set(graph.initializers.keys)
        for i in graph.inputs { live.insert(i.name) }
        for n in graph.nodes { live.formUnion(n.outputs) }
        graph.quantization = graph.quantization.filter { live.contains($0.key) }
    }

    /// Every int8 value read or written by an op other than Q/DQ, and every constant operand
    /// of an op that reads int8 codes, has an entry.
    static func check(_ graph: Graph) throws {
        for node in graph.nodes where !node.op.isQuantize && !node.op.isDequantize {
            let readsInt8 = node.input(0).flatMap { graph.type(of: $0) }?.dtype == .int8
            for (k, v) in node.inputs.enumerated() where !v.isEmpty && graph.quantization[v] == nil {
                guard let t = graph.type(of: v) else { continue }
                let quantizedOperand = readsInt8 && (t.dtype == .int8 || t.dtype == .int32) && node.op.traits.valueInputs.contains(k)
                if t.dtype == .int8 || quantizedOperand {
                    throw LoupeError.verification("\(t.dtype) value '\(v)' (input \(k) of \(node.reference)) has no quantization parameters")
                }
            }
            for v in node.outputs where !v.isEmpty && graph.quantization[v] == nil && graph.type(of: v)?.dtype == .int8 {
                throw LoupeError.verification("int8 value '\(v)' (output of \(node.reference)) has no quantization parameters")
            }
        }
    }
}
