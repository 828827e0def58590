// Shape inference: the graph walk and the per-op dispatch. The rules of each op family live
// in ShapeInference+<Family>.swift and follow the ONNX specification of the newest opset.

extension Graph {
    /// Infers the type of every node output and stores it in `types` (graph inputs included).
    ///
    /// Graph inputs must have static shapes. Inputs that decide an output shape (Reshape's
    /// shape, Slice's starts, Resize's scales, …) must be initializers; the output of a
    /// `Shape` node whose input type is static also counts as constant, so
    /// `Shape → Reshape` chains infer without folding. `types` is replaced only on success.
    ///
    /// - Throws: `LoupeError.badInput` for a graph input without a static shape,
    ///   `LoupeError.unsupportedOp` for an `.unsupported` node, and
    ///   `LoupeError.shapeInference` / `.invalidInput` / `.invalidAttribute` naming the node
    ///   whose types do not fit.
    public mutating func inferTypes() throws {
        try inferTypes(constantEvaluator: nil)
    }

    /// Infers types like `inferTypes()`, and additionally evaluates nodes whose inputs are
    /// all known constants with `constantEvaluator` (e.g. `ReferenceInterpreter.evaluate`),
    /// so that shape-computation chains (`Shape → Gather → Concat → Reshape`) resolve without
    /// a separate folding pass. The graph itself is not changed apart from `types`.
    ///
    /// - Parameter constantEvaluator: evaluates one node on constant inputs; nil evaluates
    ///   nothing beyond `Shape` of a static type.
    public mutating func inferTypes(constantEvaluator: ((Node, [Tensor?]) throws -> [Tensor])?) throws {
        for input in inputs where input.type.staticShape == nil {
            throw LoupeError.badInput(
                "graph input '\(input.name)' has type \(input.type) with a dynamic dimension; "
                + "give a static input shape (e.g. \(input.name)=1,3,224,224)")
        }
        for input in inputs where input.type.byteCount == nil {
            throw LoupeError.badInput(
                "graph input '\(input.name)' has type \(input.type), whose size overflows a 64-bit byte count")
        }
        types = try walkTypes(evaluate: { node, constants in try constantEvaluator?(node, constants) },
                              onGap: { node, gap in throw gap.error(node) })
    }

    /// Why a node has no output types during the walk.
    enum TypeGap {
        /// Input `index` has no type: it is neither a graph input, an initializer nor the
        /// output of a node typed before this one.
        case untypedInput(index: Int, name: String)
        /// The node's own types do not fit (or its op is `.unsupported`).
        case failed(LoupeError)

        func error(_ node: Node) -> LoupeError {
            switch self {
            case .untypedInput(let i, let name):
                return .shapeInference(node.reference, reason: "input \(i) '\(name)' is not defined before this node")
            case .failed(let e):
                return e
            }
        }
    }

    /// The one graph walk of type inference: types each node in order from its inputs'
    /// types and constants (`inferOutputTypes`), propagating small constants through
    /// `Shape` and through nodes `evaluate` computes. A node that cannot be typed goes to
    /// `onGap`, which throws (``inferTypes(constantEvaluator:)``) or records it and lets the
    /// walk continue with that node's outputs untyped (``inferTypesBestEffort(constantEvaluator:)``).
    /// Returns the types inferred, graph inputs included.
    func walkTypes(evaluate: (Node, [Tensor?]) throws -> [Tensor]?,
                   onGap: (Node, TypeGap) throws -> Void) rethrows -> [String: TensorType] {
        var inferred: [String: TensorType] = [:]
        var known: [String: Tensor] = [:]
        for input in inputs { inferred[input.name] = input.type }
        walk: for node in nodes {
            var inputTypes: [TensorType?] = []
            var constants: [Tensor?] = []
            for (i, name) in node.inputs.enumerated() {
                if name.isEmpty {
                    inputTypes.append(nil)
                    constants.append(nil)
                    continue
                }
                let constant = initializers[name] ?? known[name]
                guard let type = constant?.type ?? inferred[name] else {
                    try onGap(node, .untypedInput(index: i, name: name))
                    continue walk
                }
                inputTypes.append(type)
                constants.append(constant)
            }
            let outputTypes: [TensorType]
            do {
                outputTypes = try inferOutputTypes(node: node, inputTypes: inputTypes, constants: constants)
            } catch {
                try onGap(node, .failed(error as? LoupeError ?? .shapeInference(node.reference, reason: "\(error)")))
                continue
            }
            for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty {
                // Checked here for every op, so no rule can hand a later stage a shape whose
                // size overflows (the constant check below multiplies the dimensions too).
                if type.staticShape != nil && type.byteCount == nil {
                    try onGap(node, .failed(.shapeInference(
                        node.reference, reason: "output '\(name)' would have type \(type), whose size overflows a 64-bit byte count")))
                    continue walk
                }
                inferred[name] = type
            }
            // Constant propagation, for shape computations only: small tensors.
            if case .shape(let start, let end) = node.op, let shape = inputTypes.first??.staticShape,
               let output = node.outputs.first, !output.isEmpty {
                let range = Self.shapeRange(rank: shape.count, start: start, end: end)
                known[output] = Tensor(shape: [range.count], ints: range.map { Int64(shape[$0]) })
            } else if !node.inputs.isEmpty,
                      zip(node.inputs, constants).allSatisfy({ $0.0.isEmpty || $0.1 != nil }),
                      outputTypes.allSatisfy({ ($0.staticShape?.reduce(1, *) ?? .max) <= 4096 }),
                      let values = try evaluate(node, constants) {
                for (name, value) in zip(node.outputs, values) where !name.isEmpty {
                    known[name] = value
                }
            }
        }
        return inferred
    }

