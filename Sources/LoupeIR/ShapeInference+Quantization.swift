// QuantizeLinear / DequantizeLinear: same shape as X; the scale is a scalar or a 1-D tensor
// with one entry per slice along `axis`, and the zero point has the scale's shape.

extension ShapeContext {
    func quantizeLinear(axis: Int) throws -> TensorType {
        let x = try float(0)
        try checkQuantizationParameters(x, axis: axis)
        // The zero point's type is the output's; ONNX defaults to uint8 without one.
        let outType = present(2) ? try type(2).dtype : .uint8
        guard outType == .int8 || outType == .uint8 || outType == .int32 || outType == .int16 || outType == .uint16 else {
            throw LoupeError.invalidInput(ref, input: 2, reason: "zero point type \(outType) is not an integer code type")
        }
        return TensorType(outType, x.dims)
    }

    func dequantizeLinear(axis: Int) throws -> TensorType {
        let x = try type(0)
        guard !x.dtype.isFloat, x.dtype != .bool else {
            throw LoupeError.invalidInput(ref, input: 0, reason: "dtype \(x.dtype): expected integer codes")
        }
        if present(2), try type(2).dtype != x.dtype {
            throw LoupeError.invalidInput(ref, input: 2, reason: "zero point type \(try type(2).dtype) differs from the codes' \(x.dtype)")
        }
        try checkQuantizationParameters(x, axis: axis)
        return TensorType(.float32, x.dims)
    }

    /// Scale (input 1) and zero point (input 2): scalars, or 1-D with `dims[axis]` entries.
    private func checkQuantizationParameters(_ x: TensorType, axis: Int) throws {
        let scale = try float(1)
        guard scale.rank <= 1 else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "scale must be a scalar or 1-D (blocked quantization is not supported), got \(scale)")
        }
        if present(2), try type(2).dims != scale.dims, !(try type(2).rank <= 1 && scale.rank <= 1 && (try type(2).dims.first?.known ?? 1) == (scale.dims.first?.known ?? 1)) {
            throw LoupeError.invalidInput(ref, input: 2, reason: "zero point shape \(try type(2)) differs from the scale's \(scale)")
        }
        if let s = constants.count > 1 ? constants[1] : nil,
           let bad = s.floats.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw LoupeError.invalidInput(ref, input: 1, reason: "scale element \(bad) is \(s.floats[bad]): scales must be positive and finite")
        }
        // A 1-D scale of one element is per tensor, whatever the axis (ONNX reference and
        // ONNX Runtime alike).
        if scale.rank == 1, let n = scale.dims[0].known, n != 1 {
            let a = try self.axis(axis, rank: x.rank)
            if let d = x.dims[a].known, d != n {
                throw LoupeError.invalidInput(ref, input: 1, reason: "\(n) scales for axis \(a) of size \(d)")
            }
        }
    }
}
