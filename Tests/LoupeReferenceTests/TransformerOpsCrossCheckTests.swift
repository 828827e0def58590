import XCTest
import LoupeReference
import Foundation
import LoupeIR
import LoupeTestSupport

/// ONNX Runtime cross-checks of the NF-RegNet / Swin ops (see OnnxRuntimeCrossCheckTests
/// for the harness: seeded inputs, skipped without python3 + onnxruntime).
extension OnnxRuntimeCrossCheckTests {
    func testTransformerOpsAgainstOnnxRuntime() throws {
        try check([
            Case(name: "layernorm last axis", opType: "LayerNormalization", opset: 17,
                 attributes: ["axis": .i(-1), "epsilon": .f(1e-5)], inputs: [.random([2, 7, 96]), .random([96]), .random([96])],
                 op: .layerNormalization(axis: -1, epsilon: 1e-5)),
            Case(name: "layernorm axis 1, no bias", opType: "LayerNormalization", opset: 17,
                 attributes: ["axis": .i(1), "epsilon": .f(1e-3)], inputs: [.random([2, 3, 4, 5]), .random([3, 4, 5])],
                 op: .layerNormalization(axis: 1, epsilon: 1e-3)),
            Case(name: "layernorm broadcast scale", opType: "LayerNormalization", opset: 17,
                 attributes: ["axis": .i(-2)], inputs: [.random([3, 4, 5]), .random([1, 5]), .random([5])],
                 op: .layerNormalization(axis: -2, epsilon: 1e-5)),
            Case(name: "gelu exact", opType: "Gelu", opset: 20, inputs: [.random([3, 50])],
                 op: .gelu(tanhApproximation: false), tolerance: 1e-5),
            Case(name: "gelu tanh", opType: "Gelu", opset: 20, attributes: ["approximate": .s("tanh")], inputs: [.random([3, 50])],
                 op: .gelu(tanhApproximation: true), tolerance: 1e-5),
            Case(name: "mod fmod float", opType: "Mod", opset: 13, attributes: ["fmod": .i(1)],
                 inputs: [.random([4, 6]), .float([0.3, -0.7, 0.25, 2, -0.1, 0.9], shape: [6])],
                 op: .mod(fmod: true), tolerance: 1e-6),
            Case(name: "split first part", opType: "Split", opset: 18, attributes: ["axis": .i(1)],
                 inputs: [.random([2, 6, 3]), .int64([6], shape: [1])], op: .split(axis: 1), tolerance: 0),
        ])
    }
}

/// Training-mode BatchNormalization needs its three outputs declared for ONNX Runtime to
/// accept it, which the one-output harness above does not do; this builds the node itself.
final class BatchNormalizationTrainingCrossCheckTests: XCTestCase {
    static let script = #"""
import json, sys
try:
    import numpy as np, onnxruntime as ort
    from onnx import helper, numpy_helper, TensorProto
except ImportError as e:
    print("missing: %s" % e, file=sys.stderr); sys.exit(77)
seed, shape, eps = int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(seed)
c = shape[1]
x = (rng.uniform(-1, 1, size=shape) * 3 + 0.5).astype(np.float32)
p = {k: rng.uniform(0.5, 2, size=[c]).astype(np.float32) for k in "sbmv"}
node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1, epsilon=eps)
g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                      [numpy_helper.from_array(v, k) for k, v in p.items()])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]); m.ir_version = 8
y = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
json.dump({"x": x.reshape(-1).tolist(), **{k: v.tolist() for k, v in p.items()}, "y": y.reshape(-1).tolist()}, sys.stdout)
"""#

    func testAgainstOnnxRuntime() throws {
        let base = ProcessInfo.processInfo.environment["LOUPE_TEST_SEED"].flatMap(UInt64.init) ?? 20_241
        for (k, (shape, eps)) in [([1, 4, 27], Float(1e-5)), ([2, 3, 5, 7], Float(1e-3)), ([3, 2], Float(1e-5))].enumerated() {
            let seed = base + UInt64(k)
            let out: String
            do {
                out = try Python.guarded(["-c", Self.script, "\(seed)", "\(shape)", "\(eps)"], requires: "onnx and onnxruntime")
            } catch let e as ProcessFailure {
                XCTFail("\(e) (seed \(seed))")
                continue
            }
            guard let r = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [Double]] else {
                XCTFail("unexpected answer from python (seed \(seed)): \(out)")
                continue
            }
            func t(_ key: String, _ s: [Int]) -> Tensor { f(s, r[key]!.map { Float($0) }) }
            let c = shape[1]
            let y = try run1(.batchNormalizationTraining(epsilon: eps),
                             [t("x", shape), t("s", [c]), t("b", [c]), t("m", [c]), t("v", [c])])
            assertClose(y, shape, r["y"]!.map { Float($0) }, tol: 1e-5, "[shape \(shape), seed \(seed)]")
        }
    }
}
