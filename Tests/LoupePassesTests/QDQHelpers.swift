import LoupeIR
import LoupeReference
import XCTest

/// Builds QDQ graphs in IR the way ONNX Runtime's quantize_static writes them: activations
/// `Q → DQ`, weights as int8 constants behind a DQ, biases as int32 constants at scale
/// input·weight behind a DQ.
struct QDQBuilder {
    var graph: Graph
    var rng: Rng
    /// Activation code type: int8, or uint8 as ONNX Runtime's QUInt8 writes.
    var activationType: DType = .int8

    init(input: String = "x", shape: [Int], seed: UInt64) {
        graph = Graph(inputs: [ValueInfo(name: input, type: TensorType(.float32, shape: shape))])
        rng = Rng(seed)
    }

    mutating func constant(_ name: String, _ t: Tensor) -> String {
        graph.initializers[name] = t
        return name
    }

    /// `Q → DQ` of `x` at `scale`, `zeroPoint` (in int8 terms; shifted by 128 for uint8).
    /// Returns the DQ output.
    mutating func qdq(_ x: String, scale: Float, zeroPoint: Int, name: String? = nil) -> String {
        let base = name ?? x
        let zpValue = Int64(zeroPoint) + (activationType == .uint8 ? 128 : 0)
        let s = constant("\(base)_scale", scalar(scale))
        let z = constant("\(base)_zp", Tensor(shape: [], ints: [zpValue], dtype: activationType))
        graph.nodes.append(Node(name: "\(base)_Q", op: .quantizeLinear(axis: 1, saturate: true), inputs: [x, s, z], outputs: ["\(base)_q"]))
        graph.nodes.append(Node(name: "\(base)_DQ", op: .dequantizeLinear(axis: 1), inputs: ["\(base)_q", s, z], outputs: ["\(base)_dq"]))
        return "\(base)_dq"
    }

    /// A random weight quantized symmetric per slice along `axis` (nil: per tensor), behind a
    /// DQ; returns the DQ output and the scales.
    mutating func weight(_ name: String, _ shape: [Int], axis: Int?, zeroPoint: Int64 = 0) -> (String, [Float]) {
        let w = rng.tensor(shape, -0.5, 0.5)
        let n = axis.map { shape[$0] } ?? 1
        let inner = axis.map { shape[($0 + 1)...].reduce(1, *) } ?? 1
        var absMax = [Float](repeating: 0, count: n)
        for (i, v) in w.floats.enumerated() {
            let c = axis == nil ? 0 : (i / inner) % n
            absMax[c] = max(absMax[c], abs(v))
        }
        let scales = absMax.map { max($0, 1e-6) / 127 }
        let codes = w.floats.enumerated().map { i, v -> Int64 in
            let c = axis == nil ? 0 : (i / inner) % n
            return max(-128, min(127, Int64(max(-127, min(127, (v / scales[c]).rounded(.toNearestOrEven)))) + zeroPoint))
        }
        graph.initializers["\(name)_codes"] = Tensor(shape: shape, ints: codes, dtype: .int8)
        let sShape = axis == nil ? [] : [n]
        graph.initializers["\(name)_wscale"] = Tensor(shape: sShape, floats: scales)
        graph.initializers["\(name)_wzp"] = Tensor(shape: sShape, ints: Array(repeating: zeroPoint, count: n), dtype: .int8)
        graph.nodes.append(Node(name: "\(name)_DQ", op: .dequantizeLinear(axis: axis ?? 1),
                                inputs: ["\(name)_codes", "\(name)_wscale", "\(name)_wzp"], outputs: [name]))
        return (name, scales)
    }

    /// An int32 bias at scale `inputScale · weightScales[c]` behind a DQ (ONNX Runtime's form).
    mutating func bias(_ name: String, inputScale: Float, weightScales: [Float]) -> String {
        let real = rng.uniform(weightScales.count, -0.3, 0.3)
        let scales = weightScales.map { inputScale * $0 }
        graph.initializers["\(name)_codes"] = Tensor(shape: [scales.count], ints: zip(real, scales).map { Int64(($0 / $1).rounded(.toNearestOrEven)) }, dtype: .int32)
        graph.initializers["\(name)_bscale"] = Tensor(shape: [scales.count], floats: scales)
        graph.initializers["\(name)_bzp"] = Tensor(shape: [scales.count], ints: Array(repeating: 0, count: scales.count), dtype: .int32)
        graph.nodes.append(Node(name: "\(name)_DQ", op: .dequantizeLinear(axis: 0),
                                inputs: ["\(name)_codes", "\(name)_bscale", "\(name)_bzp"], outputs: [name]))
        return name
    }

    mutating func node(_ name: String, _ op: Op, _ inputs: [String]) -> String {
        graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputs: [name]))
        return name
    }

    mutating func output(_ v: String, _ shape: [Int]) {
        graph.outputs.append(ValueInfo(name: v, type: TensorType(.float32, shape: shape)))
    }
}

