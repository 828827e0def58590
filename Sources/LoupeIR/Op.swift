/// Memory layout of a 4-D activation tensor. ONNX is NCHW; XNNPACK wants NHWC, and the
/// `ConvertToNHWC` pass switches layout-sensitive ops over.
public enum Layout: String, Sendable, Hashable {
    case nchw, nhwc
}

/// ONNX `auto_pad`.
public enum AutoPad: String, Sendable, Hashable {
    case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID"
}

/// Attributes shared by Conv and ConvTranspose. Spatial lists have one entry per spatial
/// axis; `pads` is `[begin..., end...]` as in ONNX.
public struct ConvAttributes: Sendable, Hashable {
    public var kernelShape: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var pads: [Int]
    public var autoPad: AutoPad
    public var group: Int
    /// ConvTranspose only: extra size added to one side of each output spatial axis.
    public var outputPadding: [Int]
    /// ConvTranspose only: requested output spatial shape (overrides pads when set).
    public var outputShape: [Int]?
    /// Output clamp fused in by `FuseActivations` (Relu → [0, ∞), Clip(a,b) → [a, b]).
    public var outputMin: Float
    public var outputMax: Float
    public var layout: Layout

    public init(kernelShape: [Int], strides: [Int], dilations: [Int], pads: [Int],
                autoPad: AutoPad = .notSet, group: Int = 1, outputPadding: [Int] = [],
                outputShape: [Int]? = nil, outputMin: Float = -.infinity,
                outputMax: Float = .infinity, layout: Layout = .nchw) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.dilations = dilations
        self.pads = pads
        self.autoPad = autoPad
        self.group = group
        self.outputPadding = outputPadding
        self.outputShape = outputShape
        self.outputMin = outputMin
        self.outputMax = outputMax
        self.layout = layout
    }

    /// True when a clamp has been fused into the output.
    public var hasFusedClamp: Bool { outputMin > -.infinity || outputMax < .infinity }
}

/// SpaceToDepth / DepthToSpace: square blocks of `blockSize` pixels moved into channels and
/// back. Both are one transpose of a 6-D view of the tensor (`view(of:)`).
public struct DepthSpaceAttributes: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable {
        /// SpaceToDepth: y[n, (i·b + j)·C + c, h, w] = x[n, c, h·b + i, w·b + j].
        case spaceToDepth
        /// DepthToSpace mode DCR (the default): y[n, c, h·b + i, w·b + j] = x[n, (i·b + j)·C + c, h, w].
        case depthToSpaceDCR
        /// DepthToSpace mode CRD: y[n, c, h·b + i, w·b + j] = x[n, c·b² + i·b + j, h, w].
        case depthToSpaceCRD
    }
    public var direction: Direction
    public var blockSize: Int
    public var layout: Layout
    public init(direction: Direction, blockSize: Int, layout: Layout = .nchw) {
        self.direction = direction
        self.blockSize = blockSize
        self.layout = layout
    }

    /// The output shape for a 4-D input `x` in `layout`, nil when the block does not fit
    /// (spatial dims or channels not divisible, a block size below 1).
    public func outputShape(_ x: [Int]) -> [Int]? {
        let b = blockSize
        guard x.count == 4, b >= 1 else { return nil }
        let (c, h, w) = layout == .nchw ? (x[1], x[2], x[3]) : (x[3], x[1], x[2])
        let out: (Int, Int, Int)
        switch direction {
        case .spaceToDepth:
            guard h % b == 0, w % b == 0 else { return nil }
            out = (c * b * b, h / b, w / b)
        case .depthToSpaceDCR, .depthToSpaceCRD:
            guard c % (b * b) == 0 else { return nil }
            out = (c / (b * b), h * b, w * b)
        }
        return layout == .nchw ? [x[0], out.0, out.1, out.2] : [x[0], out.1, out.2, out.0]
    }

    /// The input seen as a 6-D tensor and the permutation whose transpose, read flat, is the
    /// output (ONNX defines both ops as reshape → transpose → reshape).
    public func view(of x: [Int]) -> (shape: [Int], perm: [Int]) {
        let b = blockSize
        switch (direction, layout) {
        case (.spaceToDepth, .nchw):
            return ([x[0], x[1], x[2] / b, b, x[3] / b, b], [0, 3, 5, 1, 2, 4])
        case (.spaceToDepth, .nhwc):
            return ([x[0], x[1] / b, b, x[2] / b, b, x[3]], [0, 1, 3, 2, 4, 5])
        case (.depthToSpaceDCR, .nchw):
            return ([x[0], b, b, x[1] / (b * b), x[2], x[3]], [0, 3, 4, 1, 5, 2])
        case (.depthToSpaceDCR, .nhwc):
            return ([x[0], x[1], x[2], b, b, x[3] / (b * b)], [0, 1, 3, 2, 4, 5])
        case (.depthToSpaceCRD, .nchw):
            return ([x[0], x[1] / (b * b), b, b, x[2], x[3]], [0, 1, 4, 2, 5, 3])
        case (.depthToSpaceCRD, .nhwc):
            return ([x[0], x[1], x[2], x[3] / (b * b), b, b], [0, 1, 4, 2, 5, 3])
        }
    }
}

