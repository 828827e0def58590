// Costs sit next to the op, in one place: the profiler, the budget check and the
// benchmark GMAC/s all read these numbers. They need the inferred types.

extension Node {
    /// Multiply-accumulates of this node, from the types in `graph` (0 when a needed type is
    /// unknown or the op does no MACs):
    /// - Conv: N·outH·outW·outC·(inC/group)·kH·kW (any spatial rank),
    /// - ConvTranspose: N·inH·inW·inC·(outC/group)·kH·kW,
    /// - Gemm: M·N·K, MatMul: batch·M·N·K.
    public func macs(in graph: Graph) -> Int {
        func shape(_ i: Int) -> [Int]? { input(i).flatMap { graph.type(of: $0)?.staticShape } }
        func outputCount() -> Int? { outputs.first.flatMap { graph.type(of: $0)?.staticShape }?.reduce(1, *) }
        guard case .multiplyAccumulate(let formula) = op.traits.kind else { return 0 }
        switch formula {
        case .conv:
            // Weight OIHW: W[1] = inC/group, W[2...] the kernel; output count = N·O·spatial.
            guard let w = shape(1), w.count >= 2, let out = outputCount() else { return 0 }
            return out * w[1...].reduce(1, *)
        case .convTranspose:
            // Weight C×(outC/group)×k: every input element scatters into W[1]·k outputs.
            guard let x = shape(0), let w = shape(1), w.count >= 2 else { return 0 }
            return x.reduce(1, *) * w[1...].reduce(1, *)
        case .gemm(let transposedA):
            guard let sa = shape(0), sa.count == 2, let out = outputCount() else { return 0 }
            return out * (transposedA ? sa[0] : sa[1])
        case .matMul:
            guard let sa = shape(0), let k = sa.last, let out = outputCount() else { return 0 }
            return out * k
        }
    }

    /// Non-MAC arithmetic of this node, counted in elements: output elements for element-wise
    /// ops, activations, BatchNormalization, LayerNormalization, Softmax, pools and Resize
    /// (normalizations count their output once, not their statistics); input elements for
    /// reductions and global pools (each input element is combined once). Data movement
    /// (Reshape, Transpose, Concat, Slice, SpaceToDepth, …) and MAC ops count 0. 0 when a type is unknown.
    public func elementwiseOps(in graph: Graph) -> Int {
        let out = outputs.first.flatMap { graph.type(of: $0)?.staticShape }?.reduce(1, *) ?? 0
        let inp = input(0).flatMap { graph.type(of: $0)?.staticShape }?.reduce(1, *) ?? 0
        switch op.traits.kind {
        case .elementwise: return out
        case .reduction: return inp
        case .multiplyAccumulate, .view, .copy, .shapeComputation, .unsupported: return 0
        }
    }
}