/// Evaluates a graph with QuantizeLinear/DequantizeLinear (ONNX semantics, written out here)
/// and folded int8 ops: an op whose values carry `Graph.quantization` entries runs as
/// dequantize inputs → the reference interpreter's float op → quantize outputs, which is the
/// contract the runtime's int8 kernels implement.
enum QDQSimulator {
    static func run(_ graph: Graph, inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = graph.initializers.merging(inputs) { $1 }
        for node in graph.nodes {
            let args: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            if case .quantizeLinear(let axis, _) = node.op {
                let zpType = args.count > 2 ? args[2]?.dtype ?? .uint8 : .uint8
                values[node.outputs[0]] = quantize(args[0]!, args[1]!, args.count > 2 ? args[2] : nil, axis: axis, type: zpType)
                continue
            }
            if case .dequantizeLinear(let axis) = node.op {
                values[node.outputs[0]] = dequantize(args[0]!, args[1]!.floats,
                                                     args.count > 2 ? args[2]?.ints ?? [0] : [0], axis: axis)
                continue
            }
            var floatArgs = args
            for (k, v) in node.inputs.enumerated() where !v.isEmpty {
                if let q = graph.quantization[v], let t = args[k], !t.dtype.isFloat {
                    floatArgs[k] = dequantize(t, q.scales, q.zeroPoints.map { Int64($0) }, axis: q.axis ?? 0)
                }
            }
            let outs = try ReferenceInterpreter.evaluate(node, inputs: floatArgs)
            for (name, t) in zip(node.outputs, outs) {
                if let q = graph.quantization[name] {
                    let s = Tensor(shape: [], floats: [q.scale])
                    let z = Tensor(shape: [], ints: [Int64(q.zeroPoint)], dtype: .int8)
                    values[name] = quantize(t, s, z, axis: 0, type: .int8)
                } else {
                    values[name] = t
                }
            }
        }
        var out: [String: Tensor] = [:]
        for o in graph.outputs { out[o.name] = values[o.name] }
        return out
    }

    static func quantize(_ x: Tensor, _ scale: Tensor, _ zp: Tensor?, axis: Int, type: DType) -> Tensor {
        let s = scale.floats, z = zp?.ints ?? [0]
        let (lo, hi): (Float, Float) = type == .int8 ? (-128, 127) : type == .uint8 ? (0, 255) : (-2147483648, 2147483520)
        let a = axis < 0 ? axis + x.shape.count : axis
        let inner = s.count > 1 ? x.shape[(a + 1)...].reduce(1, *) : 1
        let codes = x.floats.enumerated().map { i, v -> Int64 in
            let c = s.count > 1 ? (i / inner) % x.shape[a] : 0
            return Int64(max(lo, min(hi, (v / s[c]).rounded(.toNearestOrEven) + Float(z[c]))))
        }
        return Tensor(shape: x.shape, ints: codes, dtype: type)
    }

    static func dequantize(_ q: Tensor, _ s: [Float], _ z: [Int64], axis: Int) -> Tensor {
        let a = axis < 0 ? axis + q.shape.count : axis
        let inner = s.count > 1 ? q.shape[(a + 1)...].reduce(1, *) : 1
        let v = q.ints.enumerated().map { i, c -> Float in
            let k = s.count > 1 ? (i / inner) % q.shape[a] : 0
            return Float(c - z[k]) * s[k]
        }
        return Tensor(shape: q.shape, floats: v)
    }
}

/// Checks that the folded graph computes what the QDQ graph computes: every output within
/// `codes` quantization steps of the last DQ's scale (int8 rounding of the same reals may
/// differ by one code where float sums are ordered differently or a bias is requantized).
func assertSameQuantizedOutputs(_ qdq: Graph, _ folded: Graph, inputs: [String: Tensor], step: Float, codes: Float = 1,
                                seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(qdq.inputs, folded.inputs, "graph inputs changed", file: file, line: line)
    XCTAssertEqual(qdq.outputs, folded.outputs, "graph outputs changed", file: file, line: line)
    let a = try QDQSimulator.run(qdq, inputs: inputs)
    let b = try QDQSimulator.run(folded, inputs: inputs)
    for o in qdq.outputs {
        guard let x = a[o.name], let y = b[o.name] else { XCTFail("output \(o.name) missing (seed \(seed))", file: file, line: line); continue }
        XCTAssertEqual(x.shape, y.shape, "shape of \(o.name) (seed \(seed))", file: file, line: line)
        let err = zip(x.floats, y.floats).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(err, codes * step * 1.0001, "output \(o.name) differs by \(err / step) codes (seed \(seed))",
                                 file: file, line: line)
    }
}
