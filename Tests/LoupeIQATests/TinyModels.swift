import Foundation
import XCTest

/// Tiny ONNX scoring models written by python's onnx.helper into a temporary folder
/// (skipped when python3 with onnx and numpy is missing). Weights are seeded.
enum TinyModels {
    /// `single`: input [1,3,H,W] → Conv 3→4 (k8, s8) → Relu → GlobalAveragePool → Flatten →
    /// Gemm 4→1: output `score` [1,1]. Height 0 makes the input [N,3,H,W] (symbolic).
    /// `three`: inputs a, b, c [1,3,224,224] → GlobalAveragePool → Flatten → Gemm with
    /// weights w_a, w_b, w_c (3→1) → Add: output [1,1] = Σ mean_rgb(input) · w.
    static let script = #"""
        import sys, numpy as np, onnx
        from onnx import helper as h, TensorProto as T, numpy_helper as nh
        out, kind, H, W = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rng = np.random.default_rng(0)
        def init(name, a): return nh.from_array(np.asarray(a, dtype=np.float32), name)
        if kind == "single":
            nodes = [h.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[8, 8], strides=[8, 8]),
                     h.make_node("Relu", ["c"], ["r"]), h.make_node("GlobalAveragePool", ["r"], ["p"]),
                     h.make_node("Flatten", ["p"], ["f"]), h.make_node("Gemm", ["f", "g", "gb"], ["score"])]
            inits = [init("w", rng.normal(0, 0.05, (4, 3, 8, 8))), init("b", rng.normal(0, 0.1, 4)),
                     init("g", rng.normal(0, 1, (4, 1))), init("gb", [0.5])]
            inputs = [h.make_tensor_value_info("x", T.FLOAT, ["N", 3, "H", "W"] if H == 0 else [1, 3, H, W])]
        else:
            nodes, inits, inputs, terms = [], [], [], []
            for k, name in enumerate("abc"):
                inputs.append(h.make_tensor_value_info(name, T.FLOAT, [1, 3, 224, 224]))
                nodes += [h.make_node("GlobalAveragePool", [name], [name + "p"]),
                          h.make_node("Flatten", [name + "p"], [name + "f"]),
                          h.make_node("Gemm", [name + "f", "w" + name], [name + "s"])]
                inits.append(init("w" + name, [[1.0 * (k + 1)], [10.0 * (k + 1)], [100.0 * (k + 1)]]))
                terms.append(name + "s")
            nodes += [h.make_node("Add", [terms[0], terms[1]], ["ab"]), h.make_node("Add", ["ab", terms[2]], ["score"])]
        g = h.make_graph(nodes, "tiny", inputs, [h.make_tensor_value_info("score", T.FLOAT, [1, 1])], inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        onnx.save(m, out)
        """#

    /// Writes the model and returns its path; throws XCTSkip without python3 + onnx.
    static func make(_ kind: String, height: Int = 720, width: Int = 1280, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("\(kind)-\(height)x\(width).onnx").path
        guard let (status, output) = try runPython(script, arguments: [path, kind, String(height), String(width)]) else {
            throw XCTSkip("python3 is not installed")
        }
        if status != 0 && output.contains("ModuleNotFoundError") { throw XCTSkip("python3 lacks onnx or numpy") }
        guard status == 0 else { throw NSError(domain: "TinyModels", code: Int(status), userInfo: [NSLocalizedDescriptionKey: output]) }
        return path
    }
}
