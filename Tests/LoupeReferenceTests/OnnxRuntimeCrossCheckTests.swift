import Foundation
import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

/// Single-node models built and run by ONNX Runtime (via python3 at test time, in a temp
/// directory) on seeded random inputs, compared with the reference interpreter. Skipped when
/// python3, onnx or onnxruntime is missing. Seeds are printed with any failure; set
/// LOUPE_TEST_SEED to replay or vary them.
final class OnnxRuntimeCrossCheckTests: XCTestCase {
    enum Attr {
        case i(Int), f(Float), s(String), ints([Int]), floats([Float])
        var json: [String: Any] {
            switch self {
            case .i(let v): return ["t": "i", "v": v]
            case .f(let v): return ["t": "f", "v": Double(v)]
            case .s(let v): return ["t": "s", "v": v]
            case .ints(let v): return ["t": "ints", "v": v]
            case .floats(let v): return ["t": "floats", "v": v.map(Double.init)]
            }
        }
    }

    enum Input {
        case random([Int])
        case int64([Int64], shape: [Int])
        case float([Float], shape: [Int])
        case absent
        var json: [String: Any] {
            switch self {
            case .random(let s): return ["kind": "random", "shape": s]
            case .int64(let v, let s): return ["kind": "int64", "shape": s, "values": v]
            case .float(let v, let s): return ["kind": "float", "shape": s, "values": v.map(Double.init)]
            case .absent: return ["kind": "absent"]
            }
        }
    }

    struct Case {
        var name: String
        var opType: String
        var opset: Int = 19
        var attributes: [String: Attr] = [:]
        var inputs: [Input]
        var op: Op
        var tolerance: Float = 1e-4
    }

    static let script = #"""
import json, sys
try:
    import numpy as np, onnx, onnxruntime as ort
    from onnx import helper, numpy_helper, TensorProto
except ImportError as e:
    print("missing: %s" % e, file=sys.stderr); sys.exit(77)
cases = json.load(open(sys.argv[1]))
results = []
for c in cases:
    rng = np.random.default_rng(c["seed"])
    names, graph_inputs, inits, feeds, values = [], [], [], {}, []
    for i, inp in enumerate(c["inputs"]):
        name = "in%d" % i
        k = inp["kind"]
        if k == "absent":
            names.append(""); values.append(None); continue
        names.append(name)
        shape = inp["shape"]
        if k == "random":
            v = rng.uniform(-1, 1, size=shape).astype(np.float32)
            graph_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
            feeds[name] = v
        else:
            v = np.array(inp["values"], dtype=np.int64 if k == "int64" else np.float32).reshape(shape)
            inits.append(numpy_helper.from_array(v, name))
        values.append(v.reshape(-1).tolist())
    attrs = {}
    for key, a in c["attrs"].items():
        t, v = a["t"], a["v"]
        attrs[key] = float(v) if t == "f" else [float(x) for x in v] if t == "floats" else v
    node = helper.make_node(c["op"], names, ["y"], **attrs)
    graph = helper.make_graph([node], "g", graph_inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c["opset"])])
    model.ir_version = 8
    try:
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        y = sess.run(None, feeds)[0]
        results.append({"inputs": values, "output": y.astype(np.float64).reshape(-1).tolist(), "shape": list(y.shape)})
    except Exception as e:
        results.append({"error": str(e)})
