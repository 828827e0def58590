import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime
import LoupeTestSupport

/// Each int8 op between converts, against "dequantize inputs → reference interpreter float op
/// → quantize" (Int8Reference). Tolerances in codes, with the reason:
/// - conv / gemm / matmul (QC8), multiply, global average pool: 1 — XNNPACK requantizes the
///   int32 accumulator in float32 (acc · scale, magic-number rounding) while the reference
///   rounds the double-accumulated real value: a value within float error of a half code
///   rounds either way;
/// - add / subtract: 1 — XNNPACK's fixed-point multipliers approximate the scale ratios;
/// - lookup tables (and XNNPACK's sigmoid table, built in float): 1 — the table is exact in
///   double, the reference op runs in float32, so values at a half code can round apart;
/// - max pool with equal params, concat copies, reshape, transpose: 0 (codes only move).
final class Int8OpTests: XCTestCase {
    func conv(_ k: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], group: Int = 1,
              min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: k, strides: strides, dilations: [1, 1], pads: pads, group: group,
                             outputMin: min, outputMax: max, layout: .nhwc))
    }

    func placements(_ ex: Executor) -> [String: Placement] {
        Dictionary(uniqueKeysWithValues: ex.steps.map { ($0.node, $0.placement) })
    }

    /// Where 1×1 convolutions, Gemm and MatMul run when LOUPE_INT8_KERNELS is unset: the
    /// own kernel of the automatic path, or XNNPACK's QC8 convolution (Int8KernelPathTests
    /// forces each path).
    var pointwisePlacement: Placement {
        let path = Int8KernelPath.automatic
        return path == .xnnpack ? .xnnpack("xnn_create_convolution2d_nhwc_qc8") : .kernel(Lowering.gemmKernelName(path))
    }

    /// Where a multiply by a per-channel gate runs when LOUPE_INT8_KERNELS is unset.
    var gatePlacement: Placement {
        let path = Int8KernelPath.automatic
        return path == .xnnpack ? .xnnpack("xnn_create_multiply_nd_qs8") : .kernel(Lowering.mulChannelsKernelName(path))
    }

    /// Where depthwise convolutions run when LOUPE_INT8_KERNELS is unset.
    var depthwisePlacement: Placement {
        let path = Int8KernelPath.automatic
        return path == .xnnpack ? .xnnpack("xnn_create_convolution2d_nhwc_qc8") : .kernel(Lowering.dwconvKernelName(path))
    }

    func testConvQC8Variants() throws {
        struct Case { var x: [Int]; var w: [Int]; var op: Op; var axis: Int?; var bias: Bool }
        let cases: [Case] = [
            Case(x: [1, 7, 9, 3], w: [8, 3, 3, 3], op: conv([3, 3], pads: [1, 1, 1, 1]), axis: 0, bias: true),
            Case(x: [2, 8, 8, 4], w: [6, 4, 3, 3], op: conv([3, 3], strides: [2, 2], pads: [0, 1, 1, 0]), axis: 0, bias: true),
            Case(x: [1, 9, 9, 4], w: [8, 2, 3, 3], op: conv([3, 3], pads: [1, 1, 1, 1], group: 2), axis: 0, bias: true),
            Case(x: [1, 10, 11, 16], w: [16, 1, 3, 3], op: conv([3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 16), axis: 0, bias: true),
            Case(x: [1, 6, 6, 8], w: [16, 1, 5, 5], op: conv([5, 5], pads: [2, 2, 2, 2], group: 8), axis: 0, bias: true),
            Case(x: [1, 6, 6, 5], w: [7, 5, 3, 3], op: conv([3, 3], min: 0, max: 6), axis: nil, bias: true),
            Case(x: [1, 6, 6, 24], w: [12, 24, 1, 1], op: conv([1, 1], min: 0), axis: 0, bias: false),
        ]
        for (i, c) in cases.enumerated() {
            var b = Int8Builder(seed: UInt64(300 + i))
            let qx = b.params(-2, 3)
            let x = b.input("x", c.x, qx)
            let scales = b.weights("w", c.w, axis: c.axis)
            if c.bias { b.bias("b", c.w[0], inputScale: qx.scale, weightScales: scales) }
            guard case .conv(let a) = c.op else { return }
            let win = try Window2D.make(kernel: Array(c.w[2...]), strides: a.strides, dilations: a.dilations, pads: a.pads,
                                        autoPad: a.autoPad, input: (c.x[1], c.x[2]))
            let (oh, ow) = try win.output(c.x[1], c.x[2])
            let y = b.node(c.op, c.bias ? [x, "w", "b"] : [x, "w"], "y", [c.x[0], oh, ow, c.w[0]], b.params(-4, 5))
            b.output(y)
            let (_, ex) = try checkInt8(b, tolerance: 1, "Conv case \(i)")
            let pointwise = c.w[2] == 1 && c.w[3] == 1 && a.strides == [1, 1] && a.group == 1
            let depthwise = a.group == c.x[3] && a.group == c.w[0]
            let path = Int8KernelPath.automatic
            let full: Placement = path == .xnnpack || a.group != 1 ? .xnnpack("xnn_create_convolution2d_nhwc_qc8")
                : .kernel(Lowering.convKernelName(path))
            XCTAssertEqual(placements(ex)["y"], pointwise ? pointwisePlacement : depthwise ? depthwisePlacement : full)
        }
    }

    func testGemmAndMatMulAsOneByOneQC8() throws {
        var b = Int8Builder(seed: 40)
        let qx = b.params(-1, 1.5)
        let x = b.input("x", [3, 20], qx)
        let sw = b.weights("w", [12, 20], axis: 0)
        b.bias("c", 12, inputScale: qx.scale, weightScales: sw)
        b.node(.gemm(GemmAttributes(transB: true)), [x, "w", "c"], "y", [3, 12], b.params(-3, 3))
        b.weights("w2", [20, 7], axis: 1)
        b.node(.gemm(GemmAttributes(alpha: 0.5, transB: false, outputMin: 0)), [x, "w2"], "z", [3, 7], b.params(0, 1))
        let x3 = b.input("x3", [2, 3, 20], qx)
        b.weights("w3", [20, 5], axis: 1)
        b.node(.matMul, [x3, "w3"], "m", [2, 3, 5], b.params(-2, 2))
        for v in ["y", "z", "m"] { b.output(v) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "Gemm/MatMul")
        for v in ["y", "z", "m"] { XCTAssertEqual(placements(ex)[v], pointwisePlacement, v) }
    }

    func testAddSubMulWithBroadcastAndConstant() throws {
        var b = Int8Builder(seed: 50)
        let a = b.input("a", [1, 4, 5, 8], b.params(-1, 2))
        let c = b.input("c", [1, 4, 5, 8], b.params(-3, 1))
        let gate = b.input("g", [1, 1, 1, 8], ValueQuantization.perTensor(scale: 1.0 / 256, zeroPoint: -128))
        b.node(.binary(.add), [a, c], "sum", [1, 4, 5, 8], b.params(-4, 3))
        b.node(.binary(.sub), [a, c], "diff", [1, 4, 5, 8], b.params(-2, 5))
        b.node(.binary(.mul), [a, gate], "se", [1, 4, 5, 8], b.params(-1, 2))
        b.graph.initializers["k"] = Tensor(shape: [8], ints: (0..<8).map { Int64($0 * 30 - 100) }, dtype: .int8)
        b.graph.quantization["k"] = .perTensor(scale: 0.01, zeroPoint: 3)
        b.node(.binary(.mul), [a, "k"], "scaled", [1, 4, 5, 8], b.params(-2, 2))
        for v in ["sum", "diff", "se", "scaled"] { b.output(v) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "Add/Sub/Mul")
        let p = placements(ex)
        XCTAssertEqual(p["sum"], .xnnpack("xnn_create_add_nd_qs8"))
        XCTAssertEqual(p["diff"], .xnnpack("xnn_create_subtract_nd_qs8"))
        // The gate [1, 1, 1, 8] and the constant [8] broadcast over channels only.
        XCTAssertEqual(p["se"], gatePlacement)
        XCTAssertEqual(p["scaled"], gatePlacement)
    }

    /// The gate kernel takes only a broadcast over the channel axis (and the batch); a
    /// multiply that broadcasts another axis stays on XNNPACK, and both give the codes
    /// checked against the reference.
    func testMulOfOtherBroadcastsStaysOnXNNPACK() throws {
        var b = Int8Builder(seed: 55)
        let a = b.input("a", [2, 4, 5, 8], b.params(-1, 2))
        let rowGate = b.input("r", [1, 4, 1, 8], b.params(0, 1))
        let batchGate = b.input("n", [2, 1, 1, 8], b.params(0, 1))
        b.node(.binary(.mul), [a, rowGate], "rows", [2, 4, 5, 8], b.params(-1, 2))
        b.node(.binary(.mul), [batchGate, a], "perImage", [2, 4, 5, 8], b.params(-1, 2))
        for v in ["rows", "perImage"] { b.output(v) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "Mul broadcasts")
        let p = placements(ex)
        XCTAssertEqual(p["rows"], .xnnpack("xnn_create_multiply_nd_qs8"))
        XCTAssertEqual(p["perImage"], gatePlacement)
    }

    func testGlobalAveragePoolQS8() throws {
        var b = Int8Builder(seed: 60)
        let x = b.input("x", [2, 7, 9, 16], b.params(-1, 3))
        b.node(.globalAveragePool(layout: .nhwc), [x], "y", [2, 1, 1, 16], b.params(-0.5, 1.5))
        b.output("y")
        let (_, ex) = try checkInt8(b, tolerance: 1, "GlobalAveragePool")
        XCTAssertEqual(placements(ex)["y"], .xnnpack("xnn_create_global_average_pooling_nwc_qs8"))
    }

    func testMaxPoolExactWithSameParamsAndRequantizedOtherwise() throws {
        let pool = Op.maxPool(PoolAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], layout: .nhwc))
        var b = Int8Builder(seed: 70)
        let q = b.params(-2, 2)
        let x = b.input("x", [1, 9, 8, 5], q)
        b.node(pool, [x], "same", [1, 5, 4, 5], q)
        b.node(pool, [x], "other", [1, 5, 4, 5], b.params(-1, 3))
        b.output("same")
        b.output("other")
        var b0 = b
        b0.graph.outputs.removeAll { $0.name == "other.out" }
        b0.graph.nodes.removeAll { $0.name == "other" || $0.name == "other.out" }
        try checkInt8(b0, tolerance: 0, "MaxPool same params")
        let (_, ex) = try checkInt8(b, tolerance: 1, "MaxPool")
        XCTAssertEqual(placements(ex)["same"], .xnnpack("xnn_create_max_pooling2d_nhwc_s8"))
        XCTAssertEqual(placements(ex)["other"], .xnnpack("xnn_create_max_pooling2d_nhwc_s8 + loupe_x8_lut (requantize)"))
    }

    /// NF-RegNet's downsample (2x2, stride 2, ceil_mode, padding not counted), a padded 3x3
    /// window counting its padding, and a dilated one; against the float semantics of
    /// DQ → AveragePool → Q (one code apart at most: a tie rounds in double here, in float
    /// there).
    func testAveragePoolS8() throws {
        func pool(_ k: Int, _ s: Int, pads: Int, dilation: Int = 1, ceil: Bool = false, countPad: Bool = false) -> Op {
            var a = PoolAttributes(kernelShape: [k, k], strides: [s, s], dilations: [dilation, dilation],
                                   pads: [pads, pads, pads, pads], layout: .nhwc)
            a.ceilMode = ceil
            a.countIncludePad = countPad
            return .averagePool(a)
        }
        var b = Int8Builder(seed: 75)
        let x = b.input("x", [2, 9, 7, 300], b.params(-1, 3))  // > 256 channels: two blocks
        b.node(pool(2, 2, pads: 0, ceil: true), [x], "down", [2, 5, 4, 300], b.params(-0.5, 2.5))
        b.node(pool(3, 1, pads: 1, countPad: true), [x], "padded", [2, 9, 7, 300], b.params(-1, 3))
        b.node(pool(3, 2, pads: 2, dilation: 2), [x], "dilated", [2, 5, 4, 300], b.params(-1, 2))
        for v in ["down", "padded", "dilated"] { b.output(v) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "AveragePool")
        for v in ["down", "padded", "dilated"] {
            XCTAssertEqual(placements(ex)[v], .kernel("loupe_s8_average_pool_nhwc__scalar"), v)
        }
    }

    func testSigmoidOnXNNPACKWithItsParamsAndOnATableOtherwise() throws {
        var b = Int8Builder(seed: 80)
        let x = b.input("x", [1, 3, 3, 40], b.params(-8, 8))
        b.node(.unary(.sigmoid), [x], "xnn", [1, 3, 3, 40], ValueQuantization.perTensor(scale: 1.0 / 256, zeroPoint: -128))
        b.node(.unary(.sigmoid), [x], "lut", [1, 3, 3, 40], b.params(0, 1))
        b.output("xnn")
        b.output("lut")
        let (_, ex) = try checkInt8(b, tolerance: 1, "Sigmoid")
        XCTAssertEqual(placements(ex)["xnn"], .xnnpack("xnn_create_sigmoid_nc_qs8"))
        XCTAssertEqual(placements(ex)["lut"], .kernel("loupe_x8_lut (Sigmoid)"))
    }

    func testUnaryActivationsAsLookupTables() throws {
        var b = Int8Builder(seed: 90)
        let x = b.input("x", [1, 5, 7, 33], b.params(-6, 7))
        b.graph.initializers["lo"] = Tensor(shape: [], floats: [-1])
        b.graph.initializers["hi"] = Tensor(shape: [], floats: [4])
        let cases: [(String, Op, [String], ValueQuantization, String)] = [
            ("hs", .unary(.hardSwish), [x], b.params(-0.4, 7), "HardSwish"),
            ("hsig", .hardSigmoid(alpha: 0.2, beta: 0.5), [x], b.params(0, 1), "HardSigmoid"),
            ("relu", .unary(.relu), [x], b.params(0, 7), "Relu"),
            ("clip", .clip, [x, "lo", "hi"], b.params(-1, 4), "Clip"),
            ("leaky", .leakyRelu(alpha: 0.1), [x], b.params(-0.6, 7), "LeakyRelu"),
            ("elu", .elu(alpha: 1), [x], b.params(-1, 7), "Elu"),
            ("tanh", .unary(.tanh), [x], b.params(-1, 1), "Tanh"),
            ("gelu", .gelu(tanhApproximation: false), [x], b.params(-0.2, 7), "Gelu"),
            ("gelu-tanh", .gelu(tanhApproximation: true), [x], b.params(-0.2, 7), "Gelu"),
            ("softplus", .unary(.softplus), [x], b.params(0, 7), "Softplus"),
            ("mish", .unary(.mish), [x], b.params(-0.4, 7), "Mish"),
        ]
        for (name, op, ins, q, _) in cases { b.node(op, ins, name, [1, 5, 7, 33], q) }
        for (name, _, _, _, _) in cases { b.output(name) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "lookup-table activations")
        for (name, _, _, _, label) in cases { XCTAssertEqual(placements(ex)[name], .kernel("loupe_x8_lut (\(label))")) }
    }

    /// Every unary op of the IR runs on int8 codes (a table of its real function, or
    /// XNNPACK's sigmoid), within one code of the reference: no op-by-op list, so a new unary
    /// op is held to this without a line here. Inputs are in [0.27, 4], where every unary op
    /// is defined (Log, Sqrt, Reciprocal); the output parameters cover the reference's range
    /// and zero, as a calibrator's would.
    func testEveryUnaryOpRunsInInt8() throws {
        let q = ValueQuantization.perTensor(scale: 4.0 / 255, zeroPoint: -128)
        let codes = Tensor(shape: [1, 1, 1, 256], ints: (-128...127).map { Int64($0) }, dtype: .int8)
        let xs = q.dequantize(codes).floats.filter { $0 >= 0.27 }
        for op in UnaryOp.allCases {
            let probe = Node(name: "probe", op: .unary(op), inputs: ["x"], outputs: ["y"])
            let ys = try ReferenceInterpreter.evaluate(probe, inputs: [Tensor(shape: [xs.count], floats: xs)])[0].floats
            let lo = ys.min()!, hi = ys.max()!
            var b = Int8Builder(seed: 91)
            let x = b.input("x", [1, 3, 5, 17], q, codes: -110...127)
            b.node(.unary(op), [x], "y", [1, 3, 5, 17], b.params(Swift.min(lo, 0), Swift.max(hi, 0)))
            b.output("y")
            try checkInt8(b, tolerance: 1, "int8 \(op.rawValue)")
        }
    }

    func testConcatCopiesEqualParamsAndRequantizesOthers() throws {
        var b = Int8Builder(seed: 100)
        let q = b.params(-2, 2)
        let a = b.input("a", [1, 3, 4, 5], q)
        let c = b.input("c", [1, 3, 4, 6], q)
        let d = b.input("d", [1, 3, 4, 2], b.params(-5, 1))
        b.node(.concat(axis: 3), [a, c], "copy", [1, 3, 4, 11], q)
        b.node(.concat(axis: 3), [a, d, c], "mixed", [1, 3, 4, 13], q)
        b.node(.concat(axis: 1), [a, a], "rows", [1, 6, 4, 5], b.params(-3, 3))
        var exact = b
        exact.output("copy")
        try checkInt8(exact, tolerance: 0, "Concat copy")
        for v in ["copy", "mixed", "rows"] { b.output(v) }
        let (_, ex) = try checkInt8(b, tolerance: 1, "Concat")
        let p = placements(ex)
        XCTAssertEqual(p["copy"], .xnnpack("xnn_create_copy_nc_x8"))
        XCTAssertEqual(p["mixed"], .xnnpack("xnn_create_copy_nc_x8 + loupe_x8_lut (Concat requantize)"))
        XCTAssertEqual(p["rows"], .kernel("loupe_x8_lut (Concat requantize)"))
    }

    func testReshapeAndTransposeMoveCodesExactly() throws {
        var b = Int8Builder(seed: 110)
        let q = b.params(-1, 1)
        let x = b.input("x", [1, 3, 4, 5], q)
        b.graph.initializers["shape"] = Tensor(shape: [2], ints: [1, 60])
        b.node(.reshape(allowZero: false), [x, "shape"], "flat", [1, 60], q)
        b.node(.transpose(perm: [0, 3, 1, 2]), [x], "nchw", [1, 5, 3, 4], q)
        b.output("flat")
        b.output("nchw")
        let (_, ex) = try checkInt8(b, tolerance: 0, "Reshape/Transpose")
        XCTAssertEqual(placements(ex)["flat"], .alias)
        XCTAssertEqual(placements(ex)["nchw"], .kernel("loupe_x8_transpose"))
    }

    func testSlicesAndGathersMoveCodesExactly() throws {
        var b = Int8Builder(seed: 115)
        let q = b.params(-1, 1)
        let x = b.input("x", [1, 6, 5, 11], q)
        func ints(_ name: String, _ v: [Int64]) -> String {
            b.graph.initializers[name] = Tensor(shape: [v.count], ints: v)
            return name
        }
        // NHWC channels 2..<9: rows at a stride; H and W every other one, reversed W: a view.
        b.node(.slice, [x, ints("s1", [2]), ints("e1", [9]), ints("a1", [3])], "channels", [1, 6, 5, 7], q)
        b.node(.slice, [x, ints("s2", [0, -1]), ints("e2", [6, -6]), ints("a2", [1, 2]), ints("p2", [2, -2])],
               "strided", [1, 3, 3, 11], q)
        // A channel permutation (ORT's SpaceToDepth fusion leaves one): two runs of codes.
        b.node(.gather(axis: 3), [x, ints("perm", [5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4])], "gathered", [1, 6, 5, 11], q)
        b.output("channels")
        b.output("strided")
        b.output("gathered")
        let (_, ex) = try checkInt8(b, tolerance: 0, "Slice/Gather")
        XCTAssertEqual(placements(ex)["channels"], .xnnpack("xnn_create_copy_nc_x8"))
        XCTAssertEqual(placements(ex)["strided"], .kernel("loupe_strided_copy"))
        XCTAssertEqual(placements(ex)["gathered"], .xnnpack("xnn_create_copy_nc_x8"))
    }

    /// Nearest Resize picks codes (GhostNetV2's upsampled attention gate); linear has no
    /// int8 form and is refused with the reason.
    func testNearestResizeMovesCodesExactly() throws {
        var b = Int8Builder(seed: 117)
        let q = b.params(-1, 2)
        let x = b.input("x", [1, 3, 5, 6], q)
        b.graph.initializers["scales"] = Tensor(shape: [4], floats: [1, 1, 2, 2])
        b.graph.initializers["sizes"] = Tensor(shape: [4], ints: [1, 6, 7, 6])
        let up = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, layout: .nhwc)
        var down = ResizeAttributes(mode: .nearest, layout: .nhwc)
        down.nearestMode = .roundPreferCeil
        b.node(.resize(up), [x, "", "scales"], "up", [1, 6, 10, 6], q)
        b.node(.resize(down), [x, "", "", "sizes"], "odd", [1, 7, 6, 6], q)
        b.output("up")
        b.output("odd")
        let (_, ex) = try checkInt8(b, tolerance: 0, "nearest Resize")
        XCTAssertEqual(placements(ex)["up"], .kernel("loupe_x8_resize_nearest_nhwc"))
        XCTAssertEqual(placements(ex)["odd"], .kernel("loupe_x8_resize_nearest_nhwc"))

        var l = Int8Builder(seed: 118)
        let lx = l.input("x", [1, 3, 5, 6], q)
        l.graph.initializers["scales"] = Tensor(shape: [4], floats: [1, 1, 2, 2])
        l.node(.resize(ResizeAttributes(mode: .linear, layout: .nhwc)), [lx, "", "scales"], "lin", [1, 6, 10, 6], q)
        l.output("lin")
        let node = try XCTUnwrap(l.graph.nodes.first { $0.name == "lin" })
        guard case .unsupported(let reason) = Lowering.placement(of: node, in: l.graph) else { return XCTFail("int8 linear accepted") }
        XCTAssertTrue(reason.contains("int8 linear Resize has no lowering"), reason)
    }

    func testSpaceToDepthAndDepthToSpaceMoveCodesExactly() throws {
        var b = Int8Builder(seed: 116)
        let q = b.params(-2, 1)
        let x = b.input("x", [1, 4, 6, 8], q)
        let s2d = DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2, layout: .nhwc)
        let d2s = DepthSpaceAttributes(direction: .depthToSpaceDCR, blockSize: 2, layout: .nhwc)
        b.node(.depthSpace(s2d), [x], "s2d", [1, 2, 3, 32], q)
        b.node(.depthSpace(d2s), [x], "d2s", [1, 8, 12, 2], q)
        b.output("s2d")
        b.output("d2s")
        let (_, ex) = try checkInt8(b, tolerance: 0, "SpaceToDepth/DepthToSpace")
        XCTAssertEqual(placements(ex)["s2d"], .kernel("loupe_x8_transpose"))
        XCTAssertEqual(placements(ex)["d2s"], .kernel("loupe_x8_transpose"))
    }

    /// A residual add and a global average pool large enough to be split over two threads
    /// (the add by chunks, the pooling by 16-channel slices, one operator each): the same codes
    /// as on one thread, and within one code of the reference.
    func testSplitAddAndGlobalPoolGiveTheCodesOfOneOperator() throws {
        var b = Int8Builder(seed: 125)
        let shape = [1, 48, 40, 40]
        let x = b.input("x", shape, b.params(-2, 2))
        let z = b.input("z", shape, b.params(-1, 3))
        b.node(.binary(.add), [x, z], "sum", shape, b.params(-3, 4))
        b.node(.globalAveragePool(layout: .nhwc), [z], "gap", [1, 1, 1, 40], b.params(-1, 3))
        b.output("sum")
        b.output("gap")
        let (one, _) = try runtimeCodes(b.graph, b.feeds, threads: 1)
        let (two, ex) = try runtimeCodes(b.graph, b.feeds, threads: 2)
        for v in ["sum", "gap"] {
            XCTAssertEqual(one[v]!, two[v]!, "'\(v)' split over two threads")
        }
        XCTAssertEqual(placements(ex)["sum"], .xnnpack("xnn_create_add_nd_qs8"))
        try checkInt8(b, tolerance: 1, "split Add / GlobalAveragePool")
    }

    /// Off-grid float inputs: XNNPACK's convert multiplies by 1/scale where ONNX divides, so a
    /// value at a half code may land one code apart.
    func testQuantizeDequantizeConverts() throws {
        var b = Int8Builder(seed: 120)
        let q = b.params(-3, 2)
        b.input("x", [2, 3, 50], q)
        b.output("x")
        var r = SeededRandom(seed: 121)
        b.feeds["x.f"] = r.tensor([2, 3, 50], -4, 3)  // beyond the range too: saturation
        let (_, ex) = try checkInt8(b, tolerance: 1, "QuantizeLinear/DequantizeLinear")
        XCTAssertEqual(placements(ex)["x"], .xnnpack("xnn_create_convert_nc_f32_qs8"))
        XCTAssertEqual(placements(ex)["x.out"], .xnnpack("xnn_create_convert_nc_qs8_f32"))
    }

    func testRefusalsNameTheReasonInsteadOfAborting() throws {
        var b = Int8Builder(seed: 130)
        let x = b.input("x", [1, 4, 4, 8], b.params(-1, 1))
        // Output scale far below input · weight: requantization scale ≥ 256.
        b.weights("w", [8, 8, 1, 1], axis: 0, scale: 0.5...0.6)
        b.node(conv([1, 1]), [x, "w"], "conv", [1, 4, 4, 8], ValueQuantization.perTensor(scale: 1e-5, zeroPoint: 0))
        // Add with an input-to-output ratio above 2^8.
        b.node(.binary(.add), [x, x], "add", [1, 4, 4, 8], ValueQuantization.perTensor(scale: 1e-5, zeroPoint: 0))
        // No int8 Softmax.
        b.node(.softmax(axis: -1, legacyCoerce2D: false), [x], "softmax", [1, 4, 4, 8], ValueQuantization.perTensor(scale: 1.0 / 256, zeroPoint: -128))
        // Fused clamp that collapses to one code.
        b.node(conv([1, 1], min: 0, max: 1e-4), [x, "w"], "collapsed", [1, 4, 4, 8], b.params(-1, 1))
        // An int8 value without parameters.
        b.node(.unary(.relu), [x], "bare", [1, 4, 4, 8], b.params(0, 1))
        b.graph.quantization["bare"] = nil
        let expect: [(String, String)] = [("conv", "requantization scale"), ("add", "scale ratio"),
                                          ("softmax", "no int8 lowering"), ("collapsed", "collapses"),
                                          ("bare", "no quantization parameters")]
        for (name, reason) in expect {
            let node = b.graph.nodes.first { $0.name == name }!
            let p = Lowering.placement(of: node, in: b.graph)
            guard case .unsupported(let r) = p else { XCTFail("\(name) should be refused, got \(p)"); continue }
            XCTAssertTrue(r.contains(reason), "\(name): \(r)")
        }
        b.output("add")
        XCTAssertThrowsError(try Executor(graph: b.graph)) { error in
            XCTAssertTrue("\(error)".contains("conv"), "\(error)")
        }
    }
}
