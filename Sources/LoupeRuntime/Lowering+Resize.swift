import CXNNPACK
import Foundation
import LoupeIR
import LoupeKernels

extension Lowering {
    /// Resize of an NHWC map over H and W; output size and per-axis scales come from
    /// `ResizePlan` (scales or sizes, axes, keep_aspect_ratio_policy). Linear →
    /// `xnn_create_resize_bilinear2d_nhwc_f32` where it is exact (half_pixel /
    /// pytorch_half_pixel = default, align_corners = XNN_FLAG_ALIGN_CORNERS, asymmetric =
    /// XNN_FLAG_TENSORFLOW_LEGACY_MODE; the scale must be out/in), else
    /// `loupe_f32_resize_linear_nhwc`; nearest → `loupe_x32_resize_nearest_nhwc`. The Loupe
    /// kernels take tap tables built here (`ResizeAxis`) from the ONNX coordinate
    /// transformation with the given scale, so every coordinate mode but tf_crop_and_resize
    /// and every nearest mode runs. On int8 codes (`int8`) only nearest runs
    /// (`loupe_x8_resize_nearest_nhwc`), with the output's parameters equal to the input's.
    static func lowerResize(_ node: Node, _ graph: Graph, _ a: ResizeAttributes, int8: Bool = false,
                            into b: PlanBuilder?) throws -> Placement {
        try requireNHWC(a.layout)
        let dtype: DType = int8 ? .int8 : .float32
        let x = try input(node, 0, "X")
        let xs = try shape(x, graph, "X", dtype: dtype)
        guard xs.count == 4 else { throw Unsupported("only 4-D NHWC Resize is lowered, X is \(xs)") }
        let y = try output(node)
        let ys = try shape(y, graph, "output", dtype: dtype)
        if int8 {
            guard a.mode == .nearest else {
                throw Unsupported("int8 \(a.mode) Resize has no lowering: FoldQuantization should leave it in float32")
            }
            try requireSameParams(x, y, graph)
        }
        if a.antialias { throw Unsupported("antialias resize is not lowered") }
        if a.mode == .cubic { throw Unsupported("cubic resize has no XNNPACK operator or Loupe kernel yet") }
        if a.coordinateTransformation == .tfCropAndResize {
            throw Unsupported("tf_crop_and_resize (roi, extrapolation_value) is not lowered")
        }
        // roi, scales, sizes and axes refer to the logical NCHW axes even under NHWC.
        func given(_ i: Int, _ what: String) throws -> Tensor? {
            guard let v = node.input(i) else { return nil }
            guard let t = graph.constant(v) else { throw Unsupported("\(what) (input \(i)) must be constant") }
            return t.count == 0 ? nil : t
        }
        let logical = [xs[0], xs[3], xs[1], xs[2]]
        let plan = try ResizePlan.resolve(node: node.reference, input: logical, attributes: a, roi: nil,
                                          scales: try given(2, "scales"), sizes: try given(3, "sizes"))
        let (n, ih, iw, c) = (xs[0], xs[1], xs[2], xs[3])
        let (oh, ow) = (plan.outputShape[2], plan.outputShape[3])
        guard abs(plan.scales[0] - 1) <= 1e-9, abs(plan.scales[1] - 1) <= 1e-9 else {
            throw Unsupported("only resizing H and W is lowered (scales \(plan.scales) over N, C, H, W)")
        }
        guard ys == [n, oh, ow, c] else {
            throw Unsupported("output type \(ys) does not match the resolved NHWC shape \([n, oh, ow, c])")
        }
        // ONNX maps coordinates with the given scale, which need not be out/in.
        let scaleH = plan.scales[2], scaleW = plan.scales[3]
        let hTaps = ResizeAxis(a, input: ih, output: oh, scale: scaleH)
        let wTaps = ResizeAxis(a, input: iw, output: ow, scale: scaleW)
        switch a.mode {
        case .cubic:
            throw Unsupported("cubic resize has no XNNPACK operator or Loupe kernel yet")
        case .linear:
            if let flags = xnnpackBilinearFlags(a, input: (ih, iw), output: (oh, ow), scale: (scaleH, scaleW)) {
                let name = "xnn_create_resize_bilinear2d_nhwc_f32"
                guard let b else { return .xnnpack(name) }
                let outStride = b.outputStride(y, channels: c)
                let op = try XNNOperator.create(name, node) { loupe_xnn_create_resize_bilinear2d_nhwc_f32(c, c, outStride, flags, $0) }
                b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
                    try Backend.check(loupe_xnn_setup_resize_bilinear2d_nhwc_f32(op.op, n, ih, iw, oh, ow, bind.floats(x), bind.floats(y), bind.pool),
                                      "xnn_setup_resize_bilinear2d_nhwc_f32", node)
                }
                return .xnnpack(name)
            }
            let name = "loupe_f32_resize_linear_nhwc"
            guard let b else { return .kernel(name) }
            let (yIndex, yWeight) = hTaps.linear()
            let (xIndex, xWeight) = wTaps.linear()
            let rows = n * oh
            let parts = Swift.min(threadsFor(elements: rows * ow * c * 4, b.threads), rows)
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.floats(x), py = bind.floats(y)
                let task = ParallelTask(count: parts) { i in
                    yIndex.withUnsafeBufferPointer { yi in
                        yWeight.withUnsafeBufferPointer { yw in
                            xIndex.withUnsafeBufferPointer { xi in
                                xWeight.withUnsafeBufferPointer { xw in
                                    loupe_f32_resize_linear_nhwc(n, ih, iw, c, oh, ow, yi.baseAddress, yw.baseAddress,
                                                                 xi.baseAddress, xw.baseAddress, px, py,
                                                                 rows * i / parts, rows * (i + 1) / parts)
                                }
                            }
                        }
                    }
                }
                return { pool in task.run(pool) }
            }
            return .kernel(name)
        case .nearest:
            let name = int8 ? "loupe_x8_resize_nearest_nhwc" : "loupe_x32_resize_nearest_nhwc"
            guard let b else { return .kernel(name) }
            let yIndex = hTaps.nearest(), xIndex = wTaps.nearest()
            let rows = n * oh
            let parts = Swift.min(threadsFor(elements: rows * ow * c, b.threads), rows)
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.pointer(x), py = bind.pointer(y)
                let task = ParallelTask(count: parts) { i in
                    yIndex.withUnsafeBufferPointer { yi in
                        xIndex.withUnsafeBufferPointer { xi in
                            let (lo, hi) = (rows * i / parts, rows * (i + 1) / parts)
                            if int8 {
                                loupe_x8_resize_nearest_nhwc__scalar(n, ih, iw, c, oh, ow, yi.baseAddress, xi.baseAddress,
                                                                     px.assumingMemoryBound(to: Int8.self),
                                                                     py.assumingMemoryBound(to: Int8.self), lo, hi)
                            } else {
                                loupe_x32_resize_nearest_nhwc__scalar(n, ih, iw, c, oh, ow, yi.baseAddress, xi.baseAddress,
                                                                      px.assumingMemoryBound(to: UInt32.self),
                                                                      py.assumingMemoryBound(to: UInt32.self), lo, hi)
                            }
                        }
                    }
                }
                return { pool in task.run(pool) }
            }
            return .kernel(name)
        }
    }

    /// XNNPACK's bilinear flags when its result is ONNX's, else nil. XNNPACK maps output
    /// coordinates with input/output sizes, so the given scale must be out/in (to float
    /// precision); an output of 1 (pytorch_half_pixel, align_corners) differs.
    static func xnnpackBilinearFlags(_ a: ResizeAttributes, input: (Int, Int), output: (Int, Int),
                                     scale: (Double, Double)) -> UInt32? {
        let exactH = Double(output.0) / Double(input.0), exactW = Double(output.1) / Double(input.1)
        let scaleIsExact = abs(scale.0 - exactH) <= 1e-6 * exactH && abs(scale.1 - exactW) <= 1e-6 * exactW
        let single = output.0 == 1 || output.1 == 1
        switch a.coordinateTransformation {
        // With scale = out/in, half_pixel_symmetric's adjustment is 1: it is half_pixel.
        case .halfPixel, .halfPixelSymmetric: return scaleIsExact ? 0 : nil
        case .pytorchHalfPixel: return scaleIsExact && !single ? 0 : nil
        case .alignCorners: return scaleIsExact && !single ? UInt32(XNN_FLAG_ALIGN_CORNERS) : nil
        case .asymmetric: return scaleIsExact ? UInt32(XNN_FLAG_TENSORFLOW_LEGACY_MODE) : nil
        case .tfCropAndResize: return nil
        }
    }
}

