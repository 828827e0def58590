import LoupeIR

/// LayerNormalization, Split, Mod, Gelu.
extension ONNXImporter {
    /// LayerNormalization-17. `stash_type` is the precision of the statistics; Loupe's
    /// float types are float32 and the reference accumulates in Double, so 1 (float32) is
    /// the only value with a Loupe meaning. Mean and InvStdDev are kept when named.
    static func mapLayerNormalization(_ n: NodeContext) throws -> [Node] {
        guard n.opset >= 17 else { return [n.unsupported("LayerNormalization is an ONNX op from opset 17; the model imports opset \(n.opset)")] }
        try n.requireArity(inputs: 2...3, outputs: 1...3)
        let stash = try n.int("stash_type", default: 1)
        guard stash == 1 else {
            return [n.unsupported("stash_type=\(stash) (statistics in a type other than float32) is not supported")]
        }
        let axis = try n.int("axis", default: -1)
        let epsilon = try n.float("epsilon", default: 1e-5)
        return [n.node(.layerNormalization(axis: axis, epsilon: epsilon))]
    }

    /// Split-2/11 take `split` as an attribute (it becomes a constant input); from 13 it is
    /// an input; from 18 `num_outputs` may replace it, allowing a shorter last part. Without
    /// either, the outputs are equal parts (before 18 they had to be, checked here when the
    /// input's shape is known at import).
    static func mapSplit(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        let axis = try n.int("axis", default: 0)
        var inputs: [String]
        if n.opset < 13 {
            try n.requireArity(inputs: 1...1, outputs: 1...Int.max)
            inputs = [n.inputs[0]]
            if let split = try n.ints64("split") {
                guard split.count == n.outputs.count else {
                    throw n.invalid("split", "has \(split.count) entries for \(n.outputs.count) outputs")
                }
                inputs.append(b.addConstant(Tensor(shape: [split.count], ints: split), for: n, "split"))
            }
        } else {
            try n.rejectMovedAttributes("split", since: 13)
            try n.requireArity(inputs: 1...2, outputs: 1...Int.max)
            inputs = n.inputs
        }
        if n.opset >= 18, let parts = try n.int("num_outputs") {
            guard parts == n.outputs.count else {
                throw n.invalid("num_outputs", "is \(parts) but the node has \(n.outputs.count) outputs")
            }
            guard n.input(1) == nil else { throw n.invalid("num_outputs", "must not be set together with the split input") }
        } else if inputs.count == 1, let d = b.staticShape(of: n.inputs[0]), axis >= -d.count, axis < d.count,
                  d[axis < 0 ? axis + d.count : axis] % n.outputs.count != 0 {
            // Equal parts were required; where the length is unknown at import, the IR's
            // opset-18 rule (shorter last part) is a superset.
            throw LoupeError.invalidInput(n.reference, input: 0, reason: "axis length \(d[axis < 0 ? axis + d.count : axis]) does not split into \(n.outputs.count) equal parts")
        }
        guard n.outputs.allSatisfy({ !$0.isEmpty }) else {
            throw LoupeError.malformedModel("\(n.reference) has an unnamed output; every part needs a name")
        }
        return [n.node(.split(axis: axis), inputs: inputs)]
    }

    /// Mod-10/13. Floating-point inputs need `fmod=1` (checked by shape inference, where
    /// the dtypes are known).
    static func mapMod(_ n: NodeContext) throws -> [Node] {
        guard n.opset >= 10 else { return [n.unsupported("Mod is an ONNX op from opset 10; the model imports opset \(n.opset)")] }
        return try n.simple(.mod(fmod: try n.bool("fmod", default: false)), inputs: 2...2)
    }

    /// Gelu-20: `approximate` is "none" or "tanh".
    static func mapGelu(_ n: NodeContext) throws -> [Node] {
        guard n.opset >= 20 else { return [n.unsupported("Gelu is an ONNX op from opset 20; the model imports opset \(n.opset)")] }
        let approximate = try n.string("approximate", default: "none")
        guard approximate == "none" || approximate == "tanh" else {
            throw n.invalid("approximate", "expected none or tanh, got '\(approximate)'")
        }
        return try n.simple(.gelu(tanhApproximation: approximate == "tanh"), inputs: 1...1)
    }
}
