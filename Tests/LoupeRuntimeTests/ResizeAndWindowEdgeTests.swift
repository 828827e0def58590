import XCTest
import LoupeIR
@testable import LoupeRuntime

/// Lowerings added for the ONNX node tests the runtime used to refuse: Resize with given
/// (inexact) scales, axes and aspect-ratio policies on the Loupe kernels; strided 1x1 pools;
/// dilated average pooling; Clip with min > max; ConvTranspose past its full output.
final class ResizeKernelLoweringTests: XCTestCase {
    typealias CT = ResizeAttributes.CoordinateTransformation

    func attrs(_ mode: ResizeAttributes.Mode, _ ct: CT, _ nm: ResizeAttributes.NearestMode = .roundPreferFloor,
               axes: [Int]? = nil, policy: ResizeAttributes.AspectRatioPolicy = .stretch) -> ResizeAttributes {
        ResizeAttributes(mode: mode, coordinateTransformation: ct, nearestMode: nm, axes: axes,
                         keepAspectRatioPolicy: policy, layout: .nhwc)
    }

    /// Given scales that are not output/input: ONNX maps coordinates with the scale itself.
    func testInexactScalesRunOnLoupeKernels() throws {
        let modes: [(ResizeAttributes.Mode, CT, ResizeAttributes.NearestMode)] = [
            (.linear, .halfPixel, .floor), (.linear, .pytorchHalfPixel, .floor), (.linear, .asymmetric, .floor),
            (.linear, .halfPixelSymmetric, .floor),
            (.nearest, .halfPixel, .roundPreferFloor), (.nearest, .asymmetric, .roundPreferCeil),
            (.nearest, .halfPixelSymmetric, .floor), (.nearest, .pytorchHalfPixel, .ceil),
        ]
        // Channels 1 (AVX2 gathers), 8 (one vector) and 19 (vectors + tail).
        let shapes: [([Int], [Float])] = [([1, 4, 6, 1], [1, 1, 0.6, 0.6]), ([2, 5, 3, 8], [1, 1, 2.3, 2.94]),
                                         ([1, 7, 9, 19], [1, 1, 0.45, 1.7])]
        for (i, (mode, ct, nm)) in modes.enumerated() {
            for (j, (xs, scales)) in shapes.enumerated() {
                var b = G(seed: UInt64(4000 + 10 * i + j))
                let x = b.input("x", xs)
                let s = b.constant("scales", Tensor(shape: [4], floats: scales))
                b.node(.resize(attrs(mode, ct, nm)), [x, "", s], "y")
                let g = try b.finish(["y"])
                let p = Lowering.placement(of: g.nodes[0], in: g)
                XCTAssertEqual(p, .kernel(mode == .linear ? "loupe_f32_resize_linear_nhwc" : "loupe_x32_resize_nearest_nhwc"),
                               "\(mode) \(ct) \(scales)")
                try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
            }
        }
    }

    /// Exact scales keep XNNPACK's bilinear operator; the same resize with an output of 1
    /// under pytorch_half_pixel (which XNNPACK maps differently) moves to the kernel.
    func testXNNPACKOnlyWhereExact() throws {
        for (i, (ct, xs, sizes, expected)) in [
            (CT.halfPixel, [1, 4, 6, 3], [1, 3, 8, 12], "xnn"),
            (CT.pytorchHalfPixel, [1, 4, 6, 3], [1, 3, 8, 12], "xnn"),
            (CT.pytorchHalfPixel, [1, 4, 6, 3], [1, 3, 1, 3], "kernel"),
            (CT.alignCorners, [1, 4, 6, 3], [1, 3, 1, 4], "kernel"),
            // With scale = out/in, half_pixel_symmetric is half_pixel.
            (CT.halfPixelSymmetric, [1, 4, 6, 3], [1, 3, 3, 4], "xnn"),
            (CT.asymmetric, [1, 4, 6, 3], [1, 3, 7, 9], "xnn"),
        ].enumerated() {
            var b = G(seed: UInt64(4100 + i))
            let x = b.input("x", xs)
            b.node(.resize(attrs(.linear, ct)), [x, "", "", b.ints("sizes", sizes)], "y")
            let g = try b.finish(["y"])
            let p = Lowering.placement(of: g.nodes[0], in: g)
            XCTAssertEqual(p, expected == "xnn" ? .xnnpack("xnn_create_resize_bilinear2d_nhwc_f32")
                                                : .kernel("loupe_f32_resize_linear_nhwc"), "\(ct) \(sizes)")
            try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
        }
    }

