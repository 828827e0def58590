/// Identifies a node in messages: `Conv node 12 'conv2d_3' (opset 17)`.
public struct NodeReference: Sendable, Hashable, CustomStringConvertible {
    public var index: Int?
    public var name: String
    public var opType: String
    public var opset: Int?

    public init(index: Int?, name: String, opType: String, opset: Int?) {
        self.index = index
        self.name = name
        self.opType = opType
        self.opset = opset
    }

    public var description: String {
        var s = "\(opType) node"
        if let index { s += " \(index)" }
        s += " '\(name)'"
        if let opset { s += " (opset \(opset))" }
        return s
    }
}

/// Every error Loupe's library throws. Messages say where and what was expected.
public enum LoupeError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file is not a readable model (truncated, empty, not protobuf, inconsistent).
    case malformedModel(String)
    /// An op type or domain Loupe does not implement.
    case unsupportedOp(NodeReference, reason: String)
    /// An attribute value outside what the op (or Loupe) accepts.
    case invalidAttribute(NodeReference, attribute: String, reason: String)
    /// A node input of the wrong type, shape or constness.
    case invalidInput(NodeReference, input: Int, reason: String)
    /// Shape inference could not complete.
    case shapeInference(NodeReference, reason: String)
    /// The graph violates an IR invariant.
    case verification(String)
    /// Run-time inputs do not match the model.
    case badInput(String)
    /// A file could not be read or written.
    case io(String)
    /// A photo could not be decoded (corrupt, truncated, unsupported format, over the pixel cap).
    case badImage(path: String, reason: String)
    /// XNNPACK or a kernel refused an operator.
    case backend(NodeReference?, reason: String)
    /// Compiling the model would take more memory than the ceiling allows (checked before
    /// anything is allocated); the reason says how many bytes were needed and for what.
    case memoryLimit(NodeReference?, reason: String)

    public var description: String {
        switch self {
        case .malformedModel(let m): return "malformed model: \(m)"
        case .unsupportedOp(let n, let r): return "unsupported: \(n): \(r)"
        case .invalidAttribute(let n, let a, let r): return "invalid attribute '\(a)' of \(n): \(r)"
        case .invalidInput(let n, let i, let r): return "invalid input \(i) of \(n): \(r)"
        case .shapeInference(let n, let r): return "shape inference failed at \(n): \(r)"
        case .verification(let m): return "invalid graph: \(m)"
        case .badInput(let m): return "bad input: \(m)"
        case .io(let m): return "I/O error: \(m)"
        case .badImage(let p, let r): return "cannot read image \(p): \(r)"
        case .backend(let n, let r):
            if let n { return "backend error at \(n): \(r)" }
            return "backend error: \(r)"
        case .memoryLimit(let n, let r):
            if let n { return "memory limit exceeded at \(n): \(r)" }
            return "memory limit exceeded: \(r)"
        }
    }
}
