import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX

final class QuantizationImportTests: ONNXTestCase {
    /// Every opset of QuantizeLinear / DequantizeLinear maps with ONNX's defaults (axis 1,
    /// saturate 1) or the attributes as written.
    func testOpsetsAndAttributes() throws {
        try python("""
        s = init('s', np.float32(0.5)); z = init('z', np.int8(-3)); zu = init('zu', np.uint8(128))
        for opset in [10, 13, 19, 21, 23, 25]:
            save('q%d' % opset, [N('QuantizeLinear', ['x', 's', 'z'], ['y'])], [vi('x', [1, 3, 2, 2])], [vi('y', None, TP.INT8)], [s, z], opset=opset)
            save('dq%d' % opset, [N('DequantizeLinear', ['c', 's', 'zu'], ['y'])], [vi('c', [1, 3, 2, 2], TP.UINT8)], [vi('y', None)], [s, zu], opset=opset)
        save('q_attrs', [N('QuantizeLinear', ['x', 's', 'z'], ['y'], axis=-1, saturate=0)], [vi('x', [1, 3, 2, 2])], [vi('y', None, TP.INT8)], [s, z], opset=21)
        save('dq_axis', [N('DequantizeLinear', ['c', 'ws', 'wz'], ['y'], axis=0)], [], [vi('y', None)],
             [init('c', np.arange(6, dtype=np.int8).reshape(3, 2)), init('ws', np.array([0.5, 1, 2], np.float32)), init('wz', np.zeros(3, np.int8))], opset=13)
        """)
        for opset in [10, 13, 19, 21, 23, 25] {
            let q = try single("q\(opset)")
            XCTAssertEqual(q.op, .quantizeLinear(axis: 1, saturate: true), "opset \(opset)")
            XCTAssertEqual(q.inputs, ["x", "s", "z"])
            let dq = try single("dq\(opset)")
            XCTAssertEqual(dq.op, .dequantizeLinear(axis: 1), "opset \(opset)")
            var g = try load("q\(opset)")
            try g.inferTypes()
            XCTAssertEqual(g.types["y"], TensorType(.int8, shape: [1, 3, 2, 2]))
        }
        XCTAssertEqual(try single("q_attrs").op, .quantizeLinear(axis: -1, saturate: false))
        let dq = try load("dq_axis")
        XCTAssertEqual(dq.nodes.first?.op, .dequantizeLinear(axis: 0))
        XCTAssertEqual(dq.initializers["c"]?.dtype, .int8)
        XCTAssertEqual(dq.initializers["c"]?.ints, [0, 1, 2, 3, 4, 5])
    }

    func testMissingZeroPointMeansUint8() throws {
        try python("""
        save('q', [N('QuantizeLinear', ['x', 's'], ['y'])], [vi('x', [4])], [vi('y', None, TP.UINT8)], [init('s', np.float32(0.1))], opset=13)
        save('q_u8', [N('QuantizeLinear', ['x', 's'], ['y'], output_dtype=TP.UINT8)], [vi('x', [4])], [vi('y', None, TP.UINT8)],
             [init('s', np.float32(0.1))], opset=21)
        """)
        for name in ["q", "q_u8"] {
            var g = try load(name)
            XCTAssertEqual(g.nodes.first?.inputs, ["x", "s"], name)
            try g.inferTypes()
            XCTAssertEqual(g.types["y"]?.dtype, .uint8, name)
        }
    }

