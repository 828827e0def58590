import LoupeIR

// Helpers shared by FoldQuantization and PropagateQuantization: reading the constant
// parameters of QuantizeLinear/DequantizeLinear nodes, dequantizing constants, quantizing
// biases with ONNX rounding.

/// Why `FoldQuantization` leaves a node in float; it becomes `Graph.floatIslands[node]`.
struct NotFolded: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// What one QuantizeLinear or DequantizeLinear node says about its codes: the affine
/// parameters (LoupeIR's one parameter type) in the code type's own range, plus what the
/// rewrites need besides: the code type and the names of the parameter inputs.
struct QDQOperands: Equatable {
    /// Scales and zero points (uint8 zero points are 0…255 here); the axis normalised, nil
    /// when one scale covers the tensor.
    var quantization: ValueQuantization
    /// Element type of the codes (the Q output / DQ input).
    var codeType: DType
    /// Names of the scale and zero-point inputs ("" when the zero point is omitted).
    var scaleName: String
    var zeroPointName: String

    var scales: [Float] { quantization.scales }
    var zeroPoints: [Int32] { quantization.zeroPoints }
    var axis: Int? { quantization.axis }
    var isPerTensor: Bool { quantization.isPerTensor }

    /// Same scales, zero points, axis and code type (the input names may differ).
    func sameValues(as other: QDQOperands) -> Bool {
        quantization == other.quantization && codeType == other.codeType
    }
}

extension Graph {
    /// The constant parameters of a Q or DQ node; throws the reason they cannot be read.
    func qdqOperands(of node: Node) throws(NotFolded) -> QDQOperands {
        let axisAttribute: Int
        if case .quantizeLinear(let a, _) = node.op {
            axisAttribute = a
        } else if case .dequantizeLinear(let a) = node.op {
            axisAttribute = a
        } else {
            preconditionFailure("qdqOperands(of:) called on \(node.op.onnxName)")
        }
        guard let scaleName = node.input(1), let scale = initializers[scaleName], scale.dtype.isFloat else {
            throw NotFolded("\(node.op.onnxName) '\(node.name)' has a scale that is not a float constant")
        }
        let scales = scale.floats
        guard !scales.isEmpty, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw NotFolded("\(node.op.onnxName) '\(node.name)' has a scale that is not positive and finite")
        }
        var zeroPoints = [Int32](repeating: 0, count: scales.count)
        var codeType: DType
        let zpName = node.input(2) ?? ""
        if !zpName.isEmpty {
            guard let zp = initializers[zpName], !zp.dtype.isFloat, zp.count == scales.count else {
                throw NotFolded("\(node.op.onnxName) '\(node.name)' has a zero point that is not an integer constant shaped like its scale")
            }
            zeroPoints = zp.ints.map { Int32(clamping: $0) }
            codeType = zp.dtype
        } else {
            codeType = .uint8  // ONNX QuantizeLinear's default output type
        }
        if node.op.isDequantize {
            guard let x = node.input(0), let t = type(of: x) else {
                throw NotFolded("DequantizeLinear '\(node.name)' has an input of unknown type")
            }
            codeType = t.dtype
        }
        var axis: Int? = nil
        if scales.count > 1 {
            guard let x = node.input(0), let rank = type(of: x)?.rank, axisAttribute >= -rank, axisAttribute < rank else {
                throw NotFolded("\(node.op.onnxName) '\(node.name)' has an axis that does not fit its input")
            }
            axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute
        }
        return QDQOperands(quantization: ValueQuantization(scales: scales, zeroPoints: zeroPoints, axis: axis),
                           codeType: codeType, scaleName: scaleName, zeroPointName: zpName)
    }
}

/// Int32 bias codes at the given per-channel scales (``ValueQuantization/biasCode(_:scale:)``).
func quantizeBias(_ real: [Float], scales: [Float]) -> [Int64] {
    zip(real, scales).map { b, s in Int64(ValueQuantization.biasCode(b, scale: s)) }
}
