import CXNNPACK
import LoupeIR

extension Lowering {
    /// Int8 Conv (any group, depthwise included; fused clamp) →
    /// `xnn_create_convolution2d_nhwc_qc8`: int8 OIHW weights with one symmetric scale per
    /// output channel (a per-tensor scale is repeated), int32 bias at input · weight scale.
    static func lowerConvQC8(_ node: Node, _ graph: Graph, _ a: ConvAttributes, into b: PlanBuilder?) throws -> Placement {
        try requireNHWC(a.layout)
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        guard xs.count == 4 else { throw Unsupported("only 2-D convolution (NHWC rank 4) is supported, X is \(xs)") }
        let wName = try input(node, 1, "W")
        guard let w = graph.constant(wName), w.shape.count == 4 else { throw Unsupported("weights must be a constant OIHW tensor") }
        let geo = try ConvGeometry(a, input: xs, weights: w.shape)
        let (n, h, wd, c, o, ig, g, win) = (geo.n, geo.h, geo.w, geo.c, geo.o, geo.ig, geo.g, geo.window)
        let (oh, ow) = (geo.oh, geo.ow)
        let (y, qy) = try int8Output(node, graph, [n, oh, ow, o])
        let (codes, scales) = try qc8Weights(wName, graph, axis: 0, channels: o)
        let bias = try qc8Bias(node.input(2), graph, channels: o, inputScale: qx.scale, weightScales: scales)
        let (lo, hi) = try codeRange(a.outputMin, a.outputMax, qy)
        try checkRequantization(node, qx, scales, qy)
        let pointwise = win.kernel.h == 1 && win.kernel.w == 1 && win.stride.h == 1 && win.stride.w == 1
            && win.pads.t == 0 && win.pads.l == 0 && win.pads.b == 0 && win.pads.r == 0 && g == 1
        if pointwise, let path = try ownGemmPath(node) {
            // A 1×1 convolution is a GEMM over the n·h·w pixels; OIHW codes are [O][C] rows.
            let fused = fusableTable(after: node, graph, outputParams: qy)
            guard let b else { return .kernel(gemmKernelName(path, fused: fused?.label)) }
            return try emitGemmQC8W(node, b, path, x: x, y: y, rows: n * h * wd, k: c, n: o, qx: qx, scales: scales,
                                    weights: codes, bias: bias, qy: qy, lo: lo, hi: hi, fused: fused)
        }
        let depthwise = g == c && g == o && win.kernel.h * win.kernel.w <= 64
        if depthwise, let path = try ownGemmPath(node) {
            let fused = fusableTable(after: node, graph, outputParams: qy)
            guard let b else { return .kernel(dwconvKernelName(path, fused: fused?.label)) }
            return try emitDwConvQC8W(node, b, path, x: x, y: y, geometry: geo, window: win, qx: qx, scales: scales,
                                      weights: codes, bias: bias, qy: qy, lo: lo, hi: hi, fused: fused)
        }
        if g == 1, win.kernel.h * win.kernel.w * c <= 1 << 16, let path = try ownGemmPath(node) {
            let fused = fusableTable(after: node, graph, outputParams: qy)
            guard let b else { return .kernel(convKernelName(path, fused: fused?.label)) }
            return try emitConvQC8W(node, b, path, x: x, y: y, geometry: geo, window: win, qx: qx, scales: scales,
                                    weights: geo.packOHWI(codes), bias: bias, qy: qy, lo: lo, hi: hi, fused: fused)
        }
        guard let b else { return .xnnpack(qc8Name) }

        // OIHW → OHWI, as for float32.
        let packed = geo.packOHWI(codes)
        let op = try createQC8(node, win: win, groups: g, groupInput: ig, groupOutput: o / g, inputStride: c,
                               outputStride: o, qx: qx, scales: scales, weights: packed, bias: bias, qy: qy, lo: lo, hi: hi)
        b.addXNNStep(node, qc8Name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_convolution2d_nhwc_qc8(op.op, n, h, wd, bind.int8s(x), bind.int8s(y), bind.pool),
                              "xnn_setup_convolution2d_nhwc_qc8", node)
        }
        return .xnnpack(qc8Name)
    }

    static let qc8Name = "xnn_create_convolution2d_nhwc_qc8"

    /// XNNPACK's QC8 requantization scale (input · weight[c] / output, in float as it
    /// computes it) must be below 256; its fp32 requantization asserts it is at least 2⁻³².
    static func checkRequantization(_ node: Node, _ qx: ValueQuantization, _ scales: [Float], _ qy: ValueQuantization) throws {
        for (c, s) in scales.enumerated() {
            let r = qx.scale * s / qy.scale
            guard r < 256, r >= 0x1.0p-32 else {
                throw Unsupported("requantization scale \(r) of output channel \(c) (input \(qx.scale) · weight \(s) / output \(qy.scale)) is outside XNNPACK's [2^-32, 256)")
            }
        }
    }

    static func createQC8(_ node: Node, win: Window2D, groups: Int, groupInput: Int, groupOutput: Int, inputStride: Int,
                          outputStride: Int, qx: ValueQuantization, scales: [Float], weights: [Int8], bias: [Int32]?,
                          qy: ValueQuantization, lo: Int8, hi: Int8) throws -> XNNOperator {
        try weights.withUnsafeBufferPointer { wp in
            try scales.withUnsafeBufferPointer { sp in
                try XNNOperator.create(qc8Name, node) { out in
                    let create = { (bp: UnsafePointer<Int32>?) in
                        loupe_xnn_create_convolution2d_nhwc_qc8(
                            UInt32(win.pads.t), UInt32(win.pads.r), UInt32(win.pads.b), UInt32(win.pads.l),
                            UInt32(win.kernel.h), UInt32(win.kernel.w), UInt32(win.stride.h), UInt32(win.stride.w),
                            UInt32(win.dilation.h), UInt32(win.dilation.w), UInt32(groups), groupInput, groupOutput,
                            inputStride, outputStride, qx.int8ZeroPoint, qx.scale, sp.baseAddress, wp.baseAddress, bp,
                            qy.int8ZeroPoint, qy.scale, lo, hi, 0, out)
                    }
                    if let bias { return bias.withUnsafeBufferPointer { create($0.baseAddress) } }
                    return create(nil)
                }
            }
        }
    }

    /// Int8 Gemm with constant int8 B → a 1×1 QC8 convolution over the M rows (XNNPACK 2022
    /// has no per-channel fully-connected operator). alpha > 0 folds into the weight scales,
    /// beta into the bias.
    static func lowerGemmQC8(_ node: Node, _ graph: Graph, _ a: GemmAttributes, into b: PlanBuilder?) throws -> Placement {
        let (x, xs, qx) = try int8Activation(node, graph, 0, "A")
        guard xs.count == 2 else { throw Unsupported("A must be 2-D, got \(xs)") }
        guard !a.transA else { throw Unsupported("int8 Gemm with transA needs a transpose (not lowered)") }
        let (m, k) = (xs[0], xs[1])
        let bName = try input(node, 1, "B")
        guard let bt = graph.constant(bName), bt.shape.count == 2 else {
            throw Unsupported("int8 Gemm needs a constant 2-D B")
        }
        let (bk, nOut) = a.transB ? (bt.shape[1], bt.shape[0]) : (bt.shape[0], bt.shape[1])
        guard bk == k else { throw Unsupported("B \(bt.shape) does not match K = \(k)") }
        guard a.alpha > 0, a.alpha.isFinite else { throw Unsupported("alpha \(a.alpha): only a positive alpha folds into the weight scales") }
        let (y, qy) = try int8Output(node, graph, [m, nOut])
        var (codes, scales) = try qc8Weights(bName, graph, axis: a.transB ? 0 : 1, channels: nOut)
        scales = scales.map { $0 * a.alpha }
        for (c, s) in scales.enumerated() { try checkScale(s, "weights '\(bName)' channel \(c) · alpha") }
        let bias = a.beta == 0 ? nil : try qc8Bias(node.input(2), graph, channels: nOut, inputScale: qx.scale,
                                                  weightScales: scales, multiplier: Double(a.beta))
        let (lo, hi) = try codeRange(a.outputMin, a.outputMax, qy)
        try checkRequantization(node, qx, scales, qy)
        let path = try ownGemmPath(node)
        guard let b else { return path.map { .kernel(gemmKernelName($0)) } ?? .xnnpack(qc8Name) }
        if !a.transB { codes = transposed(codes, rows: k, cols: nOut) }
        if let path {
            return try emitGemmQC8W(node, b, path, x: x, y: y, rows: m, k: k, n: nOut, qx: qx, scales: scales,
                                    weights: codes, bias: bias, qy: qy, lo: lo, hi: hi)
        }
        return try emitRowsQC8(node, b, x: x, y: y, rows: m, k: k, n: nOut, qx: qx, scales: scales, weights: codes,
                               bias: bias, qy: qy, lo: lo, hi: hi)
    }

    /// Int8 MatMul with a constant 2-D int8 B ([K, N], scales along axis 1) → a 1×1 QC8
    /// convolution over all leading rows of A.
    static func lowerMatMulQC8(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let (x, xs, qx) = try int8Activation(node, graph, 0, "A")
        let bName = try input(node, 1, "B")
        guard let bt = graph.constant(bName), bt.shape.count == 2 else {
            throw Unsupported("int8 MatMul needs a constant 2-D B (a batched or activation B stays float)")
        }
        let k = xs.last!
        let (bk, nOut) = (bt.shape[0], bt.shape[1])
        guard bk == k else { throw Unsupported("B \(bt.shape) does not match K = \(k)") }
        let rows = xs.dropLast().reduce(1, *)
        let (y, qy) = try int8Output(node, graph, Array(xs.dropLast()) + [nOut])
        let (codes, scales) = try qc8Weights(bName, graph, axis: 1, channels: nOut)
        try checkRequantization(node, qx, scales, qy)
        let path = try ownGemmPath(node)
        guard let b else { return path.map { .kernel(gemmKernelName($0)) } ?? .xnnpack(qc8Name) }
        if let path {
            return try emitGemmQC8W(node, b, path, x: x, y: y, rows: rows, k: k, n: nOut, qx: qx, scales: scales,
                                    weights: transposed(codes, rows: k, cols: nOut), bias: nil, qy: qy, lo: -128, hi: 127)
        }
        return try emitRowsQC8(node, b, x: x, y: y, rows: rows, k: k, n: nOut, qx: qx, scales: scales,
                               weights: transposed(codes, rows: k, cols: nOut), bias: nil, qy: qy, lo: -128, hi: 127)
    }

    static func transposed(_ v: [Int8], rows: Int, cols: Int) -> [Int8] {
        var out = [Int8](repeating: 0, count: v.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = v[r * cols + c] } }
        return out
    }

    /// [rows, k] × [n, k]ᵀ as a 1×1 QC8 convolution over `rows` one-pixel images.
    static func emitRowsQC8(_ node: Node, _ b: PlanBuilder, x: String, y: String, rows: Int, k: Int, n: Int, qx: ValueQuantization,
                            scales: [Float], weights: [Int8], bias: [Int32]?, qy: ValueQuantization, lo: Int8, hi: Int8) throws -> Placement {
        let win = Window2D(kernel: (1, 1), stride: (1, 1), dilation: (1, 1), pads: (0, 0, 0, 0))
        let op = try createQC8(node, win: win, groups: 1, groupInput: k, groupOutput: n, inputStride: k, outputStride: n,
                               qx: qx, scales: scales, weights: weights, bias: bias, qy: qy, lo: lo, hi: hi)
        b.addXNNStep(node, qc8Name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_convolution2d_nhwc_qc8(op.op, rows, 1, 1, bind.int8s(x), bind.int8s(y), bind.pool),
                              "xnn_setup_convolution2d_nhwc_qc8", node)
        }
        return .xnnpack(qc8Name)
    }
}
