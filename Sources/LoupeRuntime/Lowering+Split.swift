import LoupeIR

extension Lowering {
    /// Split along `axis` → one XNNPACK row copy per output: rows are the product of the dims
    /// before the axis, and output k copies its `size_k · inner` elements of every row (read
    /// at the input's row stride). The part sizes are the inferred output shapes, which shape
    /// inference resolved from the `split` input or the number of outputs.
    static func lowerSplit(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let x = try input(node, 0, "input")
        let xs = try shape(x, graph, "input")
        let a = axis < 0 ? axis + xs.count : axis
        guard a >= 0, a < xs.count else { throw Unsupported("axis \(axis) is outside rank \(xs.count)") }
        var sizes: [Int] = []
        for (k, y) in node.outputs.enumerated() {
            let ys = try shape(y, graph, "output \(k)")
            var expected = xs
            expected[a] = ys.count == xs.count ? ys[a] : -1
            guard ys == expected, ys[a] > 0 else {
                throw Unsupported("output \(k) has shape \(ys); expected a non-empty part of \(xs) along axis \(a)")
            }
            sizes.append(ys[a])
        }
        guard sizes.reduce(0, +) == xs[a] else {
            throw Unsupported("parts \(sizes) do not add up to dimension \(xs[a]) of axis \(a)")
        }
        let name = RowCopy.name(int8: false)
        guard let b else { return .xnnpack(name) }
        let rows = xs[..<a].reduce(1, *), inner = xs[(a + 1)...].reduce(1, *)
        let copies = try sizes.map {
            try RowCopy(int8: false, channels: $0 * inner, inputStride: xs[a] * inner, outputStride: $0 * inner, node)
        }
        let offsets = sizes.indices.map { k in sizes[..<k].reduce(0, +) * inner }
        let size = MemoryLayout<Float>.stride
        b.addXNNStep(node, name, reads: [x], writes: node.outputs, ops: copies.map(\.op)) { bind in
            for (k, copy) in copies.enumerated() {
                try copy.setup(rows: rows, from: bind.pointer(x) + offsets[k] * size, to: bind.pointer(node.outputs[k]),
                               bind.pool, node)
            }
        }
        return .xnnpack(name)
    }
}
