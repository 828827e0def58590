import CXNNPACK
import LoupeIR
import LoupeKernels

/// A node the runtime cannot lower; `reason` says why (shown by `loupe inspect`).
struct Unsupported: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Lowering of graph nodes onto XNNPACK operators and Loupe kernels.
///
/// One function per op family both checks support and lowers: it runs every check first and
/// emits steps only when given a builder. `placement(of:in:)` calls it without one.
public enum Lowering {
    /// Where `node` will run, or why it cannot; builds nothing.
    public static func placement(of node: Node, in graph: Graph) -> Placement {
        do {
            return try lower(node, graph, into: nil)
        } catch let u as Unsupported {
            return .unsupported(u.reason)
        } catch {
            return .unsupported("\(error)")
        }
    }

    /// Checks `node` and, with a builder, emits its steps. Throws `Unsupported` from checks
    /// and `LoupeError.backend` when XNNPACK refuses an operator.
    static func lower(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        if let p = try foldedConstant(node, graph, into: b) { return p }
        if runsOnInt8(node, graph) { return try lowerInt8(node, graph, into: b) }
        if let p = try fusedFloatHardSwishPlacement(node, graph, into: b) { return p }
        switch node.op {
        case .conv(let a): return try lowerConv(node, graph, a, into: b)
        case .convTranspose(let a): return try lowerConvTranspose(node, graph, a, into: b)
        case .gemm(let a): return try lowerGemm(node, graph, a, into: b)
        case .matMul: return try lowerMatMul(node, graph, into: b)
        case .binary(let op): return try lowerBinary(node, graph, op, into: b)
        case .unary(let op): return try lowerUnary(node, graph, op, into: b)
        case .compare(let op): return try lowerCompare(node, graph, op, into: b)
        case .select: return try lowerSelect(node, graph, into: b)
        case .clip: return try lowerClip(node, graph, into: b)
        case .leakyRelu(let alpha): return try lowerLeakyRelu(node, graph, alpha: alpha, into: b)
        case .elu(let alpha): return try lowerElu(node, graph, alpha: alpha, into: b)
        case .hardSigmoid(let alpha, let beta): return try lowerHardSigmoid(node, graph, alpha: alpha, beta: beta, into: b)
        case .prelu: return try lowerPRelu(node, graph, into: b)
        case .batchNormalization:
            throw Unsupported("BatchNormalization must be folded into the preceding Conv (run the pass pipeline)")
        case .batchNormalizationTraining:
            throw Unsupported("training-mode BatchNormalization (batch statistics) runs only when constant folding removes it (over constant weights)")
        case .layerNormalization(let axis, let epsilon):
            return try lowerLayerNormalization(node, graph, axis: axis, epsilon: epsilon, into: b)
        case .split(let axis): return try lowerSplit(node, graph, axis: axis, into: b)
        case .mod:
            throw Unsupported("Mod on non-constant data has no runtime lowering (shape computations fold)")
        case .gelu(let tanhApproximation):
            return tanhApproximation
                ? try emitKernelElementwise(node, graph, b, "loupe_f32_gelu_tanh") { n, x, y, _ in loupe_f32_gelu_tanh(n, x, y) }
                : try emitKernelElementwise(node, graph, b, "loupe_f32_gelu") { n, x, y, _ in loupe_f32_gelu(n, x, y) }
        case .swish(let alpha):
            return try emitKernelElementwise(node, graph, b, "loupe_f32_swish") { n, x, y, _ in loupe_f32_swish(n, x, y, alpha) }
        case .globalAveragePool(let layout): return try lowerGlobalPool(node, graph, layout: layout, max: false, into: b)
        case .globalMaxPool(let layout): return try lowerGlobalPool(node, graph, layout: layout, max: true, into: b)
        case .reduce(let op, let keepDims, let noop):
            return try lowerReduce(node, graph, op, keepDims: keepDims, noopWithEmptyAxes: noop, into: b)
        case .averagePool(let a): return try lowerAveragePool(node, graph, a, into: b)
        case .maxPool(let a): return try lowerMaxPool(node, graph, a, into: b)
        case .flatten, .reshape, .squeeze, .unsqueeze: return try lowerAlias(node, graph, into: b)
        case .concat(let axis): return try lowerConcat(node, graph, axis: axis, into: b)
        case .pad(let mode): return try lowerPad(node, graph, mode, into: b)
        case .resize(let a): return try lowerResize(node, graph, a, into: b)
        case .softmax(let axis, let legacy): return try lowerSoftmax(node, graph, axis: axis, legacy: legacy, into: b)
        case .transpose(let perm): return try lowerTranspose(node, graph, perm: perm, into: b)
        case .slice: return try lowerSlice(node, graph, int8: false, into: b)
        case .depthSpace(let a): return try lowerDepthSpace(node, graph, a, int8: false, into: b)
        case .gather(let axis):
            if let i = node.input(1), graph.constant(i) == nil { return try lowerGatherAtRunTime(node, graph, axis: axis, into: b) }
            return try lowerGather(node, graph, axis: axis, int8: false, into: b)
        case .expand: return try lowerExpand(node, graph, into: b)
        case .cast(let to): return try lowerCast(node, graph, to: to, into: b)
        case .shape, .constantOfShape: throw Unsupported(unfolded(node, graph))
        case .identity, .dropout:
            if let x = node.inputs.first, let t = graph.type(of: x), t.dtype != .float32 {
                return try lowerTypedCopy(node, graph, into: b)
            }
            // RemoveIdentity leaves only those it cannot rewire (a graph input passed straight
            // to a graph output): a one-input concat is exactly a copy.
            return try lowerConcat(node, graph, axis: 0, into: b)
        case .quantizeLinear(let axis, _): return try lowerQuantizeLinear(node, graph, axis: axis, into: b)
        case .dequantizeLinear(let axis): return try lowerDequantizeLinear(node, graph, axis: axis, into: b)
        case .unsupported(let opType, let domain, let reason):
            throw Unsupported("\(domain.isEmpty ? "" : domain + ".")\(opType) is not representable: \(reason)")
        }
    }

