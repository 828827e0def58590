import CXNNPACK
import LoupeIR

/// Explicit 2-D padding and geometry shared by conv and pooling.
struct Window2D {
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    var dilation: (h: Int, w: Int)
    /// top, left, bottom, right
    var pads: (t: Int, l: Int, b: Int, r: Int)

    var effective: (h: Int, w: Int) { ((kernel.h - 1) * dilation.h + 1, (kernel.w - 1) * dilation.w + 1) }

    /// Output size as XNNPACK computes it (floor): (padded - effective) / stride + 1.
    func output(_ h: Int, _ w: Int) throws -> (Int, Int) {
        let ph = h + pads.t + pads.b, pw = w + pads.l + pads.r
        let e = effective
        if e.h > ph || e.w > pw {
            throw Unsupported("kernel \(e.h)x\(e.w) (dilated) is larger than the padded input \(ph)x\(pw)")
        }
        return ((ph - e.h) / stride.h + 1, (pw - e.w) / stride.w + 1)
    }

    /// Reads kernel/stride/dilation/pads with ONNX defaults and validates them; resolves
    /// auto_pad SAME_UPPER/SAME_LOWER/VALID against the input size.
    static func make(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], autoPad: AutoPad,
                     input: (h: Int, w: Int)) throws -> Window2D {
        guard kernel.count == 2 else { throw Unsupported("only 2-D windows are supported (kernel_shape \(kernel))") }
        let s = strides.isEmpty ? [1, 1] : strides
        let d = dilations.isEmpty ? [1, 1] : dilations
        guard s.count == 2, d.count == 2 else { throw Unsupported("strides \(strides) / dilations \(dilations) must have 2 entries") }
        guard kernel.allSatisfy({ $0 > 0 }), s.allSatisfy({ $0 > 0 }), d.allSatisfy({ $0 > 0 }) else {
            throw Unsupported("kernel \(kernel), strides \(s) and dilations \(d) must be positive")
        }
        var w = Window2D(kernel: (kernel[0], kernel[1]), stride: (s[0], s[1]), dilation: (d[0], d[1]), pads: (0, 0, 0, 0))
        switch autoPad {
        case .notSet:
            let p = pads.isEmpty ? [0, 0, 0, 0] : pads
            guard p.count == 4, p.allSatisfy({ $0 >= 0 }) else { throw Unsupported("pads \(pads) must be 4 non-negative values") }
            w.pads = (p[0], p[1], p[2], p[3])
        case .valid:
            break
        case .sameUpper, .sameLower:
            let e = w.effective
            func split(_ n: Int, _ st: Int, _ k: Int) -> (Int, Int) {
                let out = (n + st - 1) / st
                let total = max((out - 1) * st + k - n, 0)
                return autoPad == .sameUpper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let (t, b) = split(input.h, w.stride.h, e.h)
            let (l, r) = split(input.w, w.stride.w, e.w)
            w.pads = (t, l, b, r)
        }
        return w
    }
}

/// The shape checks and window of a 2-D NHWC convolution with OIHW weights, shared by the
/// float32 and the int8 (qc8) lowering.
struct ConvGeometry {
    let n: Int, h: Int, w: Int, c: Int
    let o: Int, ig: Int, kh: Int, kw: Int, g: Int
    let window: Window2D
    let oh: Int, ow: Int

