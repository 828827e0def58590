import LoupeIR
import LoupeKernels

extension Lowering {
    /// LayerNormalization over the trailing axes from `axis` → `loupe_f32_layer_norm` on a
    /// rows × cols view (rows = product of the leading dims), split by rows across threads.
    /// Scale and B must be constants with one value per normalized element (the transformer
    /// case: shape [C] over the last axis). The optional Mean and InvStdDev outputs, when a
    /// graph reads them, come from `loupe_f32_layer_norm_statistics` (scalar) on the same rows.
    static func lowerLayerNormalization(_ node: Node, _ graph: Graph, axis: Int, epsilon: Float,
                                        into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_f32_layer_norm"
        let (x, xs) = try activation(node, graph, 0, "X")
        let a = axis < 0 ? axis + xs.count : axis
        guard a >= 0, a < xs.count else { throw Unsupported("axis \(axis) is outside rank \(xs.count)") }
        guard epsilon.isFinite, epsilon >= 0 else { throw Unsupported("epsilon \(epsilon) must be finite and non-negative") }
        let rows = xs[..<a].reduce(1, *), cols = xs[a...].reduce(1, *)
        func parameter(_ i: Int, _ what: String) throws -> [Float]? {
            guard let v = node.input(i) else { return nil }
            guard let t = graph.constant(v), t.dtype == .float32 else { throw Unsupported("\(what) must be a float32 constant") }
            guard t.count == cols else {
                throw Unsupported("\(what) \(t.shape) must hold one value per normalized element (\(cols))")
            }
            return t.floats
        }
        let scale = try parameter(1, "Scale"), bias = try parameter(2, "B")
        // Y's shape checked here: `expectOutput` refuses nodes with more than one output.
        guard let y = node.outputs.first, !y.isEmpty, try shape(y, graph, "Y") == xs else {
            throw Unsupported("output Y must have X's shape \(xs)")
        }
        let statsShape = Array(xs[..<a]) + [Int](repeating: 1, count: xs.count - a)
        var statistics: [String?] = [nil, nil]
        for k in 1..<min(node.outputs.count, 3) where !node.outputs[k].isEmpty {
            guard try shape(node.outputs[k], graph, k == 1 ? "Mean" : "InvStdDev") == statsShape else {
                throw Unsupported("output \(k) must have shape \(statsShape)")
            }
            statistics[k - 1] = node.outputs[k]
        }
        guard let b else { return .kernel(name) }
        let owned = [scale, bias].compactMap { $0 }.map { PlanBuilder.store($0) }
        let gamma = scale == nil ? nil : UnsafePointer(owned[0].pointer.assumingMemoryBound(to: Float.self))
        let beta = bias == nil ? nil : UnsafePointer(owned[owned.count - 1].pointer.assumingMemoryBound(to: Float.self))
        let parts = chunks(rows, parts: threadsFor(elements: rows * cols, b.threads))
        b.addStep(node, .kernel(name), reads: [x], writes: [y] + statistics.compactMap { $0 }, owned: owned) { bind in
            let px = bind.floats(x), py = bind.floats(y)
            let pMean = statistics[0].map { bind.floats($0) }, pInv = statistics[1].map { bind.floats($0) }
            let task = ParallelTask(count: parts.count) { i in
                let r = parts[i]
                loupe_f32_layer_norm(r.count, cols, px + r.lowerBound * cols, gamma, beta, epsilon, py + r.lowerBound * cols)
                if pMean != nil || pInv != nil {
                    loupe_f32_layer_norm_statistics(r.count, cols, px + r.lowerBound * cols, epsilon,
                                                    pMean.map { $0 + r.lowerBound }, pInv.map { $0 + r.lowerBound })
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }
}
