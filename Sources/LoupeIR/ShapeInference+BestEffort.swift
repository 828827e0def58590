// Best-effort type inference: the same walk as `inferTypes`, which keeps going where that
// one stops, for tools that report on a graph Loupe cannot fully type (the profiler's
// static count of an unsupported model).

/// The nodes best-effort inference left without output types, by cause.
public struct UntypedNodes: Sendable, Equatable {
    /// Nodes whose inputs were typed but whose own types do not fit: the error naming each.
    public var failed: [LoupeError] = []
    /// `.unsupported` nodes: ops Loupe cannot represent have no type rules.
    public var unsupported: [NodeReference] = []
    /// Nodes with an input from an untyped node (or from no node at all).
    public var downstream: [NodeReference] = []

    /// No untyped nodes.
    public init() {}

    /// True when every node was typed.
    public var isEmpty: Bool { failed.isEmpty && unsupported.isEmpty && downstream.isEmpty }
}

extension Graph {
    /// Infers the types of every node it can, in order, and stores them in `types`: a node
    /// that cannot be typed (an `.unsupported` op, a shape that does not fit, an input that
    /// depends on such a node) leaves its outputs untyped and the walk goes on. Never throws;
    /// graph inputs keep their declared types, static or not.
    ///
    /// Uses the rules and the constant propagation of ``inferTypes(constantEvaluator:)``;
    /// a node `constantEvaluator` fails on is simply not propagated as a constant.
    /// - Returns: the nodes left untyped, by cause.
    @discardableResult
    public mutating func inferTypesBestEffort(
        constantEvaluator: ((Node, [Tensor?]) throws -> [Tensor])? = nil
    ) -> UntypedNodes {
        var untyped = UntypedNodes()
        types = walkTypes(evaluate: { node, constants in try? constantEvaluator?(node, constants) }, onGap: { node, gap in
            switch gap {
            case .untypedInput: untyped.downstream.append(node.reference)
            case .failed(let error):
                if case .unsupported = node.op {
                    untyped.unsupported.append(node.reference)
                } else {
                    untyped.failed.append(error)
                }
            }
        })
        return untyped
    }
}
