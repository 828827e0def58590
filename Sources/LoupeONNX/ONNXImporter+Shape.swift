import LoupeIR

/// Shape and data-movement ops: Reshape, Squeeze/Unsqueeze, Concat, Pad, Transpose, Shape,
/// Slice, Cast, ConstantOfShape, Dropout, Constant.
extension ONNXImporter {
    /// Reshape-5/13/14/19/21 (shape is an input from 5; `allowzero` from 14).
    static func mapReshape(_ n: NodeContext) throws -> [Node] {
        let allowZero = n.opset >= 14 ? try n.bool("allowzero", default: false) : false
        return try n.simple(.reshape(allowZero: allowZero), inputs: 2...2)
    }

    /// Before opset 13 `axes` is an attribute (required for Unsqueeze); it becomes a
    /// constant int64 input.
    static func mapSqueeze(_ n: NodeContext, _ b: inout GraphBuilder, unsqueeze: Bool) throws -> [Node] {
        let op: Op = unsqueeze ? .unsqueeze : .squeeze
        guard n.opset < 13 else {
            try n.rejectMovedAttributes("axes", since: 13)
            return try n.simple(op, inputs: unsqueeze ? 2...2 : 1...2)
        }
        try n.requireArity(inputs: 1...1)
        guard let axes = try n.ints64("axes") else {
            if unsqueeze { throw n.invalid("axes", "is required") }
            return [n.node(op, inputs: [n.inputs[0]])]
        }
        let name = b.addConstant(Tensor(shape: [axes.count], ints: axes), for: n, "axes")
        return [n.node(op, inputs: [n.inputs[0], name])]
    }

    static func mapConcat(_ n: NodeContext) throws -> [Node] {
        guard let axis = try n.int("axis") else { throw n.invalid("axis", "is required") }
        try n.requireArity(inputs: 1...Int.max)
        guard n.inputs.allSatisfy({ !$0.isEmpty }) else {
            throw LoupeError.malformedModel("\(n.reference) has an omitted input; all inputs are required")
        }
        return [n.node(.concat(axis: axis))]
    }

    /// Pad-2 takes `pads` and `value` attributes; they become constant inputs of the
    /// opset 11+ form (data, pads, constant_value?, axes?).
    static func mapPad(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        let modeName = try n.string("mode", default: "constant")
        guard let mode = PadMode(rawValue: modeName) else {
            throw n.invalid("mode", "expected constant, reflect, edge or wrap, got '\(modeName)'")
        }
        if mode == .wrap && n.opset < 19 { throw n.invalid("mode", "'wrap' needs opset 19") }
        guard n.opset < 11 else {
            try n.rejectMovedAttributes("pads", "value", since: 11)
            return try n.simple(.pad(mode), inputs: 2...4)
        }
        try n.requireArity(inputs: 1...1)
        guard let pads = try n.ints64("pads") else { throw n.invalid("pads", "is required") }
        guard pads.count % 2 == 0 else { throw n.invalid("pads", "expected an even count, got \(pads.count)") }
        let x = n.inputs[0]
        if let rank = b.rank(of: x), pads.count != 2 * rank {
            throw n.invalid("pads", "expected \(2 * rank) values for input of rank \(rank), got \(pads.count)")
        }
        var inputs = [x, b.addConstant(Tensor(shape: [pads.count], ints: pads), for: n, "pads")]
        let value = try n.float("value", default: 0)
        if value != 0 {
            let dtype = b.dtype(of: x) ?? .float32
            let t: Tensor
            if dtype.isFloat {
                t = Tensor(shape: [], floats: [value], dtype: dtype)
            } else {
                guard let i = Int64(exactly: value) else {
                    throw n.invalid("value", "\(value) is not an integer, but input '\(x)' is \(dtype)")
                }
                t = Tensor(shape: [], ints: [i], dtype: dtype)
            }
            inputs.append(b.addConstant(t, for: n, "constant_value"))
        }
        return [n.node(.pad(mode), inputs: inputs)]
    }