/// Attributes of AveragePool / MaxPool.
public struct PoolAttributes: Sendable, Hashable {
    public var kernelShape: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var pads: [Int]
    public var autoPad: AutoPad
    public var ceilMode: Bool
    /// AveragePool only.
    public var countIncludePad: Bool
    public var layout: Layout

    public init(kernelShape: [Int], strides: [Int], dilations: [Int], pads: [Int],
                autoPad: AutoPad = .notSet, ceilMode: Bool = false,
                countIncludePad: Bool = false, layout: Layout = .nchw) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.dilations = dilations
        self.pads = pads
        self.autoPad = autoPad
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.layout = layout
    }
}

/// ONNX Gemm: `Y = alpha * A' * B' + beta * C`.
public struct GemmAttributes: Sendable, Hashable {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool
    /// Output clamp fused in by `FuseActivations`.
    public var outputMin: Float
    public var outputMax: Float

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false,
                outputMin: Float = -.infinity, outputMax: Float = .infinity) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
        self.outputMin = outputMin
        self.outputMax = outputMax
    }
}

/// ONNX Resize (opset 11+ semantics; opset 10 Upsample-style inputs are normalised by the importer).
public struct ResizeAttributes: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable { case nearest, linear, cubic }
    public enum CoordinateTransformation: String, Sendable, Hashable {
        case halfPixel = "half_pixel", halfPixelSymmetric = "half_pixel_symmetric"
        case pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners"
        case asymmetric, tfCropAndResize = "tf_crop_and_resize"
    }
    public enum NearestMode: String, Sendable, Hashable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil"
        case floor, ceil
    }
    public enum AspectRatioPolicy: String, Sendable, Hashable {
        case stretch, notLarger = "not_larger", notSmaller = "not_smaller"
    }
    public var mode: Mode
    public var coordinateTransformation: CoordinateTransformation
    public var nearestMode: NearestMode
    public var cubicCoeffA: Float
    public var excludeOutside: Bool
    public var extrapolationValue: Float
    public var antialias: Bool
    public var axes: [Int]?
    public var keepAspectRatioPolicy: AspectRatioPolicy
    public var layout: Layout

    public init(mode: Mode = .nearest, coordinateTransformation: CoordinateTransformation = .halfPixel,
                nearestMode: NearestMode = .roundPreferFloor, cubicCoeffA: Float = -0.75,
                excludeOutside: Bool = false, extrapolationValue: Float = 0, antialias: Bool = false,
                axes: [Int]? = nil, keepAspectRatioPolicy: AspectRatioPolicy = .stretch,
                layout: Layout = .nchw) {
        self.mode = mode
        self.coordinateTransformation = coordinateTransformation
        self.nearestMode = nearestMode
        self.cubicCoeffA = cubicCoeffA
        self.excludeOutside = excludeOutside
        self.extrapolationValue = extrapolationValue
        self.antialias = antialias
        self.axes = axes
        self.keepAspectRatioPolicy = keepAspectRatioPolicy
        self.layout = layout
    }
}

/// Element-wise binary ops with numpy-style broadcasting; the raw value is the ONNX name.
public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow", max = "Max", min = "Min"
}

/// Element-wise comparisons with numpy-style broadcasting; the output is bool. The raw value
/// is the ONNX name.
public enum CompareOp: String, Sendable, Hashable, CaseIterable {
    case equal = "Equal", less = "Less", lessOrEqual = "LessOrEqual", greater = "Greater"
    case greaterOrEqual = "GreaterOrEqual"

    /// The comparison on two values of one type.
    public func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: return a == b
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// Element-wise unary ops without parameters; the raw value is the ONNX name, which is all
/// the importer and exporter need.
public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    case relu = "Relu", sigmoid = "Sigmoid", tanh = "Tanh", hardSwish = "HardSwish", neg = "Neg", abs = "Abs"
    case sqrt = "Sqrt", reciprocal = "Reciprocal", exp = "Exp", log = "Log", floor = "Floor", ceil = "Ceil"
    case erf = "Erf", softplus = "Softplus", mish = "Mish", sin = "Sin", cos = "Cos"

