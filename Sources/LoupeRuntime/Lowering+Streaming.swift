import CXNNPACK
import Foundation
import LoupeIR
import LoupeKernels

/// An inverted-residual block's expansion (a 1×1 convolution, its activation fused)
/// computed by the depthwise convolution that reads it, a few rows at a time into a strip
/// that stays in cache: the expanded tensor — the largest of the block, 14.7 MB in int8 and
/// 59 MB in float in the challenge baseline's second block at 720×1280 — is never written
/// to memory nor read back, and needs no place in the arena. Both kernels run as they would
/// apart, on the same rows, so the results are the same. Int8 (own GEMM → own depthwise
/// kernel) and float (XNNPACK's fully-connected operator per part → own depthwise kernel).
extension Lowering {
    /// A pointwise step (`emitGemmQC8W`, or a float 1×1 convolution and the HardSwish after
    /// it) as a reader can run it on some of its rows.
    struct RowProducer {
        /// The steps it replaces: the last ones added when a reader streams it.
        let steps: [Step]
        let node: Node
        /// The value it reads and the one it writes (its fused activation's output, if any).
        let input: String
        let output: String
        /// Bytes per row (pixel) of `output`.
        let rowBytes: Int
        /// Its placement name.
        let name: String
        /// How many callers may run `rows` at once, each with its own `part` below this.
        let parts: Int
        /// Rows [r0, r1) of `output` (activation applied), from the input at `x`, written at
        /// `y` + row · rowBytes, by caller `part`.
        let rows: (_ part: Int, _ r0: Int, _ r1: Int, _ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) -> Void
    }

    /// The pointwise step that writes depthwise convolution `reader`'s input `x`, when the
    /// depthwise step can take its work over: its steps are the ones just added (so nothing between
    /// them reads or overwrites its input), `x` has no other reader and is not a graph
    /// output, rows of `x` are whole pixels, and the batch is one image — and `x` is larger
    /// than `streamedMinimumBytes`. `elementSize`: bytes per element of `x`.
    static func streamableProducer(of x: String, reader: Node, _ b: PlanBuilder, geometry geo: ConvGeometry,
                                   elementSize: Int) -> RowProducer? {
        let rowBytes = geo.c * elementSize
        guard let producer = b.rowProducers[x], b.steps.count >= producer.steps.count,
              zip(b.steps.suffix(producer.steps.count), producer.steps).allSatisfy({ $0 === $1 }),
              geo.n == 1, producer.rowBytes == rowBytes, geo.h * geo.w * rowBytes > streamedMinimumBytes, !b.graph.isGraphOutput(x),
              b.graph.nodes.allSatisfy({ $0.name == reader.name || !$0.inputs.contains(x) }) else { return nil }
        return producer
    }

    /// Below this size the expanded tensor stays in a core's L2 cache between the two steps
    /// and streaming saves no memory traffic, only adds calls (measured slower on the later,
    /// smaller blocks of the challenge baseline). `LOUPE_STREAM_MIN_BYTES` overrides it
    /// (0 streams every block); tests set it directly, before building an executor.
    nonisolated(unsafe) static var streamedMinimumBytes: Int = {
        if let s = ProcessInfo.processInfo.environment["LOUPE_STREAM_MIN_BYTES"], let v = Int(s), v >= 0 { return v }
        return 3 << 20
    }()

    /// Bytes of input rows a strip aims at: a few rows of the expanded tensor, well inside L2
    /// (1–2 MiB per core on this project's x86 machines). Float rows are 4× wider than int8
    /// ones; 768 KiB measured faster than 256 KiB on the challenge baseline in float
    /// (Bench/RESULTS.md), while int8 was tuned at 256 KiB.
    static func streamedStripBytes(elementSize: Int) -> Int { elementSize == 1 ? 256 * 1024 : 768 * 1024 }

