import CXNNPACK
import Foundation
import LoupeIR
import LoupeKernels

extension Lowering {
    /// Resize of an NHWC map over H and W. Linear → `xnn_create_resize_bilinear2d_nhwc_f32`
    /// (half_pixel / pytorch_half_pixel = default, align_corners = XNN_FLAG_ALIGN_CORNERS,
    /// asymmetric = XNN_FLAG_TENSORFLOW_LEGACY_MODE); nearest → `loupe_x32_resize_nearest_nhwc`
    /// with index tables computed here from the ONNX coordinate transformation.
    static func lowerResize(_ node: Node, _ graph: Graph, _ a: ResizeAttributes, into b: PlanBuilder?) throws -> Placement {
        try requireNHWC(a.layout)
        let (x, xs) = try activation(node, graph, 0, "X")
        guard xs.count == 4 else { throw Unsupported("only 4-D NHWC Resize is lowered, X is \(xs)") }
        let y = try output(node)
        let ys = try shape(y, graph, "output")
        guard ys.count == 4, ys[0] == xs[0], ys[3] == xs[3] else {
            throw Unsupported("only resizing H and W is lowered (X \(xs) → \(ys))")
        }
        if a.antialias { throw Unsupported("antialias resize is not lowered") }
        if a.keepAspectRatioPolicy != .stretch { throw Unsupported("keep_aspect_ratio_policy \(a.keepAspectRatioPolicy.rawValue) is not lowered") }
        let (n, ih, iw, c) = (xs[0], xs[1], xs[2], xs[3])
        let (oh, ow) = (ys[1], ys[2])
        // Scales: ONNX maps coordinates with the given scale; when it is not exactly out/in
        // XNNPACK (which uses in/out) would disagree.
        var scaleH = Double(oh) / Double(ih), scaleW = Double(ow) / Double(iw)
        if let scales = try constantFloats(node, graph, 2, "scales"), !scales.isEmpty {
            guard scales.count == 4 else { throw Unsupported("scales \(scales) must have 4 values") }
            let candidates = [(Double(scales[2]), Double(scales[3])), (Double(scales[1]), Double(scales[2]))]
            guard let match = candidates.first(where: { abs($0.0 - scaleH) <= 1e-6 * scaleH && abs($0.1 - scaleW) <= 1e-6 * scaleW }) else {
                throw Unsupported("scales \(scales) are not exactly output/input size (\(scaleH), \(scaleW)); not lowered")
            }
            (scaleH, scaleW) = match
        }
        switch a.mode {
        case .cubic:
            throw Unsupported("cubic resize has no XNNPACK operator or Loupe kernel yet")
        case .linear:
            let name = "xnn_create_resize_bilinear2d_nhwc_f32"
            var flags: UInt32
            switch a.coordinateTransformation {
            case .halfPixel: flags = 0
            case .pytorchHalfPixel:
                guard oh > 1, ow > 1 else { throw Unsupported("pytorch_half_pixel with an output size of 1 differs from XNNPACK") }
                flags = 0
            case .alignCorners: flags = UInt32(XNN_FLAG_ALIGN_CORNERS)
            case .asymmetric: flags = UInt32(XNN_FLAG_TENSORFLOW_LEGACY_MODE)
            case .halfPixelSymmetric, .tfCropAndResize:
                throw Unsupported("coordinate_transformation_mode \(a.coordinateTransformation.rawValue) has no XNNPACK equivalent")
            }
            if flags == UInt32(XNN_FLAG_ALIGN_CORNERS) && (oh == 1 || ow == 1) {
                throw Unsupported("align_corners with an output size of 1 is not lowered")
            }
            guard let b else { return .xnnpack(name) }
            let outStride = b.outputStride(y, channels: c)
            let op = try XNNOperator.create(name, node) { xnn_create_resize_bilinear2d_nhwc_f32(c, c, outStride, flags, $0) }
            b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
                try Backend.check(xnn_setup_resize_bilinear2d_nhwc_f32(op.op, n, ih, iw, oh, ow, bind.floats(x), bind.floats(y), bind.pool),
                                  "xnn_setup_resize_bilinear2d_nhwc_f32", node)
            }
            return .xnnpack(name)
        case .nearest:
            let name = "loupe_x32_resize_nearest_nhwc"
            let yIndex = try nearestIndex(out: oh, in: ih, scale: scaleH, a)
            let xIndex = try nearestIndex(out: ow, in: iw, scale: scaleW, a)
            guard let b else { return .kernel(name) }
            let rows = n * oh
            let parts = Swift.min(threadsFor(elements: rows * ow * c, b.threads), rows)
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.pointer(x).assumingMemoryBound(to: UInt32.self)
                let py = bind.pointer(y).assumingMemoryBound(to: UInt32.self)
                let task = ParallelTask(count: parts) { i in
                    yIndex.withUnsafeBufferPointer { yi in
                        xIndex.withUnsafeBufferPointer { xi in
                            loupe_x32_resize_nearest_nhwc__scalar(n, ih, iw, c, oh, ow, yi.baseAddress, xi.baseAddress, px, py,
                                                                  rows * i / parts, rows * (i + 1) / parts)
                        }
                    }
                }
                return { pool in task.run(pool) }
            }
            return .kernel(name)
        }
    }

    /// Source index of each output coordinate for nearest resize (ONNX Resize semantics).
    static func nearestIndex(out: Int, in size: Int, scale: Double, _ a: ResizeAttributes) throws -> [UInt32] {
        try (0..<out).map { o -> UInt32 in
            let xo: Double
            switch a.coordinateTransformation {
            case .halfPixel: xo = (Double(o) + 0.5) / scale - 0.5
            case .pytorchHalfPixel: xo = out > 1 ? (Double(o) + 0.5) / scale - 0.5 : 0
            case .alignCorners: xo = out == 1 ? 0 : Double(o) * Double(size - 1) / Double(out - 1)
            case .asymmetric: xo = Double(o) / scale
            case .halfPixelSymmetric, .tfCropAndResize:
                throw Unsupported("coordinate_transformation_mode \(a.coordinateTransformation.rawValue) is not lowered for nearest")
            }
            var i: Double
            switch a.nearestMode {
            case .roundPreferFloor: i = xo - xo.rounded(.down) == 0.5 ? xo.rounded(.down) : xo.rounded()
            case .roundPreferCeil: i = xo - xo.rounded(.down) == 0.5 ? xo.rounded(.up) : xo.rounded()
            case .floor: i = xo.rounded(.down)
            case .ceil: i = xo.rounded(.up)
            }
            i = Swift.min(Swift.max(i, 0), Double(size - 1))
            return UInt32(i)
        }
    }
}