    /// The op on integer tensors, nil when ONNX defines it for floating-point types only
    /// (shape inference refuses other dtypes; the reference interpreter runs this).
    public var integerFunction: (@Sendable (Int64) -> Int64)? {
        switch self {
        case .relu: return { Swift.max($0, 0) }
        case .neg: return { 0 &- $0 }
        case .abs: return { $0 < 0 ? 0 &- $0 : $0 }
        case .sigmoid, .tanh, .hardSwish, .sqrt, .reciprocal, .exp, .log, .floor, .ceil, .erf, .softplus, .mish, .sin, .cos:
            return nil
        }
    }
}

/// Reductions (ReduceMean, ReduceSum, …).
public enum ReduceOp: String, Sendable, Hashable, CaseIterable {
    case mean, sum, max, min, prod, sumSquare, l2
}

/// Pad modes.
public enum PadMode: String, Sendable, Hashable {
    case constant, reflect, edge, wrap
}

/// The operator catalogue. Every switch over `Op` is exhaustive (no `default:`), so adding
/// a case makes the compiler point at each place to touch: shape inference, costs, the
/// reference interpreter, the lowering.
///
/// Inputs follow the newest ONNX opset: values that older opsets gave as attributes
/// (Clip min/max, Pad pads, Squeeze/Unsqueeze/Reduce axes, Slice starts/ends, Resize scales)
/// are inputs here, the importer turning old attributes into constant inputs. Lowering
/// requires those inputs to be constant after folding; the reference interpreter does not.
public enum Op: Sendable, Hashable {
    /// Inputs: X, W, B?
    case conv(ConvAttributes)
    /// Inputs: X, W, B?
    case convTranspose(ConvAttributes)
    /// Inputs: A, B, C?
    case gemm(GemmAttributes)
    /// Inputs: A, B (numpy matmul semantics).
    case matMul
    /// Inputs: A, B.
    case binary(BinaryOp)
    /// Inputs: X.
    case unary(UnaryOp)
    /// Equal, Less, … with broadcasting; bool output (attention masks, shape checks).
    case compare(CompareOp)
    /// ONNX Where(condition, X, Y): X where the bool condition holds, else Y, all three
    /// broadcast together.
    case select
    /// Inputs: X, min?, max?
    case clip
    case leakyRelu(alpha: Float)
    case elu(alpha: Float)
    case hardSigmoid(alpha: Float, beta: Float)
    /// Inputs: X, slope.
    case prelu
    /// Inference-mode BatchNormalization. Inputs: X, scale, B, mean, var.
    case batchNormalization(epsilon: Float, layout: Layout)
    /// Training-mode BatchNormalization (ONNX `training_mode=1`): normalises with the
    /// statistics of X itself, per channel (axis 1) over all other axes, with the population
    /// variance. Inputs: X, scale, B, input_mean, input_var (the running statistics, which
    /// only ONNX's running-statistics outputs read; Loupe produces Y only). timm's
    /// ScaledStdConv2d exports its weight standardization this way, over constant weights,
    /// so constant folding turns it into plain weights.
    case batchNormalizationTraining(epsilon: Float)
    /// LayerNormalization (opset 17): normalises over axes `axis...` (negative counts from
    /// the end). Inputs: X, Scale, B?. Outputs: Y, Mean?, InvStdDev? (the last two with the
    /// normalised axes kept as 1).
    case layerNormalization(axis: Int, epsilon: Float)
    /// Inputs: X, split? (sizes along `axis`). Outputs: one per part. Without `split` the
    /// parts are ceil(d / outputs) long, the last one shorter (opset 18's `num_outputs`; the
    /// importer rejects uneven parts for older opsets, which required equal ones).
    case split(axis: Int)
    /// Inputs: A, B (broadcasting). `fmod` false: integer remainder with the divisor's sign
    /// (Python's %); true: C `fmod`, the dividend's sign (required for floats).
    case mod(fmod: Bool)
    /// GELU (opset 20): x·Φ(x); `tanhApproximation` is `approximate="tanh"`.
    case gelu(tanhApproximation: Bool)
    /// x·sigmoid(alpha·x) (ONNX Swish, opset 24): CLIP's QuickGELU at alpha 1.702.
    case swish(alpha: Float)
    case globalAveragePool(layout: Layout)
    case globalMaxPool(layout: Layout)
    /// Inputs: X, axes?
    case reduce(ReduceOp, keepDims: Bool, noopWithEmptyAxes: Bool)
    case averagePool(PoolAttributes)
    case maxPool(PoolAttributes)
    case flatten(axis: Int)
    /// Inputs: X, shape.
    case reshape(allowZero: Bool)
    /// Inputs: X, axes?
    case squeeze
    /// Inputs: X, axes.
    case unsqueeze
    /// Inputs: X... (one or more).
    case concat(axis: Int)
    /// Inputs: X, pads, constant_value?, axes?
    case pad(PadMode)
    /// Inputs: X, roi?, scales?, sizes?
    case resize(ResizeAttributes)
    /// `legacyCoerce2D` marks opset < 13 Softmax, which flattens to 2-D at `axis`.
    case softmax(axis: Int, legacyCoerce2D: Bool)
    /// `perm` nil means reverse the axes.
    case transpose(perm: [Int]?)
    /// SpaceToDepth / DepthToSpace (one case: the same 6-D transpose family).
    case depthSpace(DepthSpaceAttributes)
    /// Shape-computation ops, folded away when shapes are static.
    case shape(start: Int, end: Int?)
    /// Inputs: data, indices.
    case gather(axis: Int)
    /// Inputs: data, starts, ends, axes?, steps?
    case slice
    case cast(to: DType)
    /// Inputs: shape. `value` is a one-element tensor.
    case constantOfShape(value: Tensor)
    /// Inputs: X, shape.
    case expand
    case identity
    /// Inference-mode Dropout: identity on its first output.
    case dropout
    /// ONNX QuantizeLinear: `y = saturate(round_half_even(x / scale) + zero_point)`.
    /// Inputs: X, y_scale, y_zero_point? (its element type is the output's; uint8 when
    /// absent). A 1-D scale quantizes per slice along `axis` (negative counts from the end).
    /// `saturate` only matters for float8 outputs, which Loupe refuses on import.
    case quantizeLinear(axis: Int, saturate: Bool)
    /// ONNX DequantizeLinear: `y = (x - zero_point) * scale`, float32 out.
    /// Inputs: X, x_scale, x_zero_point?; per-axis along `axis` as QuantizeLinear.
    case dequantizeLinear(axis: Int)
    /// An ONNX node Loupe cannot represent. Kept so `loupe inspect` can list it with its
    /// reason; verification, the reference interpreter and lowering reject it by name.
    case unsupported(opType: String, domain: String, reason: String)

