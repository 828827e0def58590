import CXNNPACK
import LoupeIR
import LoupeKernels

/// A Gather with constant indices as runs of consecutive indices: each run is one strided
/// copy of `count` slabs.
struct GatherRuns: Equatable {
    struct Run: Equatable {
        /// Position of the run's first slab in the output and in the input, along the axis.
        var output: Int
        var input: Int
        var count: Int
    }
    var outputShape: [Int]
    /// Product of the dims before the axis, the axis's length, and the elements per slab.
    var outer: Int
    var axisLength: Int
    var inner: Int
    /// Slabs per outer index in the output (the number of indices).
    var gathered: Int
    var runs: [Run]
}

extension Lowering {
    static func gatherRuns(_ node: Node, _ graph: Graph, input xs: [Int], axis: Int) throws -> GatherRuns {
        let n = axis < 0 ? axis + xs.count : axis
        guard n >= 0, n < xs.count else { throw Unsupported("axis \(axis) out of range for \(xs)") }
        guard let v = node.input(1), let t = graph.constant(v) else {
            throw Unsupported("indices (input 1) must be constant")
        }
        let d = xs[n]
        var indices: [Int] = []
        for raw in t.ints {
            guard raw >= -Int64(d), raw < Int64(d) else {
                throw Unsupported("index \(raw) is out of range for axis \(n) of size \(d)")
            }
            indices.append(Int(raw < 0 ? raw + Int64(d) : raw))
        }
        var runs: [GatherRuns.Run] = []
        for (k, i) in indices.enumerated() {
            if let last = runs.last, last.input + last.count == i {
                runs[runs.count - 1].count += 1
            } else {
                runs.append(.init(output: k, input: i, count: 1))
            }
        }
        return GatherRuns(outputShape: Array(xs[..<n]) + t.shape + Array(xs[(n + 1)...]),
                          outer: xs[..<n].reduce(1, *), axisLength: d, inner: xs[(n + 1)...].reduce(1, *),
                          gathered: indices.count, runs: runs)
    }

    /// Gather of activations with constant indices (a channel permutation after ORT's
    /// SpaceToDepth fusion, a class token `x[:, 0]`): one `xnn_create_copy_nc_x32`/`_x8` per
    /// run of consecutive indices, rows of `run × inner` elements at the input's axis stride.
    static func lowerGather(_ node: Node, _ graph: Graph, axis: Int, int8: Bool, into b: PlanBuilder?) throws -> Placement {
        let dtype: DType = int8 ? .int8 : .float32
        let x = try input(node, 0, "data")
        let xs = try shape(x, graph, "data", dtype: dtype)
        let g = try gatherRuns(node, graph, input: xs, axis: axis)
        guard !g.outputShape.contains(0) else { throw Unsupported("the gather \(g.outputShape) is empty") }
        let y = try expectOutput(node, graph, g.outputShape, dtype: dtype)
        if int8 { try requireSameParams(x, y, graph) }
        let name = RowCopy.name(int8: int8)
        guard let b else { return .xnnpack(name) }
        let size = int8 ? 1 : 4
        let copies = try g.runs.map { r in
            try RowCopy(int8: int8, channels: r.count * g.inner, inputStride: g.axisLength * g.inner,
                        outputStride: g.gathered * g.inner, node)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: copies.map(\.op)) { bind in
            let px = bind.pointer(x), py = bind.pointer(y)
            for (r, copy) in zip(g.runs, copies) {
                try copy.setup(rows: g.outer, from: px + r.input * g.inner * size, to: py + r.output * g.inner * size,
                               bind.pool, node)
            }
        }
        return .xnnpack(name)
    }
}
