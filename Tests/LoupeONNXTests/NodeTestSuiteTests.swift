import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX

/// Sweeps the ONNX node tests shipped with the onnx Python package
/// (onnx/backend/test/data/node): every model either imports or throws a `LoupeError`;
/// models that use only mapped ops with Loupe's element types must import with no
/// `.unsupported` node except for the listed reasons; every `test_data_set` tensor of a
/// supported type parses to the dims and values numpy reads.
final class NodeTestSuiteTests: ONNXTestCase {
    /// Op types the importer maps (Constant included: it becomes an initializer).
    static let mapped: Set<String> = [
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Relu",
        "Sigmoid", "Tanh", "HardSwish", "Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Log", "Floor", "Ceil",
        "Erf", "Clip", "LeakyRelu", "Elu", "HardSigmoid", "PRelu", "BatchNormalization", "GlobalAveragePool",
        "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
        "ReduceL2", "AveragePool", "MaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Concat", "Pad",
        "Resize", "Upsample", "Softmax", "Transpose", "Shape", "Gather", "Slice", "Cast", "ConstantOfShape",
        "Expand", "Identity", "Dropout", "Constant", "LayerNormalization", "Split", "Mod", "Gelu",
    ]

    /// Valid nodes of mapped op types that Loupe keeps as `.unsupported` on purpose.
    static let acceptedReasons = [
        "training_mode", "Indices output", "mask output", "tf_half_pixel_for_nn", "cast to", "spatial=0",
    ]

    func testEveryNodeTestModelImportsOrFailsCleanly() throws {
        let manifest = try python("""
        import json, glob
        root = os.path.join(os.path.dirname(onnx.__file__), 'backend', 'test', 'data', 'node')
        SUPPORTED = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13}
        out = []
        for d in sorted(glob.glob(os.path.join(root, '*'))):
            p = os.path.join(d, 'model.onnx')
            if not os.path.exists(p): continue
            m = onnx.load(p, load_external_data=False)
            g = m.graph
            def ok_vi(v):
                t = v.type
                return t.HasField('tensor_type') and t.tensor_type.elem_type in SUPPORTED and t.tensor_type.HasField('shape')
            ops = sorted({n.op_type for n in g.node if n.domain in ('', 'ai.onnx')})
            clean = (all(n.domain in ('', 'ai.onnx') for n in g.node)
                     and all(ok_vi(v) for v in g.input) and all(ok_vi(v) for v in g.output)
                     and all(t.data_type in SUPPORTED for t in g.initializer))
            tensors = []
            for pb in sorted(glob.glob(os.path.join(d, 'test_data_set_*', '*.pb'))):
                t = onnx.TensorProto()
                try:
                    t.ParseFromString(open(pb, 'rb').read())
                except Exception:
                    continue
                if t.data_type not in SUPPORTED or t.data_location == 1: continue
                try:
                    a = numpy_helper.to_array(t).astype(np.float64)
                except Exception:
                    continue  # a SequenceProto or OptionalProto file, not a tensor
                s = float(np.sum(a[np.isfinite(a)])) if a.size else 0.0
                tensors.append({'path': pb, 'dims': list(t.dims), 'type': t.data_type, 'sum': s,
                                'nonfinite': int(a.size - np.isfinite(a).sum())})
            out.append({'dir': os.path.basename(d), 'model': p, 'ops': ops, 'clean': clean, 'tensors': tensors})
        print(json.dumps(out))
        """)
        let entries = try JSONDecoder().decode([Entry].self, from: Data(manifest.utf8))
        XCTAssertGreaterThan(entries.count, 1000, "the onnx package should ship its node tests")

        var imported = 0, rejected = 0, expectedButFailed: [String] = []
        var unexpectedUnsupported: [String] = []
        var tensorsChecked = 0
        for e in entries {
            let expectClean = e.clean && Set(e.ops).isSubset(of: Self.mapped)
            do {
                let g = try ONNXImporter.load(contentsOf: e.model)
                imported += 1
                if expectClean {
                    for n in g.nodes {
                        guard let reason = n.unsupportedReason else { continue }
                        if !Self.acceptedReasons.contains(where: reason.contains) {
                            unexpectedUnsupported.append("\(e.dir): \(n.reference): \(reason)")
                        }
                    }
                }
            } catch let error as LoupeError {
                rejected += 1
                if expectClean { expectedButFailed.append("\(e.dir): \(error)") }
            } catch {
                XCTFail("\(e.dir): non-Loupe error \(error)")
            }
            for t in e.tensors {
                let tensor: Tensor
                do {
                    tensor = try ONNXImporter.parseTensor(data: try Data(contentsOf: URL(fileURLWithPath: t.path)))
                } catch {
                    XCTFail("\(t.path): \(error)")
                    continue
                }
                tensorsChecked += 1
                XCTAssertEqual(tensor.shape, t.dims.map { Int($0) }, t.path)
                XCTAssertEqual(ONNXImporter.onnxCode(tensor.dtype), t.type, t.path)
                let values = tensor.floats.map(Double.init)
                let finite = values.filter(\.isFinite)
                XCTAssertEqual(values.count - finite.count, t.nonfinite, t.path)
                let sum = finite.reduce(0, +)
                // float64 inputs are held as Float: compare with a relative tolerance.
                let tolerance = 1e-4 * max(1, finite.reduce(0) { $0 + abs($1) })
                XCTAssertEqual(sum, t.sum, accuracy: tolerance, t.path)
            }
        }
        print("node tests: \(entries.count) models, \(imported) imported, \(rejected) rejected, \(tensorsChecked) tensors parsed")
        XCTAssertEqual(expectedButFailed, [], "models with only mapped ops and supported types must import")
        XCTAssertEqual(unexpectedUnsupported, [], "mapped ops kept as unsupported without an accepted reason")
    }

    private struct Entry: Decodable {
        struct TensorEntry: Decodable {
            var path: String
            var dims: [Int64]
            var type: Int32
            var sum: Double
            var nonfinite: Int
        }
        var dir: String
        var model: String
        var ops: [String]
        var clean: Bool
        var tensors: [TensorEntry]
    }
}
