import LoupeIR

// How the quantizer chooses int8 parameters in XNNPACK's scheme (what its qs8/qc8 operators
// take): activations int8 asymmetric, weights int8 symmetric per output channel (QC8), bias
// int32 with scale = inputScale · weightScale[c]. The parameters themselves are LoupeIR's
// `ValueQuantization`, which also holds the one quantize/dequantize/bias rounding rule.

/// A quantization input that cannot produce valid parameters.
public enum QuantizationError: Error, Equatable, CustomStringConvertible {
    /// The activation range has a NaN or infinite end.
    case nonFiniteRange(min: Float, max: Float)
    /// `min > max`.
    case invertedRange(min: Float, max: Float)
    /// The weight count is not a multiple of the output-channel count.
    case weightShape(count: Int, outputChannels: Int)
    /// A weight is NaN or infinite.
    case nonFiniteWeight(index: Int)
    /// Bias length differs from the number of weight scales.
    case biasLength(bias: Int, channels: Int)

    public var description: String {
        switch self {
        case let .nonFiniteRange(lo, hi): return "activation range [\(lo), \(hi)] is not finite"
        case let .invertedRange(lo, hi): return "activation range [\(lo), \(hi)] has min > max"
        case let .weightShape(n, c): return "weight has \(n) elements, not a multiple of \(c) output channels"
        case let .nonFiniteWeight(i): return "weight element \(i) is NaN or infinite"
        case let .biasLength(b, c): return "bias has \(b) elements, expected one per output channel (\(c))"
        }
    }
}

/// The quantizer's parameter choices, matching ONNX Runtime's quantize_static for the same
/// ranges (quantize and dequantize are ``ValueQuantization``'s, with the ONNX definitions).
public enum Quantization {
    /// Asymmetric int8 parameters for an activation observed in `[min, max]`.
    ///
    /// The range is first widened to include 0 (XNNPACK requires real 0 to be exactly
    /// representable, and zero padding must quantize to exactly the zero point); then
    /// `scale = (max − min) / 255` in Float and
    /// `zeroPoint = roundHalfToEven(−128 − min / scale)` clamped to [−128, 127], as
    /// ONNX Runtime's `compute_scale_zp`. A degenerate range (both ends 0) gets scale 1,
    /// zero point 0, as ONNX Runtime does.
    public static func activationParams(min lo: Float, max hi: Float) throws -> ValueQuantization {
        guard lo.isFinite, hi.isFinite else { throw QuantizationError.nonFiniteRange(min: lo, max: hi) }
        guard lo <= hi else { throw QuantizationError.invertedRange(min: lo, max: hi) }
        let rmin = Swift.min(lo, 0), rmax = Swift.max(hi, 0)
        if rmin == rmax { return .perTensor(scale: 1, zeroPoint: 0) }
        let scale = (rmax - rmin) / 255
        let zp = (-128 - rmin / scale).rounded(.toNearestOrEven)
        return .perTensor(scale: scale, zeroPoint: Int32(Swift.min(127, Swift.max(-128, zp))))
    }

    /// Symmetric per-output-channel int8 (QC8) weight scales: `scale_c = max|w_c| / 127`,
    /// zero point 0, codes in [−127, 127]. `weights` is laid out output channel first
    /// (ONNX Conv OIHW / a Gemm weight transposed to [N, K]). An all-zero channel gets
    /// scale 1 (ONNX Runtime's choice; any positive scale is exact since all codes are 0,
    /// and XNNPACK rejects a zero scale).
    public static func weightScales(_ weights: [Float], outputChannels: Int) throws -> [Float] {
        guard outputChannels > 0, weights.count % outputChannels == 0 else {
            throw QuantizationError.weightShape(count: weights.count, outputChannels: outputChannels)
        }
        let per = weights.count / outputChannels
        var scales = [Float](repeating: 1, count: outputChannels)
        for c in 0..<outputChannels {
            var absMax: Float = 0
            for i in (c * per)..<((c + 1) * per) {
                let w = weights[i]
                guard w.isFinite else { throw QuantizationError.nonFiniteWeight(index: i) }
                absMax = Swift.max(absMax, abs(w))
            }
            if absMax > 0 { scales[c] = absMax / 127 }
        }
        return scales
    }

    /// QC8 weight codes for `weights` (output channel first) with the scales of
    /// ``weightScales(_:outputChannels:)``; codes stay in [−127, 127].
    public static func quantizeWeights(_ weights: [Float], scales: [Float]) throws -> [Int8] {
        guard !scales.isEmpty, weights.count % scales.count == 0 else {
            throw QuantizationError.weightShape(count: weights.count, outputChannels: scales.count)
        }
        let per = weights.count / scales.count
        return weights.indices.map { i in
            let q = (weights[i] / scales[i / per]).rounded(.toNearestOrEven)
            return Int8(Swift.min(127, Swift.max(-127, q)))
        }
    }

    /// Int32 bias scales: `inputScale · weightScale_c`, as XNNPACK's qc8 conv expects.
    public static func biasScales(inputScale: Float, weightScales: [Float]) -> [Float] {
        weightScales.map { inputScale * $0 }
    }

    /// Int32 bias codes `roundHalfToEven(b_c / (inputScale · weightScale_c))`, saturated to
    /// the int32 range, zero point 0.
    public static func quantizeBias(_ bias: [Float], inputScale: Float, weightScales: [Float]) throws -> [Int32] {
        guard bias.count == weightScales.count else {
            throw QuantizationError.biasLength(bias: bias.count, channels: weightScales.count)
        }
        let scales = biasScales(inputScale: inputScale, weightScales: weightScales)
        return bias.indices.map { c in ValueQuantization.biasCode(bias[c], scale: scales[c]) }
    }
}