    /// Replaces `producer`'s steps by one that runs the depthwise convolution `node` (its
    /// kernel `dwRows` over output rows, then `after` on the rows written, if any) with the
    /// input rows each group of output rows needs computed by `producer` into a per-part
    /// strip. A strip keeps the rows the next group shares (the window's overlap) and
    /// computes only the new ones; each part of the output rows recomputes its first group's
    /// overlap. `elementSize`: bytes per element of the input; `out`: the value the step
    /// writes; `owned`: what the step keeps alive beside the producer's.
    static func emitStreamedDwConv(_ node: Node, _ b: PlanBuilder, _ producer: RowProducer, out: String, dwName: String,
                                   geometry g: loupe_s8_dwconv_geometry, elementSize: Int, owned: [AnyObject],
                                   dwRows: @escaping (_ r0: Int, _ r1: Int, _ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) -> Void,
                                   after: ((_ r0: Int, _ r1: Int, _ y: UnsafeMutableRawPointer) -> Void)? = nil) {
        let name = "\(producer.name) → \(dwName) (rows streamed)"
        let expandOwned = producer.steps.flatMap { _ in b.removeLastStep(listing: .kernel("fused into '\(node.name)': \(name)")).owned }
        let (ih, iw, oh, c) = (g.in_h, g.in_w, g.out_h, g.channels)
        let (sh, pt) = (g.stride_h, g.pad_top)
        let reach = (g.kernel_h - 1) * g.dilation_h + 1        // input rows one output row spans
        let inRow = iw * c * elementSize
        // Output rows per group: the strip holds (group − 1)·stride + reach input rows.
        let group = Swift.max(1, Swift.min(oh, (streamedStripBytes(elementSize: elementSize) / Swift.max(inRow, 1) - reach) / sh + 1))
        let stripRows = Swift.min(ih, (group - 1) * sh + reach)
        let stripBytes = MemoryPlanner.align(stripRows * inRow + 64)
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(oh, b.threads * 4, producer.parts)) : 1
        let rowsPerPart = (oh + parts - 1) / parts
        let count = (oh + rowsPerPart - 1) / rowsPerPart
        let strips = out + "::streamed-strips"
        b.declareScratch(strips, bytes: count * stripBytes)
        let source = producer.input, expandRows = producer.rows
        b.addStep(node, .kernel(name), reads: [source], writes: [out, strips], owned: expandOwned + owned) { bind in
            let px = UnsafeRawPointer(bind.int8s(source)), py = UnsafeMutableRawPointer(bind.int8s(out))
            let base = UnsafeMutableRawPointer(bind.int8s(strips))
            let task = ParallelTask(count: count) { i in
                let strip = base + i * stripBytes
                // The strip holds input rows [first, end).
                var first = 0, end = 0
                let stop = Swift.min(oh, (i + 1) * rowsPerPart)
                for o0 in stride(from: i * rowsPerPart, to: stop, by: group) {
                    let o1 = Swift.min(stop, o0 + group)
                    let lo = Swift.max(0, o0 * sh - pt), hi = Swift.min(ih, (o1 - 1) * sh - pt + reach)
                    if lo > first && lo < end {
                        memmove(strip, strip + (lo - first) * inRow, (end - lo) * inRow)
                        first = lo
                    } else if lo >= end {
                        first = lo
                        end = lo
                    }
                    // Rows are addressed from the strip as if it were the whole tensor.
                    let rows0 = strip - first * inRow
                    if hi > end {
                        expandRows(i, end * iw, hi * iw, px, rows0)
                        end = hi
                    }
                    dwRows(o0, o1, UnsafeRawPointer(rows0), py)
                    after?(o0, o1, py)
                }
            }
            return { pool in task.run(pool) }
        }
    }
}

