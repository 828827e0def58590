import Foundation
import LoupeIR

// QuantizeLinear / DequantizeLinear with the ONNX definitions, bit for bit where the ONNX
// reference (onnx/reference/ops/op_quantize_linear.py, op_dequantize_linear.py) is
// well defined:
//
//   QuantizeLinear:   y = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)
//                     x / scale is one float32 division (numpy divides float32 by float32 in
//                     float32); the type and range are the zero point's (uint8 without one).
//   DequantizeLinear: y = float32(x - zero_point) · scale, a float32 product. For 8- and
//                     16-bit codes the difference is exact, so this is the ONNX reference's
//                     value; for int32 codes beyond ±2²⁴ it is ONNX Runtime's (the difference
//                     rounded to float32 first), which the ONNX reference also gives without a
//                     zero point or with zero ones.
//
// Where the ONNX reference depends on the platform's float→int32 conversion (NaN, ±inf and
// quotients beyond ±2³¹: numpy on x86 gives INT_MIN, then clamps to qmin), Loupe follows
// the specification's saturation and ONNX Runtime: +inf and large positive quotients give
// qmax, −inf and large negative ones qmin, and NaN gives qmin (as both ONNX Runtime and the
// x86 ONNX reference do).

extension Kernel {
    func quantizeLinear(axis: Int) throws -> Tensor {
        let x = try floats(0)
        let shape = try input(0).shape
        let outType = outputTypes[0].dtype
        guard let range = outType.quantizedCodeRange else {
            throw LoupeError.invalidInput(ref, input: 2, reason: "zero point type \(outType) is not an integer code type")
        }
        let p = try quantizationParameters(shape: shape, axis: axis, codes: outType)
        // Quotients are clamped one span beyond the range before the integer conversion:
        // that keeps ±inf finite and still saturates after any in-range zero point is added.
        let span = Double(range.upperBound - range.lowerBound + 1)
        let lo = Double(range.lowerBound) - span, hi = Double(range.upperBound) + span
        var y = [Int64](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let c = p.channel(i)
            let q = (x[i] / p.scales[c]).rounded(.toNearestOrEven)
            if q.isNaN {
                y[i] = range.lowerBound
                continue
            }
            let clamped = Int64(min(max(Double(q), lo), hi))
            y[i] = min(max(clamped + p.zeroPoints[c], range.lowerBound), range.upperBound)
        }
        return Tensor(shape: outShape, ints: y, dtype: outType)
    }

    func dequantizeLinear(axis: Int) throws -> Tensor {
        let t = try input(0)
        guard case .int(let x) = t.storage, t.dtype.quantizedCodeRange != nil else {
            throw LoupeError.invalidInput(ref, input: 0, reason: "dtype \(t.dtype): expected int8, uint8, int16, uint16 or int32 codes")
        }
        let p = try quantizationParameters(shape: t.shape, axis: axis, codes: t.dtype)
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let c = p.channel(i)
            y[i] = Float(x[i] - p.zeroPoints[c]) * p.scales[c]
        }
        return output(floats: y)
    }

    /// Scales and zero points (input 1 and 2), per tensor or per slice along `axis`.
    private func quantizationParameters(shape: [Int], axis: Int, codes: DType) throws -> QuantizationParameters {
        let scales = try floats(1)
        guard !scales.isEmpty else { throw LoupeError.invalidInput(ref, input: 1, reason: "scale is empty") }
        var zeroPoints = [Int64](repeating: 0, count: scales.count)
        if present(2) {
            let z = try input(2)
            guard case .int(let v) = z.storage, z.dtype == codes, let range = z.dtype.quantizedCodeRange else {
                throw LoupeError.invalidInput(ref, input: 2, reason: "zero point is \(z.dtype): expected \(codes)")
            }
            guard v.count == scales.count else {
                throw LoupeError.invalidInput(ref, input: 2, reason: "\(v.count) zero points for \(scales.count) scales")
            }
            if let bad = v.firstIndex(where: { !range.contains($0) }) {
                throw LoupeError.invalidInput(ref, input: 2, reason: "zero point element \(bad) is \(v[bad]), outside \(z.dtype)'s range")
            }
            zeroPoints = v
        }
        // One element (scalar or 1-D of one) quantizes the whole tensor.
        guard scales.count > 1 else { return QuantizationParameters(scales: scales, zeroPoints: zeroPoints, inner: 1, count: 1) }
        let rank = shape.count
        guard axis >= -rank && axis < rank else {
            throw LoupeError.invalidAttribute(ref, attribute: "axis", reason: "\(axis) is out of range for rank \(rank)")
        }
        let a = axis < 0 ? axis + rank : axis
        guard shape[a] == scales.count else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "\(scales.count) scales for axis \(a) of size \(shape[a])")
        }
        let inner = shape[(a + 1)...].reduce(1, *)
        return QuantizationParameters(scales: scales, zeroPoints: zeroPoints, inner: inner, count: scales.count)
    }
}

/// Scales and zero points with the mapping from a flat element index to its slice.
private struct QuantizationParameters {
    var scales: [Float]
    var zeroPoints: [Int64]
    /// Elements per step along the axis (product of the dims after it).
    var inner: Int
    /// Slices along the axis (1 per tensor).
    var count: Int

    func channel(_ flat: Int) -> Int { count == 1 ? 0 : (flat / inner) % count }
}
