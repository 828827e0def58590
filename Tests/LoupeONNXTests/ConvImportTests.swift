import XCTest
import LoupeIR
@testable import LoupeONNX

final class ConvImportTests: ONNXTestCase {
    func testConvDefaultsAreSizedFromTheWeightRank() throws {
        try python("""
        w2 = init('W', np.ones((4, 3, 3, 5), np.float32))
        save('conv2d', [N('Conv', ['x', 'W'], ['y'], name='c')], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w2])
        w1 = init('W', np.ones((4, 3, 3), np.float32))
        save('conv1d', [N('Conv', ['x', 'W'], ['y'])], [vi('x', [1, 3, 8])], [vi('y', None)], [w1])
        w3 = init('W', np.ones((2, 3, 1, 2, 3), np.float32))
        b = init('B', np.zeros(2, np.float32))
        save('conv3d', [N('Conv', ['x', 'W', 'B'], ['y'], strides=[1, 2, 1], group=1)],
             [vi('x', [1, 3, 4, 4, 4])], [vi('y', None)], [w3, b])
        save('conv_attrs', [N('Conv', ['x', 'W'], ['y'], kernel_shape=[3, 5], strides=[2, 1], dilations=[1, 2],
                              pads=[1, 2, 1, 2], group=1, auto_pad='NOTSET')],
             [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w2], opset=11)
        save('conv_same', [N('Conv', ['x', 'W'], ['y'], auto_pad='SAME_UPPER')],
             [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w2])
        """)
        let c2 = try single("conv2d")
        XCTAssertEqual(c2.name, "c")
        XCTAssertEqual(c2.inputs, ["x", "W"])
        XCTAssertEqual(c2.op, .conv(ConvAttributes(kernelShape: [3, 5], strides: [1, 1], dilations: [1, 1],
                                                  pads: [0, 0, 0, 0])))
        XCTAssertEqual(c2.origin, NodeOrigin(index: 0, opType: "Conv", opset: 17))

        let c1 = try single("conv1d")
        XCTAssertEqual(c1.name, "Conv_0", "an unnamed node is named <OpType>_<index>")
        XCTAssertEqual(c1.op, .conv(ConvAttributes(kernelShape: [3], strides: [1], dilations: [1], pads: [0, 0])))

        let c3 = try single("conv3d")
        XCTAssertEqual(c3.inputs, ["x", "W", "B"])
        XCTAssertEqual(c3.op, .conv(ConvAttributes(kernelShape: [1, 2, 3], strides: [1, 2, 1], dilations: [1, 1, 1],
                                                  pads: [0, 0, 0, 0, 0, 0])))

        let ca = try single("conv_attrs")
        XCTAssertEqual(ca.op, .conv(ConvAttributes(kernelShape: [3, 5], strides: [2, 1], dilations: [1, 2],
                                                  pads: [1, 2, 1, 2])))
        guard case .conv(let same) = try single("conv_same").op else { return XCTFail() }
        XCTAssertEqual(same.autoPad, .sameUpper)
    }

    func testConvAttributeLengthsAreChecked() throws {
        try python("""
        w = init('W', np.ones((4, 3, 3, 3), np.float32))
        save('bad_strides', [N('Conv', ['x', 'W'], ['y'], strides=[1, 1, 1])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('bad_pads', [N('Conv', ['x', 'W'], ['y'], pads=[1, 1])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('neg_pads', [N('Conv', ['x', 'W'], ['y'], pads=[1, 1, -1, 1])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('bad_kernel', [N('Conv', ['x', 'W'], ['y'], kernel_shape=[3])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('bad_autopad', [N('Conv', ['x', 'W'], ['y'], auto_pad='SAME')], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('float_group', [N('Conv', ['x', 'W'], ['y'], group=1.0)], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('one_input', [N('Conv', ['x'], ['y'], kernel_shape=[3, 3])], [vi('x', [1, 3, 8, 8])], [vi('y', None)])
        save('dynamic_w', [N('Conv', ['x', 'w'], ['y'])], [vi('x', [1, 3, 8, 8]), vi('w', ['a', 3, 3, 3])], [vi('y', None)])
        save('unknown_w', [N('Relu', ['w0'], ['w']), N('Conv', ['x', 'w'], ['y'])], [vi('x', [1, 3, 8, 8]), vi('w0', ['a', 'b', 'c', 'd'])], [vi('y', None)])
        """)
        assertLoupeError(try load("bad_strides"), contains: "invalid attribute 'strides' of Conv node 0 'Conv_0' (opset 17): expected 2 values")
        assertLoupeError(try load("bad_pads"), contains: "'pads'")
        assertLoupeError(try load("neg_pads"), contains: "at least 0, got -1")
        assertLoupeError(try load("bad_kernel"), contains: "'kernel_shape'")
        assertLoupeError(try load("bad_autopad"), contains: "got 'SAME'")
        assertLoupeError(try load("float_group"), contains: "invalid attribute 'group' of Conv node 0 'Conv_0' (opset 17): expected type INT, got FLOAT")
        assertLoupeError(try load("one_input"), contains: "has 1 inputs; expected 2 to 3")
        // A weight fed at run time: the rank comes from its declared type.
        guard case .conv(let a) = try single("dynamic_w").op else { return XCTFail() }
        XCTAssertEqual(a.strides, [1, 1])
        XCTAssertEqual(a.kernelShape, [3, 3])
        XCTAssertNotNil(try load("unknown_w").nodes[1].unsupportedReason)
    }