    /// A node whose inputs are all constants and whose outputs are initializers already:
    /// nothing to run.
    static func foldedConstant(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement? {
        guard !node.outputs.isEmpty, node.outputs.allSatisfy({ $0.isEmpty || graph.constant($0) != nil }) else {
            return nil
        }
        b?.addElided(node, .constant)
        return .constant
    }

    /// Why a Shape, Cast, ConstantOfShape or Expand is left at run time, where it has no
    /// lowering: on constant inputs, only because its result is larger than folding makes.
    static func unfolded(_ node: Node, _ graph: Graph) -> String {
        let constantInputs = node.inputs.allSatisfy { $0.isEmpty || graph.constant($0) != nil }
        let limit = defaultMaxFoldedElements
        if constantInputs, let y = node.outputs.first, let t = graph.type(of: y), let shape = t.staticShape {
            let size = checkedElementCount(shape).map { "\($0) elements" } ?? "more elements than a 64-bit count holds"
            return "its constant output \(t) (\(size)) is larger than constant folding makes (\(limit) elements), "
                + "and \(node.op.onnxName) has no runtime lowering"
        }
        return "\(node.op.onnxName) on non-constant data should have been folded (static shapes); it has no runtime lowering"
    }

    // MARK: helpers shared by the families

    /// Static shape of an activation or constant of `dtype` (float32 unless an int8 lowering
    /// asks for int8 codes); the checks every op needs.
    static func shape(_ value: String, _ graph: Graph, _ what: String, dtype: DType = .float32) throws -> [Int] {
        guard let t = graph.type(of: value) else {
            throw Unsupported("\(what) '\(value)' has no type (run shape inference)")
        }
        guard t.dtype == dtype else {
            throw Unsupported("\(what) '\(value)' is \(t.dtype); expected \(dtype) here")
        }
        guard let s = t.staticShape else {
            throw Unsupported("\(what) '\(value)' has a dynamic shape \(t)")
        }
        guard !s.contains(where: { $0 <= 0 }) else {
            throw Unsupported("\(what) '\(value)' has an empty shape \(s)")
        }
        return s
    }

    static func input(_ node: Node, _ i: Int, _ what: String) throws -> String {
        guard let v = node.input(i) else { throw Unsupported("missing input \(i) (\(what))") }
        return v
    }

    static func output(_ node: Node) throws -> String {
        guard let o = node.outputs.first, !o.isEmpty else { throw Unsupported("node has no output") }
        if node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw Unsupported("only the first output is supported")
        }
        return o
    }

