import CXNNPACK
import LoupeIR
import LoupeKernels

/// A Slice resolved against its input's static shape, in elements of the flat buffers.
struct SliceGeometry: Equatable {
    /// The node's output shape (what shape inference declares).
    var outputShape: [Int]
    /// The copy after merging: axes of one element dropped, neighbours that stay adjacent
    /// in the input merged (a channel slice in NHWC becomes [N·H·W, kept channels]).
    var shape: [Int]
    /// Input stride of each merged axis, in elements (step × the axis's stride; negative
    /// for a reversed axis).
    var strides: [Int]
    /// Element offset of the output's first element in the input.
    var offset: Int

    /// The copy is rows of contiguous elements at one positive row stride: what
    /// `xnn_create_copy_nc_*` does (batch, channels, input stride).
    var isRowCopy: Bool { shape.count <= 2 && strides.last == 1 && strides.allSatisfy { $0 > 0 } }
}

/// XNNPACK's strided row copy (`copy_nc`) of 1-byte (int8 codes) or 4-byte elements: the
/// operator Slice and Gather both build, one per contiguous run.
struct RowCopy {
    let op: XNNOperator
    let int8: Bool

    static func name(int8: Bool) -> String { int8 ? "xnn_create_copy_nc_x8" : "xnn_create_copy_nc_x32" }

    /// Rows of `channels` elements read at `inputStride` and written at `outputStride`.
    init(int8: Bool, channels: Int, inputStride: Int, outputStride: Int, _ node: Node) throws {
        self.int8 = int8
        op = try XNNOperator.create(Self.name(int8: int8), node) {
            int8 ? loupe_xnn_create_copy_nc_x8(channels, inputStride, outputStride, 0, $0)
                 : loupe_xnn_create_copy_nc_x32(channels, inputStride, outputStride, 0, $0)
        }
    }

    func setup(rows: Int, from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, _ pool: pthreadpool_t?,
               _ node: Node) throws {
        if int8 {
            try Backend.check(loupe_xnn_setup_copy_nc_x8(op.op, rows, src, dst, pool), "xnn_setup_copy_nc_x8", node)
        } else {
            try Backend.check(loupe_xnn_setup_copy_nc_x32(op.op, rows, src, dst, pool), "xnn_setup_copy_nc_x32", node)
        }
    }
}

extension Lowering {
    /// Resolves a Slice whose starts, ends, axes and steps are constants.
    static func sliceGeometry(_ node: Node, _ graph: Graph, input xs: [Int]) throws -> SliceGeometry {
        guard let starts = try constantInts(node, graph, 1, "starts"),
              let ends = try constantInts(node, graph, 2, "ends") else {
            throw Unsupported("Slice needs starts and ends")
        }
        let axes = try constantInts(node, graph, 3, "axes")
        let steps = try constantInts(node, graph, 4, "steps")
        let resolved = try resolveSlice(shape: xs, starts: starts, ends: ends, axes: axes, steps: steps, node: node.reference)
        var contiguous = [Int](repeating: 1, count: xs.count)
        for i in xs.indices.reversed().dropFirst() { contiguous[i] = contiguous[i + 1] * xs[i + 1] }
        var offset = 0
        var shape: [Int] = [], strides: [Int] = []
        for (i, a) in resolved.enumerated() {
            offset += a.start * contiguous[i]
            // One element: its stride never matters, and leaving it out lets neighbours merge.
            guard a.count != 1 else { continue }
            let stride = a.step * contiguous[i]
            if let last = shape.indices.last, strides[last] == stride * a.count {
                shape[last] *= a.count
                strides[last] = stride
            } else {
                shape.append(a.count)
                strides.append(stride)
            }
        }
        if shape.isEmpty { shape = [1]; strides = [1] }
        return SliceGeometry(outputShape: resolved.map(\.count), shape: shape, strides: strides, offset: offset)
    }

    /// Slice with constant bounds (float32 or int8 codes): rows at one stride →
    /// `xnn_create_copy_nc_x32`/`_x8` (a channel slice in NHWC, a crop of whole rows); any
    /// other view (spatial crops of several axes, steps, reversal) → `loupe_strided_copy`,
    /// since the 2022 XNNPACK has no slice operator.
    static func lowerSlice(_ node: Node, _ graph: Graph, int8: Bool, into b: PlanBuilder?) throws -> Placement {
        let dtype: DType = int8 ? .int8 : .float32
        let x = try input(node, 0, "data")
        let xs = try shape(x, graph, "data", dtype: dtype)
        guard xs.count <= Int(LOUPE_MAX_DIMS) else { throw Unsupported("rank \(xs.count) above \(LOUPE_MAX_DIMS)") }
        let g = try sliceGeometry(node, graph, input: xs)
        guard !g.outputShape.contains(0) else { throw Unsupported("the slice \(g.outputShape) is empty") }
        let y = try expectOutput(node, graph, g.outputShape, dtype: dtype)
        if int8 { try requireSameParams(x, y, graph) }
        let size = int8 ? 1 : 4
        if g.isRowCopy {
            let name = RowCopy.name(int8: int8)
            guard let b else { return .xnnpack(name) }
            let channels = g.shape.last!
            let (batch, stride) = g.shape.count == 2 ? (g.shape[0], g.strides[0]) : (1, channels)
            let copy = try RowCopy(int8: int8, channels: channels, inputStride: stride, outputStride: channels, node)
            b.addXNNStep(node, name, reads: [x], writes: [y], ops: [copy.op]) { bind in
                try copy.setup(rows: batch, from: bind.pointer(x) + g.offset * size, to: bind.pointer(y), bind.pool, node)
            }
            return .xnnpack(name)
        }
        guard let b else { return .kernel(stridedCopyName) }
        addStridedCopy(node, b, from: x, offset: g.offset, to: y, shape: g.shape, strides: g.strides, elementSize: size)
        return .kernel(stridedCopyName)
    }

    static let stridedCopyName = "loupe_strided_copy"

    /// A step that gathers `x` read through element `strides` (starting `offset` elements in)
    /// into `y` of `shape` with `loupe_strided_copy`, its rows split over the pool.
    static func addStridedCopy(_ node: Node, _ b: PlanBuilder, from x: String, offset: Int = 0, to y: String,
                               shape: [Int], strides: [Int], elementSize size: Int) {
        let rank = shape.count
        let rows = loupe_strided_copy_rows(rank, shape)
        let byteStrides = strides.map { $0 * size }
        let parts = Swift.min(threadsFor(elements: shape.reduce(1, *), b.threads), rows)
        b.addStep(node, .kernel(stridedCopyName), reads: [x], writes: [y]) { bind in
            let px = UnsafeRawPointer(bind.pointer(x) + offset * size), py = bind.pointer(y)
            let task = ParallelTask(count: parts) { i in
                loupe_strided_copy(rank, shape, byteStrides, size, px, py, rows * i / parts, rows * (i + 1) / parts)
            }
            return { pool in task.run(pool) }
        }
    }
}
