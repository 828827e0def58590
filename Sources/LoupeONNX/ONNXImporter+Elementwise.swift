import LoupeIR

/// Max/Min, Clip, Softmax.
extension ONNXImporter {
    /// Max/Min are variadic in ONNX; Loupe's are binary. One input is an Identity, more
    /// than two a left-to-right chain of binary nodes named `"<node>::<i>"` with fresh
    /// intermediate values (the last node keeps the ONNX name and output).
    static func mapVariadic(_ n: NodeContext, _ op: BinaryOp, _ b: inout GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 1...Int.max)
        guard n.inputs.allSatisfy({ !$0.isEmpty }) else {
            throw LoupeError.malformedModel("\(n.reference) has an omitted input; all inputs are required")
        }
        if n.inputs.count == 1 { return [n.node(.identity)] }
        var nodes: [Node] = []
        var acc = n.inputs[0]
        for i in 1..<n.inputs.count {
            let last = i == n.inputs.count - 1
            let out = last ? n.outputs[0] : b.freshValue(for: n, "\(op.rawValue)\(i)")
            nodes.append(n.node(.binary(op), inputs: [acc, n.inputs[i]], outputs: [out],
                                name: last ? n.name : "\(n.name)::\(i)"))
            acc = out
        }
        return nodes
    }

    /// Clip-6 takes min/max attributes (absent = unbounded); from Clip-11 they are
    /// optional scalar inputs.
    static func mapClip(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        guard n.opset < 11 else {
            try n.rejectMovedAttributes("min", "max", since: 11)
            return try n.simple(.clip, inputs: 1...3)
        }
        try n.requireArity(inputs: 1...1)
        var inputs = [n.inputs[0], "", ""]
        let dtype = b.dtype(of: n.inputs[0]).flatMap { $0.isFloat ? $0 : nil } ?? .float32
        if let lo = try n.float("min") {
            inputs[1] = b.addConstant(Tensor(shape: [], floats: [lo], dtype: dtype), for: n, "min")
        }
        if let hi = try n.float("max") {
            inputs[2] = b.addConstant(Tensor(shape: [], floats: [hi], dtype: dtype), for: n, "max")
        }
        while inputs.count > 1 && inputs[inputs.count - 1].isEmpty { inputs.removeLast() }
        return [n.node(.clip, inputs: inputs)]
    }

    /// Softmax before opset 13 coerces the input to 2-D at `axis` (default 1); from 13 it
    /// normalises along one axis (default -1).
    static func mapSoftmax(_ n: NodeContext) throws -> [Node] {
        let legacy = n.opset < 13
        let axis = try n.int("axis", default: legacy ? 1 : -1)
        return try n.simple(.softmax(axis: axis, legacyCoerce2D: legacy), inputs: 1...1)
    }
}
