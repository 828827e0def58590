import Foundation
import LoupeIR

/// A slow, obvious interpreter of Loupe's IR: the test oracle and the engine of constant
/// folding. Convolutions, matrix products and reductions accumulate in `Double`; float
/// results are stored as `Float`. Integer tensors (shape computations) stay `Int64` with
/// ONNX integer semantics (Div truncates). Ops with `layout: .nhwc` are evaluated by
/// transposing to NCHW, applying the NCHW definition and transposing back.
///
/// Every input is checked; a tensor that does not fit its op throws a `LoupeError` naming
/// the node, never traps.
public enum ReferenceInterpreter {
    /// Runs `graph` on `inputs` (one tensor per graph input, by name) and returns the graph
    /// outputs by name. Values are freed after their last use.
    ///
    /// - Throws: `LoupeError.badInput` when an input is missing or does not match its
    ///   declared type; any error of `evaluate(_:inputs:)`.
    public static func run(_ graph: Graph, inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = graph.initializers
        for info in graph.inputs {
            guard let t = inputs[info.name] else {
                throw LoupeError.badInput("missing graph input '\(info.name)' (\(info.type))")
            }
            guard t.dtype == info.type.dtype, t.shape.count == info.type.rank,
                  zip(t.shape, info.type.dims).allSatisfy({ $1.known == nil || $1.known == $0 }) else {
                throw LoupeError.badInput("input '\(info.name)' is \(t.type), expected \(info.type)")
            }
            values[info.name] = t
        }
        var lastUse: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for name in node.inputs where !name.isEmpty { lastUse[name] = i }
        }
        let keep = Set(graph.outputs.map(\.name))
        for (index, node) in graph.nodes.enumerated() {
            var args: [Tensor?] = []
            for (i, name) in node.inputs.enumerated() {
                if name.isEmpty { args.append(nil); continue }
                guard let v = values[name] else {
                    throw LoupeError.invalidInput(node.reference, input: i, reason: "value '\(name)' is not defined before this node")
                }
                args.append(v)
            }
            let results = try evaluate(node, inputs: args)
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
            for name in node.inputs where !name.isEmpty && lastUse[name] == index && !keep.contains(name)
                && graph.initializers[name] == nil {
                values[name] = nil
            }
        }
        var out: [String: Tensor] = [:]
        for o in graph.outputs {
            guard let v = values[o.name] else { throw LoupeError.verification("graph output '\(o.name)' was not produced") }
            out[o.name] = v
        }
        return out
    }

    /// Evaluates one node on concrete inputs (nil for an omitted optional input) and returns
    /// one tensor per `node.outputs`.
    ///
    /// - Throws: `LoupeError` naming the node when an input does not fit or the op is
    ///   `.unsupported`.
    public static func evaluate(_ node: Node, inputs: [Tensor?]) throws -> [Tensor] {
        // Shape inference with every input constant checks the inputs and gives the output
        // shapes, so the kernels below only compute values.
        let types = try inferOutputTypes(node: node, inputTypes: inputs.map { $0?.type }, constants: inputs)
        let shapes = types.map { $0.staticShape ?? [] }
        let k = Kernel(node: node, inputs: inputs, outputTypes: types, outputShapes: shapes)
        switch node.op {
        case .conv(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .conv(b) } }
            return [try k.conv(a)]
        case .convTranspose(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .convTranspose(b) } }
            return [try k.convTranspose(a)]
        case .gemm(let a): return [try k.gemm(a)]
        case .matMul: return [try k.matMul()]
        case .binary(let b): return [try k.binary(b)]
        case .unary(let u): return [try k.unary(u)]
        case .compare(let c): return [try k.compare(c)]
        case .select: return [try k.select()]
        case .clip: return [try k.clip()]
        case .leakyRelu(let alpha): return [try k.map { $0 >= 0 ? $0 : Double(alpha) * $0 }]
        case .elu(let alpha): return [try k.map { $0 > 0 ? $0 : Double(alpha) * (exp($0) - 1) }]
        case .hardSigmoid(let alpha, let beta):
            return [try k.map { max(0, min(1, Double(alpha) * $0 + Double(beta))) }]
        case .prelu: return [try k.prelu()]
        case .batchNormalization(let eps, let layout):
            if layout == .nhwc { return try k.viaNCHW { .batchNormalization(epsilon: eps, layout: .nchw) } }
            return [try k.batchNormalization(epsilon: eps)]
        case .batchNormalizationTraining(let eps): return [try k.batchNormalizationTraining(epsilon: eps)]
        case .layerNormalization(let axis, let eps): return try k.layerNormalization(axis: axis, epsilon: eps)
        case .split(let axis): return try k.split(axis: axis)
        case .mod(let fmod): return [try k.mod(fmod: fmod)]
        case .gelu(let tanh): return [try k.gelu(tanhApproximation: tanh)]
        case .swish(let alpha): return [try k.map { $0 / (1 + exp(-Double(alpha) * $0)) }]
        case .globalAveragePool(let layout):
            if layout == .nhwc { return try k.viaNCHW { .globalAveragePool(layout: .nchw) } }
            return [try k.globalPool(average: true)]
        case .globalMaxPool(let layout):
            if layout == .nhwc { return try k.viaNCHW { .globalMaxPool(layout: .nchw) } }
            return [try k.globalPool(average: false)]
        case .reduce(let r, let keepDims, let noop): return [try k.reduce(r, keepDims: keepDims, noopWithEmptyAxes: noop)]
        case .averagePool(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .averagePool(b) } }
            return [try k.averagePool(a)]
        case .maxPool(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .maxPool(b) } }
            return try k.maxPool(a)
        case .flatten, .reshape, .squeeze, .unsqueeze, .identity:
            return [try k.reshaped()]
        case .dropout:
            let y = try k.reshaped()
            return [y, Tensor(shape: y.shape, ints: Array(repeating: 1, count: y.count), dtype: .bool)].prefix(node.outputs.count).map { $0 }
        case .concat(let axis): return [try k.concat(axis: axis)]
        case .pad(let mode): return [try k.pad(mode)]
        case .resize(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .resize(b) } }
            return [try k.resize(a)]
        case .softmax(let axis, let legacy): return [try k.softmax(axis: axis, legacyCoerce2D: legacy)]
        case .transpose(let perm): return [try k.transpose(perm: perm)]
        case .depthSpace(let a):
            if a.layout == .nhwc { return try k.viaNCHW { var b = a; b.layout = .nchw; return .depthSpace(b) } }
            return [try k.depthSpace(a)]
        case .shape(let start, let end):
            let s = try k.input(0).shape
            let r = Graph.shapeRange(rank: s.count, start: start, end: end)
            return [Tensor(shape: [r.count], ints: r.map { Int64(s[$0]) })]
        case .gather(let axis): return [try k.gather(axis: axis)]
        case .slice: return [try k.slice()]
        case .cast(let to): return [try k.cast(to: to)]
        case .constantOfShape(let value): return [k.constantOfShape(value)]
        case .expand: return [try k.expand()]
        case .quantizeLinear(let axis, _): return [try k.quantizeLinear(axis: axis)]
        case .dequantizeLinear(let axis): return [try k.dequantizeLinear(axis: axis)]
        case .unsupported(let opType, let domain, let reason):
            throw LoupeError.unsupportedOp(node.reference, reason: "\(domain.isEmpty ? "" : domain + ".")\(opType): \(reason)")
        }
    }
}
