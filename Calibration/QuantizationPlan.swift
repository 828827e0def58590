import LoupeIR

/// Phase 1 of QDQ insertion (ONNX Runtime's quantizer works the same way): decide, from
/// the graph's structure alone, which values are int8 and where each one's parameters come
/// from. Phase 2 (``QDQRewriter``) then rewrites the graph once every parameter is known.
///
/// Rules:
/// - A float32 activation is int8 when a node that runs in int8 consumes it as data, or an
///   int8 node produces it. Graph inputs therefore get Q/DQ right after the input.
/// - Its parameters: calibrated from its own observed range, fixed (Sigmoid output), or
///   those of the input of the MaxPool/Reshape/… that produced it (``ParamSource/sameAs(_:)``).
/// - A float32 constant in a data position of an int8 node (Add's constant operand) is
///   stored int8, per tensor, with parameters from its own min/max.
/// - Nodes with a `.float` role (no int8 kernel, or kept in FP32 by the user) are islands:
///   they read the dequantized value when its producer is int8, and their outputs get a
///   Q/DQ only when an int8 node consumes them.
public struct QuantizationPlan: Sendable {
    /// Where an int8 activation's parameters come from.
    public enum ParamSource: Sendable, Hashable {
        /// Its own calibrated range.
        case calibrated
        /// Fixed by the consuming kernel's contract.
        case fixed(ValueQuantization)
        /// The same parameters as this other value (the input of a re-plumbing op).
        case sameAs(String)
    }

    /// Role of every node, by node index.
    public var roles: [NodeRole]
    /// Every int8 activation (not constants) and the source of its parameters.
    public var activations: [String: ParamSource]
    /// Float constants stored int8 per tensor (a data input of an int8 node).
    public var constantActivations: Set<String>
    /// Values whose range must be observed: the `.calibrated` activations, sorted.
    public var observed: [String]
    /// Nodes that stay float while handling float32 activations, with the reason.
    public var floatNodes: [(node: String, reason: String)]

    /// Plans `graph` (types inferred). `keep` names nodes to keep in FP32 with the reason.
    public init(graph: Graph, keep: [String: String] = [:]) {
        roles = graph.nodes.map { node in
            if let why = keep[node.name] { return .float(reason: why) }
            return Int8Support.role(of: node, in: graph)
        }
        var activations: [String: ParamSource] = [:]
        var constants = Set<String>()
        func isFloat(_ v: String) -> Bool { graph.type(of: v)?.dtype == .float32 }
        // Data inputs of int8 nodes.
        for (i, node) in graph.nodes.enumerated() {
            for k in Int8Support.int8Inputs(roles[i], node) {
                let v = node.inputs[k]
                guard isFloat(v) else { continue }
                if graph.initializers[v] != nil { constants.insert(v) } else { activations[v] = .calibrated }
            }
        }
        // Outputs of int8 nodes.
        for (i, node) in graph.nodes.enumerated() {
            guard let out = node.outputs.first, !out.isEmpty, isFloat(out) else { continue }
            switch roles[i] {
            case .weighted, .calibratedOutput: activations[out] = .calibrated
            case .fixedOutput(let p): activations[out] = .fixed(p)
            case .sameAsInput: activations[out] = .sameAs(node.inputs[0])
            case .float: break
            }
        }
        // The outputs loop runs second so that an int8 input produced by a MaxPool/Reshape/…
        // in int8 ends up `.sameAs` its input instead of calibrated.
        self.activations = activations
        self.constantActivations = constants
        self.observed = activations.filter { $0.value == .calibrated }.map(\.key).sorted()
        var floats: [(String, String)] = []
        for (i, node) in graph.nodes.enumerated() {
            guard case .float(let reason) = roles[i] else { continue }
            let touchesFloat = (node.inputs + node.outputs).contains { v in
                !v.isEmpty && graph.initializers[v] == nil && isFloat(v)
            }
            if touchesFloat { floats.append((node.name, reason)) }
        }
        self.floatNodes = floats
    }

    /// True when node `index` runs in int8.
    public func isInt8(_ index: Int) -> Bool {
        if case .float = roles[index] { return false }
        return true
    }

    /// The parameters of int8 activation `value`, following `.sameAs` links; nil when a
    /// calibrated value in the chain has no entry in `params`.
    public func resolve(_ value: String, _ params: [String: ValueQuantization]) -> ValueQuantization? {
        var v = value
        for _ in 0..<10_000 {
            switch activations[v] {
            case .calibrated?: return params[v]
            case .fixed(let p)?: return p
            case .sameAs(let u)?: v = u
            case nil: return params[v]
            }
        }
        return nil
    }
}