    func testConvTranspose() throws {
        try python("""
        w = init('W', np.ones((3, 2, 3, 3), np.float32))
        save('ct', [N('ConvTranspose', ['x', 'W'], ['y'], strides=[2, 2], output_padding=[1, 1])],
             [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        save('ct_shape', [N('ConvTranspose', ['x', 'W'], ['y'], strides=[2, 2], output_shape=[1, 2, 16, 16])],
             [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        """)
        XCTAssertEqual(try single("ct").op, .convTranspose(ConvAttributes(
            kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], outputPadding: [1, 1])))
        guard case .convTranspose(let a) = try single("ct_shape").op else { return XCTFail() }
        XCTAssertEqual(a.outputShape, [16, 16])
        XCTAssertEqual(a.outputPadding, [0, 0])
    }

    func testGemmMatMulAndBatchNorm() throws {
        try python("""
        save('gemm', [N('Gemm', ['a', 'b'], ['y'])], [vi('a', [2, 3]), vi('b', [3, 4])], [vi('y', None)], opset=11)
        save('gemm_attrs', [N('Gemm', ['a', 'b', 'c'], ['y'], alpha=0.5, beta=2.0, transA=1, transB=1)],
             [vi('a', [3, 2]), vi('b', [4, 3]), vi('c', [4])], [vi('y', None)], opset=9)
        save('gemm9_two', [N('Gemm', ['a', 'b'], ['y'])], [vi('a', [2, 3]), vi('b', [3, 4])], [vi('y', None)], opset=9)
        save('gemm_bad_trans', [N('Gemm', ['a', 'b'], ['y'], transA=2)], [vi('a', [2, 3]), vi('b', [3, 4])], [vi('y', None)])
        save('matmul', [N('MatMul', ['a', 'b'], ['y'])], [vi('a', [2, 3]), vi('b', [3, 4])], [vi('y', None)])
        p = [init(n, np.ones(3, np.float32)) for n in ['s', 'bb', 'm', 'v']]
        save('bn', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y'])], [vi('x', [1, 3, 4, 4])], [vi('y', None)], p)
        save('bn_eps', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y'], epsilon=1e-3)], [vi('x', [1, 3, 4, 4])], [vi('y', None)], p, opset=9)
        save('bn_train', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y', 'rm', 'rv'], training_mode=1)],
             [vi('x', [1, 3, 4, 4])], [vi('y', None)], p, opset=15)
        save('bn_train_used', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y', 'rm', 'rv'], training_mode=1)],
             [vi('x', [1, 3, 4, 4])], [vi('y', None), vi('rm', None)], p, opset=15)
        save('bn_old_outputs', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y', 'rm', 'rv', 'sm', 'sv'])],
             [vi('x', [1, 3, 4, 4])], [vi('y', None)], p, opset=9)
        save('bn_used_output', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y', 'rm'])],
             [vi('x', [1, 3, 4, 4])], [vi('y', None), vi('rm', None)], p, opset=9)
        save('bn_spatial0', [N('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['y'], spatial=0)],
             [vi('x', [1, 3, 4, 4])], [vi('y', None)], p, opset=7)
        """)
        XCTAssertEqual(try single("gemm").op, .gemm(GemmAttributes()))
        XCTAssertEqual(try single("gemm_attrs").op, .gemm(GemmAttributes(alpha: 0.5, beta: 2, transA: true, transB: true)))
        assertLoupeError(try load("gemm9_two"), contains: "expected 3")
        assertLoupeError(try load("gemm_bad_trans"), contains: "expected 0 or 1, got 2")
        XCTAssertEqual(try single("matmul").op, .matMul)
        XCTAssertEqual(try single("bn").op, .batchNormalization(epsilon: 1e-5, layout: .nchw))
        XCTAssertEqual(try single("bn_eps").op, .batchNormalization(epsilon: 1e-3, layout: .nchw))
        let train = try single("bn_train")
        XCTAssertEqual(train.op, .batchNormalizationTraining(epsilon: 1e-5))
        XCTAssertEqual(train.outputs, ["y"], "unused running statistics are dropped")
        XCTAssertTrue(try single("bn_train_used").unsupportedReason?.contains("training_mode=1 output 'rm'") ?? false)
        let old = try single("bn_old_outputs")
        XCTAssertEqual(old.op, .batchNormalization(epsilon: 1e-5, layout: .nchw))
        XCTAssertEqual(old.outputs, ["y"], "unused training outputs are dropped")
        XCTAssertTrue(try single("bn_used_output").unsupportedReason?.contains("'rm' is used") ?? false)
        XCTAssertNotNil(try single("bn_spatial0").unsupportedReason)
    }
}

final class ConvKernelMismatchTests: ONNXTestCase {
    func testKernelShapeMustMatchTheWeight() throws {
        try python("""
        w = init('W', np.ones((4, 3, 3, 3), np.float32))
        save('k', [N('Conv', ['x', 'W'], ['y'], kernel_shape=[3, 5])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w])
        w1 = init('W', np.ones((4,), np.float32))
        save('rank1', [N('Conv', ['x', 'W'], ['y'])], [vi('x', [1, 3, 8, 8])], [vi('y', None)], [w1])
        """)
        assertLoupeError(try load("k"), contains: "does not match weight 'W' of spatial size [3, 3]")
        assertLoupeError(try load("rank1"), contains: "invalid input 1 of Conv node 0 'Conv_0' (opset 17): weight 'W' has rank 1")
    }
}