    init(_ a: ConvAttributes, input xs: [Int], weights ws: [Int]) throws {
        (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        (o, ig, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        g = a.group
        guard g >= 1, c % g == 0, o % g == 0, c / g == ig else {
            throw Unsupported("group \(g) does not divide input channels \(c) / output channels \(o) with W \(ws)")
        }
        if !a.kernelShape.isEmpty && a.kernelShape != [kh, kw] {
            throw Unsupported("kernel_shape \(a.kernelShape) disagrees with W \(ws)")
        }
        window = try Window2D.make(kernel: [kh, kw], strides: a.strides, dilations: a.dilations, pads: a.pads,
                                   autoPad: a.autoPad, input: (h, w))
        (oh, ow) = try window.output(h, w)
    }

    /// OIHW → OHWI: XNNPACK's [groups][group_output][kh][kw][group_input] without flags.
    func packOHWI<T>(_ src: [T]) -> [T] {
        var packed = src
        for oo in 0..<o {
            for i in 0..<ig {
                for yy in 0..<kh {
                    for xx in 0..<kw {
                        packed[((oo * kh + yy) * kw + xx) * ig + i] = src[((oo * ig + i) * kh + yy) * kw + xx]
                    }
                }
            }
        }
        return packed
    }
}

extension Lowering {
    /// Conv (groups, depthwise, dilation, strides, asymmetric pads, auto_pad, fused clamp)
    /// → `xnn_create_convolution2d_nhwc_f32` with weights repacked OIHW → OHWI; a depthwise
    /// one on the own kernel where `FloatDwConvPath` says so (`lowerFloatDwConv`).
    static func lowerConv(_ node: Node, _ graph: Graph, _ a: ConvAttributes, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_convolution2d_nhwc_f32"
        let (x, xs, wName) = try convOperands(node, graph, a, "convolution")
        guard let w = graph.constant(wName) else { throw Unsupported("weights must be constant (non-constant W is not supported)") }
        guard w.dtype == .float32, w.shape.count == 4 else { throw Unsupported("weights must be float32 OIHW, got \(w.type)") }
        let geo = try ConvGeometry(a, input: xs, weights: w.shape)
        let (n, h, wd, c, o, ig, kh, kw, g, win) = (geo.n, geo.h, geo.w, geo.c, geo.o, geo.ig, geo.kh, geo.kw, geo.g, geo.window)
        let (oh, ow) = (geo.oh, geo.ow)
        let y = try expectOutput(node, graph, [n, oh, ow, o])
        let bias = try constantBias(node, graph, channels: o)
        try checkRange(a.outputMin, a.outputMax)
        if let p = try lowerFloatDwConv(node, graph, a, x: x, y: y, geometry: geo, weights: w, bias: bias, into: b) { return p }
        if let p = try lowerFirstConv(node, graph, a, y: y, geometry: geo, weights: w, bias: bias, into: b) { return p }
        guard let b else { return .xnnpack(name) }

        let packed = geo.packOHWI(w.floats)
        let outStride = b.outputStride(y, channels: o)
        let op = try packed.withUnsafeBufferPointer { wp in
            try XNNOperator.create(name, node) { out in
                withOptional(bias) { biasPtr in
                    loupe_xnn_create_convolution2d_nhwc_f32(
                        UInt32(win.pads.t), UInt32(win.pads.r), UInt32(win.pads.b), UInt32(win.pads.l),
                        UInt32(kh), UInt32(kw), UInt32(win.stride.h), UInt32(win.stride.w),
                        UInt32(win.dilation.h), UInt32(win.dilation.w), UInt32(g), ig, o / g,
                        c, outStride, wp.baseAddress, biasPtr, a.outputMin, a.outputMax, 0, out)
                }
            }
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_convolution2d_nhwc_f32(op.op, n, h, wd, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_convolution2d_nhwc_f32", node)
        }
        // A 1×1 expansion a depthwise step may compute itself, rows at a time.
        try registerFloatRowProducer(node, b, geometry: geo, x: x, y: y, weights: w, bias: bias,
                                     min: a.outputMin, max: a.outputMax, outStride: outStride)
        return .xnnpack(name)
    }

    /// ConvTranspose → `xnn_create_deconvolution2d_nhwc_f32`; output_padding becomes the
    /// adjustment, output_shape/auto_pad become explicit padding, and an output_shape past the
    /// full result (negative end padding) a larger adjustment (its rows get only the bias).
    static func lowerConvTranspose(_ node: Node, _ graph: Graph, _ a: ConvAttributes, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_deconvolution2d_nhwc_f32"
        let (x, xs, wName) = try convOperands(node, graph, a, "ConvTranspose")
        guard let w = graph.constant(wName), w.dtype == .float32, w.shape.count == 4 else {
            throw Unsupported("weights must be a constant float32 [C_in, C_out/group, kH, kW] tensor")
        }
        let (n, h, wd, c) = (xs[0], xs[1], xs[2], xs[3])
        let (ci, og, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let g = a.group
        guard g >= 1, ci == c, c % g == 0 else { throw Unsupported("W \(w.shape) does not match \(c) input channels in \(g) groups") }
        let ig = c / g, o = og * g
        let s = a.strides.isEmpty ? [1, 1] : a.strides
        let d = a.dilations.isEmpty ? [1, 1] : a.dilations
        let op_ = a.outputPadding.isEmpty ? [0, 0] : a.outputPadding
        guard s.count == 2, d.count == 2, op_.count == 2, s.allSatisfy({ $0 > 0 }), d.allSatisfy({ $0 > 0 }) else {
            throw Unsupported("strides \(s), dilations \(d), output_padding \(op_) must be 2 positive values")
        }
        guard op_[0] >= 0, op_[1] >= 0, op_[0] < s[0], op_[1] < s[1] else {
            throw Unsupported("output_padding \(op_) must be below the strides \(s) (XNNPACK adjustment < stride)")
        }
        let ek = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1]
        let y = try output(node)
        let ys = try shape(y, graph, "output")
        guard ys.count == 4, ys[0] == n, ys[3] == o else { throw Unsupported("output type \(ys) is not [\(n), H, W, \(o)]") }
        var pads = [0, 0, 0, 0]  // t l b r
        // XNNPACK's adjustment: output_padding plus any zero tail from an output_shape larger
        // than the full result (negative end padding); both must stay below the stride.
        var adjustment = op_
        if a.autoPad == .notSet && a.outputShape == nil {
            let p = a.pads.isEmpty ? [0, 0, 0, 0] : a.pads
            guard p.count == 4, p.allSatisfy({ $0 >= 0 }) else { throw Unsupported("pads \(a.pads) must be 4 non-negative values") }
            pads = [p[0], p[1], p[2], p[3]]
        } else if a.autoPad != .valid {
            // Total padding from the declared output size, split as WindowGeometry.transposed
            // does (the spec's `total / 2` is floor division).
            for axis in 0..<2 {
                let inSize = xs[1 + axis], outSize = ys[1 + axis]
                let total = s[axis] * (inSize - 1) + op_[axis] + ek[axis] - outSize
                let half = total >= 0 ? total / 2 : -((-total + 1) / 2)
                let (begin, end) = a.autoPad == .sameUpper ? (half, total - half) : (total - half, half)
                guard begin >= 0 else {
                    throw Unsupported("output_shape \(outSize) extends the output before the full result on spatial axis \(axis) (negative begin padding \(begin)): XNNPACK has no such adjustment, and ONNX Runtime rejects or places it differently")
                }
                if end < 0 {
                    adjustment[axis] -= end
                    guard adjustment[axis] < s[axis] else {
                        throw Unsupported("output_shape \(outSize) extends the output \(-end) past the full result on spatial axis \(axis); with output_padding \(op_[axis]) that is not below the stride \(s[axis]) (XNNPACK adjustment < stride)")
                    }
                }
                pads[axis] = begin
                pads[axis + 2] = Swift.max(end, 0)
            }
        }
        let adj = adjustment
        let oh = s[0] * (h - 1) + adjustment[0] + ek[0] - pads[0] - pads[2]
        let ow = s[1] * (wd - 1) + adjustment[1] + ek[1] - pads[1] - pads[3]
        guard oh > 0, ow > 0 else { throw Unsupported("padding leaves an empty output (\(oh)x\(ow))") }
        _ = try expectOutput(node, graph, [n, oh, ow, o])
        let bias = try constantBias(node, graph, channels: o)
        try checkRange(a.outputMin, a.outputMax)
        guard let b else { return .xnnpack(name) }

        // [C_in = g*ig][og][kh][kw] → [g][og][kh][kw][ig]
        let src = w.floats
        var packed = [Float](repeating: 0, count: src.count)
        for gg in 0..<g {
            for oo in 0..<og {
                for yy in 0..<kh {
                    for xx in 0..<kw {
                        for i in 0..<ig {
                            packed[(((gg * og + oo) * kh + yy) * kw + xx) * ig + i] =
                                src[(((gg * ig + i) * og + oo) * kh + yy) * kw + xx]
                        }
                    }
                }
            }
        }
        let outStride = b.outputStride(y, channels: o)
        let op = try packed.withUnsafeBufferPointer { wp in
            try XNNOperator.create(name, node) { out in
                withOptional(bias) { biasPtr in
                    loupe_xnn_create_deconvolution2d_nhwc_f32(
                        UInt32(pads[0]), UInt32(pads[3]), UInt32(pads[2]), UInt32(pads[1]),
                        UInt32(kh), UInt32(kw), UInt32(s[0]), UInt32(s[1]), UInt32(d[0]), UInt32(d[1]),
                        UInt32(g), ig, og, c, outStride, wp.baseAddress, biasPtr, a.outputMin, a.outputMax, 0, out)
                }
            }
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_deconvolution2d_nhwc_f32(op.op, n, h, wd, UInt32(adj[0]), UInt32(adj[1]),
                                                                  bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_deconvolution2d_nhwc_f32", node)
        }
        return .xnnpack(name)
    }

    /// The activation X of a float Conv or ConvTranspose (`what`, for messages), which must
    /// be NHWC of rank 4 as XNNPACK's 2-D operators take it, and the name of its weight W.
    static func convOperands(_ node: Node, _ graph: Graph, _ a: ConvAttributes, _ what: String) throws -> (x: String, shape: [Int], weight: String) {
        try requireNHWC(a.layout)
        let (x, xs) = try activation(node, graph, 0, "X")
        guard xs.count == 4 else { throw Unsupported("only 2-D \(what) (NHWC rank 4) is supported, X is \(xs)") }
        return (x, xs, try input(node, 1, "W"))
    }

    /// The optional bias (input 2) of a float conv: nil when omitted, else a constant of one
    /// value per output channel.
    static func constantBias(_ node: Node, _ graph: Graph, channels o: Int) throws -> [Float]? {
        guard let bn = node.input(2) else { return nil }
        guard let bt = graph.constant(bn), bt.count == o else { throw Unsupported("bias must be a constant of \(o) values") }
        return bt.floats
    }
}
