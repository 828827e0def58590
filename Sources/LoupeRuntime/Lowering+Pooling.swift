import CXNNPACK
import LoupeIR
import LoupeKernels

extension Lowering {
    /// GlobalAveragePool → `xnn_create_global_average_pooling_nwc_f32`;
    /// GlobalMaxPool → `loupe_f32_global_max_pool_nhwc`.
    static func lowerGlobalPool(_ node: Node, _ graph: Graph, layout: Layout, max: Bool, into b: PlanBuilder?) throws -> Placement {
        try requireNHWC(layout)
        let (x, xs) = try activation(node, graph, 0, "X")
        guard xs.count >= 3 else { throw Unsupported("X must be NHWC-like with rank >= 3, got \(xs)") }
        let y = try expectOutput(node, graph, [xs[0]] + [Int](repeating: 1, count: xs.count - 2) + [xs.last!])
        return try emitGlobalPool(node, b, x: x, y: y, batch: xs[0], pixels: xs.dropFirst().dropLast().reduce(1, *),
                                  channels: xs.last!, max: max)
    }

    static func emitGlobalPool(_ node: Node, _ b: PlanBuilder?, x: String, y: String, batch: Int, pixels: Int,
                               channels: Int, max: Bool) throws -> Placement {
        if max {
            let name = "loupe_f32_global_max_pool_nhwc"
            guard let b else { return .kernel(name) }
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.floats(x), py = bind.floats(y)
                return { _ in loupe_f32_global_max_pool_nhwc(batch, pixels, channels, px, py) }
            }
            return .kernel(name)
        }
        let name = "xnn_create_global_average_pooling_nwc_f32"
        guard let b else { return .xnnpack(name) }
        let outStride = b.outputStride(y, channels: channels)
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_global_average_pooling_nwc_f32(channels, channels, outStride, -.infinity, .infinity, 0, $0)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_global_average_pooling_nwc_f32(op.op, batch, pixels, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_global_average_pooling_nwc_f32", node)
        }
        return .xnnpack(name)
    }

    /// ReduceMean / ReduceMax over a contiguous run of axes. Viewing X as [outer, R, inner]
    /// (R = the reduced axes), that is global pooling of an NWC tensor with batch = outer,
    /// width = R and channels = inner — the H,W reduction of an NHWC map is the common case.
    static func lowerReduce(_ node: Node, _ graph: Graph, _ op: ReduceOp, keepDims: Bool, noopWithEmptyAxes: Bool,
                            into b: PlanBuilder?) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "X")
        guard op == .mean || op == .max || op == .sum else {
            throw Unsupported("\(node.op.onnxName) has no lowering (only ReduceMean/ReduceMax/ReduceSum)")
        }
        var axes = try constantInts(node, graph, 1, "axes") ?? []
        if axes.isEmpty {
            if noopWithEmptyAxes { throw Unsupported("a no-op reduction should have been removed") }
            axes = Array(0..<xs.count)
        }
        axes = Array(Set(axes.map { $0 < 0 ? $0 + xs.count : $0 })).sorted()
        guard let first = axes.first, let last = axes.last, first >= 0, last < xs.count,
              axes == Array(first...last) else {
            throw Unsupported("reduction over non-contiguous axes \(axes) of X \(xs) is not lowered")
        }
        let outer = xs[..<first].reduce(1, *)
        let reduced = xs[first...last].reduce(1, *)
        let inner = xs[(last + 1)...].reduce(1, *)
        var ys: [Int] = []
        for (i, d) in xs.enumerated() {
            if axes.contains(i) {
                if keepDims { ys.append(1) }
            } else {
                ys.append(d)
            }
        }
        let y = try expectOutput(node, graph, ys)
        if op == .sum {
            let name = "loupe_f32_global_sum_pool_nwc"
            guard let b else { return .kernel(name) }
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.floats(x), py = bind.floats(y)
                return { _ in loupe_f32_global_sum_pool_nwc(outer, reduced, inner, px, py) }
            }
            return .kernel(name)
        }
        return try emitGlobalPool(node, b, x: x, y: y, batch: outer, pixels: reduced, channels: inner, max: op == .max)
    }

    /// Pooling geometry with ceil_mode turned into extra end padding (from the declared
    /// output size) and the computed output checked against it.
    static func poolWindow(_ node: Node, _ graph: Graph, _ a: PoolAttributes, _ xs: [Int], dtype: DType = .float32)
        throws -> (win: Window2D, extra: (h: Int, w: Int), y: String) {
        try requireNHWC(a.layout)
        guard xs.count == 4 else { throw Unsupported("only 2-D pooling (NHWC rank 4) is supported, X is \(xs)") }
        let win = try Window2D.make(kernel: a.kernelShape, strides: a.strides, dilations: a.dilations, pads: a.pads,
                                    autoPad: a.autoPad, input: (xs[1], xs[2]))
        let y = try output(node)
        let ys = try shape(y, graph, "output", dtype: dtype)
        guard ys.count == 4, ys[0] == xs[0], ys[3] == xs[3] else { throw Unsupported("output type \(ys) does not match X \(xs)") }
        var extra = (h: 0, w: 0)
        if a.ceilMode {
            let e = win.effective
            extra.h = Swift.max(0, (ys[1] - 1) * win.stride.h + e.h - (xs[1] + win.pads.t + win.pads.b))
            extra.w = Swift.max(0, (ys[2] - 1) * win.stride.w + e.w - (xs[2] + win.pads.l + win.pads.r))
        }
        var padded = win
        padded.pads.b += extra.h
        padded.pads.r += extra.w
        let (oh, ow) = try padded.output(xs[1], xs[2])
        _ = try expectOutput(node, graph, [xs[0], oh, ow, xs[3]], dtype: dtype)
        return (padded, extra, y)
    }

    /// True for a 1x1 window that is a plain copy (no stride, no padding).
    static func isCopy(_ win: Window2D) -> Bool {
        win.kernel.h * win.kernel.w == 1 && win.stride.h == 1 && win.stride.w == 1 && win.pads == (0, 0, 0, 0)
    }

    /// A 1x1 window with strides (XNNPACK rejects 1-element windows) →
    /// `loupe_x32_subsample_nhwc`, when every sampled pixel is inside the input; a sample
    /// in the padding would need the op's padding value (-inf for max, 0 or NaN for average).
    static func emitSubsample(_ node: Node, _ b: PlanBuilder?, x: String, y: String, xs: [Int], win: Window2D) throws -> Placement {
        let name = "loupe_x32_subsample_nhwc"
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        let (oh, ow) = try win.output(h, w)
        let lastY = (oh - 1) * win.stride.h - win.pads.t, lastX = (ow - 1) * win.stride.w - win.pads.l
        guard win.pads.t == 0, win.pads.l == 0, lastY < h, lastX < w else {
            throw Unsupported("1x1 pooling that samples the padding (pads \(win.pads), strides \(win.stride)) is not lowered")
        }
        guard let b else { return .kernel(name) }
        let outStride = b.outputStride(y, channels: c)
        let rows = n * oh
        let parts = Swift.min(threadsFor(elements: rows * ow * c, b.threads), rows)
        let (sh, sw) = (win.stride.h, win.stride.w)
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = bind.pointer(x).assumingMemoryBound(to: UInt32.self)
            let py = bind.pointer(y).assumingMemoryBound(to: UInt32.self)
            let task = ParallelTask(count: parts) { i in
                loupe_x32_subsample_nhwc__scalar(n, h, w, c, oh, ow, sh, sw, 0, 0, px, py, outStride,
                                                 rows * i / parts, rows * (i + 1) / parts)
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// The window as the pooling kernels take it: explicit end pads only (ceil_mode's extra
    /// end padding follows from the output size and is never counted).
    static func poolParams(_ win: Window2D, extra: (h: Int, w: Int), countIncludePad: Bool) -> loupe_pool2d_params {
        var params = loupe_pool2d_params()
        params.kernel_h = win.kernel.h; params.kernel_w = win.kernel.w
        params.stride_h = win.stride.h; params.stride_w = win.stride.w
        params.dilation_h = win.dilation.h; params.dilation_w = win.dilation.w
        params.pad_top = win.pads.t; params.pad_left = win.pads.l
        params.pad_bottom = win.pads.b - extra.h; params.pad_right = win.pads.r - extra.w
        params.count_include_pad = countIncludePad ? 1 : 0
        return params
    }

    /// Average pooling that XNNPACK cannot express (dilations, a strided 1x1 window) →
    /// `loupe_f32_average_pool_nhwc__scalar`, with the ONNX divisor rules of the reference.
    static func emitAveragePoolKernel(_ node: Node, _ b: PlanBuilder?, x: String, y: String, xs: [Int], win: Window2D,
                                      extra: (h: Int, w: Int), countIncludePad: Bool) throws -> Placement {
        let name = "loupe_f32_average_pool_nhwc__scalar"
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        let (oh, ow) = try win.output(h, w)
        guard let b else { return .kernel(name) }
        let p = poolParams(win, extra: extra, countIncludePad: countIncludePad)
        let outStride = b.outputStride(y, channels: c)
        let rows = n * oh
        let work = rows * ow * c * win.kernel.h * win.kernel.w
        let parts = Swift.min(threadsFor(elements: work, b.threads), rows)
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = bind.floats(x), py = bind.floats(y)
            let task = ParallelTask(count: parts) { i in
                withUnsafePointer(to: p) { pp in
                    loupe_f32_average_pool_nhwc__scalar(n, h, w, c, oh, ow, pp, px, py, outStride,
                                                        rows * i / parts, rows * (i + 1) / parts)
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// 1x1 pooling without stride or padding is a copy.
    static func emitCopy(_ node: Node, _ b: PlanBuilder?, x: String, y: String, rows: Int, channels: Int) throws -> Placement {
        let name = "xnn_create_copy_nc_x32"
        guard let b else { return .xnnpack(name) }
        let outStride = b.outputStride(y, channels: channels)
        let op = try XNNOperator.create(name, node) { loupe_xnn_create_copy_nc_x32(channels, channels, outStride, 0, $0) }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_copy_nc_x32(op.op, rows, bind.pointer(x), bind.pointer(y), bind.pool),
                              "xnn_setup_copy_nc_x32", node)
        }
        return .xnnpack(name)
    }

    /// AveragePool → `xnn_create_average_pooling2d_nhwc_f32`; with dilations or a strided
    /// 1x1 window, `loupe_f32_average_pool_nhwc__scalar`. XNNPACK divides by the
    /// number of valid (non-padding) elements, which is count_include_pad = 0; for
    /// count_include_pad = 1 the explicit pads are applied first by
    /// `xnn_create_constant_pad_nd_x32` (zeros, counted) and only ceil_mode's extra end
    /// padding stays implicit (not counted, as in ONNX/PyTorch).
    static func lowerAveragePool(_ node: Node, _ graph: Graph, _ a: PoolAttributes, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_average_pooling2d_nhwc_f32"
        let (x, xs) = try activation(node, graph, 0, "X")
        let (win, extra, y) = try poolWindow(node, graph, a, xs)
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        if isCopy(win) { return try emitCopy(node, b, x: x, y: y, rows: n * h * w, channels: c) }
        if win.dilation != (1, 1) || win.kernel.h * win.kernel.w == 1 {
            return try emitAveragePoolKernel(node, b, x: x, y: y, xs: xs, win: win, extra: extra, countIncludePad: a.countIncludePad)
        }
        let explicitPad = a.countIncludePad && (win.pads.t, win.pads.l, win.pads.b - extra.h, win.pads.r - extra.w) != (0, 0, 0, 0)
        guard let b else { return .xnnpack(name) }
        let outStride = b.outputStride(y, channels: c)
        var poolPads = win.pads
        var inH = h, inW = w
        var padOp: XNNOperator? = nil
        var pre: [Int] = [], post: [Int] = []
        if explicitPad {
            pre = [0, win.pads.t, win.pads.l, 0]
            post = [0, win.pads.b - extra.h, win.pads.r - extra.w, 0]
            inH = h + pre[1] + post[1]
            inW = w + pre[2] + post[2]
            poolPads = (0, 0, extra.h, extra.w)
            var zero: UInt32 = 0
            padOp = try XNNOperator.create("xnn_create_constant_pad_nd_x32", node) { loupe_xnn_create_constant_pad_nd_x32(&zero, 0, $0) }
        }
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_average_pooling2d_nhwc_f32(UInt32(poolPads.t), UInt32(poolPads.r), UInt32(poolPads.b), UInt32(poolPads.l),
                                                  UInt32(win.kernel.h), UInt32(win.kernel.w), UInt32(win.stride.h), UInt32(win.stride.w),
                                                  c, c, outStride, -.infinity, .infinity, 0, $0)
        }
        // The padded copy is a private scratch value planned like any other.
        let scratch = "\u{0}padded:\(node.name)"
        if explicitPad {
            b.declareScratch(scratch, bytes: n * inH * inW * c * 4)
        }
        let ops = [padOp, op].compactMap { $0 }
        let (ih, iw) = (inH, inW)
        b.addXNNStep(node, name, reads: [x], writes: explicitPad ? [scratch, y] : [y], ops: ops) { bind in
            var src = bind.floats(x)
            if let padOp {
                let dst = bind.floats(scratch)
                try Backend.check(loupe_xnn_setup_constant_pad_nd_x32(padOp.op, 4, [n, h, w, c], pre, post, src, dst, bind.pool),
                                  "xnn_setup_constant_pad_nd_x32", node)
                src = dst
            }
            try Backend.check(loupe_xnn_setup_average_pooling2d_nhwc_f32(op.op, n, ih, iw, src, bind.floats(y), bind.pool),
                              "xnn_setup_average_pooling2d_nhwc_f32", node)
        }
        return .xnnpack(name)
    }

    /// MaxPool (dilation, ceil_mode via extra end padding) → `xnn_create_max_pooling2d_nhwc_f32`;
    /// a strided 1x1 window → `loupe_x32_subsample_nhwc`.
    static func lowerMaxPool(_ node: Node, _ graph: Graph, _ a: PoolAttributes, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_max_pooling2d_nhwc_f32"
        let (x, xs) = try activation(node, graph, 0, "X")
        if node.outputs.count > 1 && !node.outputs[1].isEmpty {
            throw Unsupported("MaxPool's Indices output is not supported")
        }
        let (win, _, y) = try poolWindow(node, graph, a, xs)
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        if isCopy(win) { return try emitCopy(node, b, x: x, y: y, rows: n * h * w, channels: c) }
        if win.kernel.h * win.kernel.w == 1 { return try emitSubsample(node, b, x: x, y: y, xs: xs, win: win) }
        guard let b else { return .xnnpack(name) }
        let outStride = b.outputStride(y, channels: c)
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_max_pooling2d_nhwc_f32(UInt32(win.pads.t), UInt32(win.pads.r), UInt32(win.pads.b), UInt32(win.pads.l),
                                              UInt32(win.kernel.h), UInt32(win.kernel.w), UInt32(win.stride.h), UInt32(win.stride.w),
                                              UInt32(win.dilation.h), UInt32(win.dilation.w), c, c, outStride,
                                              -.infinity, .infinity, 0, $0)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_max_pooling2d_nhwc_f32(op.op, n, h, w, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_max_pooling2d_nhwc_f32", node)
        }
        return .xnnpack(name)
    }
}
