import Loupe

/// How closely an output must match the ONNX reference output, by op class (STYLE.md rule 5).
///
/// | class | ops | criterion |
/// |---|---|---|
/// | exact | re-plumbing (Slice, Gather, SpaceToDepth, DepthToSpace too), Relu, Neg, Abs, Floor, Ceil, Clip, MaxPool, Pad | every element equal (NaN matches NaN) |
/// | elementwise | Add/Sub/Mul/Div, Sqrt, Reciprocal, LeakyRelu, PRelu, HardSigmoid, HardSwish, BatchNormalization, Resize | \|Δ\| ≤ 1e-6 + 1e-5·\|y\| per element |
/// | transcendental | Sigmoid, Tanh, Elu, Softplus, Mish, Gelu, Swish, Exp, Log, Erf, LayerNormalization, Softmax, and any unary op not listed | \|Δ\| ≤ 1e-6 + 1e-4·\|y\| per element |
/// | accumulation | Conv, ConvTranspose, Gemm, MatMul, GlobalAveragePool, ReduceMean, AveragePool | NMSE = Σ(Δ²)/Σ(y²) ≤ 1e-9 and max \|Δ\| ≤ 1e-4·max(1, max \|y\|) |
///
/// A test whose model holds several ops is held to the loosest class among them. The
/// elementwise and transcendental bounds leave room for XNNPACK's polynomial/table
/// approximations and FMA contraction; the NMSE bound is about 10⁴ times the rounding noise
/// of float32 sums of the sizes in the node tests.
enum ToleranceClass: Int, Comparable, Codable, CustomStringConvertible {
    case exact, elementwise, transcendental, accumulation

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    var description: String {
        switch self {
        case .exact: return "exact"
        case .elementwise: return "elementwise (1e-6 + 1e-5|y|)"
        case .transcendental: return "transcendental (1e-6 + 1e-4|y|)"
        case .accumulation: return "accumulation (NMSE <= 1e-9)"
        }
    }
}

/// An op of Loupe's FP32 scope and the node-test names that exercise it.
struct InScopeOp {
    /// ONNX op type.
    var name: String
    /// Node-test names (without `test_`) that exercise it: a test matches a prefix when its
    /// name equals it or continues with `_`.
    var testPrefixes: [String]
    var tolerance: ToleranceClass
}

enum NodeTestScope {
    /// The ops in Loupe's scope: the table below, plus every unary op of the IR
    /// (``unaryOps``), so a new unary op is held to its node tests without a line here.
    static let ops: [InScopeOp] = listed + unaryOps

    /// Every `UnaryOp` the table does not list, named as ONNX names it, with the node tests
    /// named after it, in the transcendental class (the loosest element-wise one: a new op
    /// may run on a libm or polynomial kernel); ops that meet a stricter class are listed.
    static let unaryOps: [InScopeOp] = UnaryOp.allCases.filter { u in !listed.contains { $0.name == u.rawValue } }.map {
        InScopeOp(name: $0.rawValue, testPrefixes: [$0.rawValue.lowercased()], tolerance: .transcendental)
    }

