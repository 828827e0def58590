import Loupe

extension Profiler {
    /// An input resolution and its MACs (conv, gemm, matmul): an answer of the profiler, so
    /// it has no public initializer.
    public struct Resolution: Sendable, Equatable, Codable {
        public var height: Int
        public var width: Int
        public var macs: Int
    }

    /// Conv/ConvTranspose/Gemm/MatMul MACs of `graph` with the given input shapes, from
    /// shape inference on the graph as imported (the passes never change these MACs).
    public static func macs(of graph: Graph, inputShapes: [String: [Int]]) throws -> Int {
        var g = try Model.applyInputShapes(graph, inputShapes)
        g.types = [:]
        try g.inferTypes(constantEvaluator: ReferenceInterpreter.evaluate)
        return g.nodes.reduce(0) { $0 + $1.macs(in: g) }
    }

    /// The largest input of a single-input, 4-D (NCHW) model whose MACs fit `budgetMACs`,
    /// keeping the aspect ratio of `referenceShape` (H×W) and both sides multiples of
    /// `multiple`: the longer side is `multiple`·n and the shorter one the multiple of
    /// `multiple` nearest to longer·ratio (at least `multiple`). `n` is found by doubling then
    /// binary search, re-inferring types at every candidate (MACs grow with n for a fully
    /// convolutional model). Returns nil when even `multiple`×`multiple`-ish does not fit.
    ///
    /// - Throws: `LoupeError.badInput` when the model does not have exactly one 4-D input;
    ///   the shape-inference error of a candidate size (a model that is not fully
    ///   convolutional, e.g. a Reshape to a fixed size).
    public static func maxResolution(graph: Graph, referenceShape: [Int], budgetMACs: Int,
                                     multiple: Int = 32) throws -> Resolution? {
        guard graph.inputs.count == 1, referenceShape.count == 4, referenceShape[2] > 0, referenceShape[3] > 0 else {
            throw LoupeError.badInput("--max-resolution needs a model with one NCHW input (got \(graph.inputs.count) input(s), reference shape \(referenceShape))")
        }
        let name = graph.inputs[0].name
        let (h0, w0) = (referenceShape[2], referenceShape[3])
        let landscape = w0 >= h0
        func size(_ n: Int) -> (h: Int, w: Int) {
            let long = multiple * n
            let short = max(multiple, Int((Double(long) * Double(landscape ? h0 : w0) / Double(landscape ? w0 : h0)
                                          / Double(multiple)).rounded()) * multiple)
            return landscape ? (short, long) : (long, short)
        }
        var cache: [Int: Resolution] = [:]
        func candidate(_ n: Int) throws -> Resolution {
            if let r = cache[n] { return r }
            let (h, w) = size(n)
            var shape = referenceShape
            shape[2] = h
            shape[3] = w
            let r = Resolution(height: h, width: w, macs: try macs(of: graph, inputShapes: [name: shape]))
            cache[n] = r
            return r
        }
        guard try candidate(1).macs <= budgetMACs else { return nil }
        var lo = 1  // fits
        var hi = 2
        while try candidate(hi).macs <= budgetMACs {
            lo = hi
            hi *= 2
            if hi > 1 << 12 { return try candidate(lo) }  // 131072 px: a budget this large is not a limit
        }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if try candidate(mid).macs <= budgetMACs { lo = mid } else { hi = mid }
        }
        return try candidate(lo)
    }
}
