/// Affine quantization of an integer-coded value: `real = scale * (q - zeroPoint)`.
///
/// Per tensor (one scale and zero point) for int8 activations; per slice along `axis` for
/// weights (XNNPACK's QC8: symmetric, zero points all 0) and int32 biases (scale =
/// input scale · weight scale of the channel). Loupe's own activations are int8; uint8 codes
/// from other tools are mapped onto int8 by shifting the zero point by −128, which is exact.
public struct ValueQuantization: Sendable, Hashable, CustomStringConvertible {
    public var scales: [Float]
    public var zeroPoints: [Int32]
    /// The channel axis when `scales` has one entry per slice; nil when per tensor.
    public var axis: Int?

    public init(scales: [Float], zeroPoints: [Int32], axis: Int?) {
        precondition(scales.count == zeroPoints.count, "one zero point per scale")
        precondition(axis != nil || scales.count == 1, "per-tensor quantization has one scale")
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
    }

    /// One scale and zero point for the whole tensor.
    public static func perTensor(scale: Float, zeroPoint: Int32) -> ValueQuantization {
        ValueQuantization(scales: [scale], zeroPoints: [zeroPoint], axis: nil)
    }

    /// Symmetric per-channel quantization (zero points 0) along `axis`.
    public static func perChannel(scales: [Float], axis: Int) -> ValueQuantization {
        ValueQuantization(scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), axis: axis)
    }

    /// True when one scale and zero point cover the tensor.
    public var isPerTensor: Bool { axis == nil }

    /// The scale of a per-tensor quantization (the first scale otherwise).
    public var scale: Float { scales[0] }
    /// The zero point of a per-tensor quantization (the first otherwise).
    public var zeroPoint: Int32 { zeroPoints[0] }

    /// `(codes − zeroPoint) · scale` per tensor, or per slice along `axis`: ONNX
    /// DequantizeLinear of integer codes.
    public func dequantize(_ codes: Tensor) -> Tensor {
        let q = codes.ints
        var out = [Float](repeating: 0, count: q.count)
        if let axis, scales.count > 1 {
            let a = axis < 0 ? axis + codes.shape.count : axis
            let inner = codes.shape[(a + 1)...].reduce(1, *), channels = codes.shape[a]
            for i in q.indices {
                let c = (i / inner) % channels
                out[i] = Float(q[i] - Int64(zeroPoints[c])) * scales[c]
            }
        } else {
            for i in q.indices { out[i] = Float(q[i] - Int64(zeroPoints[0])) * scales[0] }
        }
        return Tensor(shape: codes.shape, floats: out)
    }

    /// The per-tensor zero point as an int8 code (what XNNPACK's qs8 operators take). Only
    /// for parameters of an int8 value: the zero point must lie in [−128, 127].
    public var int8ZeroPoint: Int8 {
        precondition(isPerTensor && (-128...127).contains(zeroPoint), "not per-tensor int8 parameters: \(self)")
        return Int8(zeroPoint)
    }

    /// ONNX QuantizeLinear of one value to int8 with the per-tensor parameters:
    /// `saturate(roundHalfToEven(x / scale) + zeroPoint)`, the quotient one float32 division
    /// as in the ONNX definition; ±∞ saturate and NaN maps to the zero point (ONNX leaves it
    /// unspecified; this keeps it finite). The one rounding rule for int8 codes: the
    /// quantizer's constants, the runtime's fused clamp bounds and the tests use it.
    @inlinable
    public func quantize(_ x: Float) -> Int8 {
        assert(isPerTensor, "quantize(_:) takes per-tensor parameters")
        let r = (x / scales[0]).rounded(.toNearestOrEven)
        if r.isNaN { return Int8(clamping: zeroPoints[0]) }
        return Int8(Swift.min(127, Swift.max(-128, r + Float(zeroPoints[0]))))
    }

    /// ONNX DequantizeLinear of one int8 code with the per-tensor parameters:
    /// `(q − zeroPoint) · scale`.
    @inlinable
    public func dequantize(_ q: Int8) -> Float {
        assert(isPerTensor, "dequantize(_:) takes per-tensor parameters")
        return Float(Int32(q) - zeroPoints[0]) * scales[0]
    }

    /// Element-wise `quantize` of int8 codes.
    public func quantize(_ xs: [Float]) -> [Int8] { xs.map { quantize($0) } }

    /// Element-wise `dequantize` of int8 codes.
    public func dequantize(_ qs: [Int8]) -> [Float] { qs.map { dequantize($0) } }

    /// The output parameters XNNPACK's int8 sigmoid accepts (scale 1/256, zero point −128):
    /// the quantizer emits exactly these for every Sigmoid output, and the runtime runs a
    /// Sigmoid on XNNPACK only with them.
    public static let xnnpackSigmoidOutput = ValueQuantization.perTensor(scale: 1.0 / 256.0, zeroPoint: -128)

    /// Int32 codes `roundHalfToEven(real / scale)` saturated to the int32 range (NaN → 0):
    /// a bias at scale input · weight, as XNNPACK's qc8 operators take it.
    public static func biasCode(_ real: Float, scale: Float) -> Int32 {
        let q = (Double(real) / Double(scale)).rounded(.toNearestOrEven)
        if q.isNaN { return 0 }
        return Int32(Swift.min(Double(Int32.max), Swift.max(Double(Int32.min), q)))
    }

    public var description: String {
        if let axis { return "per-axis(\(axis), \(scales.count) scales)" }
        return "scale \(scales[0]) zp \(zeroPoints[0])"
    }
}

extension Op {
    /// True for QuantizeLinear.
    public var isQuantize: Bool {
        if case .quantizeLinear = self { return true }
        return false
    }

    /// True for DequantizeLinear.
    public var isDequantize: Bool {
        if case .dequantizeLinear = self { return true }
        return false
    }
}
