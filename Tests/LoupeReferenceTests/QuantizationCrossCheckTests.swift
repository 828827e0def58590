import Foundation
import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

/// A small QDQ model (per-tensor uint8 and per-axis int8 QuantizeLinear → DequantizeLinear,
/// and an int32 bias DequantizeLinear) run by ONNX Runtime and by the ONNX reference
/// evaluator (python3 at test time, in a temporary directory) against the reference
/// interpreter. Codes and dequantized values must be identical: the inputs include exact
/// ties (x / scale = k + 0.5) and values past the int8/uint8 range. Skipped when python3,
/// onnx or onnxruntime is missing; LOUPE_TEST_SEED varies the seed (printed on failure).
final class QuantizationCrossCheckTests: XCTestCase {
    static let script = #"""
import json, sys
try:
    import numpy as np, onnx, onnxruntime as ort
    from onnx import helper, numpy_helper, TensorProto as TP
    from onnx.reference import ReferenceEvaluator
except ImportError as e:
    print("missing: %s" % e, file=sys.stderr); sys.exit(77)
spec = json.load(open(sys.argv[1]))
rng = np.random.default_rng(spec["seed"])
shape = [2, 3, 4, 5]
s, z = np.float32(spec["scale"]), np.uint8(spec["zeroPoint"])
ws = np.array(spec["axisScales"], np.float32); wz = np.array(spec["axisZeroPoints"], np.int8)
x = rng.uniform(-3, 3, size=shape).astype(np.float32)
flat = x.reshape(-1)
# Exact ties of the per-tensor scale, and values far outside both ranges.
k = rng.integers(-140, 140, size=20)
flat[:20] = ((k + 0.5) * np.float64(s)).astype(np.float32)
flat[20:24] = [1e6, -1e6, 40.0, -40.0]
bias = np.array(spec["bias"], np.int32)
nodes = [
    helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
    helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"]),
    helper.make_node("QuantizeLinear", ["x", "ws", "wz"], ["q2"], axis=1),
    helper.make_node("DequantizeLinear", ["q2", "ws", "wz"], ["d2"], axis=1),
    helper.make_node("DequantizeLinear", ["b", "bs"], ["bf"], axis=0),
]
inits = [numpy_helper.from_array(np.array(s), "s"), numpy_helper.from_array(np.array(z), "z"),
         numpy_helper.from_array(ws, "ws"), numpy_helper.from_array(wz, "wz"),
         numpy_helper.from_array(bias, "b"), numpy_helper.from_array(np.array(spec["biasScales"], np.float32), "bs")]
outs = [helper.make_tensor_value_info("q", TP.UINT8, shape), helper.make_tensor_value_info("d", TP.FLOAT, shape),
        helper.make_tensor_value_info("q2", TP.INT8, shape), helper.make_tensor_value_info("d2", TP.FLOAT, shape),
        helper.make_tensor_value_info("bf", TP.FLOAT, [len(bias)])]
g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TP.FLOAT, shape)], outs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
m.ir_version = 10
sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
names = ["q", "d", "q2", "d2", "bf"]
def listing(values):
    return {n: [float(v) for v in np.asarray(a).reshape(-1)] for n, a in zip(names, values)}
json.dump({"x": [float(v) for v in flat], "ort": listing(sess.run(names, {"x": x})),
           "onnx": listing(ReferenceEvaluator(m).run(names, {"x": x}))}, open(sys.argv[2], "w"))
"""#

    func testQDQModelMatchesOnnxRuntimeAndOnnxReference() throws {
        let seed = ProcessInfo.processInfo.environment["LOUPE_TEST_SEED"].flatMap(UInt64.init) ?? 4_242
        let scale: Float = 0.0213, zeroPoint: Int64 = 131
        let axisScales: [Float] = [0.011, 0.0237, 0.05], axisZeroPoints: [Int64] = [-5, 0, 17]
        let bias: [Int64] = [123_456, -987_654, 0, 2_000_000_000]
        let biasScales: [Float] = [1.7e-5, 3.1e-4, 0.5, 2.2e-7]
        let spec: [String: Any] = ["seed": seed, "scale": Double(scale), "zeroPoint": zeroPoint,
                                   "axisScales": axisScales.map(Double.init), "axisZeroPoints": axisZeroPoints,
                                   "bias": bias, "biasScales": biasScales.map(Double.init)]
        let answer: Any
        do {
            answer = try Python.reference(Self.script, input: spec, requires: "numpy, onnx and onnxruntime")
        } catch let e as ProcessFailure {
            return XCTFail("\(e) (seed \(seed))")
        }
        let result = try XCTUnwrap(answer as? [String: Any], "seed \(seed)")
        let x = (result["x"] as! [Double]).map { Float($0) }
        let shape = [2, 3, 4, 5]

        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", type: TensorType(.float32, shape: shape))]
        graph.initializers = [
            "s": Tensor(shape: [], floats: [scale]), "z": Tensor(shape: [], ints: [zeroPoint], dtype: .uint8),
            "ws": Tensor(shape: [3], floats: axisScales), "wz": Tensor(shape: [3], ints: axisZeroPoints, dtype: .int8),
            "b": Tensor(shape: [bias.count], ints: bias, dtype: .int32), "bs": Tensor(shape: [bias.count], floats: biasScales),
        ]
        graph.nodes = [
            Node(name: "q", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["x", "s", "z"], outputs: ["q"]),
            Node(name: "d", op: .dequantizeLinear(axis: 1), inputs: ["q", "s", "z"], outputs: ["d"]),
            Node(name: "q2", op: .quantizeLinear(axis: 1, saturate: true), inputs: ["x", "ws", "wz"], outputs: ["q2"]),
            Node(name: "d2", op: .dequantizeLinear(axis: 1), inputs: ["q2", "ws", "wz"], outputs: ["d2"]),
            Node(name: "bf", op: .dequantizeLinear(axis: 0), inputs: ["b", "bs"], outputs: ["bf"]),
        ]
        let names = ["q", "d", "q2", "d2", "bf"]
        graph.outputs = names.map { ValueInfo(name: $0, type: TensorType(.float32, [])) }
        try graph.inferTypes()
        let ours = try ReferenceInterpreter.run(graph, inputs: ["x": Tensor(shape: shape, floats: x)])
        XCTAssertEqual(ours["q"]?.dtype, .uint8)
        XCTAssertEqual(ours["q2"]?.dtype, .int8)

        for engine in ["ort", "onnx"] {
            let theirs = try XCTUnwrap(result[engine] as? [String: [Double]])
            for name in names {
                let want = try XCTUnwrap(theirs[name]).map { Float($0) }
                let got = try XCTUnwrap(ours[name]).floats
                XCTAssertEqual(got.count, want.count, "\(engine) \(name)")
                let bad = zip(got, want).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
                XCTAssertTrue(bad.isEmpty, "\(engine) '\(name)' differs at \(bad.count) elements (seed \(seed)), first: "
                              + "\(bad.prefix(3).map { "#\($0.offset) x=\($0.offset < x.count ? x[$0.offset] : .nan): \($0.element.0) vs \($0.element.1)" })")
            }
        }
    }
}
