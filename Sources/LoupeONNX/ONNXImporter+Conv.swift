import LoupeIR

/// Conv, ConvTranspose, Gemm, BatchNormalization.
extension ONNXImporter {
    /// Conv-1/11/22 and ConvTranspose-1/11/22 share their attributes. The spatial rank
    /// comes from `kernel_shape`, else from the weight's shape (OIHW for Conv, IOHW for
    /// ConvTranspose: spatial dims from index 2 either way).
    static func mapConv(_ n: NodeContext, _ b: inout GraphBuilder, transposed: Bool) throws -> [Node] {
        try n.requireArity(inputs: 2...3)
        let weight = n.inputs[1]
        if let rank = b.rank(of: weight), rank < 3 {
            throw LoupeError.invalidInput(n.reference, input: 1, reason: "weight '\(weight)' has rank \(rank); expected 3 or more")
        }
        let kernelShape: [Int]
        if let k = try n.kernelShape() {
            kernelShape = k
        } else if let w = b.spatialDims(of: weight) {
            kernelShape = w
        } else {
            return [n.unsupported("kernel_shape is absent and weight '\(weight)' has no shape known at import")]
        }
        if let rank = b.rank(of: weight), rank != kernelShape.count + 2 {
            throw n.invalid("kernel_shape", "\(kernelShape) does not match weight '\(weight)' of rank \(rank)")
        }
        if let w = b.spatialDims(of: weight), w != kernelShape {
            throw n.invalid("kernel_shape", "\(kernelShape) does not match weight '\(weight)' of spatial size \(w)")
        }
        let k = kernelShape.count
        let w = try n.window(spatialRank: k)
        var attrs = ConvAttributes(kernelShape: kernelShape, strides: w.strides, dilations: w.dilations, pads: w.pads,
                                   autoPad: w.autoPad, group: try n.int("group", default: 1))
        guard attrs.group >= 1 else { throw n.invalid("group", "must be at least 1, got \(attrs.group)") }
        guard transposed else { return [n.node(.conv(attrs))] }

        attrs.outputPadding = try n.spatial("output_padding", count: k, default: 0, minimum: 0)
        if let shape = try n.ints("output_shape") {
            // Some exporters write the full [N, C, spatial...] shape; ONNX Runtime accepts
            // both, and so does Loupe.
            guard shape.count == k || shape.count == k + 2 else {
                throw n.invalid("output_shape", "expected \(k) values (one per spatial axis), got \(shape.count)")
            }
            let spatial = Array(shape.suffix(k))
            guard spatial.allSatisfy({ $0 >= 1 }) else {
                throw n.invalid("output_shape", "expected positive sizes, got \(shape)")
            }
            attrs.outputShape = spatial
        }
        return [n.node(.convTranspose(attrs))]
    }

    /// Gemm-7+ (C optional from 11; unidirectional broadcasting from 7).
    static func mapGemm(_ n: NodeContext) throws -> [Node] {
        try n.requireArity(inputs: n.opset >= 11 ? 2...3 : 3...3)
        let attrs = GemmAttributes(
            alpha: try n.float("alpha", default: 1),
            beta: try n.float("beta", default: 1),
            transA: try n.bool("transA", default: false),
            transB: try n.bool("transB", default: false))
        return [n.node(.gemm(attrs))]
    }

    /// BatchNormalization-7/9/14/15. `training_mode=1` (opset 14+) maps to
    /// `.batchNormalizationTraining`. Opsets before 14 may declare the training outputs
    /// (running mean/var, saved mean/var), and training mode declares running mean/var;
    /// unused ones are dropped, a used one makes the node unsupported.
    static func mapBatchNormalization(_ n: NodeContext, _ b: GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 5...5, outputs: 1...5)
        let epsilon = try n.float("epsilon", default: 1e-5)
        if n.opset < 9, try n.int("spatial", default: 1) != 1 {
            return [n.unsupported("spatial=0 (per-activation statistics) is not supported")]
        }
        let training = n.opset >= 14 ? try n.bool("training_mode", default: false) : false
        if let used = n.outputs.dropFirst().first(where: { b.isUsed($0) }) {
            return [n.unsupported(training
                ? "training_mode=1 output '\(used)' (running statistics) is used; Loupe computes Y only"
                : "training output '\(used)' is used (inference only)")]
        }
        // training_mode=1 normalises with X's own statistics; `momentum` only affects the
        // running-statistics outputs, which are unused here.
        let op: Op = training ? .batchNormalizationTraining(epsilon: epsilon)
                              : .batchNormalization(epsilon: epsilon, layout: .nchw)
        return [n.node(op, outputs: [n.outputs[0]])]
    }
}