    /// output_dtype without a zero point becomes a zero zero point of that type; one that
    /// contradicts the zero point is an error; float8/int4 targets are unsupported.
    func testOutputDtype() throws {
        try python("""
        s = init('s', np.array([0.5, 0.25], np.float32))
        save('i16', [N('QuantizeLinear', ['x', 's'], ['y'], output_dtype=TP.INT16, axis=0)], [vi('x', [2, 3])], [vi('y', None, TP.INT16)], [s], opset=21)
        save('same', [N('QuantizeLinear', ['x', 's', 'z'], ['y'], output_dtype=TP.INT8, axis=0)], [vi('x', [2, 3])], [vi('y', None, TP.INT8)],
             [s, init('z', np.zeros(2, np.int8))], opset=21)
        save('clash', [N('QuantizeLinear', ['x', 's', 'z'], ['y'], name='q', output_dtype=TP.INT8, axis=0)], [vi('x', [2, 3])], [vi('y', None, TP.INT8)],
             [s, init('z', np.zeros(2, np.uint8))], opset=21)
        save('fp8', [N('QuantizeLinear', ['x', 's'], ['y'], output_dtype=TP.FLOAT8E4M3FN, axis=0)], [vi('x', [2, 3])], [vi('y', None, TP.FLOAT)], [s], opset=21)
        save('float', [N('QuantizeLinear', ['x', 's'], ['y'], name='q', output_dtype=TP.FLOAT, axis=0)], [vi('x', [2, 3])], [vi('y', None)], [s], opset=21)
        """)
        var g = try load("i16")
        let node = try XCTUnwrap(g.nodes.first)
        XCTAssertEqual(node.inputs.count, 3)
        let zp = try XCTUnwrap(g.initializers[node.inputs[2]])
        XCTAssertEqual(zp, Tensor(shape: [2], ints: [0, 0], dtype: .int16))
        try g.inferTypes()
        XCTAssertEqual(g.types["y"], TensorType(.int16, shape: [2, 3]))
        XCTAssertEqual(try single("same").op, .quantizeLinear(axis: 0, saturate: true))
        assertLoupeError(try load("clash"), contains: "invalid attribute 'output_dtype' of QuantizeLinear node 0 'q' (opset 21): INT8 differs from the zero point's type UINT8")
        XCTAssertEqual(try single("fp8").unsupportedReason?.contains("output_dtype FLOAT8E4M3FN"), true)
        assertLoupeError(try load("float"), contains: "'q' (opset 21): FLOAT is not a quantized type")
    }

    func testBlockedQuantizationIsUnsupported() throws {
        try python("""
        save('blocked', [N('DequantizeLinear', ['c', 's'], ['y'], name='dq', axis=1, block_size=2)], [vi('c', [2, 4], TP.INT8)], [vi('y', None)],
             [init('s', np.ones((2, 2), np.float32))], opset=21)
        save('negative', [N('QuantizeLinear', ['x', 's'], ['y'], name='q', block_size=-1)], [vi('x', [2, 4])], [vi('y', None, TP.UINT8)],
             [init('s', np.float32(1))], opset=21)
        save('rank2', [N('QuantizeLinear', ['x', 's'], ['y'], name='q')], [vi('x', [2, 4])], [vi('y', None, TP.UINT8)],
             [init('s', np.ones((2, 2), np.float32))], opset=21)
        """)
        let g = try load("blocked")
        XCTAssertEqual(g.nodes.first?.unsupportedReason, "blocked quantization (block_size 2) is not supported: scales are per tensor or per axis")
        assertLoupeError(try g.verify(), contains: "unsupported: DequantizeLinear node 0 'dq' (opset 21): blocked quantization")
        assertLoupeError(try load("negative"), contains: "invalid attribute 'block_size' of QuantizeLinear node 0 'q' (opset 21): must be non-negative")
        assertLoupeError(try load("rank2"), contains: "invalid input 1 of QuantizeLinear node 0 'q' (opset 21): scale has rank 2")
    }

    func testBadScalesAndZeroPoints() throws {
        try python("""
        def q(name, scale, zp=None, x=[1, 3, 2], axis=1, opset=19, op='QuantizeLinear', xt=TP.FLOAT):
            inits = [init('s', scale)] + ([init('z', zp)] if zp is not None else [])
            ins = ['x', 's'] + (['z'] if zp is not None else [])
            save(name, [N(op, ins, ['y'], name='n', axis=axis)], [vi('x', x, xt)], [vi('y', None, TP.FLOAT if op == 'DequantizeLinear' else TP.UINT8)], inits, opset=opset)
        q('zero', np.float32(0))
        q('negative', np.array([1, -0.5, 1], np.float32))
        q('inf', np.float32(np.inf))
        q('nan', np.float32(np.nan))
        q('count', np.ones(2, np.float32))
        q('axis', np.ones(3, np.float32), axis=3)
        q('double', np.float64(1))
        q('zp_shape', np.ones(3, np.float32), np.zeros(2, np.uint8))
        q('zp_int32', np.float32(1), np.int32(0))
        q('zp_int64', np.float32(1), np.int64(0))
        q('dq_mismatch', np.float32(1), np.int8(0), op='DequantizeLinear', xt=TP.UINT8)
        q('dq_float', np.float32(1), op='DequantizeLinear')
        q('dq_int32', np.ones(3, np.float32), np.zeros(3, np.int32), op='DequantizeLinear', xt=TP.INT32)
        q('neg_axis', np.ones(2, np.float32), axis=-1, x=[1, 3, 2])
        """)
        let node = "QuantizeLinear node 0 'n' (opset 19)"
        assertLoupeError(try load("zero"), contains: "invalid input 1 of \(node): scale element 0 is 0.0: scales must be positive and finite")
        assertLoupeError(try load("negative"), contains: "scale element 1 is -0.5: scales must be positive and finite")
        assertLoupeError(try load("inf"), contains: "scale element 0 is inf")
        assertLoupeError(try load("nan"), contains: "scale element 0 is nan")
        assertLoupeError(try load("count"), contains: "invalid input 1 of \(node): 2 scales for axis 1 of size 3 (input shape [1, 3, 2])")
        assertLoupeError(try load("axis"), contains: "invalid attribute 'axis' of \(node): 3 is out of range for an input of rank 3")
        assertLoupeError(try load("double"), contains: "scale has dtype float64: expected float32")
        assertLoupeError(try load("zp_shape"), contains: "invalid input 2 of \(node): zero point shape [2] differs from the scale's [3]")
        assertLoupeError(try load("zp_int32"), contains: "zero point has dtype int32: expected int8, uint8, int16, uint16")
        assertLoupeError(try load("zp_int64"), contains: "zero point has dtype int64")
        assertLoupeError(try load("dq_mismatch"), contains: "invalid input 2 of DequantizeLinear node 0 'n' (opset 19): zero point has dtype int8 but the codes are uint8")
        assertLoupeError(try load("dq_float"), contains: "invalid input 0 of DequantizeLinear node 0 'n' (opset 19): dtype float32: expected int8, uint8, int16, uint16 or int32 codes")
        XCTAssertEqual(try single("dq_int32").op, .dequantizeLinear(axis: 1))
        XCTAssertEqual(try single("neg_axis").op, .quantizeLinear(axis: -1, saturate: true))
    }

