import LoupeIR
import LoupeReference

/// The one ordered pass pipeline: `steps` lists every pass in the order it runs, each with
/// why it sits there. After every pass that changes the graph, types are inferred afresh;
/// with `verifyEachPass` (on in debug builds and tests) the graph is also verified, so a
/// pass that breaks an invariant is named in the error.
public enum Pipeline {
    /// Options of the optimizer.
    public struct Options: Sendable {
        /// Switch 4-D activations to NHWC (needed by the XNNPACK runtime; the reference
        /// interpreter runs either form).
        public var convertToNHWC: Bool
        /// The runtime's answer for a node of the finished graph: nil when it can run the
        /// node, else why not. Asked once, after the last rewrite, for every node; the int8
        /// nodes it refuses (an XNNPACK parameter limit, which the passes cannot know) go
        /// back to float32 between converts (``FallBackToFloat``) and are recorded in
        /// `Graph.floatIslands` with this reason.
        public var int8Refusal: (@Sendable (Node, Graph) -> String?)?
        /// Verify the graph after every pass that changed it. Defaults to on in debug builds.
        public var verifyEachPass: Bool

        public init(convertToNHWC: Bool = true, int8Refusal: (@Sendable (Node, Graph) -> String?)? = nil,
                    verifyEachPass: Bool = _isDebugAssertConfiguration()) {
            self.convertToNHWC = convertToNHWC
            self.int8Refusal = int8Refusal
            self.verifyEachPass = verifyEachPass
        }
    }

    /// One entry of the pipeline.
    struct Step {
        /// The pass's name (``GraphPass/name``).
        var name: String
        /// Runs only when the pipeline converts to NHWC.
        var nhwcOnly = false
        /// How often the pass may run in a row while it keeps changing the graph.
        var rounds = 1
        /// The pass, made for the graph as it is when the step runs (FallBackToFloat needs
        /// the runtime's refusals of that graph); nil skips the step.
        var make: (Graph, Options) -> (any GraphPass)?

        static func always(_ pass: any GraphPass, rounds: Int = 1) -> Step {
            Step(name: pass.name, rounds: rounds) { _, _ in pass }
        }
        static func nhwc(_ pass: any GraphPass) -> Step { Step(name: pass.name, nhwcOnly: true) { _, _ in pass } }
    }

    /// The passes in order. Each comment says why the step sits where it does.
    static let steps: [Step] = [
        // Identity/Dropout out of the way so patterns below see producer→consumer directly.
        .always(RemoveIdentity()),
        // To a fixed point: each round may make more shapes static (a Reshape whose shape
        // just became constant), which lets more Shape nodes fold.
        .always(FoldConstants(), rounds: 16),
        // Again: a Slice whose bounds were Shape computations is only now seen to take the
        // whole tensor.
        .always(RemoveIdentity()),
        // Zero Pads into the conv that reads them: their pads must be constants (after
        // folding), and before FoldQuantization, whose int8 conv then pads with its zero point.
        .always(FusePadIntoConv()),
        // BatchNorm into Conv before activations are fused: the fold needs a bare conv.
        .always(FoldBatchNorm()),
        // Gemm forms XNNPACK cannot take become Transpose/MatMul/Add, before FuseActivations
        // could put a clamp on a Gemm that is then followed by an Add.
        .always(CanonicalizeGemm()),
        // Written-out LayerNorm and GELU (exports before opsets 17 and 20) into one node each:
        // after folding (their constants must be known), before RecognizeGlobalPooling could
        // take a LayerNorm's ReduceMean, and before FoldQuantization (one int8 form each).
        .always(RecognizeLayerNormalization()),
        .always(RecognizeGelu()),
        // Spatial ReduceMean/Max become global pools (constant axes needed, so after
        // folding; before FoldQuantization, which has an int8 form for the pool only).
        .always(RecognizeGlobalPooling()),
        // Hard activations before FuseActivations, which would otherwise swallow the Clip
        // of `x·clip(x+3, 0, 6)/6` into a neighbouring conv.
        .always(RecognizeHardActivations()),
        .always(FuseActivations()),
        .always(EliminateDeadCode()),
        // Q/DQ pairs into int8 ops after the float rewrites above (clamps are fused, Gemms
        // canonical, identities gone) and before the layout passes: its patterns are NCHW
        // and name ONNX axes (OIHW weights, Gemm's N axis).
        .always(FoldQuantization()),
        .always(EliminateDeadCode()),
        // 1-D ops become 2-D ones (H = 1) so the layout pass and XNNPACK see 4-D maps.
        .nhwc(LiftOneDimensional()),
        // Layout last among rewrites: the patterns above are written for NCHW.
        .nhwc(ConvertToNHWC()),
        .nhwc(CancelTransposes()),
        .nhwc(EliminateDeadCode()),
        // The layout passes above add transposes/reshapes of int8 values, which take their
        // input's parameters.
        .always(PropagateQuantization()),
        // Last: the runtime judges the finished graph; what it refuses in int8 goes back to
        // float here, once.
        Step(name: FallBackToFloat(refused: [:]).name) { g, o in
            guard let refusal = o.int8Refusal else { return nil }
            var refused: [String: String] = [:]
            for node in g.nodes { if let reason = refusal(node, g) { refused[node.name] = reason } }
            return refused.isEmpty ? nil : FallBackToFloat(refused: refused)
        },
    ]

    /// The names of the passes in the order they run with `options` (for docs and tests).
    public static func passNames(_ options: Options = Options()) -> [String] {
        steps.filter { options.convertToNHWC || !$0.nhwcOnly }.map(\.name)
    }

    /// Runs the pipeline on a copy of `graph` and returns the optimized graph. Graph inputs
    /// and outputs (names and types) are unchanged.
    public static func optimize(_ graph: Graph, options: Options = Options()) throws -> Graph {
        var g = graph
        // Types first: folding `Shape` needs static shapes. Constant shape chains are
        // evaluated during inference so that Reshape targets are known before folding.
        try g.inferTypes(constantEvaluator: Self.evaluateShapeComputation)
        // Unsupported nodes are reported by the final verify, as one list.
        let verifyEach = options.verifyEachPass && !g.nodes.contains { if case .unsupported = $0.op { true } else { false } }
        for step in steps {
            guard options.convertToNHWC || !step.nhwcOnly else { continue }
            for _ in 0..<step.rounds {
                guard let pass = step.make(g, options), try apply(pass, to: &g, verify: verifyEach) else { break }
            }
        }
        try g.verify()
        return g
    }

    /// Runs one pass; when it changed the graph, infers types afresh and, with `verify`,
    /// checks the IR invariants, naming the pass in the error. Returns whether it changed.
    static func apply(_ pass: any GraphPass, to g: inout Graph, verify: Bool) throws -> Bool {
        guard try pass.run(on: &g) else { return false }
        do {
            // With the evaluator: until FoldConstants has run, a Reshape's shape may still
            // be a Shape→Gather→Concat chain that only evaluation makes known.
            try g.inferTypes(constantEvaluator: Self.evaluateShapeComputation)
            if verify { try g.verify() }
        } catch {
            throw LoupeError.verification("after pass \(pass.name): \(error)")
        }
        return true
    }

    /// The reference interpreter as shape-computation evaluator for type inference, minus
    /// QuantizeLinear/DequantizeLinear: they never compute a shape, and a DQ of int8 weights
    /// must stay for FoldQuantization.
    static func evaluateShapeComputation(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        if node.op.isQuantize || node.op.isDequantize { return [] }
        return try ReferenceInterpreter.evaluate(node, inputs: inputs)
    }
}