json.dump(results, open(sys.argv[2], "w"))
"""#

    /// Runs the cases through ONNX Runtime; skips when it is not available.
    func onnxRuntime(_ cases: [Case], seeds: [UInt64]) throws -> [[String: Any]] {
        let spec = zip(cases, seeds).map { c, seed -> [String: Any] in
            ["op": c.opType, "opset": c.opset, "seed": seed, "attrs": c.attributes.mapValues(\.json),
             "inputs": c.inputs.map(\.json)]
        }
        do {
            let answer = try Python.reference(Self.script, input: spec, requires: "numpy, onnx and onnxruntime")
            return try XCTUnwrap(answer as? [[String: Any]])
        } catch let e as ProcessFailure {
            XCTFail("\(e) (seeds from \(seeds.first ?? 0))")
            return []
        }
    }

    func check(_ cases: [Case]) throws {
        let base = ProcessInfo.processInfo.environment["LOUPE_TEST_SEED"].flatMap(UInt64.init) ?? 20_241
        let seeds = cases.indices.map { base + UInt64($0) }
        let results = try onnxRuntime(cases, seeds: seeds)
        XCTAssertEqual(results.count, cases.count)
        for (i, (c, r)) in zip(cases, results).enumerated() {
            let context = "[\(c.name), seed \(seeds[i])]"
            if let e = r["error"] { XCTFail("ONNX Runtime rejected \(context): \(e)"); continue }
            let values = r["inputs"] as! [Any]
            var tensors: [Tensor?] = []
            for (j, input) in c.inputs.enumerated() {
                switch input {
                case .absent: tensors.append(nil)
                case .random(let s): tensors.append(f(s, (values[j] as! [Double]).map { Float($0) }))
                case .float(let v, let s): tensors.append(f(s, v))
                case .int64(let v, let s): tensors.append(i64(s, v))
                }
            }
            let expected = (r["output"] as! [Double]).map { Float($0) }
            let shape = r["shape"] as! [Int]
            do {
                let y = try run1(c.op, tensors)
                assertClose(y, shape, expected, tol: c.tolerance, context)
            } catch {
                XCTFail("reference failed \(context): \(error)")
            }
        }
    }

    func testConvolutions() throws {
        try check([
            Case(name: "conv groups dilation stride pads", opType: "Conv",
                 attributes: ["group": .i(2), "dilations": .ints([2, 1]), "strides": .ints([2, 2]), "pads": .ints([1, 0, 2, 1]),
                              "kernel_shape": .ints([3, 3])],
                 inputs: [.random([2, 4, 9, 8]), .random([6, 2, 3, 3]), .random([6])],
                 op: .conv(conv2d(k: [3, 3], s: [2, 2], d: [2, 1], p: [1, 0, 2, 1], group: 2))),
            Case(name: "conv SAME_LOWER stride 2", opType: "Conv",
                 attributes: ["auto_pad": .s("SAME_LOWER"), "strides": .ints([2, 2])],
                 inputs: [.random([1, 3, 7, 6]), .random([4, 3, 4, 3])],
                 op: .conv(conv2d(k: [4, 3], s: [2, 2], auto: .sameLower))),
            Case(name: "depthwise conv", opType: "Conv",
                 attributes: ["group": .i(4), "pads": .ints([1, 1, 1, 1])],
                 inputs: [.random([1, 4, 5, 5]), .random([4, 1, 3, 3]), .random([4])],
                 op: .conv(conv2d(k: [], p: [1, 1, 1, 1], group: 4))),
            Case(name: "convTranspose groups stride output_padding", opType: "ConvTranspose",
                 attributes: ["group": .i(2), "strides": .ints([2, 3]), "pads": .ints([1, 0, 0, 1]), "output_padding": .ints([1, 2]),
                              "dilations": .ints([1, 2])],
                 inputs: [.random([1, 4, 3, 4]), .random([4, 3, 3, 2]), .random([6])],
                 op: .convTranspose(conv2d(k: [], s: [2, 3], d: [1, 2], p: [1, 0, 0, 1], group: 2, outputPadding: [1, 2]))),
            Case(name: "convTranspose output_shape", opType: "ConvTranspose",
                 attributes: ["strides": .ints([2, 2]), "output_shape": .ints([8, 9])],
                 inputs: [.random([1, 2, 4, 4]), .random([2, 3, 3, 3])],
                 op: .convTranspose(conv2d(k: [], s: [2, 2], outputShape: [8, 9]))),
            Case(name: "gemm trans alpha beta C row", opType: "Gemm",
                 attributes: ["transA": .i(1), "transB": .i(1), "alpha": .f(0.5), "beta": .f(2)],
                 inputs: [.random([5, 3]), .random([4, 5]), .random([1, 4])],
                 op: .gemm(GemmAttributes(alpha: 0.5, beta: 2, transA: true, transB: true))),
            Case(name: "batched matmul broadcast", opType: "MatMul",
                 inputs: [.random([2, 1, 3, 4]), .random([3, 4, 5])], op: .matMul),
        ])
    }

    func testPoolsAndNormalization() throws {
        try check([
            Case(name: "avgpool ceil include pad", opType: "AveragePool",
                 attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                              "ceil_mode": .i(1), "count_include_pad": .i(1)],
                 inputs: [.random([1, 2, 6, 7])],
                 op: .averagePool(PoolAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [], pads: [1, 1, 1, 1],
                                                 ceilMode: true, countIncludePad: true))),
            Case(name: "avgpool exclude pad", opType: "AveragePool",
                 attributes: ["kernel_shape": .ints([3, 2]), "strides": .ints([1, 2]), "pads": .ints([1, 0, 1, 1])],
                 inputs: [.random([1, 2, 5, 5])],
                 op: .averagePool(PoolAttributes(kernelShape: [3, 2], strides: [1, 2], dilations: [], pads: [1, 0, 1, 1]))),
            Case(name: "maxpool dilation ceil", opType: "MaxPool",
                 attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "dilations": .ints([2, 2]), "ceil_mode": .i(1)],
                 inputs: [.random([1, 3, 8, 7])],
                 op: .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2], dilations: [2, 2], pads: [0, 0, 0, 0], ceilMode: true))),
            Case(name: "batchnorm", opType: "BatchNormalization", attributes: ["epsilon": .f(1e-3)],
                 inputs: [.random([2, 3, 2, 2]), .random([3]), .random([3]), .random([3]), .float([0.5, 1, 2], shape: [3])],
                 op: .batchNormalization(epsilon: 1e-3, layout: .nchw)),
            Case(name: "softmax axis 1", opType: "Softmax", attributes: ["axis": .i(1)],
                 inputs: [.random([2, 5, 3])], op: .softmax(axis: 1, legacyCoerce2D: false)),
            Case(name: "reduce mean axes", opType: "ReduceMean", attributes: ["keepdims": .i(0)],
                 inputs: [.random([2, 3, 4]), .int64([0, -1], shape: [2])],
                 op: .reduce(.mean, keepDims: false, noopWithEmptyAxes: false)),
        ])
    }

    func testElementwiseAndPad() throws {
        try check([
            Case(name: "hardswish", opType: "HardSwish", inputs: [.random([3, 7])], op: .unary(.hardSwish)),
            Case(name: "erf", opType: "Erf", inputs: [.random([10])], op: .unary(.erf)),
            Case(name: "elu", opType: "Elu", attributes: ["alpha": .f(0.7)], inputs: [.random([10])], op: .elu(alpha: 0.7)),
            Case(name: "hardsigmoid", opType: "HardSigmoid", attributes: ["alpha": .f(0.3), "beta": .f(0.6)],
                 inputs: [.random([10])], op: .hardSigmoid(alpha: 0.3, beta: 0.6)),
            Case(name: "prelu", opType: "PRelu", inputs: [.random([1, 3, 2, 2]), .random([3, 1, 1])], op: .prelu),
            Case(name: "pad reflect axes", opType: "Pad", attributes: ["mode": .s("reflect")],
                 inputs: [.random([1, 2, 4, 5]), .int64([2, 1, 1, 3], shape: [4]), .absent, .int64([2, -1], shape: [2])],
                 op: .pad(.reflect)),
            Case(name: "pad edge", opType: "Pad", attributes: ["mode": .s("edge")],
                 inputs: [.random([2, 3]), .int64([1, 2, 3, 0], shape: [4])], op: .pad(.edge)),
        ])
    }

    func testMoreGeometry() throws {
        try check([
            Case(name: "convTranspose SAME_UPPER", opType: "ConvTranspose",
                 attributes: ["strides": .ints([2, 2]), "auto_pad": .s("SAME_UPPER")],
                 inputs: [.random([1, 2, 3, 4]), .random([2, 2, 4, 3])],
                 op: .convTranspose(conv2d(k: [], s: [2, 2], auto: .sameUpper))),
            Case(name: "conv 1-D", opType: "Conv", attributes: ["pads": .ints([2, 1]), "dilations": .ints([2])],
                 inputs: [.random([2, 3, 9]), .random([4, 3, 3])],
                 op: .conv(ConvAttributes(kernelShape: [], strides: [], dilations: [2], pads: [2, 1]))),
            Case(name: "conv 3-D", opType: "Conv", attributes: ["strides": .ints([1, 2, 1]), "pads": .ints([1, 0, 1, 0, 1, 1])],
                 inputs: [.random([1, 2, 3, 5, 4]), .random([3, 2, 2, 3, 2])],
                 op: .conv(ConvAttributes(kernelShape: [], strides: [1, 2, 1], dilations: [], pads: [1, 0, 1, 0, 1, 1]))),
            Case(name: "avgpool SAME_UPPER", opType: "AveragePool",
                 attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "auto_pad": .s("SAME_UPPER")],
                 inputs: [.random([1, 2, 6, 7])],
                 op: .averagePool(PoolAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [], pads: [], autoPad: .sameUpper))),
            Case(name: "softmax legacy opset 11", opType: "Softmax", opset: 11, attributes: ["axis": .i(1)],
                 inputs: [.random([2, 3, 4])], op: .softmax(axis: 1, legacyCoerce2D: true)),
            Case(name: "slice negative step", opType: "Slice",
                 inputs: [.random([4, 6]), .int64([-1, 5], shape: [2]), .int64([Int64.min, 0], shape: [2]),
                          .int64([0, 1], shape: [2]), .int64([-2, -3], shape: [2])],
                 op: .slice),
            Case(name: "pad wrap", opType: "Pad", attributes: ["mode": .s("wrap")],
                 inputs: [.random([3, 4]), .int64([1, 2, 2, 5], shape: [4])], op: .pad(.wrap)),
            Case(name: "pad constant negative", opType: "Pad",
                 inputs: [.random([3, 4]), .int64([-1, 2, 1, -1], shape: [4]), .float([0.5], shape: [])], op: .pad(.constant)),
            Case(name: "gather negative", opType: "Gather", attributes: ["axis": .i(1)],
                 inputs: [.random([2, 5]), .int64([-1, 0, 3], shape: [3])], op: .gather(axis: 1)),
            Case(name: "clip min only", opType: "Clip", inputs: [.random([8]), .float([-0.2], shape: [])], op: .clip),
            Case(name: "reduce l2 all", opType: "ReduceL2", inputs: [.random([2, 3, 4])],
                 op: .reduce(.l2, keepDims: true, noopWithEmptyAxes: false)),
        ])
    }

    func testResize() throws {
        func resize(_ name: String, _ attrs: [String: Attr], _ a: ResizeAttributes, x: [Int], scales: [Float]? = nil,
                    sizes: [Int64]? = nil, roi: [Float]? = nil, tol: Float = 1e-4) -> Case {
            Case(name: name, opType: "Resize", attributes: attrs,
                 inputs: [.random(x), roi.map { .float($0, shape: [$0.count]) } ?? .absent,
                          scales.map { .float($0, shape: [$0.count]) } ?? .absent,
                          sizes.map { .int64($0, shape: [$0.count]) } ?? .absent],
                 op: .resize(a), tolerance: tol)
        }
        try check([
            resize("linear half_pixel down", ["mode": .s("linear")], ResizeAttributes(mode: .linear),
                   x: [1, 2, 5, 7], scales: [1, 1, 0.6, 0.8]),
            resize("linear antialias down", ["mode": .s("linear"), "antialias": .i(1)], ResizeAttributes(mode: .linear, antialias: true),
                   x: [1, 1, 9, 8], scales: [1, 1, 0.5, 0.4]),
            resize("cubic asymmetric exclude_outside", ["mode": .s("cubic"), "coordinate_transformation_mode": .s("asymmetric"),
                                                        "exclude_outside": .i(1), "cubic_coeff_a": .f(-0.5)],
                   ResizeAttributes(mode: .cubic, coordinateTransformation: .asymmetric, cubicCoeffA: -0.5, excludeOutside: true),
                   x: [1, 1, 4, 5], scales: [1, 1, 2, 1.5]),
            resize("nearest align_corners ceil sizes", ["mode": .s("nearest"), "coordinate_transformation_mode": .s("align_corners"),
                                                         "nearest_mode": .s("round_prefer_ceil")],
                   ResizeAttributes(mode: .nearest, coordinateTransformation: .alignCorners, nearestMode: .roundPreferCeil),
                   x: [1, 2, 3, 5], sizes: [1, 2, 7, 3]),
            resize("nearest pytorch_half_pixel floor", ["mode": .s("nearest"), "coordinate_transformation_mode": .s("pytorch_half_pixel"),
                                                         "nearest_mode": .s("floor")],
                   ResizeAttributes(mode: .nearest, coordinateTransformation: .pytorchHalfPixel, nearestMode: .floor),
                   x: [1, 1, 5, 4], scales: [1, 1, 1.7, 2.5]),
            resize("linear tf_crop_and_resize", ["mode": .s("linear"), "coordinate_transformation_mode": .s("tf_crop_and_resize"),
                                                  "extrapolation_value": .f(-2)],
                   ResizeAttributes(mode: .linear, coordinateTransformation: .tfCropAndResize, extrapolationValue: -2),
                   x: [1, 1, 5, 5], sizes: [1, 1, 4, 6], roi: [0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2]),
            resize("linear sizes axes not_larger", ["mode": .s("linear"), "axes": .ints([2, 3]), "keep_aspect_ratio_policy": .s("not_larger")],
                   ResizeAttributes(mode: .linear, axes: [2, 3], keepAspectRatioPolicy: .notLarger),
                   x: [1, 1, 4, 6], sizes: [7, 9]),
            resize("linear pytorch_half_pixel to length 1", ["mode": .s("linear"), "coordinate_transformation_mode": .s("pytorch_half_pixel")],
                   ResizeAttributes(mode: .linear, coordinateTransformation: .pytorchHalfPixel), x: [1, 1, 4, 5], sizes: [1, 1, 1, 3]),
            resize("cubic antialias down", ["mode": .s("cubic"), "antialias": .i(1)], ResizeAttributes(mode: .cubic, antialias: true),
                   x: [1, 1, 8, 9], scales: [1, 1, 0.5, 0.7]),
            // Given as sizes: with a scale whose scale·length is not an integer, ONNX (its
            // reference and node-test data, which Loupe follows) and ONNX Runtime disagree
            // on align_corners; ONNX's node test test_resize_downsample_scales_linear_align_corners
            // covers that case instead.
            resize("linear align_corners up", ["mode": .s("linear"), "coordinate_transformation_mode": .s("align_corners")],
                   ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners), x: [1, 1, 3, 4], sizes: [1, 1, 7, 6]),
            resize("cubic half_pixel_symmetric", ["mode": .s("cubic"), "coordinate_transformation_mode": .s("half_pixel_symmetric")],
                   ResizeAttributes(mode: .cubic, coordinateTransformation: .halfPixelSymmetric),
                   x: [1, 1, 4, 4], scales: [1, 1, 1.7, 0.75]),
        ])
    }
}