    /// A non-constant (activation) input.
    static func activation(_ node: Node, _ graph: Graph, _ i: Int, _ what: String) throws -> (String, [Int]) {
        let v = try input(node, i, what)
        return (v, try shape(v, graph, what))
    }

    static func requireNHWC(_ layout: Layout) throws {
        if layout != .nhwc { throw Unsupported("layout NCHW: run ConvertToNHWC first") }
    }

    /// Integer values of a constant input (pads, axes, sizes).
    static func constantInts(_ node: Node, _ graph: Graph, _ i: Int, _ what: String) throws -> [Int]? {
        guard let v = node.input(i) else { return nil }
        guard let t = graph.constant(v) else { throw Unsupported("\(what) (input \(i)) must be constant") }
        return t.ints.map { Int($0) }
    }

    static func constantFloats(_ node: Node, _ graph: Graph, _ i: Int, _ what: String) throws -> [Float]? {
        guard let v = node.input(i) else { return nil }
        guard let t = graph.constant(v) else { throw Unsupported("\(what) (input \(i)) must be constant") }
        return t.floats
    }

    static func outputShape(_ node: Node, _ graph: Graph) -> [Int] {
        guard let o = node.outputs.first, let s = graph.type(of: o)?.staticShape else { return [] }
        return s
    }

    /// Checks that the graph's type for the output equals what the lowering computes.
    static func expectOutput(_ node: Node, _ graph: Graph, _ computed: [Int], dtype: DType = .float32) throws -> String {
        let o = try output(node)
        let declared = try shape(o, graph, "output", dtype: dtype)
        if declared != computed {
            throw Unsupported("output type \(declared) does not match the computed shape \(computed)")
        }
        return o
    }

    static func checkRange(_ lo: Float, _ hi: Float) throws {
        if lo.isNaN || hi.isNaN || !(lo < hi) {
            throw Unsupported("output range [\(lo), \(hi)] is empty or NaN (XNNPACK needs min < max)")
        }
    }

    static func u32(_ v: Int, _ what: String) throws -> UInt32 {
        guard v >= 0, v <= Int(UInt32.max) else { throw Unsupported("\(what) \(v) out of range") }
        return UInt32(v)
    }

    static func withOptional<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        if let a { return try a.withUnsafeBufferPointer { try body($0.baseAddress) } }
        return try body(nil)
    }

    /// Threads worth waking for `elements` of memory-bound work: below ~16K elements per
    /// thread the pool's wake-up costs more than it saves (the SE gates of MobileNetV3 are
    /// 960 elements).
    static func threadsFor(elements: Int, _ threads: Int) -> Int {
        max(1, min(threads, elements / 16384))
    }

    /// Splits `count` elements into at most `parts` chunks aligned to 64 elements.
    static func chunks(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, (count + 63) / 64))
        let per = ((count + parts - 1) / parts + 63) / 64 * 64
        var out: [Range<Int>] = []
        var s = 0
        while s < count {
            out.append(s..<min(count, s + per))
            s += per
        }
        return out
    }
}
