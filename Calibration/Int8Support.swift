import LoupeIR

/// How a node of the prepared (fused, NCHW, float) graph takes part in int8 inference: the
/// contract between the quantizer, `FoldQuantization` and the int8 runtime, decided once
/// per node by ``Int8Support/role(of:in:)``.
public enum NodeRole: Sendable, Hashable {
    /// Conv / Gemm / MatMul with constant weights: int8 data input 0 with its own range,
    /// weights int8 symmetric per output channel along `weightAxis` of input `weight`, the
    /// bias (input `bias`, when present) int32 at input scale × weight scale. Output range
    /// calibrated.
    case weighted(weight: Int, weightAxis: Int, bias: Int?)
    /// Ops whose `Op.int8Form` is `.elementwise`, `.lookupTable`, `.average` or `.concat` (Add,
    /// Mul, every activation, the average pools, Concat): these inputs int8, output range
    /// calibrated.
    case calibratedOutput(inputs: [Int])
    /// Sigmoid: XNNPACK's qs8 sigmoid takes exactly these output parameters.
    case fixedOutput(ValueQuantization)
    /// Ops whose `Op.int8Form` is `.sameParameters` (views, MaxPool, nearest Resize; their other
    /// inputs constant): the output reuses input 0's parameters (no requantization; max-pool of
    /// codes is max-pool of values).
    case sameAsInput
    /// Runs in float: explicit converts around it. `reason` is shown by `loupe inspect` and
    /// reported by the quantizer.
    case float(reason: String)
}

/// Which ops run in int8, and how (STYLE rule 1: one function decides).
public enum Int8Support {
    /// The role of `node` in `graph` (types inferred, NCHW). Nodes whose data are not
    /// float32 activations (shape arithmetic) are `.float` too, with a reason saying so.
    public static func role(of node: Node, in graph: Graph) -> NodeRole {
        func isFloatActivation(_ i: Int) -> Bool {
            guard let v = node.input(i), graph.initializers[v] == nil else { return false }
            return graph.type(of: v)?.dtype == .float32
        }
        guard isFloatActivation(0) || node.inputs.indices.contains(where: isFloatActivation) else {
            return .float(reason: "no float32 activation input")
        }
        let firstIn = node.input(0).flatMap { graph.type(of: $0) }?.dtype
        /// Lookup tables and same-parameter copies are resolved once, at compile time: the
        /// inputs after the activation (Clip bounds, Slice bounds, shapes) must be constants.
        func otherInputsConstant() -> Int? {
            (1..<max(1, node.inputs.count)).first { !node.inputs[$0].isEmpty && graph.initializers[node.inputs[$0]] == nil }
        }
        if case .quantizeLinear = node.op { return .float(reason: "the graph is already quantized") }
        if case .dequantizeLinear = node.op { return .float(reason: "the graph is already quantized") }
        if case .unsupported(_, _, let reason) = node.op { return .float(reason: "unsupported op: \(reason)") }
        guard let form = node.op.int8Form else { return .float(reason: "\(node.op.onnxName) has no int8 kernel") }
        switch form {
        case .conv:
            guard isFloatActivation(0) else { return .float(reason: "input 0 is not a float32 activation") }
            guard let w = node.input(1), let wt = graph.initializers[w], wt.dtype == .float32 else {
                return .float(reason: "the weight is not a float32 constant")
            }
            if let b = node.input(2), graph.initializers[b] == nil {
                return .float(reason: "the bias is not a constant")
            }
            return .weighted(weight: 1, weightAxis: 0, bias: node.input(2) != nil ? 2 : nil)
        case .gemm:
            guard case .gemm(let a) = node.op, isFloatActivation(0), !a.transA else {
                return .float(reason: "Gemm with a transposed or constant A has no int8 form")
            }
            guard let b = node.input(1), let bt = graph.initializers[b], bt.dtype == .float32, bt.shape.count == 2 else {
                return .float(reason: "B is not a 2-D float32 constant")
            }
            let n = a.transB ? bt.shape[0] : bt.shape[1]
            if a.beta != 0, let c = node.input(2) {
                guard let ct = graph.initializers[c], ct.count == 1 || ct.count == n else {
                    return .float(reason: "C is not a constant per-column bias")
                }
            }
            return .weighted(weight: 1, weightAxis: a.transB ? 0 : 1, bias: a.beta != 0 && node.input(2) != nil ? 2 : nil)
        case .matMul:
            guard isFloatActivation(0), let b = node.input(1), let bt = graph.initializers[b],
                  bt.dtype == .float32, bt.shape.count == 2 else {
                return .float(reason: "MatMul runs in int8 only with a 2-D constant weight B")
            }
            return .weighted(weight: 1, weightAxis: 1, bias: nil)
        case .elementwise:
            guard firstIn == .float32 else { return .float(reason: "input is \(firstIn.map { "\($0)" } ?? "untyped")") }
            return .calibratedOutput(inputs: [0, 1])
        case .lookupTable:
            if let k = otherInputsConstant() { return .float(reason: "\(node.op.onnxName) input \(k) is not a constant") }
            // XNNPACK's qs8 sigmoid takes exactly these output parameters; a table would take any.
            if node.op == .unary(.sigmoid) { return .fixedOutput(.xnnpackSigmoidOutput) }
            return .calibratedOutput(inputs: [0])
        case .average:
            return .calibratedOutput(inputs: [0])
        case .concat:
            guard node.inputs.allSatisfy({ graph.type(of: $0)?.dtype == .float32 }) else {
                return .float(reason: "Concat of non-float32 values")
            }
            return .calibratedOutput(inputs: Array(node.inputs.indices))
        case .sameParameters:
            guard isFloatActivation(0) else { return .float(reason: "input 0 is not a float32 activation") }
            // The runtime copies a view resolved once: bounds or shapes computed at run time have no form.
            if let k = otherInputsConstant() { return .float(reason: "\(node.op.onnxName) input \(k) is not a constant") }
            return .sameAsInput
        }
    }

    /// The data inputs of a node in `role` that must be int8 (weights and biases excluded).
    static func int8Inputs(_ role: NodeRole, _ node: Node) -> [Int] {
        switch role {
        case .weighted: return [0]
        case .calibratedOutput(let inputs): return inputs.filter { node.input($0) != nil }
        case .fixedOutput, .sameAsInput: return [0]
        case .float: return []
        }
    }
}
