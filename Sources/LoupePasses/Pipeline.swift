import LoupeIR
import LoupeReference

/// The one ordered pass pipeline. Each entry says why it sits where it does.
public enum Pipeline {
    /// Options of the optimizer.
    public struct Options: Sendable {
        /// Switch 4-D activations to NHWC (needed by the XNNPACK runtime; the reference
        /// interpreter runs either form).
        public var convertToNHWC: Bool
        /// Nodes (by name) that `FoldQuantization` must leave in float, with the reason it
        /// records in `Graph.floatIslands`: the runtime's refusals of an int8 form (an
        /// XNNPACK scale-ratio limit, say), which the pass cannot know.
        public var keepFloat: [String: String]
        public init(convertToNHWC: Bool = true, keepFloat: [String: String] = [:]) {
            self.convertToNHWC = convertToNHWC
            self.keepFloat = keepFloat
        }
    }

    /// Runs the standard pipeline on a copy of `graph` and returns the optimized graph.
    /// Graph inputs and outputs (names and types) are unchanged.
    public static func optimize(_ graph: Graph, options: Options = Options()) throws -> Graph {
        var g = graph
        // Types first: folding `Shape` needs static shapes. Constant shape chains are
        // evaluated during inference so that Reshape targets are known before folding.
        try g.inferTypes(constantEvaluator: Self.evaluateShapeComputation)
        // Identity/Dropout out of the way so patterns below see producer→consumer directly.
        let removeIdentity = RemoveIdentity()
        _ = try removeIdentity.run(on: &g)
        // Fold to a fixed point: each round may make more shapes static (a Reshape whose
        // shape just became constant), which lets more Shape nodes fold.
        let fold = FoldConstants()
        for _ in 0..<16 {
            guard try fold.run(on: &g) else { break }
            g.types = [:]
            try g.inferTypes()
        }
        // Again: a Slice whose bounds were Shape computations is only now seen to take the
        // whole tensor.
        _ = try removeIdentity.run(on: &g)
        // Zero Pads into the conv that reads them: their pads must be constants (after
        // folding), and before FoldQuantization, whose int8 conv then pads with its zero point.
        _ = try FusePadIntoConv().run(on: &g)
        // BatchNorm into Conv before activations are fused: the fold needs a bare conv.
        let bn = FoldBatchNorm()
        _ = try bn.run(on: &g)
        // Gemm forms XNNPACK cannot take become Transpose/MatMul/Add, before FuseActivations
        // could put a clamp on a Gemm that is then followed by an Add.
        g.types = [:]
        try g.inferTypes()
        _ = try CanonicalizeGemm().run(on: &g)
        // Spatial ReduceMean/Max become global pools (constant axes needed, so after
        // folding; before FoldQuantization, which has an int8 form for the pool only).
        _ = try RecognizeGlobalPooling().run(on: &g)
        // Hard activations before FuseActivations, which would otherwise swallow the Clip
        // of `x·clip(x+3, 0, 6)/6` into a neighbouring conv.
        let hard = RecognizeHardActivations()
        _ = try hard.run(on: &g)
        let fuse = FuseActivations()
        _ = try fuse.run(on: &g)
        let dce = EliminateDeadCode()
        _ = try dce.run(on: &g)
        g.types = [:]
        try g.inferTypes()
        // Q/DQ pairs into int8 ops after the float rewrites above (clamps are fused, Gemms
        // canonical, identities gone) and before the layout passes: its patterns are NCHW
        // and name ONNX axes (OIHW weights, Gemm's N axis).
        if try FoldQuantization(keepFloat: options.keepFloat).run(on: &g) {
            _ = try dce.run(on: &g)
            g.types = [:]
            try g.inferTypes()
        }
        if options.convertToNHWC {
            // 1-D ops become 2-D ones (H = 1) so the layout pass and XNNPACK see 4-D maps.
            if try LiftOneDimensional().run(on: &g) {
                g.types = [:]
                try g.inferTypes()
            }
            // Layout last among rewrites: the patterns above are written for NCHW.
            let nhwc = ConvertToNHWC()
            _ = try nhwc.run(on: &g)
            let cancel = CancelTransposes()
            _ = try cancel.run(on: &g)
            _ = try dce.run(on: &g)
        }
        g.types = [:]
        try g.inferTypes()
        // Last: the layout passes above add transposes/reshapes of int8 values, which take
        // their input's parameters.
        _ = try PropagateQuantization().run(on: &g)
        try g.verify()
        return g
    }

    /// The reference interpreter as shape-computation evaluator for type inference, minus
    /// QuantizeLinear/DequantizeLinear: they never compute a shape, and a DQ of int8 weights
    /// must stay for FoldQuantization.
    static func evaluateShapeComputation(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        if node.op.isQuantize || node.op.isDequantize { return [] }
        return try ReferenceInterpreter.evaluate(node, inputs: inputs)
    }
}