    /// Scales and sizes for `axes` only (logical NCHW axes, in either order), and the
    /// keep_aspect_ratio_policy sizes.
    func testAxesAndAspectRatioPolicies() throws {
        var cases: [(ResizeAttributes, String?, String?)] = []
        for axes in [[2, 3], [3, 2], [-1, -2]] {
            for mode in [ResizeAttributes.Mode.nearest, .linear] {
                cases.append((attrs(mode, .asymmetric, axes: axes), "scales", nil))
                cases.append((attrs(mode, .halfPixel, axes: axes), nil, "sizes"))
            }
        }
        for policy in [ResizeAttributes.AspectRatioPolicy.notLarger, .notSmaller] {
            for mode in [ResizeAttributes.Mode.nearest, .linear] {
                // Without axes the policy scales N and C too; ONNX models give axes [2, 3].
                cases.append((attrs(mode, .halfPixel, axes: [2, 3], policy: policy), nil, "sizes"))
                cases.append((attrs(mode, .asymmetric, axes: [3, 2], policy: policy), nil, "sizes"))
            }
        }
        for (i, (a, scales, _)) in cases.enumerated() {
            var b = G(seed: UInt64(4200 + i))
            let x = b.input("x", [1, 5, 7, 3])
            let count = a.axes?.count ?? 4
            var ins = [x, ""]
            if scales != nil {
                let v: [Float] = count == 2 ? [2.0, 3.0] : [1, 1, 2, 3]
                ins.append(b.constant("scales", Tensor(shape: [count], floats: v)))
            } else {
                ins.append("")
                ins.append(b.ints("sizes", count == 2 ? [4, 11] : [1, 3, 4, 11]))
            }
            b.node(.resize(a), ins, "y")
            let g = try b.finish(["y"])
            XCTAssertTrue(Lowering.placement(of: g.nodes[0], in: g).isSupported, "case \(i): \(a)")
            try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
        }
    }

    /// align_corners with a given scale: ONNX's length_resized is scale·input (the expected
    /// data of test_resize_downsample_scales_linear_align_corners, onnx/onnx#2462). The
    /// reference interpreter follows ONNX Runtime (integer size) there, so the check is
    /// against the ONNX values.
    func testAlignCornersUsesTheGivenScale() throws {
        var b = G(seed: 4300)
        let x = b.input("x", [1, 2, 4, 1])
        b.node(.resize(attrs(.linear, .alignCorners)), [x, "", b.constant("s", Tensor(shape: [4], floats: [1, 1, 0.6, 0.6]))], "y")
        let g = try b.finish(["y"])
        let ex = try Executor(graph: g, threads: 1)
        let y = try ex.run(["x": Tensor(shape: [1, 2, 4, 1], floats: [1, 2, 3, 4, 5, 6, 7, 8])])["y"]!
        XCTAssertEqual(y.shape, [1, 1, 2, 1])
        XCTAssertEqual(y.floats[0], 1, accuracy: 1e-6)
        XCTAssertEqual(y.floats[1], 3.142857, accuracy: 1e-5)
    }

    func testUnsupportedResizeModesSayWhy() throws {
        for (i, a) in [attrs(.cubic, .halfPixel), ResizeAttributes(mode: .linear, antialias: true, layout: .nhwc)].enumerated() {
            var b = G(seed: UInt64(4400 + i))
            let x = b.input("x", [1, 4, 4, 2])
            b.node(.resize(a), [x, "", b.constant("s", Tensor(shape: [4], floats: [1, 1, 0.5, 0.5]))], "y")
            let g = try b.finish(["y"])
            guard case .unsupported(let reason) = Lowering.placement(of: g.nodes[0], in: g) else {
                return XCTFail("\(a) should be unsupported")
            }
            XCTAssertTrue(reason.contains("cubic") || reason.contains("antialias"), reason)
        }
    }
}

