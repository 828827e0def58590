// The op catalogue: what every pass, the profiler and the quantizer need to know about an
// op, written once per op. A new op adds its case to `Op` and one entry to `traits` here;
// passes that only ask "is it data movement?", "how does it run in int8?", "how many MACs?"
// read these traits instead of listing cases of their own.

/// The multiply-accumulate formula of an op that does MACs (the challenge counts conv, gemm
/// and matmul; everything else is 0 MACs).
public enum MACFormula: Sendable, Hashable {
    /// N·outH·outW·outC·(inC/group)·kH·kW, from the output count and the OIHW weight.
    case conv
    /// N·inH·inW·inC·(outC/group)·kH·kW: every input element scatters into W[1]·k outputs.
    case convTranspose
    /// M·N·K of a 2-D A, stored K×M when `transposedA`.
    case gemm(transposedA: Bool)
    /// batch·M·N·K with broadcast batch dimensions.
    case matMul
}

/// What an op does with the elements it reads.
public enum OpKind: Sendable, Hashable {
    /// Multiply-accumulates by the given formula (and no other counted arithmetic).
    case multiplyAccumulate(MACFormula)
    /// Arithmetic counted once per output element: element-wise ops, activations,
    /// normalizations, Softmax, windowed pools, Resize, QuantizeLinear/DequantizeLinear.
    case elementwise
    /// Arithmetic counted once per input element: reductions and global pools.
    case reduction
    /// Selects or relabels elements of input 0 without arithmetic (Reshape, Transpose, Slice,
    /// Gather, …): it commutes with a per-tensor DequantizeLinear, so int8 codes can flow
    /// through it unchanged.
    case view
    /// Builds its outputs by copying from several inputs or constants, or converts types
    /// (Concat, Split, Pad, Expand, Cast): no counted arithmetic, but not a view of one input.
    case copy
    /// Computes shapes, not data (Shape, ConstantOfShape): folded away when shapes are static.
    case shapeComputation
    /// An ONNX node Loupe cannot represent.
    case unsupported
}

/// How an op runs on int8 codes — the one table `Int8Support` (what the quantizer
/// calibrates), `FoldQuantization` (what a QDQ file folds into), `PropagateQuantization` and
/// the int8 lowering agree on. An op without a form stays float32 between explicit converts.
public enum Int8Form: Sendable, Hashable {
    /// Constant weights quantized per output channel (QC8), int8 activation in, int32 bias at
    /// input scale × weight scale, its own output parameters.
    case conv, gemm, matMul
    /// Add / Mul: int8 inputs, its own output parameters.
    case elementwise
    /// One activation in, its own output parameters, computed as a 256-entry table of the
    /// op's real function (every other input must be a constant).
    case lookupTable
    /// Global and windowed average pooling: one activation in, its own output parameters.
    case average
    /// Every input int8 (each requantized to the output's parameters).
    case concat
    /// Codes move unchanged: the output takes input 0's parameters (views, MaxPool, nearest
    /// Resize; every other input must be a constant).
    case sameParameters
}

/// Which inputs of an op carry numbers in the tensor's real units (and so, when it reads
/// int8 codes, must have quantization parameters), as opposed to shapes, axes or indices.
public enum ValueInputs: Sendable, Hashable {
    /// Only input 0.
    case first
    /// The first `n` inputs.
    case leading(Int)
    /// All of them.
    case all

    /// True when input `k` carries numbers.
    public func contains(_ k: Int) -> Bool {
        switch self {
        case .first: return k == 0
        case .leading(let n): return k < n
        case .all: return true
        }
    }
}

/// The catalogue entry of one op.
public struct OpTraits: Sendable {
    /// What it does with its elements (MAC formula, element-wise cost, data movement).
    public var kind: OpKind
    /// How it runs on int8 codes, nil when it has no int8 form.
    public var int8: Int8Form?
    /// Inputs carrying real numbers (see ``ValueInputs``).
    public var valueInputs: ValueInputs
    /// How many inputs it takes (trailing optional inputs may be omitted or empty) and how
    /// many outputs it may have.
    public var inputs: ClosedRange<Int>
    public var outputs: ClosedRange<Int>

    init(_ kind: OpKind, int8: Int8Form? = nil, values: ValueInputs = .first,
         inputs: ClosedRange<Int> = 1...1, outputs: ClosedRange<Int> = 1...1) {
        self.kind = kind
        self.int8 = int8
        self.valueInputs = values
        self.inputs = inputs
        self.outputs = outputs
    }
}

