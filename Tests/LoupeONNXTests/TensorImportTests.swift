import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX
import LoupeTestSupport

final class TensorImportTests: ONNXTestCase {
    /// Every dtype, from raw_data and from the typed fields, against the values numpy wrote.
    func testRawAndTypedFieldsForEveryDType() throws {
        let listing = try python("""
        import json
        cases = {
            'float32': (TP.FLOAT, np.float32, [1.5, -2.25, 0.0, 3e38, -1e-30, 7.0]),
            'float16': (TP.FLOAT16, np.float16, [1.5, -2.25, 0.0, 65504.0, 6e-8, -0.0]),
            'float64': (TP.DOUBLE, np.float64, [1.5, -2.25, 0.0, 1e10, 1e-3, 7.0]),
            'int8': (TP.INT8, np.int8, [-128, 127, 0, 1, -1, 5]),
            'uint8': (TP.UINT8, np.uint8, [0, 255, 1, 2, 3, 4]),
            'int16': (TP.INT16, np.int16, [-32768, 32767, 0, 1, -1, 5]),
            'uint16': (TP.UINT16, np.uint16, [0, 65535, 1, 2, 3, 4]),
            'int32': (TP.INT32, np.int32, [-2**31, 2**31 - 1, 0, 1, -1, 5]),
            'int64': (TP.INT64, np.int64, [-2**63, 2**63 - 1, 0, 1, -1, 5]),
            'uint32': (TP.UINT32, np.uint32, [0, 2**32 - 1, 1, 2, 3, 4]),
            'uint64': (TP.UINT64, np.uint64, [0, 2**63 - 1, 1, 2, 3, 4]),
            'bool': (TP.BOOL, np.bool_, [True, False, True, True, False, False]),
        }
        out = {}
        for name, (code, npt, vals) in cases.items():
            a = np.array(vals, dtype=npt).reshape(2, 3)
            raw = numpy_helper.from_array(a, name + '_raw')
            assert raw.HasField('raw_data')
            typed = helper.make_tensor(name + '_typed', code, [2, 3], a.flatten().tolist(), raw=False)
            assert not typed.HasField('raw_data')
            for t in (raw, typed):
                open(os.path.join(OUT, t.name + '.pb'), 'wb').write(t.SerializeToString())
            out[name] = [float(v) for v in a.astype(np.float64).flatten()] if a.dtype.kind == 'f' else [int(v) for v in a.flatten()]
        print(json.dumps(out))
        """)
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: [NSNumber]])
        XCTAssertEqual(expected.count, DType.allCases.count)
        for dtype in DType.allCases {
            let values = try XCTUnwrap(expected[dtype.rawValue], "\(dtype)")
            for form in ["raw", "typed"] {
                let data = try Data(contentsOf: directory.appendingPathComponent("\(dtype.rawValue)_\(form).pb"))
                let t = try ONNXImporter.parseTensor(data: data)
                XCTAssertEqual(t.dtype, dtype, "\(dtype) \(form)")
                XCTAssertEqual(t.shape, [2, 3], "\(dtype) \(form)")
                if dtype.isFloat {
                    XCTAssertEqual(t.floats.map { $0.bitPattern }, values.map { Float($0.doubleValue).bitPattern },
                                   "\(dtype) \(form)")
                } else {
                    XCTAssertEqual(t.ints, values.map { $0.int64Value }, "\(dtype) \(form)")
                }
                // Round trip through serializeTensor keeps dtype, shape and values.
                let back = try ONNXImporter.parseTensor(data: try ONNXImporter.serializeTensor(t, name: "t"))
                XCTAssertEqual(back, t, "\(dtype) \(form) round trip")
            }
        }
    }

    /// What serializeTensor writes, numpy reads back with the same dtype and values.
    func testSerializedTensorsReadBackInNumpy() throws {
        let tensors: [Tensor] = [
            Tensor(shape: [2, 2], floats: [1, -2.5, 0.1, 65504], dtype: .float16),
            Tensor(shape: [3], floats: [1, -2.5, 0.1]),
            Tensor(shape: [2], ints: [-7, 9], dtype: .int8),
            Tensor(shape: [], ints: [1], dtype: .bool),
            Tensor(shape: [0, 3], floats: []),
        ]
        for (i, t) in tensors.enumerated() {
            try ONNXImporter.serializeTensor(t, name: "t\(i)")
                .write(to: directory.appendingPathComponent("t\(i).pb"))
        }
        let out = try python("""
        for i in range(5):
            t = onnx.TensorProto()
            t.ParseFromString(open(os.path.join(OUT, f't{i}.pb'), 'rb').read())
            a = numpy_helper.to_array(t)
            print(t.name, a.dtype, list(a.shape), a.flatten().tolist())
        """)
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "t0 float16 [2, 2] [1.0, -2.5, 0.0999755859375, 65504.0]",
            "t1 float32 [3] [1.0, -2.5, 0.10000000149011612]",
            "t2 int8 [2] [-7, 9]",
            "t3 bool [] [True]",
            "t4 float32 [0, 3] []",
        ])
    }

    func testSerializingFloatStoredIntegersSaturates() throws {
        let t = Tensor(shape: [4], floats: [.nan, 1e30, -1e30, -3.7], dtype: .int64)
        let back = try ONNXImporter.parseTensor(data: try ONNXImporter.serializeTensor(t, name: "t"))
        XCTAssertEqual(back, Tensor(shape: [4], ints: [0, .max, .min, -3], dtype: .int64))
        let i8 = Tensor(shape: [2], ints: [300, -129], dtype: .int8)
        XCTAssertEqual(try ONNXImporter.parseTensor(data: try ONNXImporter.serializeTensor(i8, name: "t")).ints, [44, 127],
                       "integers wrap to the declared width, as a C cast would")
    }

    func testHalfConversionMatchesFloat16() throws {
        #if (os(macOS) && arch(x86_64))
        throw XCTSkip("Float16 is unavailable on macOS x86_64")
        #else
        for bits in 0...UInt16.max {
            let f = ONNXImporter.halfToFloat(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(f.isNaN, "bits \(bits)")
                XCTAssertTrue(ONNXImporter.floatToHalf(f) & 0x7C00 == 0x7C00 && ONNXImporter.floatToHalf(f) & 0x3FF != 0)
            } else {
                XCTAssertEqual(f.bitPattern, reference.bitPattern, "bits \(bits)")
                XCTAssertEqual(ONNXImporter.floatToHalf(f), bits, "round trip of bits \(bits)")
            }
        }
        let seed = testSeed()
        var rng = SeededRandom(seed: seed)
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard !f.isNaN else { continue }
            XCTAssertEqual(ONNXImporter.floatToHalf(f), Float16(f).bitPattern, "float \(f) (seed \(seed))")
        }
        #endif
    }

    func testTensorSizeMismatchesAreRejected() throws {
        try python("""
        def w(name, t): open(os.path.join(OUT, name + '.pb'), 'wb').write(t.SerializeToString())
        def T(dtype, dims, **fields):
            t = onnx.TensorProto(); t.name = 'a'; t.data_type = dtype; t.dims.extend(dims)
            for k, v in fields.items():
                if k == 'raw_data': t.raw_data = v
                else: getattr(t, k).extend(v)
            return t
        w('few_typed', T(TP.FLOAT, [2, 3], float_data=[1.0, 2.0]))
        w('few_raw', T(TP.FLOAT, [2, 3], raw_data=np.zeros(5, np.float32).tobytes()))
        w('many_raw', T(TP.INT64, [2], raw_data=np.zeros(3, np.int64).tobytes()))
        w('wrong_field', T(TP.INT64, [2]))
        w('wrong_field2', T(TP.INT64, [2], float_data=[1.0, 2.0]))
        w('huge', T(TP.FLOAT, [2**20, 2**20], raw_data=b'1234'))
        w('overflow', T(TP.FLOAT, [2**62, 2**62, 4]))
        w('neg', T(TP.FLOAT, [-1]))
        w('bf16', helper.make_tensor('a', TP.BFLOAT16, [1], [1.0]))
        w('string', helper.make_tensor('a', TP.STRING, [1], [b'x']))
        t = onnx.TensorProto(); t.name = 'nodtype'; t.dims.extend([1]); t.float_data.append(1.0); w('nodtype', t)
        w('scalar', helper.make_tensor('a', TP.FLOAT, [], [4.0]))
        w('empty', helper.make_tensor('a', TP.FLOAT, [0, 5], []))
        """)
        func parse(_ name: String) throws -> Tensor {
            try ONNXImporter.parseTensor(data: try Data(contentsOf: directory.appendingPathComponent(name + ".pb")))
        }
        assertLoupeError(try parse("few_typed"), contains: "tensor 'a' has dims [2, 3] (6 elements) but 2 values in float_data")
        assertLoupeError(try parse("few_raw"), contains: "(24 bytes) but 20 bytes of raw_data")
        assertLoupeError(try parse("many_raw"), contains: "but 24 bytes of raw_data")
        assertLoupeError(try parse("wrong_field"), contains: "0 values in int64_data")
        assertLoupeError(try parse("wrong_field2"), contains: "0 values in int64_data")
        assertLoupeError(try parse("huge"), contains: "but 4 bytes of raw_data")
        assertLoupeError(try parse("overflow"), contains: "overflows")
        assertLoupeError(try parse("neg"), contains: "dimension -1")
        assertLoupeError(try parse("bf16"), contains: "BFLOAT16, which Loupe does not support")
        assertLoupeError(try parse("string"), contains: "STRING")
        assertLoupeError(try parse("nodtype"), contains: "UNDEFINED")
        XCTAssertEqual(try parse("scalar"), Tensor(shape: [], floats: [4]))
        XCTAssertEqual(try parse("empty"), Tensor(shape: [0, 5], floats: []))
    }

    func testExternalData() throws {
        try python("""
        from onnx.external_data_helper import convert_model_to_external_data
        w = init('W', np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))
        b = init('B', np.array([0.5, -0.5], np.float32))
        g = helper.make_graph([N('Conv', ['x', 'W', 'B'], ['y'])], 'g', [vi('x', [1, 3, 4, 4])], [vi('y', None)], [w, b])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])
        os.makedirs(os.path.join(OUT, 'ext'))
        onnx.save_model(m, os.path.join(OUT, 'ext', 'model.onnx'), save_as_external_data=True,
                        all_tensors_to_one_file=True, location='weights.bin', size_threshold=0)
        # Tamper copies: a location outside the model directory, a short file, a missing file.
        mm = onnx.load(os.path.join(OUT, 'ext', 'model.onnx'), load_external_data=False)
        for t in mm.graph.initializer:
            for e in t.external_data:
                if e.key == 'location': e.value = '../weights.bin'
        onnx.save(mm, os.path.join(OUT, 'ext', 'escape.onnx'))
        for t in mm.graph.initializer:
            for e in t.external_data:
                if e.key == 'location': e.value = 'short.bin'
        onnx.save(mm, os.path.join(OUT, 'ext', 'short.onnx'))
        open(os.path.join(OUT, 'ext', 'short.bin'), 'wb').write(b'\\0' * 40)
        for t in mm.graph.initializer:
            for e in t.external_data:
                if e.key == 'location': e.value = 'missing.bin'
        onnx.save(mm, os.path.join(OUT, 'ext', 'missing.onnx'))
        """)
        let dir = directory.appendingPathComponent("ext")
        let g = try ONNXImporter.load(contentsOf: dir.appendingPathComponent("model.onnx").path)
        XCTAssertEqual(g.initializers["W"], Tensor(shape: [2, 3, 2, 2], floats: (0..<24).map(Float.init)))
        XCTAssertEqual(g.initializers["B"], Tensor(shape: [2], floats: [0.5, -0.5]))
        let data = try Data(contentsOf: dir.appendingPathComponent("model.onnx"))
        assertLoupeError(try ONNXImporter.load(data: data),
                         contains: "initializer 'W' stores its data in external file 'weights.bin'; load the model from a file path")
        assertLoupeError(try ONNXImporter.load(contentsOf: dir.appendingPathComponent("escape.onnx").path),
                         contains: "outside the model's directory")
        assertLoupeError(try ONNXImporter.load(contentsOf: dir.appendingPathComponent("short.onnx").path),
                         contains: "which has 40 bytes")
        assertLoupeError(try ONNXImporter.load(contentsOf: dir.appendingPathComponent("missing.onnx").path),
                         contains: "cannot open external data")
    }

    func testGraphInterfaceAndMetadata() throws {
        try python("""
        w = init('W', np.ones((3, 3), np.float32))
        nodes = [N('MatMul', ['x', 'W'], ['h']), N('Relu', ['h'], ['y'])]
        # Old exporters list initializers among the inputs.
        inputs = [vi('x', ['batch', 3]), vi('W', [3, 3]), helper.make_tensor_value_info('z', TP.INT64, [None, 2])]
        g = helper.make_graph(nodes, 'mygraph', inputs, [vi('y', ['batch', 3])], [w],
                              value_info=[vi('h', [2, 3]), vi('dyn', ['n'])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('ai.onnx', 13)], producer_name='torch', producer_version='2.5')
        helper.set_model_props(m, {'author': 'me'})
        onnx.save(m, os.path.join(OUT, 'iface.onnx'))
        """)
        let g = try load("iface")
        XCTAssertEqual(g.name, "mygraph")
        XCTAssertEqual(g.opset, 13)
        XCTAssertEqual(g.inputs.map(\.name), ["x", "z"])
        XCTAssertEqual(g.inputs[0].type, TensorType(.float32, [.param("batch"), .value(3)]))
        XCTAssertEqual(g.inputs[1].type, TensorType(.int64, [.unknown, .value(2)]))
        XCTAssertEqual(g.outputs, [ValueInfo(name: "y", type: TensorType(.float32, [.param("batch"), .value(3)]))])
        XCTAssertEqual(g.types["h"], TensorType(.float32, shape: [2, 3]))
        XCTAssertNil(g.types["dyn"], "only fully specified value_info types are copied")
        XCTAssertEqual(g.metadata["producer_name"], "torch")
        XCTAssertEqual(g.metadata["producer_version"], "2.5")
        XCTAssertEqual(g.metadata["author"], "me")
        XCTAssertEqual(g.nodes.map(\.name), ["MatMul_0", "Relu_1"])
        XCTAssertEqual(g.nodes.map(\.origin), [NodeOrigin(index: 0, opType: "MatMul", opset: 13),
                                               NodeOrigin(index: 1, opType: "Relu", opset: 13)])
    }
}

/// The seed of a random test: `LOUPE_TEST_SEED` when set (to replay a failure), else
/// random. Printed up front so that even a crash leaves it in the log.
func testSeed(_ test: String = #function) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["LOUPE_TEST_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 0...UInt64.max)
    print("\(test): seed \(seed) (LOUPE_TEST_SEED=\(seed) replays it)")
    return seed
}
