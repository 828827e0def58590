/// One dimension of a tensor type: a known size, a named symbolic size (ONNX `dim_param`), or unknown.
public enum Dim: Sendable, Hashable, CustomStringConvertible {
    case value(Int)
    case param(String)
    case unknown

    /// The size when it is known.
    public var known: Int? {
        if case .value(let v) = self { return v }
        return nil
    }

    public var description: String {
        switch self {
        case .value(let v): return String(v)
        case .param(let p): return p
        case .unknown: return "?"
        }
    }
}

/// The static type of a value in the graph: element type and (possibly symbolic) shape.
public struct TensorType: Sendable, Hashable, CustomStringConvertible {
    public var dtype: DType
    public var dims: [Dim]

    public init(_ dtype: DType, _ dims: [Dim]) {
        self.dtype = dtype
        self.dims = dims
    }

    public init(_ dtype: DType, shape: [Int]) {
        self.dtype = dtype
        self.dims = shape.map { .value($0) }
    }

    /// The shape when every dimension is known, else nil.
    public var staticShape: [Int]? {
        var out: [Int] = []
        out.reserveCapacity(dims.count)
        for d in dims {
            guard let v = d.known else { return nil }
            out.append(v)
        }
        return out
    }

    public var rank: Int { dims.count }

    public var description: String {
        "\(dtype)[\(dims.map(\.description).joined(separator: "x"))]"
    }
}

/// Element storage of a constant tensor. Integer and boolean types are held as `Int64`,
/// floating types as `Float` (float16/float64 are converted on import); `dtype` keeps
/// the element type the model declared.
public enum TensorStorage: Sendable, Hashable {
    case float([Float])
    case int([Int64])
}

/// A tensor with data: an initializer, a folded constant, or a reference-interpreter value.
///
/// int8 tensors — the weights of a quantized model, most of its bytes — are held as one
/// byte per element, not as the eight of `TensorStorage.int`: `storage` widens them when it
/// is read, and `int8Values` reads them as they are.
public struct Tensor: Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]
    private var held: Held

    private enum Held: Sendable {
        case storage(TensorStorage)
        case int8([Int8])
    }

    /// Compact when the element type is int8 and every value fits it.
    private static func hold(_ storage: TensorStorage, _ dtype: DType) -> Held {
        if dtype == .int8, case .int(let v) = storage, v.allSatisfy({ $0 >= -128 && $0 <= 127 }) {
            return .int8(v.map { Int8($0) })
        }
        return .storage(storage)
    }

    /// The elements, as floats or as Int64.
    public var storage: TensorStorage {
        get {
            switch held {
            case .storage(let s): return s
            case .int8(let v): return .int(v.map { Int64($0) })
            }
        }
        set { held = Self.hold(newValue, dtype) }
    }

    /// The elements of an int8 tensor as they are held, without widening; nil for others.
    public var int8Values: [Int8]? {
        if case .int8(let v) = held { return v }
        return nil
    }

    /// A float tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], floats values: [Float], dtype: DType = .float32) {
        precondition(values.count == shape.reduce(1, *), "tensor data does not match shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.held = .storage(.float(values))
    }

    /// An integer (or bool) tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], ints values: [Int64], dtype: DType = .int64) {
        precondition(values.count == shape.reduce(1, *), "tensor data does not match shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.held = Self.hold(.int(values), dtype)
    }

    /// An int8 tensor from its bytes. `values.count` must equal the product of `shape`.
    public init(shape: [Int], int8 values: [Int8]) {
        precondition(values.count == shape.reduce(1, *), "tensor data does not match shape \(shape)")
        self.dtype = .int8
        self.shape = shape
        self.held = .int8(values)
    }

    public var count: Int { shape.reduce(1, *) }
    public var type: TensorType { TensorType(dtype, shape: shape) }

    /// Elements as Float (integers converted).
    public var floats: [Float] {
        switch held {
        case .int8(let v): return v.map { Float($0) }
        case .storage(.float(let v)): return v
        case .storage(.int(let v)): return v.map { Float($0) }
        }
    }

    /// Elements as Int64 (floats truncated toward zero).
    public var ints: [Int64] {
        switch held {
        case .int8(let v): return v.map { Int64($0) }
        case .storage(.float(let v)): return v.map { Int64($0) }
        case .storage(.int(let v)): return v
        }
    }

    public var description: String {
        let n = count
        let head: String
        switch storage {
        case .float(let v): head = v.prefix(6).map { String($0) }.joined(separator: ", ")
        case .int(let v): head = v.prefix(6).map { String($0) }.joined(separator: ", ")
        }
        return "\(type){\(head)\(n > 6 ? ", …" : "")}"
    }
}

extension Tensor: Hashable {
    /// Equal when type, shape and values are: an int8 tensor equals itself however it is held.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        if let x = a.int8Values, let y = b.int8Values { return x == y }
        return a.storage == b.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(dtype)
        hasher.combine(shape)
        switch held {
        case .storage(.float(let v)): hasher.combine(0); for x in v { hasher.combine(x) }
        case .storage(.int(let v)): hasher.combine(1); for x in v { hasher.combine(x) }
        case .int8(let v): hasher.combine(1); for x in v { hasher.combine(Int64(x)) }
        }
    }
}

/// The largest constant (in elements) that constant folding computes ahead of time; larger
/// results stay at run time so a model file's size does not explode. `FoldConstants`'s
/// default, and what the runtime's messages quote.
public let defaultMaxFoldedElements = 1 << 24