    /// The dimension indices `Shape(start, end)` selects from a tensor of rank `rank`
    /// (negative bounds count from the end, then both are clamped to `[0, rank]`).
    public static func shapeRange(rank: Int, start: Int, end: Int?) -> Range<Int> {
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + rank : v, 0), rank) }
        let s = clamp(start)
        let e = clamp(end ?? rank)
        return s..<Swift.max(s, e)
    }
}

/// The output types of `node` given the types of its inputs (nil for an omitted optional
/// input) and the constant value of each input where known. One entry per `node.outputs`.
///
/// Layout-sensitive ops with `layout: .nhwc` take and return physical NHWC types.
/// - Throws: `LoupeError` naming the node when the inputs do not fit the op, when an input
///   that decides the output shape is not constant, or when the op is `.unsupported`.
public func inferOutputTypes(node: Node, inputTypes: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
    let c = ShapeContext(node: node, inputTypes: inputTypes, constants: constants)
    let types: [TensorType]
    switch node.op {
    case .conv(let a): types = [try c.conv(a)]
    case .convTranspose(let a): types = [try c.convTranspose(a)]
    case .gemm(let a): types = [try c.gemm(a)]
    case .matMul: types = [try c.matMul()]
    case .binary(let b): types = [try c.binary(b)]
    case .unary(let u): types = [try c.unary(u)]
    case .compare: types = [try c.compare()]
    case .select: types = [try c.select()]
    case .clip: types = [try c.clip()]
    case .leakyRelu, .elu, .hardSigmoid, .gelu, .swish: types = [try c.floatOrInt8(0)]
    case .prelu: types = [try c.prelu()]
    case .batchNormalization(_, let layout): types = [try c.batchNormalization(layout: layout)]
    case .batchNormalizationTraining: types = [try c.batchNormalizationTraining()]
    case .layerNormalization(let axis, _): types = try c.layerNormalization(axis: axis)
    case .split(let axis): types = try c.split(axis: axis, outputs: node.outputs.count)
    case .mod(let fmod): types = [try c.mod(fmod: fmod)]
    case .globalAveragePool(let layout), .globalMaxPool(let layout): types = [try c.globalPool(layout: layout)]
    case .reduce(_, let keepDims, let noop): types = [try c.reduce(keepDims: keepDims, noopWithEmptyAxes: noop)]
    case .averagePool(let a): types = [try c.pool(a)]
    case .maxPool(let a):
        let y = try c.pool(a)
        types = [y, TensorType(.int64, y.dims)]
    case .flatten(let axis): types = [try c.flatten(axis: axis)]
    case .reshape(let allowZero): types = [try c.reshape(allowZero: allowZero)]
    case .squeeze: types = [try c.squeeze()]
    case .unsqueeze: types = [try c.unsqueeze()]
    case .concat(let axis): types = [try c.concat(axis: axis)]
    case .pad: types = [try c.pad()]
    case .resize(let a): types = [try c.resize(a)]
    case .softmax(let axis, _): types = [try c.softmax(axis: axis)]
    case .transpose(let perm): types = [try c.transpose(perm: perm)]
    case .depthSpace(let a): types = [try c.depthSpace(a)]
    case .shape(let start, let end): types = [try c.shape(start: start, end: end)]
    case .gather(let axis): types = [try c.gather(axis: axis)]
    case .slice: types = [try c.slice()]
    case .cast(let to): types = [try c.cast(to: to)]
    case .constantOfShape(let value): types = [try c.constantOfShape(value: value)]
    case .expand: types = [try c.expand()]
    case .identity: types = [try c.sameAsInput(floatOnly: false)]
    case .dropout:
        let y = try c.sameAsInput(floatOnly: false)
        types = [y, TensorType(.bool, y.dims)]
    case .quantizeLinear(let axis, _): types = [try c.quantizeLinear(axis: axis)]
    case .dequantizeLinear(let axis): types = [try c.dequantizeLinear(axis: axis)]
    case .unsupported(let opType, let domain, let reason):
        throw LoupeError.unsupportedOp(
            node.reference, reason: "\(domain.isEmpty ? "" : domain + ".")\(opType): \(reason)")
    }
    guard node.outputs.count <= types.count else {
        throw LoupeError.shapeInference(
            node.reference, reason: "has \(node.outputs.count) outputs; \(node.op.onnxName) produces at most \(types.count)")
    }
    return Array(types.prefix(node.outputs.count))
}

