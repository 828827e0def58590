import LoupeIR

/// AveragePool, MaxPool, Reduce*.
extension ONNXImporter {
    /// AveragePool-7/10/11/19/22 and MaxPool-8/10/11/12/22. `kernel_shape` is required and
    /// sets the spatial rank. MaxPool's optional Indices output is dropped when unused.
    static func mapPool(_ n: NodeContext, _ b: GraphBuilder, max: Bool) throws -> [Node] {
        try n.requireArity(inputs: 1...1, outputs: max ? 1...2 : 1...1)
        guard let kernel = try n.kernelShape() else {
            throw n.invalid("kernel_shape", "is required")
        }
        let w = try n.window(spatialRank: kernel.count)
        let attrs = PoolAttributes(
            kernelShape: kernel, strides: w.strides, dilations: w.dilations, pads: w.pads, autoPad: w.autoPad,
            ceilMode: try n.bool("ceil_mode", default: false),
            countIncludePad: max ? false : try n.bool("count_include_pad", default: false))
        guard max else { return [n.node(.averagePool(attrs))] }
        if n.outputs.count > 1, b.isUsed(n.outputs[1]) {
            return [n.unsupported("the Indices output '\(n.outputs[1])' is used; Loupe computes values only")]
        }
        // storage_order only affects Indices.
        return [n.node(.maxPool(attrs), outputs: [n.outputs[0]])]
    }

    /// Reductions. `axes` is an attribute before opset 18 (ReduceSum: 13) and becomes a
    /// constant int64 input here; `noop_with_empty_axes` exists only with the input form.
    static func mapReduce(_ n: NodeContext, _ r: ReduceOp, _ b: inout GraphBuilder) throws -> [Node] {
        let axesIsInput = n.opset >= (r == .sum ? 13 : 18)
        let keepDims = try n.bool("keepdims", default: true)
        if axesIsInput {
            try n.rejectMovedAttributes("axes", since: r == .sum ? 13 : 18)
            let noop = try n.bool("noop_with_empty_axes", default: false)
            return try n.simple(.reduce(r, keepDims: keepDims, noopWithEmptyAxes: noop), inputs: 1...2)
        }
        try n.requireArity(inputs: 1...1)
        var inputs = [n.inputs[0]]
        if let axes = try n.ints64("axes") {
            inputs.append(b.addConstant(Tensor(shape: [axes.count], ints: axes), for: n, "axes"))
        }
        return [n.node(.reduce(r, keepDims: keepDims, noopWithEmptyAxes: false), inputs: inputs)]
    }
}