    /// float8 and 4-bit codes (and bfloat16 scales) are valid ONNX Loupe cannot hold: the
    /// node is unsupported with the type named, and `loupe inspect` lists it. Elsewhere such
    /// an initializer still makes the file unreadable for Loupe.
    func testFloat8AndInt4AreUnsupportedWithTheirType() throws {
        try python("""
        fp8 = helper.make_tensor('z8', TP.FLOAT8E4M3FN, [], [0.0])
        i4 = helper.make_tensor('w4', TP.INT4, [4], [1, -2, 3, 7])
        save('q_fp8', [N('QuantizeLinear', ['x', 's', 'z8'], ['q']), N('DequantizeLinear', ['q', 's', 'z8'], ['y'])],
             [vi('x', [4])], [vi('y', None)], [init('s', np.float32(0.5)), fp8], opset=21)
        save('dq_int4', [N('DequantizeLinear', ['w4', 's'], ['y'], axis=0)], [], [vi('y', None)], [init('s', np.float32(0.5)), i4], opset=21)
        save('dq_bf16', [N('DequantizeLinear', ['c', 'sb'], ['y'])], [vi('c', [4], TP.INT8)], [vi('y', None)],
             [helper.make_tensor('sb', TP.BFLOAT16, [], [0.5])], opset=21)
        save('add_fp8', [N('Add', ['x', 'z8'], ['y'])], [vi('x', [4])], [vi('y', None)], [fp8], opset=21)
        """)
        let q = try load("q_fp8")
        XCTAssertEqual(q.nodes.count, 2)
        XCTAssertNil(q.initializers["z8"])
        XCTAssertEqual(q.nodes[0].unsupportedReason,
                       "zero point 'z8' has type FLOAT8E4M3FN: " + ONNXImporter.codeTypeReason)
        XCTAssertEqual(q.nodes[1].unsupportedReason?.hasPrefix("zero point 'z8' has type FLOAT8E4M3FN"), true)
        // The dropped initializer is left out of the inputs: inference stops at the reason.
        XCTAssertEqual(q.nodes[0].inputs, ["x", "s", ""])
        var inferred = q
        assertLoupeError(try inferred.inferTypes(), contains: "unsupported: QuantizeLinear node 0 'QuantizeLinear_0' (opset 21): QuantizeLinear: zero point 'z8' has type FLOAT8E4M3FN")
        XCTAssertEqual(try single("dq_int4").unsupportedReason?.hasPrefix("input 'w4' has type INT4"), true)
        XCTAssertEqual(try single("dq_bf16").unsupportedReason, "scale 'sb' has type BFLOAT16: scales must be float32")
        assertLoupeError(try load("add_fp8"), contains: "initializer 'z8' has data type FLOAT8E4M3FN, which Loupe does not support")
    }