    /// The ops in scope with their own prefixes and tolerances; one table, so prefixes and
    /// tolerances cannot drift apart.
    static let listed: [InScopeOp] = [
        InScopeOp(name: "Conv", testPrefixes: ["conv", "basic_conv"], tolerance: .accumulation),
        InScopeOp(name: "ConvTranspose", testPrefixes: ["convtranspose"], tolerance: .accumulation),
        InScopeOp(name: "Gemm", testPrefixes: ["gemm"], tolerance: .accumulation),
        InScopeOp(name: "MatMul", testPrefixes: ["matmul"], tolerance: .accumulation),
        InScopeOp(name: "Add", testPrefixes: ["add"], tolerance: .elementwise),
        InScopeOp(name: "Sub", testPrefixes: ["sub"], tolerance: .elementwise),
        InScopeOp(name: "Mul", testPrefixes: ["mul"], tolerance: .elementwise),
        InScopeOp(name: "Div", testPrefixes: ["div"], tolerance: .elementwise),
        InScopeOp(name: "Relu", testPrefixes: ["relu"], tolerance: .exact),
        InScopeOp(name: "Neg", testPrefixes: ["neg"], tolerance: .exact),
        InScopeOp(name: "Abs", testPrefixes: ["abs"], tolerance: .exact),
        InScopeOp(name: "Floor", testPrefixes: ["floor"], tolerance: .exact),
        InScopeOp(name: "Ceil", testPrefixes: ["ceil"], tolerance: .exact),
        InScopeOp(name: "Sqrt", testPrefixes: ["sqrt"], tolerance: .elementwise),
        InScopeOp(name: "Reciprocal", testPrefixes: ["reciprocal"], tolerance: .elementwise),
        InScopeOp(name: "Clip", testPrefixes: ["clip"], tolerance: .exact),
        InScopeOp(name: "LeakyRelu", testPrefixes: ["leakyrelu"], tolerance: .elementwise),
        InScopeOp(name: "PRelu", testPrefixes: ["prelu"], tolerance: .elementwise),
        InScopeOp(name: "Elu", testPrefixes: ["elu"], tolerance: .transcendental),
        InScopeOp(name: "Sigmoid", testPrefixes: ["sigmoid"], tolerance: .transcendental),
        InScopeOp(name: "Tanh", testPrefixes: ["tanh"], tolerance: .transcendental),
        InScopeOp(name: "Softplus", testPrefixes: ["softplus"], tolerance: .transcendental),
        InScopeOp(name: "Mish", testPrefixes: ["mish"], tolerance: .transcendental),
        InScopeOp(name: "Gelu", testPrefixes: ["gelu"], tolerance: .transcendental),
        InScopeOp(name: "Swish", testPrefixes: ["swish"], tolerance: .transcendental),
        InScopeOp(name: "LayerNormalization", testPrefixes: ["layer_normalization"], tolerance: .transcendental),
        InScopeOp(name: "HardSigmoid", testPrefixes: ["hardsigmoid"], tolerance: .elementwise),
        InScopeOp(name: "HardSwish", testPrefixes: ["hardswish"], tolerance: .elementwise),
        InScopeOp(name: "GlobalAveragePool", testPrefixes: ["globalaveragepool"], tolerance: .accumulation),
        InScopeOp(name: "ReduceMean", testPrefixes: ["reduce_mean"], tolerance: .accumulation),
        InScopeOp(name: "AveragePool", testPrefixes: ["averagepool"], tolerance: .accumulation),
        InScopeOp(name: "MaxPool", testPrefixes: ["maxpool"], tolerance: .exact),
        InScopeOp(name: "Flatten", testPrefixes: ["flatten"], tolerance: .exact),
        InScopeOp(name: "Reshape", testPrefixes: ["reshape"], tolerance: .exact),
        InScopeOp(name: "Squeeze", testPrefixes: ["squeeze"], tolerance: .exact),
        InScopeOp(name: "Unsqueeze", testPrefixes: ["unsqueeze"], tolerance: .exact),
        InScopeOp(name: "Concat", testPrefixes: ["concat"], tolerance: .exact),
        InScopeOp(name: "Pad", testPrefixes: ["pad", "constant_pad", "edge_pad", "reflect_pad", "wrap_pad"], tolerance: .exact),
        InScopeOp(name: "Resize", testPrefixes: ["resize"], tolerance: .elementwise),
        InScopeOp(name: "Softmax", testPrefixes: ["softmax"], tolerance: .transcendental),
        InScopeOp(name: "BatchNormalization", testPrefixes: ["batchnorm"], tolerance: .elementwise),
        InScopeOp(name: "Identity", testPrefixes: ["identity"], tolerance: .exact),
        InScopeOp(name: "Dropout", testPrefixes: ["dropout", "training_dropout"], tolerance: .exact),
        InScopeOp(name: "Transpose", testPrefixes: ["transpose"], tolerance: .exact),
        InScopeOp(name: "Split", testPrefixes: ["split"], tolerance: .exact),
        InScopeOp(name: "Slice", testPrefixes: ["slice"], tolerance: .exact),
        InScopeOp(name: "Gather", testPrefixes: ["gather"], tolerance: .exact),
        InScopeOp(name: "Where", testPrefixes: ["where"], tolerance: .exact),
        InScopeOp(name: "Equal", testPrefixes: ["equal"], tolerance: .exact),
        InScopeOp(name: "Less", testPrefixes: ["less"], tolerance: .exact),
        InScopeOp(name: "LessOrEqual", testPrefixes: ["less_equal"], tolerance: .exact),
        InScopeOp(name: "Greater", testPrefixes: ["greater"], tolerance: .exact),
        InScopeOp(name: "GreaterOrEqual", testPrefixes: ["greater_equal"], tolerance: .exact),
        InScopeOp(name: "Expand", testPrefixes: ["expand"], tolerance: .exact),
        InScopeOp(name: "SpaceToDepth", testPrefixes: ["spacetodepth"], tolerance: .exact),
        InScopeOp(name: "DepthToSpace", testPrefixes: ["depthtospace"], tolerance: .exact),
        // INT8: codes are integers and dequantized values one float32 rounding of
        // an exact product, so both are exact.
        InScopeOp(name: "QuantizeLinear", testPrefixes: ["quantizelinear"], tolerance: .exact),
        InScopeOp(name: "DequantizeLinear", testPrefixes: ["dequantizelinear"], tolerance: .exact),
    ]

    /// Ops a node-test model may hold besides in-scope ones: `Constant` only carries weights.
    static let carrierOps: Set<String> = ["Constant"]

    /// Ops whose non-first operands the runner keeps as run-time inputs; for every other op
    /// they become initializers, as in exported models (conv and GEMM weights, PRelu slopes,
    /// BatchNorm parameters, Clip bounds, Pad/Resize/Reshape/... parameters).
    static let runtimeOperandOps: Set<String> = ["Add", "Sub", "Mul", "Div", "Concat", "Where", "Equal", "Less",
                                                  "LessOrEqual", "Greater", "GreaterOrEqual"]

    static let byName: [String: InScopeOp] = Dictionary(uniqueKeysWithValues: ops.map { ($0.name, $0) })

    enum Decision {
        /// Not about an in-scope op: not counted.
        case unrelated
        /// Named after an in-scope op but uses others (e.g. `_expanded` function bodies).
        case usesOtherOps([String])
        case inScope(ToleranceClass)
    }

    /// The in-scope op a test is named after (longest matching prefix), if any.
    static func namedOp(testName: String) -> String? {
        let name = testName.hasPrefix("test_") ? String(testName.dropFirst(5)) : testName
        var best: (op: String, length: Int)?
        for op in ops {
            for p in op.testPrefixes where (name == p || name.hasPrefix(p + "_")) && p.count > (best?.length ?? 0) {
                best = (op.name, p.count)
            }
        }
        return best?.op
    }

    static func decide(testName: String, opTypes: Set<String>) -> Decision {
        guard namedOp(testName: testName) != nil else { return .unrelated }
        let others = opTypes.filter { byName[$0] == nil && !carrierOps.contains($0) }.sorted()
        if !others.isEmpty { return .usesOtherOps(others) }
        let tolerance = opTypes.compactMap { byName[$0]?.tolerance }.max() ?? .exact
        return .inScope(tolerance)
    }
}