/// The inputs of one node during inference, with helpers that check and throw naming it.
struct ShapeContext {
    let node: Node
    let inputTypes: [TensorType?]
    let constants: [Tensor?]

    var ref: NodeReference { node.reference }

    func fail(_ reason: String) -> LoupeError { .shapeInference(ref, reason: reason) }

    func present(_ i: Int) -> Bool { i < inputTypes.count && inputTypes[i] != nil }

    /// The type of required input `i`.
    func type(_ i: Int) throws -> TensorType { try node.required(i, of: inputTypes) }

    /// The static shape of required input `i`.
    func shape(_ i: Int) throws -> [Int] {
        let t = try type(i)
        guard let s = t.staticShape else {
            throw fail("input \(i) has dynamic type \(t); shape inference needs static shapes (give static input shapes)")
        }
        return s
    }

    func float(_ i: Int) throws -> TensorType {
        let t = try type(i)
        guard t.dtype.isFloat else {
            throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(t.dtype): expected a floating-point type")
        }
        return t
    }

    /// The constant value of input `i`, which decides the output shape.
    func constant(_ i: Int, what: String) throws -> Tensor {
        guard i < constants.count, let t = constants[i] else {
            throw fail("input \(i) (\(what)) must be constant (an initializer or foldable) for the output shape "
                       + "to be known; fold it or give static input shapes")
        }
        return t
    }

    /// Constant integer elements of input `i` (a 1-D or scalar int tensor).
    func constantInts(_ i: Int, what: String) throws -> [Int] {
        let t = try constant(i, what: what)
        guard !t.dtype.isFloat, case .int(let v) = t.storage else {
            throw LoupeError.invalidInput(ref, input: i, reason: "\(what) must be an integer tensor, got \(t.dtype)")
        }
        guard t.shape.count <= 1 else {
            throw LoupeError.invalidInput(ref, input: i, reason: "\(what) must be 1-D, got shape \(t.shape)")
        }
        return v.map { Int(clamping: $0) }
    }

    /// Normalises a possibly negative axis for a tensor of rank `rank`.
    func axis(_ a: Int, rank: Int, attribute: String = "axis") throws -> Int {
        guard a >= -rank && a < rank else {
            throw LoupeError.invalidAttribute(ref, attribute: attribute, reason: "\(a) is out of range for rank \(rank)")
        }
        return a < 0 ? a + rank : a
    }

    /// Normalised axes, checked for range and duplicates.
    func axes(_ list: [Int], rank: Int, what: String = "axes") throws -> [Int] {
        let out = try list.map { try axis($0, rank: rank, attribute: what) }
        guard Set(out).count == out.count else {
            throw LoupeError.invalidAttribute(ref, attribute: what, reason: "\(list) repeats an axis")
        }
        return out
    }

    /// `a + b` for sizes taken from the file: a declared dimension may be near `Int.max`
    /// (its byte count still fits), so a sum of two throws instead of trapping.
    func sum(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw fail("\(what()) overflows a 64-bit size") }
        return s
    }

    /// Checks that an output shape is non-negative and its element count fits (2⁴⁰), so
    /// hostile shapes throw instead of overflowing.
    func checked(_ shape: [Int], _ what: String = "output") throws -> [Int] {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw fail("\(what) shape \(shape) has a negative dimension") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= 1 << 40 else { throw fail("\(what) shape \(shape) is too large") }
            n = p
        }
        return shape
    }

    /// Input `i` as a floating-point type, or int8 codes: after `FoldQuantization` the ops of
    /// the int8 set (conv, gemm, pools, activations) read and write int8 values whose scales
    /// live in `Graph.quantization`.
    func floatOrInt8(_ i: Int) throws -> TensorType {
        let t = try type(i)
        guard t.dtype.isFloat || t.dtype == .int8 else {
            throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(t.dtype): expected a floating-point type (or int8 codes of a quantized op)")
        }
        return t
    }

    func sameAsInput(floatOnly: Bool) throws -> TensorType {
        floatOnly ? try float(0) : try type(0)
    }
}

/// Physical NHWC ↔ logical NCHW permutations for channel-last tensors of any rank ≥ 2.
public enum LayoutPermutation {
    /// `perm` such that `logical[i] = physical[perm[i]]` for a channel-last physical shape:
    /// [0, r-1, 1, 2, …, r-2].
    public static func toNCHW(rank: Int) -> [Int] {
        rank < 2 ? Array(0..<rank) : [0, rank - 1] + Array(1..<(rank - 1))
    }

    /// `perm` such that `physical[i] = logical[perm[i]]`: [0, 2, 3, …, r-1, 1].
    public static func toNHWC(rank: Int) -> [Int] {
        rank < 2 ? Array(0..<rank) : [0] + Array(2..<rank) + [1]
    }

    /// Applies `perm` to a shape: `out[i] = shape[perm[i]]`.
    public static func permute<T>(_ shape: [T], _ perm: [Int]) -> [T] {
        perm.map { shape[$0] }
    }
}