    static func mapTranspose(_ n: NodeContext) throws -> [Node] {
        let perm = try n.ints("perm")
        if let perm, Set(perm) != Set(0..<perm.count) || perm.count != Set(perm).count {
            throw n.invalid("perm", "\(perm) is not a permutation of 0..<\(perm.count)")
        }
        return try n.simple(.transpose(perm: perm), inputs: 1...1)
    }

    /// SpaceToDepth-1/13 and DepthToSpace-1/11/13 (`mode` from 11: "DCR", the default, or
    /// "CRD").
    static func mapDepthSpace(_ n: NodeContext) throws -> [Node] {
        guard let blockSize = try n.int("blocksize") else { throw n.invalid("blocksize", "is required") }
        guard blockSize >= 1 else { throw n.invalid("blocksize", "\(blockSize) is below 1") }
        let direction: DepthSpaceAttributes.Direction
        if n.opType == "SpaceToDepth" {
            direction = .spaceToDepth
        } else {
            switch try n.string("mode", default: "DCR") {
            case "DCR": direction = .depthToSpaceDCR
            case "CRD": direction = .depthToSpaceCRD
            case let other: throw n.invalid("mode", "'\(other)' is neither DCR nor CRD")
            }
        }
        return try n.simple(.depthSpace(DepthSpaceAttributes(direction: direction, blockSize: blockSize)), inputs: 1...1)
    }

    /// Shape-1/13/15+ (`start`/`end` from 15).
    static func mapShape(_ n: NodeContext) throws -> [Node] {
        let start = try n.int("start", default: 0)
        let end = try n.int("end")
        return try n.simple(.shape(start: start, end: end), inputs: 1...1)
    }

    /// Slice-1 has `starts`/`ends`/`axes` attributes (no steps); from 10 they are inputs.
    static func mapSlice(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        guard n.opset < 10 else {
            try n.rejectMovedAttributes("starts", "ends", "axes", since: 10)
            return try n.simple(.slice, inputs: 3...5)
        }
        try n.requireArity(inputs: 1...1)
        guard let starts = try n.ints64("starts") else { throw n.invalid("starts", "is required") }
        guard let ends = try n.ints64("ends") else { throw n.invalid("ends", "is required") }
        guard starts.count == ends.count else {
            throw n.invalid("ends", "has \(ends.count) values but starts has \(starts.count)")
        }
        var inputs = [n.inputs[0],
                      b.addConstant(Tensor(shape: [starts.count], ints: starts), for: n, "starts"),
                      b.addConstant(Tensor(shape: [ends.count], ints: ends), for: n, "ends")]
        if let axes = try n.ints64("axes") {
            guard axes.count == starts.count else {
                throw n.invalid("axes", "has \(axes.count) values but starts has \(starts.count)")
            }
            inputs.append(b.addConstant(Tensor(shape: [axes.count], ints: axes), for: n, "axes"))
        }
        return [n.node(.slice, inputs: inputs)]
    }

    static func mapCast(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        guard let code = try n.int("to") else { throw n.invalid("to", "is required") }
        guard let code32 = Int32(exactly: code), Onnx_TensorProto.DataType(rawValue: Int(code32)) != nil,
              code32 != 0 else {
            throw n.invalid("to", "\(code) is not an ONNX data type")
        }
        guard let to = dtype(onnx: code32) else {
            try n.requireArity(inputs: 1...1)
            return [n.unsupported("cast to \(onnxTypeName(code32)) is not supported")]
        }
        // Weights stored as float16 and widened by a Cast (half the file, float32 arithmetic)
        // become float32 initializers here rather than in FoldConstants: importers of later
        // nodes (Conv's kernel_shape, Gemm's transposes) need the weight's shape and data at
        // import. Initializers are held as Float: float16 widens exactly, and a float64 one
        // was already rounded to nearest at import, as the Cast would round it.
        if to == .float32, n.inputs.count == 1, n.outputs.count == 1,
           let src = b.graph.initializers[n.inputs[0]], src.dtype.isFloat {
            b.graph.initializers[n.outputs[0]] = Tensor(shape: src.shape, floats: src.floats, dtype: .float32)
            return []
        }
        return try n.simple(.cast(to: to), inputs: 1...1)
    }

