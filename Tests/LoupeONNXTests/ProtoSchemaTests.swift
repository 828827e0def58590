import Foundation
import XCTest
import SwiftProtobuf
@testable import LoupeONNX
import LoupeTestSupport

/// Checks Proto/onnx.proto against the onnx package's own schema: a model that sets every
/// field Loupe models (and some it does not) is decoded by the generated Swift types and
/// printed in text format, which names fields; python parses that text with onnx's
/// ModelProto and compares it with the original, less the fields Loupe leaves out. A wrong
/// field number or type shows up as a wrong or missing field.
final class ProtoSchemaTests: ONNXTestCase {
    func testFieldNumbersMatchONNX() throws {
        try python("""
        t = helper.make_tensor('t', TP.FLOAT, [2], [1.0, 2.0])
        t.doc_string = 'not modelled'
        t.external_data.add(key='location', value='x.bin')
        t.data_location = TP.EXTERNAL
        ti = helper.make_tensor('ti', TP.INT32, [2], [1, 2])
        t64 = helper.make_tensor('t64', TP.INT64, [1], [3])
        td = helper.make_tensor('td', TP.DOUBLE, [1], [0.5])
        tu = helper.make_tensor('tu', TP.UINT64, [1], [7])
        tr = numpy_helper.from_array(np.ones(3, np.float16), 'tr')
        ts = helper.make_tensor('ts', TP.STRING, [1], [b'abc'])
        sp = helper.make_sparse_tensor(helper.make_tensor('v', TP.FLOAT, [1], [1.0]), helper.make_tensor('i', TP.INT64, [1], [0]), [3])
        sub = helper.make_graph([N('Relu', ['a'], ['b'])], 'sub', [vi('a', [1])], [vi('b', [1])])
        tp = helper.make_tensor_type_proto(TP.FLOAT, [1, 'n'])
        attrs = dict(f=1.5, i=3, s='str', t=t, g=sub, floats=[1.0, 2.0], ints=[1, 2], strings=['a', 'b'],
                     tensors=[ti, t64], graphs=[sub], sparse_tensor=sp, tp=tp, type_protos=[tp])
        node = N('Custom', ['x', ''], ['y'], name='n', domain='my.domain', doc_string='nm', **attrs)
        node.attribute.append(helper.make_attribute_ref('ref', TP.FLOAT))
        x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 'batch', None])
        x.type.tensor_type.shape.dim[0].denotation = 'DATA_BATCH'
        x.type.denotation = 'TENSOR'
        g = helper.make_graph([node], 'g', [x], [vi('y', [1])], initializer=[t, ti, t64, td, tu, tr, ts],
                              value_info=[vi('v', [2])], doc_string='nm', sparse_initializer=[sp])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('my.domain', 2)],
                              producer_name='p', producer_version='1', domain='d', model_version=4, doc_string='doc')
        helper.set_model_props(m, {'k': 'v'})
        m.training_info.add().algorithm.name = 'not modelled'
        m.functions.add().name = 'not modelled'
        onnx.save(m, os.path.join(OUT, 'sink.onnx'))
        """)
        let data = try Data(contentsOf: url("sink"))
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        let model = try Onnx_ModelProto(serializedBytes: data, options: options)
        try model.textFormatString().write(to: directory.appendingPathComponent("sink.txt"), atomically: true, encoding: .utf8)

        let protoPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/LoupeONNX/Proto/onnx.proto").standardized.path
        let result = try python("""
        import re
        from google.protobuf import text_format
        # Field names per message of Loupe's onnx.proto (a simple brace-tracking parse).
        fields, stack = {}, []
        for line in open(\(pythonString(protoPath))):
            line = line.split('//')[0].strip()
            m = re.match(r'(message|oneof|enum)\\s+(\\w+)\\s*\\{', line)
            if m:
                stack.append((m.group(1), m.group(2)))
                if m.group(1) == 'message':
                    fields['.'.join(n for k, n in stack if k == 'message')] = set()
                continue
            if line.startswith('}'):
                stack.pop(); continue
            m = re.match(r'(?:optional|repeated)?\\s*[\\w.]+\\s+(\\w+)\\s*=\\s*\\d+', line)
            if m and stack and stack[-1][0] != 'enum':
                msg = '.'.join(n for k, n in stack if k == 'message')
                fields[msg].add(m.group(1))
        def strip(msg):
            name = msg.DESCRIPTOR.full_name[len('onnx.'):]
            keep = fields.get(name)
            assert keep is not None, 'message not modelled: ' + name
            for fd, value in msg.ListFields():
                if fd.name not in keep:
                    msg.ClearField(fd.name)
                elif fd.type == fd.TYPE_MESSAGE:
                    repeated = fd.is_repeated if hasattr(fd, 'is_repeated') else fd.label == fd.LABEL_REPEATED
                    for v in (value if repeated else [value]):
                        strip(v)
        original = onnx.load(os.path.join(OUT, 'sink.onnx'), load_external_data=False)
        strip(original)
        back = text_format.Parse(open(os.path.join(OUT, 'sink.txt')).read(), onnx.ModelProto())
        assert len(fields) >= 12, fields
        if back != original:
            print('MISMATCH')
            print(text_format.MessageToString(original))
            print('---')
            print(text_format.MessageToString(back))
        else:
            print('OK', sum(len(v) for v in fields.values()))
        """)
        XCTAssertTrue(result.hasPrefix("OK"), result)
    }

    /// The committed onnx.pb.swift is what tools/gen-onnx-swift.sh makes of onnx.proto.
    /// Skipped where protoc or the swift-protobuf plugin is not installed (CI).
    func testGeneratedSwiftIsUpToDate() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../..").standardized
        let plugin = ProcessInfo.processInfo.environment["PROTOC_GEN_SWIFT"]
            ?? "/tmp/swift-protobuf/.build/release/protoc-gen-swift"
        let script = repo.appendingPathComponent("tools/gen-onnx-swift.sh")
        guard FileManager.default.isExecutableFile(atPath: plugin),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/protoc"),
              FileManager.default.fileExists(atPath: script.path) else {
            throw XCTSkip("protoc or protoc-gen-swift is not installed")
        }
        let r = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), [script.path],
                                   environment: ProcessInfo.processInfo.environment.merging(
                                       ["OUT_DIR": directory.path, "PROTOC_GEN_SWIFT": plugin]) { $1 })
        XCTAssertEqual(r.status, 0, r.err)
        let fresh = try Data(contentsOf: directory.appendingPathComponent("onnx.pb.swift"))
        let committed = try Data(contentsOf: repo.appendingPathComponent("Sources/LoupeONNX/Proto/onnx.pb.swift"))
        XCTAssertEqual(fresh, committed, "run tools/gen-onnx-swift.sh and commit onnx.pb.swift")
    }

    private func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
