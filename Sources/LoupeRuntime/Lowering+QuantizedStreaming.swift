import Foundation
import LoupeIR
import LoupeKernels

/// An inverted-residual block's expansion (int8 1×1 convolution, its activation fused)
/// computed by the depthwise convolution that reads it, a few rows at a time into a strip
/// that stays in cache: the expanded tensor — the largest of the block, 14.7 MB in the
/// challenge baseline's second block at 720×1280 — is never written to memory nor read
/// back, and needs no place in the arena. Both kernels run as they would apart, on the
/// same rows, so the codes are the same.
extension Lowering {
    /// A pointwise int8 step (`emitGemmQC8W`) as a reader can run it on some of its rows.
    struct RowProducer {
        let step: Step
        let node: Node
        /// The value it reads and the one it writes (its fused activation's output, if any).
        let input: String
        let output: String
        /// Bytes per row (pixel) of `output`.
        let rowBytes: Int
        /// Its placement name.
        let name: String
        /// Rows [r0, r1) of `output` (activation applied), from the input at `x`, written at
        /// `y` + row · rowBytes.
        let rows: (_ r0: Int, _ r1: Int, _ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>) -> Void
    }

    /// The pointwise step that writes depthwise convolution `reader`'s input `x`, when the
    /// depthwise step can take its work over: it is the step just added (so nothing between
    /// them reads or overwrites its input), `x` has no other reader and is not a graph
    /// output, rows of `x` are whole pixels, and the batch is one image — and `x` is larger
    /// than `streamedMinimumBytes`.
    static func streamableProducer(of x: String, reader: Node, _ b: PlanBuilder, geometry geo: ConvGeometry) -> RowProducer? {
        guard let producer = b.rowProducers[x], let last = b.steps.last, last === producer.step,
              geo.n == 1, producer.rowBytes == geo.c, geo.h * geo.w * geo.c > streamedMinimumBytes, !b.graph.isGraphOutput(x),
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

    /// Bytes of input rows a strip aims at: a few rows of the expanded tensor, well inside L2.
    static let streamedStripBytes = 256 * 1024

    /// Replaces `producer`'s step by one that runs the depthwise convolution `node` (its
    /// kernel `dwRows` over output rows, then the fused table if any) with the input rows each
    /// group of output rows needs computed by `producer` into a per-part strip. A strip
    /// keeps the rows the next group shares (the window's overlap) and computes only the
    /// new ones; each part of the output rows recomputes its first group's overlap.
    static func emitStreamedDwConv(_ node: Node, _ b: PlanBuilder, _ producer: RowProducer, y: String, dwName: String,
                                   geometry g: loupe_s8_dwconv_geometry, packed: AlignedBuffer, fused: FusedTable?,
                                   dwRows: @escaping (_ r0: Int, _ r1: Int, _ x: UnsafePointer<Int8>, _ w: UnsafeRawPointer,
                                                      _ y: UnsafeMutablePointer<Int8>) -> Void) {
        let name = "\(producer.name) → \(dwName) (rows streamed)"
        let expand = b.removeLastStep(listing: .kernel("fused into '\(node.name)': \(name)"))
        let (ih, iw, oh, ow, c) = (g.in_h, g.in_w, g.out_h, g.out_w, g.channels)
        let (sh, pt) = (g.stride_h, g.pad_top)
        let reach = (g.kernel_h - 1) * g.dilation_h + 1        // input rows one output row spans
        let inRow = iw * c, outRow = ow * c
        // Output rows per group: the strip holds (group − 1)·stride + reach input rows.
        let group = Swift.max(1, Swift.min(oh, (streamedStripBytes / Swift.max(inRow, 1) - reach) / sh + 1))
        let stripRows = Swift.min(ih, (group - 1) * sh + reach)
        let stripBytes = MemoryPlanner.align(stripRows * inRow + 64)
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(oh, b.threads * 4)) : 1
        let rowsPerPart = (oh + parts - 1) / parts
        let count = (oh + rowsPerPart - 1) / rowsPerPart
        let strips = y + "::streamed-strips"
        b.declareScratch(strips, bytes: count * stripBytes)
        let out = fused?.output ?? y
        let table = fused?.table
        let pw = UnsafeRawPointer(packed.pointer)
        let tp = table.map { UnsafePointer($0.pointer.assumingMemoryBound(to: UInt8.self)) }
        let source = producer.input, expandRows = producer.rows
        b.addStep(node, .kernel(name), reads: [source], writes: [out, strips],
                  owned: expand.owned + [packed] + (table.map { [$0] } ?? [])) { bind in
            let px = UnsafePointer(bind.int8s(source)), py = bind.int8s(out), base = bind.int8s(strips)
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
                        expandRows(end * iw, hi * iw, px, rows0)
                        end = hi
                    }
                    dwRows(o0, o1, UnsafePointer(rows0), pw, py)
                    if let tp { loupe_x8_lut((o1 - o0) * outRow, py + o0 * outRow, py + o0 * outRow, tp) }
                }
            }
            return { pool in task.run(pool) }
        }
    }
}