extension Lowering {
    /// Registers the float 1×1 convolution just added as a row producer for a depthwise step
    /// that may read it (`lowerFloatDwConv`): one group, stride 1, no padding, one image, a
    /// dense output larger than `streamedMinimumBytes`. Its rows run on XNNPACK's
    /// fully-connected operator (a 1×1 convolution is one over pixels), one operator per
    /// part, as an operator's setup is not shared between threads; each packs its own copy
    /// of the weights, so only convolutions with weights of at most 256 KiB are registered
    /// (the expansions large enough to stream are the early, narrow ones). The operators
    /// are kept by the convolution's step, and by the streamed step that replaces it.
    static func registerFloatRowProducer(_ node: Node, _ b: PlanBuilder, geometry geo: ConvGeometry, x: String, y: String,
                                         weights: Tensor, bias: [Float]?, min: Float, max: Float, outStride: Int) throws {
        let win = geo.window
        let (c, o) = (geo.c, geo.o)
        guard geo.n == 1, geo.g == 1, geo.kh == 1, geo.kw == 1, win.stride == (1, 1), win.pads == (0, 0, 0, 0),
              outStride == o, geo.oh * geo.ow * o * 4 > streamedMinimumBytes, o * c * 4 <= 256 * 1024,
              let step = b.steps.last, step.node.name == node.name else { return }
        let name = "xnn_create_fully_connected_nc_f32"
        let parts = b.threads > 1 ? b.threads * 4 : 1
        let w = weights.floats  // OIHW 1×1: [o][c], the fully-connected operator's layout
        let ops = try (0..<parts).map { _ in
            try w.withUnsafeBufferPointer { wp in
                try XNNOperator.create(name, node) { out in
                    withOptional(bias) { loupe_xnn_create_fully_connected_nc_f32(c, o, c, o, wp.baseAddress, $0, min, max, 0, out) }
                }
            }
        }
        step.owned += ops
        let raw = ops.map(\.op)
        b.rowProducers[y] = RowProducer(steps: [step], node: node, input: x, output: y, rowBytes: o * 4, name: name,
                                        parts: parts) { part, r0, r1, px, py in
            let status = loupe_xnn_setup_fully_connected_nc_f32(raw[part], r1 - r0, px.assumingMemoryBound(to: Float.self) + r0 * c,
                                                                py.assumingMemoryBound(to: Float.self) + r0 * o, nil)
            // The operator was created for these channels and the batch is at least one row:
            // XNNPACK's setup checks nothing else that could fail here.
            precondition(status == xnn_status_success, "xnn_setup_fully_connected_nc_f32 failed for '\(node.name)'")
            _ = loupe_xnn_run_operator(raw[part], nil)
        }
    }
}

extension Lowering {
    /// Registers the float HardSwish just added, whose input is the sole output of the float
    /// row producer added just before it (`registerFloatRowProducer`), as one producer of
    /// both: the rows of the expansion, then XNNPACK's HardSwish on them in place while they
    /// are in cache (one operator per part, as for the expansion).
    static func registerFloatHardSwishProducer(_ node: Node, _ b: PlanBuilder, x: String, y: String) throws {
        guard let inner = b.rowProducers[x], inner.parts < 1024, inner.rowBytes % 4 == 0, b.steps.count >= 2,
              let step = b.steps.last, step.node.name == node.name, b.steps[b.steps.count - 2] === inner.steps.last,
              !b.graph.isGraphOutput(x), b.graph.nodes.allSatisfy({ $0.name == node.name || !$0.inputs.contains(x) }) else { return }
        let channels = inner.rowBytes / 4
        let name = "xnn_create_hardswish_nc_f32"
        let ops = try (0..<inner.parts).map { _ in
            try XNNOperator.create(name, node) { loupe_xnn_create_hardswish_nc_f32(channels, channels, channels, 0, $0) }
        }
        step.owned += ops
        let raw = ops.map(\.op), rowBytes = inner.rowBytes, expand = inner.rows
        b.rowProducers[y] = RowProducer(steps: inner.steps + [step], node: node, input: inner.input, output: y,
                                        rowBytes: rowBytes, name: "\(inner.name) + HardSwish", parts: inner.parts) {
            part, r0, r1, px, py in
            expand(part, r0, r1, px, py)
            let rows = (py + r0 * rowBytes).assumingMemoryBound(to: Float.self)
            let status = loupe_xnn_setup_hardswish_nc_f32(raw[part], r1 - r0, rows, rows, nil)
            precondition(status == xnn_status_success, "xnn_setup_hardswish_nc_f32 failed for '\(node.name)'")
            _ = loupe_xnn_run_operator(raw[part], nil)
        }
    }
}
