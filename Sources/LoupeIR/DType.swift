/// Element types a Loupe tensor can hold. Names follow ONNX's `TensorProto.DataType`.
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32, float16, float64
    case int8, uint8, int16, uint16, int32, int64, uint32, uint64
    case bool

    /// Bytes per element as stored at run time.
    public var byteSize: Int {
        switch self {
        case .float32, .int32, .uint32: return 4
        case .float16, .int16, .uint16: return 2
        case .float64, .int64, .uint64: return 8
        case .int8, .uint8, .bool: return 1
        }
    }

    /// True for the floating-point types.
    public var isFloat: Bool {
        switch self {
        case .float32, .float16, .float64: return true
        case .int8, .uint8, .int16, .uint16, .int32, .int64, .uint32, .uint64, .bool: return false
        }
    }

    /// The values of an integer type that quantized tensors use as codes (ONNX
    /// QuantizeLinear / DequantizeLinear); nil for the other types.
    public var quantizedCodeRange: ClosedRange<Int64>? {
        switch self {
        case .int8: return -128...127
        case .uint8: return 0...255
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        case .float32, .float16, .float64, .int64, .uint32, .uint64, .bool: return nil
        }
    }

    public var description: String { rawValue }
}
