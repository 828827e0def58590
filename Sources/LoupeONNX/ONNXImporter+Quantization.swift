import Foundation
import LoupeIR

// QuantizeLinear / DequantizeLinear (opsets 10, 13, 19, 21, 23, 24, 25).
//
// Loupe represents integer codes of int8, uint8, int16, uint16 (and int32 for
// DequantizeLinear, the bias case), per tensor or per axis, with float32 scales. What valid
// ONNX can say beyond that — float8/float4/int4/int2 codes, blocked quantization, float16 or
// bfloat16 arithmetic — imports as `.unsupported` with the reason. Parameters that are wrong
// whatever the implementation (a zero or negative scale, a per-axis scale whose length is not
// the axis size, a zero point of another type than the codes, an out-of-range zero point)
// throw, naming the node.

extension ONNXImporter {
    /// ONNX `TensorProto.DataType` codes of quantized types Loupe does not hold: the float8
    /// family, float8e8m0, float4e2m1, 4-bit and 2-bit integers.
    static let unsupportedCodeTypes: Set<Int32> = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26]

    /// The integer code types a zero point (and so the codes) may have.
    static func isQuantizedCodeType(_ d: DType, allowInt32: Bool) -> Bool {
        switch d {
        case .int8, .uint8, .int16, .uint16: return true
        case .int32: return allowInt32
        case .float32, .float16, .float64, .int64, .uint32, .uint64, .bool: return false
        }
    }

    /// QuantizeLinear → `.quantizeLinear(axis:saturate:)`. `output_dtype` without a zero
    /// point becomes an all-zero zero-point initializer of that type (`"<node>::zero_point"`),
    /// so the output type is always the zero point's (uint8 when neither is given).
    static func mapQuantizeLinear(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 2...3)
        let axis = try n.int("axis", default: 1)
        let saturate = try n.bool("saturate", default: true)
        if let reason = try quantizationRefusal(n, b) { return [unsupported(n, b, reason)] }

        if let precision = try n.int("precision"), precision != 0 && precision != 1 {
            guard precision == 10 || precision == 16 else {
                throw n.invalid("precision", "\(precision) is not a floating-point ONNX data type")
            }
            return [n.unsupported("precision \(onnxTypeName(Int32(precision))): Loupe divides in float32")]
        }
        var inputs = n.inputs
        if let x = n.input(0), let xType = b.dtype(of: x), xType != .float32 && xType != .float16 {
            guard xType == .int32 else {
                throw LoupeError.invalidInput(n.reference, input: 0, reason: "dtype \(xType): expected float32, float16 or int32")
            }
            return [n.unsupported("int32 input: Loupe quantizes float tensors")]
        }
        if let scale = n.input(1), b.dtype(of: scale) == .float16 {
            // x / scale is float32 arithmetic when x is float32 (numpy promotes), so a
            // float16 scale constant converts exactly; float16 x would divide in float16.
            guard b.dtype(of: n.inputs[0]) == .float32, var t = b.graph.initializers[scale] else {
                return [n.unsupported("float16 scale with float16 or non-constant operands: Loupe quantizes in float32")]
            }
            t.dtype = .float32
            inputs[1] = b.addConstant(t, for: n, "scale")
        }

        let zeroPointType = n.input(2).flatMap { b.dtype(of: $0) }
        if let code = try n.int("output_dtype"), code != 0 {
            guard let code32 = Int32(exactly: code) else { throw n.invalid("output_dtype", "\(code) is not an ONNX data type") }
            if unsupportedCodeTypes.contains(code32) {
                return [n.unsupported("output_dtype \(onnxTypeName(code32)): \(codeTypeReason)")]
            }
            guard let out = dtype(onnx: code32), isQuantizedCodeType(out, allowInt32: false) else {
                throw n.invalid("output_dtype", "\(onnxTypeName(code32)) is not a quantized type (expected UINT8, INT8, UINT16 or INT16)")
            }
            if let zeroPointType {
                guard zeroPointType == out else {
                    throw n.invalid("output_dtype", "\(onnxTypeName(code32)) differs from the zero point's type \(onnxTypeName(onnxCode(zeroPointType)))")
                }
            } else if n.input(2) == nil, out != .uint8 {
                guard let shape = b.staticShape(of: inputs[1]) else {
                    return [n.unsupported("output_dtype without a zero point needs a scale of known shape")]
                }
                let zeros = Tensor(shape: shape, ints: Array(repeating: 0, count: shape.reduce(1, *)), dtype: out)
                while inputs.count < 3 { inputs.append("") }
                inputs[2] = b.addConstant(zeros, for: n, "zero_point")
            }
        }
        try checkQuantizationParameters(n, b, inputs: inputs, axis: axis, codes: nil, allowInt32: false)
        let outputType = inputs.count > 2 && !inputs[2].isEmpty ? b.dtype(of: inputs[2]) : .uint8
        if let outputType { declareOutput(n, &b, like: inputs[0], dtype: outputType) }
        return [n.node(.quantizeLinear(axis: axis, saturate: saturate), inputs: inputs)]
    }

    /// DequantizeLinear → `.dequantizeLinear(axis:)` with a float32 output.
    static func mapDequantizeLinear(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        try n.requireArity(inputs: 2...3)
        let axis = try n.int("axis", default: 1)
        if let reason = try quantizationRefusal(n, b) { return [unsupported(n, b, reason)] }

        var inputs = n.inputs
        var outputType: DType?
        if let code = try n.int("output_dtype"), code != 0 {
            guard let code32 = Int32(exactly: code), [1, 10, 16].contains(code32) else {
                throw n.invalid("output_dtype", "\(code) is not FLOAT, FLOAT16 or BFLOAT16")
            }
            guard code32 == 1 else {
                return [n.unsupported("output_dtype \(onnxTypeName(code32)): Loupe dequantizes to float32")]
            }
            outputType = .float32
        }
        if let scale = n.input(1), b.dtype(of: scale) == .float16 {
            // The output takes the scale's type unless output_dtype says float32; then
            // (x - zp) · scale is float32 arithmetic, and the float16 constant converts exactly.
            guard outputType == .float32, var t = b.graph.initializers[scale] else {
                return [n.unsupported("float16 scale (float16 output): Loupe dequantizes to float32")]
            }
            t.dtype = .float32
            inputs[1] = b.addConstant(t, for: n, "scale")
        }
        let codes = b.dtype(of: n.inputs[0])
        if let codes {
            guard isQuantizedCodeType(codes, allowInt32: true) else {
                throw LoupeError.invalidInput(n.reference, input: 0, reason: "dtype \(codes): expected int8, uint8, int16, uint16 or int32 codes")
            }
        }
        try checkQuantizationParameters(n, b, inputs: inputs, axis: axis, codes: codes, allowInt32: true)
        declareOutput(n, &b, like: inputs[0], dtype: .float32)
        return [n.node(.dequantizeLinear(axis: axis), inputs: inputs)]
    }

    /// Records the output's type (the input's dims, `dtype`) when the input's is known:
    /// a Conv fed by DequantizeLinear(int8 weights) needs its weight's shape at import to
    /// default `kernel_shape`, and ONNX Runtime's quantize_static leaves it out.
    private static func declareOutput(_ n: NodeContext, _ b: inout GraphBuilder, like input: String, dtype: DType) {
        let dims = b.graph.initializers[input].map { $0.type.dims } ?? b.declaredTypes[input]?.dims
        guard let dims, let output = n.outputs.first, !output.isEmpty, b.declaredTypes[output] == nil else { return }
        b.declaredTypes[output] = TensorType(dtype, dims)
    }

    /// An unsupported node; inputs the graph does not hold (dropped float8/int4
    /// initializers) are left out, so that shape inference and `loupe inspect` stop at the
    /// node's reason rather than at an undefined value.
    private static func unsupported(_ n: NodeContext, _ b: GraphBuilder, _ reason: String) -> Node {
        n.node(.unsupported(opType: n.opType, domain: n.domain, reason: reason),
               inputs: n.inputs.map { b.droppedInitializers.contains($0) ? "" : $0 })
    }

    static let codeTypeReason =
        "Loupe holds integer codes (int8, uint8, int16, uint16, int32); float8, float4, 4-bit and 2-bit codes are not supported"

    /// Why a valid node cannot be represented (blocked quantization, an input of a type
    /// Loupe cannot hold), or nil. Throws for a negative `block_size`.
    private static func quantizationRefusal(_ n: NodeContext, _ b: GraphBuilder) throws -> String? {
        let blockSize = try n.int("block_size", default: 0)
        guard blockSize >= 0 else { throw n.invalid("block_size", "must be non-negative, got \(blockSize)") }
        if blockSize > 0 {
            return "blocked quantization (block_size \(blockSize)) is not supported: scales are per tensor or per axis"
        }
        let roles = ["input", "scale", "zero point"]
        for (i, name) in n.inputs.enumerated() where !name.isEmpty {
            guard let code = b.unrepresentableTypes[name] else { continue }
            let what = "\(roles[min(i, 2)]) '\(name)' has type \(onnxTypeName(code))"
            if i == 1 { return "\(what): scales must be float32" }
            return "\(what): \(codeTypeReason)"
        }
        return nil
    }

    /// Checks scale (input 1) and zero point (input 2) against the codes where the import
    /// knows them: a float32 scale, scalar or 1-D (one entry per slice along `axis`),
    /// positive and finite when constant; a zero point of the codes' integer type, of the
    /// scale's shape, within the type's range.
    private static func checkQuantizationParameters(_ n: NodeContext, _ b: GraphBuilder, inputs: [String], axis: Int,
                                                    codes: DType?, allowInt32: Bool) throws {
        let scale = inputs[1]
        if let t = b.dtype(of: scale), t != .float32 {
            throw LoupeError.invalidInput(n.reference, input: 1, reason: "scale has dtype \(t): expected float32")
        }
        let scaleShape = b.staticShape(of: scale)
        if let rank = b.rank(of: scale), rank > 1 {
            throw LoupeError.invalidInput(
                n.reference, input: 1,
                reason: "scale has rank \(rank): a scale is a scalar or 1-D without block_size (blocked quantization is not supported)")
        }
        if let values = b.graph.initializers[scale]?.floats,
           let bad = values.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw LoupeError.invalidInput(
                n.reference, input: 1, reason: "scale element \(bad) is \(values[bad]): scales must be positive and finite")
        }
        // A 1-D scale of one element is per tensor (as in the ONNX reference and ONNX Runtime).
        if let shape = scaleShape, shape.count == 1, shape[0] != 1, let rank = b.rank(of: inputs[0]) {
            guard axis >= -rank && axis < rank else {
                throw n.invalid("axis", "\(axis) is out of range for an input of rank \(rank)")
            }
            if let xShape = b.staticShape(of: inputs[0]), xShape[axis < 0 ? axis + rank : axis] != shape[0] {
                throw LoupeError.invalidInput(
                    n.reference, input: 1,
                    reason: "\(shape[0]) scales for axis \(axis) of size \(xShape[axis < 0 ? axis + rank : axis]) (input shape \(xShape))")
            }
        }
        guard inputs.count > 2, !inputs[2].isEmpty else { return }
        let zeroPoint = inputs[2]
        if let z = b.dtype(of: zeroPoint) {
            guard isQuantizedCodeType(z, allowInt32: allowInt32) else {
                throw LoupeError.invalidInput(
                    n.reference, input: 2,
                    reason: "zero point has dtype \(z): expected int8, uint8, int16, uint16\(allowInt32 ? " or int32" : "")")
            }
            if let codes, codes != z {
                throw LoupeError.invalidInput(n.reference, input: 2, reason: "zero point has dtype \(z) but the codes are \(codes)")
            }
        }
        if let zShape = b.staticShape(of: zeroPoint), let scaleShape,
           zShape != scaleShape && !(zShape.count <= 1 && scaleShape.count <= 1 && zShape.reduce(1, *) == 1 && scaleShape.reduce(1, *) == 1) {
            throw LoupeError.invalidInput(n.reference, input: 2, reason: "zero point shape \(zShape) differs from the scale's \(scaleShape)")
        }
        if let t = b.graph.initializers[zeroPoint], case .int(let values) = t.storage, let range = t.dtype.quantizedCodeRange,
           let bad = values.firstIndex(where: { !range.contains($0) }) {
            throw LoupeError.invalidInput(
                n.reference, input: 2, reason: "zero point element \(bad) is \(values[bad]), outside \(t.dtype)'s range \(range)")
        }
    }
}