/// One axis of a Resize: the ONNX coordinate transformation (the formulas of the reference
/// interpreter, onnx/reference/ops/op_resize.py) turned into source taps for the kernels.
struct ResizeAxis {
    let attributes: ResizeAttributes
    let input: Int
    let output: Int
    /// The scale ONNX uses for this axis: the given one, or out/in from sizes (or the
    /// keep_aspect_ratio_policy scale).
    let scale: Double

    init(_ a: ResizeAttributes, input: Int, output: Int, scale: Double) {
        attributes = a
        self.input = input
        self.output = output
        self.scale = scale
    }

    /// Source coordinate of output index `o` (not clamped).
    func source(_ o: Int) -> Double {
        let inF = Double(input), outI = Double(output), yv = Double(o)
        switch attributes.coordinateTransformation {
        case .alignCorners:
            // ONNX's length_resized is scale·input, fractional when a scale is given (the
            // expected data of test_resize_downsample_scales_linear_align_corners; onnx/onnx
            // #2462: intended). ONNX Runtime and LoupeReference use the integer output size;
            // they agree whenever the scale is out/in (sizes given).
            let outF = abs(scale * inF - outI) <= 1e-9 * outI ? outI : scale * inF
            return outF != 1 ? yv * (inF - 1) / (outF - 1) : 0
        case .asymmetric: return yv / scale
        case .pytorchHalfPixel: return output > 1 ? (yv + 0.5) / scale - 0.5 : 0
        case .halfPixel: return (yv + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            // The spec's fractional output_width is scale·input; the integer one rounds it.
            let adjustment = outI / (scale * inF)
            return (inF / 2) * (1 - adjustment) + (yv + 0.5) / scale - 0.5
        case .tfCropAndResize:
            preconditionFailure("tf_crop_and_resize is rejected before taps are built")
        }
    }

    private func clamp(_ i: Double) -> UInt32 { UInt32(Swift.min(Swift.max(i, 0), Double(input - 1))) }

    /// Linear taps: (left, right) index pairs and the right weight per output index. An
    /// edge clamp that makes both taps equal gets weight 0 (an exact copy).
    func linear() -> (index: [UInt32], weight: [Float]) {
        var index: [UInt32] = [], weight: [Float] = []
        index.reserveCapacity(2 * output)
        weight.reserveCapacity(output)
        for o in 0..<output {
            let xo = source(o)
            let f = xo.rounded(.down)
            let l = clamp(f), r = clamp(f + 1)
            index += [l, r]
            weight.append(l == r ? 0 : Float(xo - f))
        }
        return (index, weight)
    }

    /// Nearest source index per output index, with the ONNX nearest_mode rounding.
    func nearest() -> [UInt32] {
        (0..<output).map { o in
            let xo = source(o)
            let f = xo.rounded(.down)
            let r = xo - f
            if r == 0 { return clamp(xo) }
            let up: Bool
            switch attributes.nearestMode {
            case .roundPreferFloor: up = r > 0.5
            case .roundPreferCeil: up = r >= 0.5
            case .floor: up = false
            case .ceil: up = true
            }
            return clamp(up ? f + 1 : f)
        }
    }
}
