import XCTest
import LoupeIR
@testable import LoupeRuntime

final class PoolingTests: XCTestCase {
    func pool(_ k: [Int], strides: [Int] = [1, 1], dilations: [Int] = [], pads: [Int] = [0, 0, 0, 0],
              autoPad: AutoPad = .notSet, ceil: Bool = false, countPad: Bool = false) -> PoolAttributes {
        PoolAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad,
                       ceilMode: ceil, countIncludePad: countPad, layout: .nhwc)
    }

    func testAveragePoolPaddingSemantics() throws {
        let cases: [PoolAttributes] = [
            pool([3, 3], pads: [1, 1, 1, 1]),
            pool([3, 3], pads: [1, 1, 1, 1], countPad: true),
            pool([3, 3], strides: [2, 2], pads: [1, 0, 1, 0], ceil: true),
            pool([3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil: true, countPad: true),
            pool([2, 2], strides: [2, 2]),
            pool([3, 2], strides: [2, 1], autoPad: .sameUpper),
            pool([1, 1]),
        ]
        for (i, a) in cases.enumerated() {
            var b = G(seed: UInt64(700 + i))
            let x = b.input("x", [1, 7, 8, 5])
            b.node(.averagePool(a), [x], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .elementwise(abs: 1e-6, rel: 1e-5))
        }
    }

    func testMaxPoolVariants() throws {
        let cases: [PoolAttributes] = [
            pool([3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
            pool([2, 2], strides: [2, 2], ceil: true),
            pool([3, 3], dilations: [2, 2], pads: [2, 2, 2, 2]),
            pool([3, 3], strides: [2, 2], autoPad: .sameLower),
        ]
        for (i, a) in cases.enumerated() {
            var b = G(seed: UInt64(720 + i))
            let x = b.input("x", [2, 7, 9, 4])
            b.node(.maxPool(a), [x], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .exact)
        }
    }

    func testPoolsAgreeWithTheReferenceAtTheLargestLegalPads() throws {
        // ONNX allows pads up to kernel − 1: the edge windows then hold a single element.
        let cases: [(PoolAttributes, Bool)] = [
            (pool([3, 3], pads: [2, 2, 2, 2]), false),
            (pool([3, 3], pads: [2, 2, 2, 2], countPad: true), false),
            (pool([3, 2], strides: [2, 1], pads: [2, 1, 2, 1], ceil: true), false),
            (pool([2, 2], pads: [1, 1, 1, 1]), true),
            (pool([3, 2], strides: [2, 2], pads: [2, 1, 2, 1], ceil: true), true),
        ]
        for (i, (a, isMax)) in cases.enumerated() {
            var b = G(seed: UInt64(760 + i))
            let x = b.input("x", [1, 5, 6, 3])
            b.node(isMax ? .maxPool(a) : .averagePool(a), [x], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, isMax ? .exact : .elementwise(abs: 1e-6, rel: 1e-5))
        }
    }

    func testGlobalPoolsAndSpatialReductions() throws {
        var b = G(seed: 740)
        let x = b.input("x", [2, 5, 6, 10])
        b.node(.globalAveragePool(layout: .nhwc), [x], "gap")
        b.node(.globalMaxPool(layout: .nhwc), [x], "gmp")
        let axes = b.ints("axes", [1, 2])
        b.node(.reduce(.mean, keepDims: false, noopWithEmptyAxes: false), [x, axes], "mean")
        b.node(.reduce(.max, keepDims: true, noopWithEmptyAxes: false), [x, axes], "rmax")
        let g = try b.finish(["gap", "gmp", "mean", "rmax"])
        let ex = try checkAgainstReference(&b, g, .elementwise(abs: 1e-6, rel: 1e-5))
        XCTAssertEqual(ex?.steps.map(\.placement), [.xnnpack("xnn_create_global_average_pooling_nwc_f32"),
                                                   .kernel("loupe_f32_global_max_pool_nhwc"),
                                                   .xnnpack("xnn_create_global_average_pooling_nwc_f32"),
                                                   .kernel("loupe_f32_global_max_pool_nhwc")])
    }

    /// Any contiguous run of axes is global pooling of an [outer, R, inner] view.
    func testReduceOverContiguousAxes() throws {
        for (axes, keep) in [([3], true), ([2, 3], false), ([0, 1], true), ([] as [Int], false)] {
            var b = G()
            let x = b.input("x", [2, 3, 3, 4])
            let a = b.ints("axes", axes)
            b.node(.reduce(.mean, keepDims: keep, noopWithEmptyAxes: false), [x, a], "y")
            b.node(.reduce(.max, keepDims: keep, noopWithEmptyAxes: false), [x, a], "z")
            let g = try b.finish(["y", "z"])
            try checkAgainstReference(&b, g, .elementwise(abs: 1e-6, rel: 1e-5))
        }
    }

    func testReduceOverNonContiguousAxesIsUnsupportedWithReason() throws {
        var b = G()
        let x = b.input("x", [1, 3, 3, 4])
        let axes = b.ints("axes", [1, 3])
        b.node(.reduce(.mean, keepDims: true, noopWithEmptyAxes: false), [x, axes], "y")
        let g = try b.finish(["y"])
        guard case .unsupported(let r) = Lowering.placement(of: g.nodes[0], in: g) else { return XCTFail() }
        XCTAssertTrue(r.contains("non-contiguous"), r)
    }
}

final class DataMovementTests: XCTestCase {
    func testAliasesShareBuffersAndCostNothing() throws {
        var b = G(seed: 800)
        let x = b.input("x", [1, 1, 1, 12])
        let shape = b.ints("shape", [1, 12])
        b.node(.reshape(allowZero: false), [x, shape], "r")
        b.node(.unary(.relu), ["r"], "a")
        b.node(.flatten(axis: 1), ["a"], "f")
        let axes = b.ints("axes", [0])
        b.node(.unsqueeze, ["f", axes], "u")
        b.node(.squeeze, ["u", axes], "y")
        let g = try b.finish(["y"])
        let ex = try checkAgainstReference(&b, g, .exact)!
        XCTAssertEqual(ex.steps.filter { $0.placement == .alias }.count, 4)
        XCTAssertEqual(ex.executedSteps.count, 1)
    }

    func testZeroCopyConcatOnChannels() throws {
        var b = G(seed: 810)
        let x = b.input("x", [1, 6, 6, 3])
        let w1 = b.constant("w1", [4, 3, 1, 1]), w2 = b.constant("w2", [5, 3, 3, 3])
        let conv1 = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], layout: .nhwc)
        let conv3 = ConvAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], layout: .nhwc)
        b.node(.conv(conv1), [x, w1], "c1")
        b.node(.conv(conv3), [x, w2], "c2")
        b.node(.unary(.tanh), [x], "t")  // a kernel: copied, not in place
        b.node(.concat(axis: 3), ["c1", "c2", "t"], "cat")
        b.node(.unary(.sigmoid), ["cat"], "y")
        let g = try b.finish(["y"])
        let ex = try checkAgainstReference(&b, g, .accumulate)!
        let plans = Lowering.concatPlans(g)
        XCTAssertEqual(plans["cat"]?.slices.map(\.inPlace), [true, true, false])
        XCTAssertEqual(ex.steps.first { $0.op == "Concat" }?.placement, .xnnpack("xnn_create_copy_nc_x32"))

        // All producers stride-capable: the concat disappears.
        var b2 = G(seed: 811)
        let x2 = b2.input("x", [1, 4, 4, 3])
        b2.node(.unary(.relu), [x2], "r")
        b2.node(.unary(.hardSwish), [x2], "h")
        b2.node(.concat(axis: -1), ["r", "h"], "y")
        let g2 = try b2.finish(["y"])
        let ex2 = try checkAgainstReference(&b2, g2, .transcendental)!
        XCTAssertEqual(ex2.steps.last?.placement, .alias)
        XCTAssertEqual(ex2.executedSteps.count, 2)
    }

    func testConcatOnOtherAxesAndWithConstants() throws {
        var b = G(seed: 820)
        let x = b.input("x", [2, 3, 4])
        let y = b.input("y", [2, 2, 4])
        let k = b.constant("k", [2, 1, 4])
        b.node(.concat(axis: 1), [x, y, k], "out")
        let g = try b.finish(["out"])
        try checkAgainstReference(&b, g, .exact)
    }

    func testPadModes() throws {
        for (i, mode) in [PadMode.constant, .reflect, .edge].enumerated() {
            var b = G(seed: UInt64(830 + i))
            let x = b.input("x", [1, 5, 6, 3])
            let pads = b.ints("pads", [0, 1, 2, 0, 0, 2, 1, 0])
            let v = b.constant("v", Tensor(shape: [], floats: [0.25]))
            b.node(.pad(mode), [x, pads, mode == .constant ? v : ""], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .exact)
        }
    }

    func testTransposes() throws {
        for (i, (shape, perm)) in [([1, 3, 5, 7], [0, 2, 3, 1]), ([2, 5, 7, 3], [0, 3, 1, 2]), ([2, 3, 4], [2, 0, 1])].enumerated() {
            var b = G(seed: UInt64(840 + i))
            let x = b.input("x", shape)
            b.node(.transpose(perm: perm), [x], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .exact, threads: [1, 2])
        }
    }

    func testSoftmax() throws {
        var b = G(seed: 850)
        let x = b.input("x", [3, 4, 10])
        b.node(.softmax(axis: -1, legacyCoerce2D: false), [x], "y")
        b.node(.softmax(axis: 1, legacyCoerce2D: true), [x], "z")
        b.node(.softmax(axis: 1, legacyCoerce2D: false), [x], "w")
        b.node(.softmax(axis: 0, legacyCoerce2D: false), [x], "v")
        let g = try b.finish(["y", "z", "w", "v"])
        XCTAssertEqual(Lowering.placement(of: g.nodes[2], in: g), .xnnpack("xnn_create_softmax_nc_f32 between loupe_x32_transpose"))
        try checkAgainstReference(&b, g, .transcendental)
    }

    func testResize() throws {
        let modes: [(ResizeAttributes.Mode, ResizeAttributes.CoordinateTransformation, ResizeAttributes.NearestMode)] = [
            (.nearest, .asymmetric, .floor), (.nearest, .halfPixel, .roundPreferFloor),
            (.nearest, .alignCorners, .roundPreferCeil),
            (.linear, .halfPixel, .floor), (.linear, .alignCorners, .floor), (.linear, .asymmetric, .floor),
            (.linear, .pytorchHalfPixel, .floor),
        ]
        for (i, (mode, ct, nm)) in modes.enumerated() {
            for (j, (ins, outs)) in [([1, 4, 5, 3], [1, 8, 10, 3]), ([2, 6, 6, 2], [2, 3, 4, 2]), ([1, 3, 3, 2], [1, 7, 5, 2])].enumerated() {
                var b = G(seed: UInt64(860 + i * 10 + j))
                let x = b.input("x", ins)
                let sizes = b.ints("sizes", [outs[0], outs[3], outs[1], outs[2]])  // NCHW order, as ONNX gives them
                let a = ResizeAttributes(mode: mode, coordinateTransformation: ct, nearestMode: nm, layout: .nhwc)
                b.node(.resize(a), [x, "", "", sizes], "y")
                let g = try b.finish(["y"])
                XCTAssertEqual(g.types["y"]?.staticShape, outs)
                try checkAgainstReference(&b, g, .elementwise(abs: 1e-5, rel: 1e-5))
            }
        }
    }
}