    /// ConstantOfShape-9+: `value` defaults to a float32 zero.
    static func mapConstantOfShape(_ n: NodeContext, _ b: GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 1...1)
        var value = Tensor(shape: [1], floats: [0])
        if let p = try n.tensor("value") {
            guard dtype(onnx: p.dataType) != nil else {
                return [n.unsupported("value of type \(onnxTypeName(p.dataType)) is not supported")]
            }
            value = try tensor(from: p, what: "attribute 'value' of \(n.reference)", baseDirectory: b.baseDirectory)
            guard value.count == 1 else {
                throw n.invalid("value", "expected one element, got shape \(value.shape)")
            }
        }
        return [n.node(.constantOfShape(value: value))]
    }

    /// Inference-mode Dropout: identity on the data. Dropout-12+ `training_mode` must be
    /// absent or a constant false; a used mask output has no inference meaning here.
    static func mapDropout(_ n: NodeContext, _ b: GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 1...3, outputs: 1...2)
        if n.opset < 7, try n.int("is_test", default: 0) == 0 {
            return [n.unsupported("is_test=0 (training mode) is not supported")]
        }
        if let training = n.input(2) {
            guard let t = b.graph.initializers[training], t.count == 1 else {
                return [n.unsupported("training_mode input '\(training)' is not a constant")]
            }
            // Read through `floats`: a float initializer holding NaN must not trap a conversion.
            if t.floats.first != 0 { return [n.unsupported("training_mode is true (inference only)")] }
        }
        if n.outputs.count > 1, b.isUsed(n.outputs[1]) {
            return [n.unsupported("the mask output '\(n.outputs[1])' is used")]
        }
        return [n.node(.dropout, inputs: [n.inputs[0]], outputs: [n.outputs[0]])]
    }

    /// Constant becomes an initializer under its output name; no node is emitted.
    static func mapConstant(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 0...0)
        let known = ["value", "value_float", "value_floats", "value_int", "value_ints",
                     "value_string", "value_strings", "sparse_value"]
        let present = known.filter { n.has($0) }
        guard present.count == 1, let which = present.first else {
            throw LoupeError.malformedModel(
                "\(n.reference) must set exactly one of \(known.joined(separator: ", ")); it sets \(present.isEmpty ? "none" : present.joined(separator: ", "))")
        }
        let t: Tensor
        switch which {
        case "value":
            guard let p = try n.tensor("value") else { throw n.invalid("value", "is missing its tensor") }
            guard dtype(onnx: p.dataType) != nil else {
                return [n.unsupported("constant of type \(onnxTypeName(p.dataType)) is not supported")]
            }
            t = try tensor(from: p, what: "attribute 'value' of \(n.reference)", baseDirectory: b.baseDirectory)
        case "value_float":
            t = Tensor(shape: [], floats: [try n.float("value_float") ?? 0])
        case "value_floats":
            let v = try n.attribute("value_floats", .floats)?.floats ?? []
            t = Tensor(shape: [v.count], floats: v)
        case "value_int":
            t = Tensor(shape: [], ints: [try n.attribute("value_int", .int)?.i ?? 0])
        case "value_ints":
            let v = try n.attribute("value_ints", .ints)?.ints ?? []
            t = Tensor(shape: [v.count], ints: v)
        default:
            return [n.unsupported("\(which) constants are not supported")]
        }
        b.graph.initializers[n.outputs[0]] = t
        return []
    }
}