    /// A float16 scale converts to float32 where the arithmetic stays float32 (QuantizeLinear
    /// of float32 data, DequantizeLinear with output_dtype FLOAT); a float16 output is
    /// unsupported.
    func testFloat16Scales() throws {
        try python("""
        h = init('h', np.float16(0.5))
        save('q', [N('QuantizeLinear', ['x', 'h'], ['y'])], [vi('x', [4])], [vi('y', None, TP.UINT8)], [h], opset=23)
        save('dq_f32', [N('DequantizeLinear', ['c', 'h'], ['y'], output_dtype=TP.FLOAT)], [vi('c', [4], TP.INT8)], [vi('y', None)], [h], opset=23)
        save('dq_f16', [N('DequantizeLinear', ['c', 'h'], ['y'])], [vi('c', [4], TP.INT8)], [vi('y', None, TP.FLOAT16)], [h], opset=23)
        """)
        for name in ["q", "dq_f32"] {
            let g = try load(name)
            let node = try XCTUnwrap(g.nodes.first)
            XCTAssertNotEqual(node.inputs[1], "h", name)
            XCTAssertEqual(g.initializers[node.inputs[1]], Tensor(shape: [], floats: [0.5]), name)
            XCTAssertEqual(g.initializers["h"]?.dtype, .float16, "\(name): the original is left for other consumers")
        }
        XCTAssertEqual(try single("dq_f16").unsupportedReason, "float16 scale (float16 output): Loupe dequantizes to float32")
    }

    /// QDQ models written by ONNX Runtime's quantize_static (uint8 and int8 activations,
    /// per-channel int8 weights, int32 bias) import without an unsupported node and infer
    /// types: the input of FoldQuantization.
    func testOnnxRuntimeQuantizeStaticModelsImport() throws {
        let out = try python("""
        try:
            from onnxruntime.quantization import quantize_static, QuantFormat, QuantType, CalibrationDataReader
        except ImportError:
            print('skip'); sys.exit(0)
        rng = np.random.default_rng(0)
        nodes = [N('Conv', ['x', 'W', 'B'], ['c'], pads=[1, 1, 1, 1]), N('Relu', ['c'], ['r']),
                 N('GlobalAveragePool', ['r'], ['p']), N('Flatten', ['p'], ['f']), N('Gemm', ['f', 'G'], ['y'], transB=1)]
        inits = [init('W', rng.normal(size=(8, 3, 3, 3)).astype(np.float32)), init('B', rng.normal(size=8).astype(np.float32)),
                 init('G', rng.normal(size=(4, 8)).astype(np.float32))]
        save('fp32', nodes, [vi('x', [1, 3, 8, 8])], [vi('y', [1, 4])], inits)
        class Reader(CalibrationDataReader):
            def __init__(self): self.it = iter([{'x': rng.normal(size=(1, 3, 8, 8)).astype(np.float32)} for _ in range(4)])
            def get_next(self): return next(self.it, None)
        for name, act in [('qdq_u8', QuantType.QUInt8), ('qdq_s8', QuantType.QInt8)]:
            quantize_static(os.path.join(OUT, 'fp32.onnx'), os.path.join(OUT, name + '.onnx'), Reader(), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=act, weight_type=QuantType.QInt8)
        print('ok')
        """)
        guard out.contains("ok") else { throw XCTSkip("onnxruntime.quantization is not available") }
        for (name, activations) in [("qdq_u8", DType.uint8), ("qdq_s8", DType.int8)] {
            var g = try load(name)
            XCTAssertTrue(g.nodes.allSatisfy { $0.unsupportedReason == nil }, "\(name): \(g.nodes.compactMap(\.unsupportedReason))")
            let q = g.nodes.filter { if case .quantizeLinear = $0.op { return true } else { return false } }
            let dq = g.nodes.filter { if case .dequantizeLinear = $0.op { return true } else { return false } }
            XCTAssertGreaterThanOrEqual(q.count, 4, name)
            XCTAssertEqual(dq.count, q.count + 3, "\(name): one DequantizeLinear per Q, plus W, G and the bias")
            try g.inferTypes()
            for node in q { XCTAssertEqual(g.types[node.outputs[0]]?.dtype, activations, "\(name) \(node.name)") }
            for node in dq { XCTAssertEqual(g.types[node.outputs[0]]?.dtype, .float32, "\(name) \(node.name)") }
            // Weights: int8 per output channel (axis 0); bias: int32.
            let weight = try XCTUnwrap(dq.first { g.initializers[$0.inputs[0]]?.shape == [8, 3, 3, 3] }, name)
            XCTAssertEqual(weight.op, .dequantizeLinear(axis: 0), name)
            XCTAssertEqual(g.initializers[weight.inputs[0]]?.dtype, .int8, name)
            XCTAssertEqual(g.initializers[weight.inputs[1]]?.shape, [8], name)
            XCTAssertTrue(dq.contains { g.initializers[$0.inputs[0]]?.dtype == .int32 }, "\(name): int32 bias")
        }
    }
}