    /// The ONNX operator name this op was (or would be) written as.
    public var onnxName: String {
        switch self {
        case .conv: return "Conv"
        case .convTranspose: return "ConvTranspose"
        case .gemm: return "Gemm"
        case .matMul: return "MatMul"
        case .binary(let b): return b.rawValue
        case .unary(let u): return u.rawValue
        case .compare(let c): return c.rawValue
        case .select: return "Where"
        case .clip: return "Clip"
        case .leakyRelu: return "LeakyRelu"
        case .elu: return "Elu"
        case .hardSigmoid: return "HardSigmoid"
        case .prelu: return "PRelu"
        case .batchNormalization, .batchNormalizationTraining: return "BatchNormalization"
        case .layerNormalization: return "LayerNormalization"
        case .split: return "Split"
        case .mod: return "Mod"
        case .gelu: return "Gelu"
        case .swish: return "Swish"
        case .globalAveragePool: return "GlobalAveragePool"
        case .globalMaxPool: return "GlobalMaxPool"
        case .reduce(let r, _, _):
            switch r {
            case .mean: return "ReduceMean"
            case .sum: return "ReduceSum"
            case .max: return "ReduceMax"
            case .min: return "ReduceMin"
            case .prod: return "ReduceProd"
            case .sumSquare: return "ReduceSumSquare"
            case .l2: return "ReduceL2"
            }
        case .averagePool: return "AveragePool"
        case .maxPool: return "MaxPool"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .squeeze: return "Squeeze"
        case .unsqueeze: return "Unsqueeze"
        case .concat: return "Concat"
        case .pad: return "Pad"
        case .resize: return "Resize"
        case .softmax: return "Softmax"
        case .transpose: return "Transpose"
        case .depthSpace(let a): return a.direction == .spaceToDepth ? "SpaceToDepth" : "DepthToSpace"
        case .shape: return "Shape"
        case .gather: return "Gather"
        case .slice: return "Slice"
        case .cast: return "Cast"
        case .constantOfShape: return "ConstantOfShape"
        case .expand: return "Expand"
        case .identity: return "Identity"
        case .dropout: return "Dropout"
        case .quantizeLinear: return "QuantizeLinear"
        case .dequantizeLinear: return "DequantizeLinear"
        case .unsupported(let t, _, _): return t
        }
    }
}
