import LoupeIR

/// Where a node of an optimized graph runs, or why it cannot.
public enum Placement: Sendable, Hashable, CustomStringConvertible {
    /// An XNNPACK operator, named by its create function (`xnn_create_convolution2d_nhwc_f32`).
    case xnnpack(String)
    /// A Loupe kernel from `Kernels/` (`loupe_x32_transpose`).
    case kernel(String)
    /// No step: the output shares its input's buffer (reshape, flatten, squeeze, unsqueeze,
    /// and a concat whose inputs all write straight into their slices).
    case alias
    /// The node has only constant inputs and its output is a constant.
    case constant
    /// The node cannot run; the reason says what is missing.
    case unsupported(String)

    public var description: String {
        switch self {
        case .xnnpack(let f): return "xnnpack \(f)"
        case .kernel(let k): return "kernel \(k)"
        case .alias: return "alias (no copy)"
        case .constant: return "constant"
        case .unsupported(let r): return "unsupported: \(r)"
        }
    }

    /// True unless `.unsupported`.
    public var isSupported: Bool {
        if case .unsupported = self { return false }
        return true
    }
}

/// One executed (or elided) node of a plan, for reports and profiles.
public struct StepInfo: Sendable, Hashable, CustomStringConvertible {
    /// The node's name.
    public var node: String
    /// The ONNX op type (`Conv`).
    public var op: String
    public var placement: Placement
    /// Physical shape of the node's first output.
    public var outputShape: [Int]

    public init(node: String, op: String, placement: Placement, outputShape: [Int]) {
        self.node = node
        self.op = op
        self.placement = placement
        self.outputShape = outputShape
    }

    public var description: String { "\(op) '\(node)' → \(outputShape): \(placement)" }
}
