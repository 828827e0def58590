import XCTest
import LoupeIR
@testable import LoupeONNX

final class ShapeImportTests: ONNXTestCase {
    func testReshapeFlattenConcatTransposeGather() throws {
        try python("""
        s = init('s', np.array([3, 2], np.int64))
        save('reshape', [N('Reshape', ['x', 's'], ['y'])], [vi('x', [2, 3])], [vi('y', None)], [s])
        save('reshape_az', [N('Reshape', ['x', 's'], ['y'], allowzero=1)], [vi('x', [2, 3])], [vi('y', None)], [s], opset=14)
        save('flatten', [N('Flatten', ['x'], ['y'])], [vi('x', [2, 3, 4])], [vi('y', None)])
        save('flatten_neg', [N('Flatten', ['x'], ['y'], axis=-1)], [vi('x', [2, 3, 4])], [vi('y', None)])
        save('concat', [N('Concat', ['a', 'b', 'c'], ['y'], axis=-3)], [vi('a', [1, 2]), vi('b', [1, 2]), vi('c', [1, 2])], [vi('y', None)])
        save('concat_noaxis', [N('Concat', ['a', 'b'], ['y'])], [vi('a', [1, 2]), vi('b', [1, 2])], [vi('y', None)])
        save('transpose', [N('Transpose', ['x'], ['y'], perm=[0, 2, 1])], [vi('x', [2, 3, 4])], [vi('y', None)])
        save('transpose_rev', [N('Transpose', ['x'], ['y'])], [vi('x', [2, 3, 4])], [vi('y', None)])
        save('transpose_bad', [N('Transpose', ['x'], ['y'], perm=[0, 0, 1])], [vi('x', [2, 3, 4])], [vi('y', None)])
        i = init('i', np.array([0, 1], np.int64))
        save('gather', [N('Gather', ['x', 'i'], ['y'])], [vi('x', [2, 3])], [vi('y', None)], [i])
        save('gather_ax', [N('Gather', ['x', 'i'], ['y'], axis=-1)], [vi('x', [2, 3])], [vi('y', None)], [i])
        save('shape', [N('Shape', ['x'], ['y'])], [vi('x', [2, 3])], [vi('y', None, TP.INT64)])
        save('shape15', [N('Shape', ['x'], ['y'], start=1, end=-1)], [vi('x', [2, 3, 4])], [vi('y', None, TP.INT64)], opset=15)
        """)
        XCTAssertEqual(try single("reshape").op, .reshape(allowZero: false))
        XCTAssertEqual(try single("reshape_az").op, .reshape(allowZero: true))
        XCTAssertEqual(try single("flatten").op, .flatten(axis: 1))
        XCTAssertEqual(try single("flatten_neg").op, .flatten(axis: -1))
        XCTAssertEqual(try single("concat").op, .concat(axis: -3))
        XCTAssertEqual(try single("concat").inputs, ["a", "b", "c"])
        assertLoupeError(try load("concat_noaxis"), contains: "'axis' of Concat node 0 'Concat_0' (opset 17): is required")
        XCTAssertEqual(try single("transpose").op, .transpose(perm: [0, 2, 1]))
        XCTAssertEqual(try single("transpose_rev").op, .transpose(perm: nil))
        assertLoupeError(try load("transpose_bad"), contains: "is not a permutation")
        XCTAssertEqual(try single("gather").op, .gather(axis: 0))
        XCTAssertEqual(try single("gather_ax").op, .gather(axis: -1))
        XCTAssertEqual(try single("shape").op, .shape(start: 0, end: nil))
        XCTAssertEqual(try single("shape15").op, .shape(start: 1, end: -1))
    }