extension Op {
    /// The catalogue entry of this op: one exhaustive switch, so a new case is decided here.
    public var traits: OpTraits {
        switch self {
        case .conv: return OpTraits(.multiplyAccumulate(.conv), int8: .conv, values: .all, inputs: 2...3)
        case .convTranspose: return OpTraits(.multiplyAccumulate(.convTranspose), inputs: 2...3)
        case .gemm(let a): return OpTraits(.multiplyAccumulate(.gemm(transposedA: a.transA)), int8: .gemm, values: .all, inputs: 2...3)
        case .matMul: return OpTraits(.multiplyAccumulate(.matMul), int8: .matMul, values: .leading(2), inputs: 2...2)
        case .binary(let b):
            return OpTraits(.elementwise, int8: b == .add || b == .mul ? .elementwise : nil, values: .all, inputs: 2...2)
        case .unary: return OpTraits(.elementwise, int8: .lookupTable)
        case .compare: return OpTraits(.elementwise, values: .all, inputs: 2...2)
        case .select: return OpTraits(.elementwise, values: .all, inputs: 3...3)
        case .clip: return OpTraits(.elementwise, int8: .lookupTable, inputs: 1...3)
        case .leakyRelu, .elu, .hardSigmoid, .gelu, .swish: return OpTraits(.elementwise, int8: .lookupTable)
        case .prelu: return OpTraits(.elementwise, inputs: 2...2)
        case .batchNormalization, .batchNormalizationTraining: return OpTraits(.elementwise, inputs: 5...5)
        case .layerNormalization: return OpTraits(.elementwise, inputs: 2...3, outputs: 1...3)
        case .mod: return OpTraits(.elementwise, inputs: 2...2)
        case .softmax: return OpTraits(.elementwise)
        case .averagePool: return OpTraits(.elementwise, int8: .average)
        case .maxPool: return OpTraits(.elementwise, int8: .sameParameters, outputs: 1...2)
        // Nearest picks input elements, so codes move unchanged; linear and cubic mix them.
        case .resize(let a): return OpTraits(.elementwise, int8: a.mode == .nearest ? .sameParameters : nil, inputs: 1...4)
        case .quantizeLinear, .dequantizeLinear: return OpTraits(.elementwise, inputs: 2...3)
        case .globalAveragePool: return OpTraits(.reduction, int8: .average)
        case .globalMaxPool: return OpTraits(.reduction)
        case .reduce: return OpTraits(.reduction, inputs: 1...2)
        case .reshape, .unsqueeze: return OpTraits(.view, int8: .sameParameters, inputs: 2...2)
        case .squeeze: return OpTraits(.view, int8: .sameParameters, inputs: 1...2)
        case .flatten, .transpose, .depthSpace, .identity: return OpTraits(.view, int8: .sameParameters)
        // Identity on its first output; the optional mask output is never read in inference.
        case .dropout: return OpTraits(.view, int8: .sameParameters, inputs: 1...3, outputs: 1...2)
        case .slice: return OpTraits(.view, int8: .sameParameters, inputs: 3...5)
        case .gather: return OpTraits(.view, int8: .sameParameters, inputs: 2...2)
        case .concat: return OpTraits(.copy, int8: .concat, values: .all, inputs: 1...Int.max)
        case .split: return OpTraits(.copy, inputs: 1...2, outputs: 1...Int.max)
        case .pad: return OpTraits(.copy, inputs: 2...4)
        case .expand: return OpTraits(.copy, inputs: 2...2)
        case .cast: return OpTraits(.copy)
        case .shape, .constantOfShape: return OpTraits(.shapeComputation)
        case .unsupported: return OpTraits(.unsupported, inputs: 0...Int.max, outputs: 0...Int.max)
        }
    }

    /// Ops that only move or re-label elements of input 0 (``OpKind/view``): they commute
    /// with a per-tensor DequantizeLinear, so int8 codes can flow through them unchanged.
    public var isDataMovement: Bool { traits.kind == .view }

    /// How the op runs on int8 codes, nil when it stays float32 (``Int8Form``).
    public var int8Form: Int8Form? { traits.int8 }

    /// How many inputs the op takes (`min...max`; trailing optional inputs may be omitted or
    /// empty) and how many outputs it may have.
    public var arity: (inputs: ClosedRange<Int>, outputs: ClosedRange<Int>) { (traits.inputs, traits.outputs) }
}