final class WindowEdgeLoweringTests: XCTestCase {
    func pool(_ k: [Int], strides: [Int] = [1, 1], dilations: [Int] = [], pads: [Int] = [0, 0, 0, 0],
              ceil: Bool = false, countPad: Bool = false) -> PoolAttributes {
        PoolAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads, autoPad: .notSet,
                       ceilMode: ceil, countIncludePad: countPad, layout: .nhwc)
    }

    func testStridedOneByOnePoolsAreSubsampling() throws {
        let cases: [(Bool, PoolAttributes, [Int])] = [
            (true, pool([1, 1], strides: [2, 2], ceil: true), [1, 2, 2, 3]),  // test_maxpool_2d_ceil_output_size_reduce_by_one
            (true, pool([1, 1], strides: [2, 3]), [2, 7, 8, 5]),
            (true, pool([1, 1], strides: [3, 2]), [1, 7, 8, 4]),
            (false, pool([1, 1], strides: [2, 2]), [1, 7, 8, 5]),
        ]
        for (i, (max, a, xs)) in cases.enumerated() {
            var b = G(seed: UInt64(4500 + i))
            let x = b.input("x", xs)
            b.node(max ? .maxPool(a) : .averagePool(a), [x], "y")
            let g = try b.finish(["y"])
            let p = Lowering.placement(of: g.nodes[0], in: g)
            XCTAssertTrue(p.isSupported, "case \(i): \(p)")
            try checkAgainstReference(&b, g, .exact)
        }
        // A 1×1 window that could fall wholly in the padding (−inf for a max pool) is refused
        // when types are inferred: ONNX requires pads < kernel_shape.
        var b = G(seed: 4510)
        let x = b.input("x", [1, 4, 4, 2])
        b.node(.maxPool(pool([1, 1], strides: [2, 2], pads: [1, 1, 1, 1])), [x], "y")
        XCTAssertThrowsError(try b.finish(["y"])) { error in
            XCTAssertTrue("\(error)".contains("not smaller than the kernel size 1"), "\(error)")
        }
    }

    func testDilatedAveragePool() throws {
        let cases: [PoolAttributes] = [
            pool([2, 2], dilations: [2, 2]),  // test_averagepool_2d_dilations
            pool([3, 3], strides: [2, 1], dilations: [2, 3], pads: [1, 2, 1, 2]),
            pool([3, 3], strides: [2, 1], dilations: [2, 3], pads: [1, 2, 1, 2], countPad: true),
            pool([3, 2], strides: [2, 2], dilations: [2, 2], pads: [1, 1, 0, 0], ceil: true),
            pool([3, 2], strides: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 0], ceil: true, countPad: true),
        ]
        for (i, a) in cases.enumerated() {
            for (j, xs) in [[1, 8, 9, 3], [2, 9, 10, 17]].enumerated() {
                var b = G(seed: UInt64(4600 + 10 * i + j))
                let x = b.input("x", xs)
                b.node(.averagePool(a), [x], "y")
                let g = try b.finish(["y"])
                XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .kernel("loupe_f32_average_pool_nhwc__scalar"))
                try checkAgainstReference(&b, g, .elementwise(abs: 1e-6, rel: 1e-5))
            }
        }
    }

    func testClipWithMinAboveMaxIsMax() throws {
        for (i, (lo, hi)) in [(Float(2), Float(1)), (0.5, 0.5), (3, -2)].enumerated() {
            var b = G(seed: UInt64(4700 + i))
            let x = b.input("x", [1, 5, 7, 19])
            let l = b.constant("lo", Tensor(shape: [], floats: [lo]))
            let h = b.constant("hi", Tensor(shape: [], floats: [hi]))
            b.node(.clip, [x, l, h], "y")
            let g = try b.finish(["y"])
            XCTAssertTrue(Lowering.placement(of: g.nodes[0], in: g).isSupported)
            let ex = try checkAgainstReference(&b, g, .exact)
            let out = try ex!.run(b.inputs(for: g))["y"]!
            XCTAssertTrue(out.floats.allSatisfy { $0 == hi })
        }
    }

    /// output_shape one past the full result (test_convtranspose_output_shape): the extra
    /// row and column hold only the bias.
    func testConvTransposeOutputShapeLargerThanFull() throws {
        let cases: [([Int], [Int], ConvAttributes)] = [
            ([1, 3, 3, 1], [1, 2, 3, 3], ConvAttributes(kernelShape: [3, 3], strides: [3, 2], dilations: [1, 1], pads: [],
                                                        outputShape: [10, 8], layout: .nhwc)),
            ([1, 4, 5, 3], [3, 2, 3, 3], ConvAttributes(kernelShape: [3, 3], strides: [3, 3], dilations: [1, 1], pads: [],
                                                        outputPadding: [1, 0], outputShape: [14, 16], layout: .nhwc)),
        ]
        for (i, (xs, ws, a)) in cases.enumerated() {
            var b = G(seed: UInt64(4800 + i))
            let g = try b.convTranspose(input: xs, weights: ws, a)
            XCTAssertEqual(g.types["y"]?.staticShape, [xs[0], a.outputShape![0], a.outputShape![1], ws[1]])
            XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .xnnpack("xnn_create_deconvolution2d_nhwc_f32"))
            try checkAgainstReference(&b, g, .accumulate)
        }
        // Refused with a reason: two extra rows put one before the full result (ONNX
        // reference) — ONNX Runtime rejects that output_shape; output_padding plus the tail
        // reaching the stride is no XNNPACK adjustment.
        for (i, (outputPadding, outputShape, why)) in [([0, 0], [9, 7], "before"), ([1, 1], [9, 9], "adjustment")].enumerated() {
            var b = G(seed: UInt64(4810 + i))
            let x = b.input("x", [1, 3, 3, 1])
            b.node(.convTranspose(ConvAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [],
                                                 outputPadding: outputPadding, outputShape: outputShape, layout: .nhwc)),
                   [x, b.constant("w", [1, 2, 3, 3])], "y")
            let g = try b.finish(["y"])
            guard case .unsupported(let reason) = Lowering.placement(of: g.nodes[0], in: g) else { return XCTFail("should refuse") }
            XCTAssertTrue(reason.contains(why), reason)
        }
    }
}