    func testSpaceToDepthAndDepthToSpaceModes() throws {
        try python("""
        x = [vi('x', [1, 8, 4, 6])]
        save('s2d', [N('SpaceToDepth', ['x'], ['y'], blocksize=2)], x, [vi('y', None)])
        save('d2s', [N('DepthToSpace', ['x'], ['y'], blocksize=2)], x, [vi('y', None)])
        save('d2s_crd', [N('DepthToSpace', ['x'], ['y'], blocksize=2, mode='CRD')], x, [vi('y', None)])
        save('d2s_bad_mode', [N('DepthToSpace', ['x'], ['y'], blocksize=2, mode='RDC')], x, [vi('y', None)])
        save('s2d_no_block', [N('SpaceToDepth', ['x'], ['y'])], x, [vi('y', None)])
        save('s2d_zero_block', [N('SpaceToDepth', ['x'], ['y'], blocksize=0)], x, [vi('y', None)])
        save('s2d_uneven', [N('SpaceToDepth', ['x'], ['y'], blocksize=4)], x, [vi('y', None)])
        """)
        XCTAssertEqual(try single("s2d").op, .depthSpace(DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2)))
        XCTAssertEqual(try single("d2s").op, .depthSpace(DepthSpaceAttributes(direction: .depthToSpaceDCR, blockSize: 2)))
        XCTAssertEqual(try single("d2s_crd").op, .depthSpace(DepthSpaceAttributes(direction: .depthToSpaceCRD, blockSize: 2)))
        var g = try load("s2d")
        try g.inferTypes()
        XCTAssertEqual(g.type(of: "y")?.staticShape, [1, 32, 2, 3])
        g = try load("d2s")
        try g.inferTypes()
        XCTAssertEqual(g.type(of: "y")?.staticShape, [1, 2, 8, 12])
        assertLoupeError(try load("d2s_bad_mode"), contains: "'RDC' is neither DCR nor CRD")
        assertLoupeError(try load("s2d_no_block"), contains: "'blocksize' of SpaceToDepth node 0")
        assertLoupeError(try load("s2d_zero_block"), contains: "0 is below 1")
        var uneven = try load("s2d_uneven")
        assertLoupeError(try uneven.inferTypes(), contains: "height and width of [1, 8, 4, 6] (nchw) do not divide into blocks of 4")
    }

    func testSqueezeUnsqueezeAxesBecomeInputsBeforeOpset13() throws {
        try python("""
        save('sq11', [N('Squeeze', ['x'], ['y'], name='s', axes=[0])], [vi('x', [1, 3])], [vi('y', None)], opset=11)
        save('sq11_all', [N('Squeeze', ['x'], ['y'])], [vi('x', [1, 3])], [vi('y', None)], opset=11)
        save('sq13', [N('Squeeze', ['x', 'ax'], ['y'])], [vi('x', [1, 3])], [vi('y', None)], [init('ax', np.array([0], np.int64))], opset=13)
        save('usq11', [N('Unsqueeze', ['x'], ['y'], name='u', axes=[0, -1])], [vi('x', [3])], [vi('y', None)], opset=11)
        save('usq11_noaxes', [N('Unsqueeze', ['x'], ['y'])], [vi('x', [3])], [vi('y', None)], opset=11)
        save('usq13', [N('Unsqueeze', ['x', 'ax'], ['y'])], [vi('x', [3])], [vi('y', None)], [init('ax', np.array([0], np.int64))], opset=13)
        save('usq13_attr', [N('Unsqueeze', ['x'], ['y'], axes=[0])], [vi('x', [3])], [vi('y', None)], opset=13)
        save('sq13_attr', [N('Squeeze', ['x'], ['y'], axes=[0])], [vi('x', [1, 3])], [vi('y', None)], opset=13)
        """)
        let sq = try load("sq11")
        XCTAssertEqual(sq.nodes[0].op, .squeeze)
        XCTAssertEqual(sq.nodes[0].inputs, ["x", "s::axes"])
        XCTAssertEqual(sq.initializers["s::axes"], Tensor(shape: [1], ints: [0]))
        XCTAssertEqual(try single("sq11_all").inputs, ["x"])
        XCTAssertEqual(try single("sq13").inputs, ["x", "ax"])
        let usq = try load("usq11")
        XCTAssertEqual(usq.nodes[0].op, .unsqueeze)
        XCTAssertEqual(usq.nodes[0].inputs, ["x", "u::axes"])
        XCTAssertEqual(usq.initializers["u::axes"]?.ints, [0, -1])
        assertLoupeError(try load("usq11_noaxes"), contains: "'axes'")
        XCTAssertEqual(try single("usq13").inputs, ["x", "ax"])
        assertLoupeError(try load("usq13_attr"), contains: "'axes' of Unsqueeze node 0 'Unsqueeze_0' (opset 13): is an input from opset 13")
        assertLoupeError(try load("sq13_attr"), contains: "'axes' of Squeeze node 0 'Squeeze_0' (opset 13): is an input from opset 13")
    }

    func testPadAndSliceAttributesBecomeInputs() throws {
        try python("""
        save('pad2', [N('Pad', ['x'], ['y'], name='p', pads=[0, 1, 0, 2], value=1.5)], [vi('x', [2, 3])], [vi('y', None)], opset=2 + 5)
        save('pad2_reflect', [N('Pad', ['x'], ['y'], name='p', mode='reflect', pads=[0, 1, 0, 1])], [vi('x', [2, 3])], [vi('y', None)], opset=10)
        save('pad2_int_inf', [N('Pad', ['x'], ['y'], pads=[0, 1, 0, 1], value=float('inf'))], [vi('x', [2, 3], TP.INT32)], [vi('y', None, TP.INT32)], opset=10)
        save('pad2_int', [N('Pad', ['x'], ['y'], name='p', pads=[0, 1, 0, 1], value=3.0)], [vi('x', [2, 3], TP.INT32)], [vi('y', None, TP.INT32)], opset=10)
        save('pad2_badlen', [N('Pad', ['x'], ['y'], pads=[0, 1])], [vi('x', [2, 3])], [vi('y', None)], opset=10)
        save('pad11', [N('Pad', ['x', 'pp'], ['y'], mode='edge')], [vi('x', [2, 3])], [vi('y', None)],
             [init('pp', np.array([0, 1, 0, 1], np.int64))], opset=11)
        save('pad_mode', [N('Pad', ['x', 'pp'], ['y'], mode='mirror')], [vi('x', [2, 3])], [vi('y', None)],
             [init('pp', np.array([0, 1, 0, 1], np.int64))])
        save('pad19', [N('Pad', ['x', 'pp'], ['y'], mode='wrap')], [vi('x', [2, 3])], [vi('y', None)],
             [init('pp', np.array([0, 1, 0, 1], np.int64))], opset=19)
        save('slice1', [N('Slice', ['x'], ['y'], name='s', starts=[0, 1], ends=[1, 3], axes=[0, -1])],
             [vi('x', [2, 3])], [vi('y', None)], opset=9)
        save('slice1_noaxes', [N('Slice', ['x'], ['y'], name='s', starts=[1], ends=[2])], [vi('x', [2, 3])], [vi('y', None)], opset=9)
        save('slice1_bad', [N('Slice', ['x'], ['y'], starts=[1], ends=[2, 3])], [vi('x', [2, 3])], [vi('y', None)], opset=9)
        se = [init('st', np.array([0], np.int64)), init('en', np.array([1], np.int64))]
        save('slice10', [N('Slice', ['x', 'st', 'en'], ['y'])], [vi('x', [2, 3])], [vi('y', None)], se, opset=10)
        """)
        let p = try load("pad2")
        XCTAssertEqual(p.nodes[0].op, .pad(.constant))
        XCTAssertEqual(p.nodes[0].inputs, ["x", "p::pads", "p::constant_value"])
        XCTAssertEqual(p.initializers["p::pads"], Tensor(shape: [4], ints: [0, 1, 0, 2]))
        XCTAssertEqual(p.initializers["p::constant_value"], Tensor(shape: [], floats: [1.5]))
        let r = try load("pad2_reflect")
        XCTAssertEqual(r.nodes[0].op, .pad(.reflect))
        XCTAssertEqual(r.nodes[0].inputs, ["x", "p::pads"])
        assertLoupeError(try load("pad2_int_inf"), contains: "inf is not an integer, but input 'x' is int32")
        XCTAssertEqual(try load("pad2_int").initializers["p::constant_value"], Tensor(shape: [], ints: [3], dtype: .int32))
        assertLoupeError(try load("pad2_badlen"), contains: "expected 4 values for input of rank 2")
        XCTAssertEqual(try single("pad11").op, .pad(.edge))
        assertLoupeError(try load("pad_mode"), contains: "got 'mirror'")
        XCTAssertEqual(try single("pad19").op, .pad(.wrap))

        let s = try load("slice1")
        XCTAssertEqual(s.nodes[0].op, .slice)
        XCTAssertEqual(s.nodes[0].inputs, ["x", "s::starts", "s::ends", "s::axes"])
        XCTAssertEqual(s.initializers["s::starts"]?.ints, [0, 1])
        XCTAssertEqual(s.initializers["s::ends"]?.ints, [1, 3])
        XCTAssertEqual(s.initializers["s::axes"]?.ints, [0, -1])
        XCTAssertEqual(try load("slice1_noaxes").nodes[0].inputs, ["x", "s::starts", "s::ends"])
        assertLoupeError(try load("slice1_bad"), contains: "'ends'")
        XCTAssertEqual(try single("slice10").inputs, ["x", "st", "en"])
    }

    func testResizeAndUpsample() throws {
        try python("""
        sc = init('sc', np.array([1, 1, 2, 2], np.float32))
        x = [vi('x', [1, 1, 2, 2])]
        save('up7', [N('Upsample', ['x'], ['y'], name='u', scales=[1.0, 1.0, 2.0, 2.0], mode='linear')], x, [vi('y', None)], opset=7)
        save('up9', [N('Upsample', ['x', 'sc'], ['y'])], x, [vi('y', None)], [sc], opset=9)
        save('resize10', [N('Resize', ['x', 'sc'], ['y'])], x, [vi('y', None)], [sc], opset=10)
        roi = init('roi', np.array([], np.float32))
        save('resize11', [N('Resize', ['x', 'roi', 'sc'], ['y'])], x, [vi('y', None)], [roi, sc], opset=11)
        save('resize13', [N('Resize', ['x', '', 'sc'], ['y'], mode='linear', coordinate_transformation_mode='align_corners')],
             x, [vi('y', None)], [sc], opset=13)
        save('resize18', [N('Resize', ['x', '', '', 'sz'], ['y'], mode='cubic', cubic_coeff_a=-0.5, exclude_outside=1,
                            antialias=1, axes=[2, 3], keep_aspect_ratio_policy='not_larger', nearest_mode='floor')],
             x, [vi('y', None)], [init('sz', np.array([4, 4], np.int64))], opset=18)
        save('resize_tfnn', [N('Resize', ['x', 'roi', 'sc'], ['y'], coordinate_transformation_mode='tf_half_pixel_for_nn')],
             x, [vi('y', None)], [roi, sc], opset=11)
        save('resize_bad', [N('Resize', ['x', '', 'sc'], ['y'], mode='bicubic')], x, [vi('y', None)], [sc], opset=13)
        """)
        let legacy = ResizeAttributes(mode: .linear, coordinateTransformation: .asymmetric, nearestMode: .floor)
        let u7 = try load("up7")
        XCTAssertEqual(u7.nodes[0].op, .resize(legacy))
        XCTAssertEqual(u7.nodes[0].inputs, ["x", "", "u::scales"])
        XCTAssertEqual(u7.initializers["u::scales"]?.floats, [1, 1, 2, 2])
        let nearestLegacy = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .floor)
        XCTAssertEqual(try single("up9").op, .resize(nearestLegacy))
        XCTAssertEqual(try single("up9").inputs, ["x", "", "sc"])
        XCTAssertEqual(try single("resize10").op, .resize(nearestLegacy))
        XCTAssertEqual(try single("resize10").inputs, ["x", "", "sc"])
        XCTAssertEqual(try single("resize11").op, .resize(ResizeAttributes()))
        XCTAssertEqual(try single("resize11").inputs, ["x", "roi", "sc"])
        XCTAssertEqual(try single("resize13").op, .resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners)))
        XCTAssertEqual(try single("resize18").op, .resize(ResizeAttributes(
            mode: .cubic, nearestMode: .floor, cubicCoeffA: -0.5, excludeOutside: true, antialias: true, axes: [2, 3],
            keepAspectRatioPolicy: .notLarger)))
        XCTAssertNotNil(try single("resize_tfnn").unsupportedReason)
        assertLoupeError(try load("resize_bad"), contains: "got 'bicubic'")
    }

    func testCastConstantOfShapeDropoutIdentity() throws {
        try python("""
        save('cast', [N('Cast', ['x'], ['y'], to=TP.FLOAT16)], [vi('x', [2])], [vi('y', None, TP.FLOAT16)])
        save('cast_str', [N('Cast', ['x'], ['s'], to=TP.STRING), N('Cast', ['s'], ['y'], to=TP.FLOAT)], [vi('x', [2])], [vi('y', None)])
        save('cast_bad', [N('Cast', ['x'], ['y'], to=99)], [vi('x', [2])], [vi('y', None)])
        s = init('s', np.array([2, 3], np.int64))
        save('cos', [N('ConstantOfShape', ['s'], ['y'])], [], [vi('y', None)], [s])
        save('cos_v', [N('ConstantOfShape', ['s'], ['y'], value=helper.make_tensor('v', TP.INT64, [1], [7]))], [], [vi('y', None, TP.INT64)], [s])
        save('cos_v2', [N('ConstantOfShape', ['s'], ['y'], value=helper.make_tensor('v', TP.FLOAT, [2], [7, 8]))], [], [vi('y', None)], [s])
        save('drop', [N('Dropout', ['x'], ['y'])], [vi('x', [2])], [vi('y', None)], opset=7)
        save('drop12', [N('Dropout', ['x', 'r'], ['y', 'm'])], [vi('x', [2])], [vi('y', None)], [init('r', np.float32(0.5))], opset=12)
        save('drop_mask', [N('Dropout', ['x'], ['y', 'm'])], [vi('x', [2])], [vi('y', None), vi('m', None, TP.BOOL)], opset=13)
        save('drop_train', [N('Dropout', ['x', 'r', 't'], ['y'])], [vi('x', [2])], [vi('y', None)],
             [init('r', np.float32(0.5)), init('t', np.array(True))], opset=13)
        save('drop_train_dyn', [N('Dropout', ['x', 'r', 't'], ['y'])], [vi('x', [2]), vi('t', [], TP.BOOL)], [vi('y', None)],
             [init('r', np.float32(0.5))], opset=13)
        """)
        XCTAssertEqual(try single("cast").op, .cast(to: .float16))
        let castStr = try load("cast_str")
        XCTAssertTrue(castStr.nodes[0].unsupportedReason?.contains("STRING") ?? false)
        XCTAssertEqual(castStr.nodes[1].op, .cast(to: .float32))
        assertLoupeError(try load("cast_bad"), contains: "99 is not an ONNX data type")
        XCTAssertEqual(try single("cos").op, .constantOfShape(value: Tensor(shape: [1], floats: [0])))
        XCTAssertEqual(try single("cos_v").op, .constantOfShape(value: Tensor(shape: [1], ints: [7])))
        assertLoupeError(try load("cos_v2"), contains: "expected one element")
        let d = try single("drop")
        XCTAssertEqual(d.op, .dropout)
        let d12 = try single("drop12")
        XCTAssertEqual(d12.op, .dropout)
        XCTAssertEqual(d12.inputs, ["x"])
        XCTAssertEqual(d12.outputs, ["y"])
        XCTAssertNotNil(try single("drop_mask").unsupportedReason)
        XCTAssertNotNil(try single("drop_train").unsupportedReason)
        XCTAssertNotNil(try single("drop_train_dyn").unsupportedReason)
    }

    /// Weights stored as float16 and widened by Cast (weight-only half storage) import as
    /// float32 initializers, so that Conv finds its kernel shape at import; a Cast of
    /// computed data, or to another type, stays a node.
    func testCastOfHalfInitializerBecomesFloatInitializer() throws {
        try python("""
        w = np.array([0.1, -2.5, 65504.0, 1e-5], np.float16).reshape(1, 1, 2, 2)
        save('half_w', [N('Cast', ['w16'], ['w'], to=TP.FLOAT), N('Conv', ['x', 'w'], ['y'])],
             [vi('x', [1, 1, 4, 4])], [vi('y', None)], [numpy_helper.from_array(w, 'w16')])
        save('half_x', [N('Cast', ['x'], ['y'], to=TP.FLOAT)], [vi('x', [2], TP.FLOAT16)], [vi('y', None)])
        save('half_to_int', [N('Cast', ['w16'], ['y'], to=TP.INT32)], [], [vi('y', None, TP.INT32)],
             [numpy_helper.from_array(np.array([1.5], np.float16), 'w16')])
        """)
        let g = try load("half_w")
        XCTAssertEqual(g.nodes.count, 1)
        guard case .conv(let conv) = g.nodes[0].op else { return XCTFail("expected Conv, got \(g.nodes[0].op)") }
        XCTAssertEqual(conv.kernelShape, [2, 2])
        let w = try XCTUnwrap(g.initializers["w"])
        XCTAssertEqual(w.dtype, .float32)
        XCTAssertEqual(w.shape, [1, 1, 2, 2])
        // The float16 values exactly: 0.1 and 1e-5 are not float16 numbers.
        XCTAssertEqual(w.floats, [Float(Float16(0.1)), -2.5, 65504, Float(Float16(1e-5))])
        XCTAssertEqual(try single("half_x").op, .cast(to: .float32))
        XCTAssertEqual(try single("half_to_int").op, .cast(to: .int32))
    }

    func testConstantNodesBecomeInitializers() throws {
        try python("""
        def const(name, **kw): return N('Constant', [], [name], **kw)
        nodes = [const('c_t', value=numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3))),
                 const('c_f', value_float=2.5), const('c_fs', value_floats=[1.0, 2.0]),
                 const('c_i', value_int=-3), const('c_is', value_ints=[4, 5, 6]),
                 N('Add', ['c_t', 'c_f'], ['y'])]
        save('consts', nodes, [], [vi('y', None)])
        save('const_str', [const('s', value_string='1.5'), N('Cast', ['s'], ['y'], to=TP.FLOAT)], [], [vi('y', None)])
        save('const_two', [const('s', value_float=1.0, value_int=1), N('Identity', ['s'], ['y'])], [], [vi('y', None)])
        save('const_none', [const('s'), N('Identity', ['s'], ['y'])], [], [vi('y', None)])
        sp = helper.make_sparse_tensor(helper.make_tensor('v', TP.FLOAT, [1], [1.0]), helper.make_tensor('i', TP.INT64, [1], [0]), [3])
        save('const_sparse', [const('s', sparse_value=sp), N('Identity', ['s'], ['y'])], [], [vi('y', None)])
        save('const_out', [const('y', value_ints=[1])], [], [vi('y', None, TP.INT64)])
        """)
        let g = try load("consts")
        XCTAssertEqual(g.nodes.map(\.op), [.binary(.add)])
        XCTAssertEqual(g.initializers["c_t"], Tensor(shape: [2, 3], floats: [0, 1, 2, 3, 4, 5]))
        XCTAssertEqual(g.initializers["c_f"], Tensor(shape: [], floats: [2.5]))
        XCTAssertEqual(g.initializers["c_fs"], Tensor(shape: [2], floats: [1, 2]))
        XCTAssertEqual(g.initializers["c_i"], Tensor(shape: [], ints: [-3]))
        XCTAssertEqual(g.initializers["c_is"], Tensor(shape: [3], ints: [4, 5, 6]))
        XCTAssertTrue(g.inputs.isEmpty)
        let s = try load("const_str")
        XCTAssertEqual(s.nodes.count, 2)
        XCTAssertNotNil(s.nodes[0].unsupportedReason)
        assertLoupeError(try load("const_two"), contains: "must set exactly one of")
        assertLoupeError(try load("const_none"), contains: "it sets none")
        XCTAssertTrue(try load("const_sparse").nodes[0].unsupportedReason?.contains("sparse_value") ?? false)
        let out = try load("const_out")
        XCTAssertTrue(out.nodes.isEmpty)
        XCTAssertEqual(out.outputs.map(\.name), ["y"])
        XCTAssertEqual(out.initializers["y"]?.ints, [1])
    }
}
