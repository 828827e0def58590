import Foundation
import LoupeIR

/// Turns IR nodes into `NodeProto`s, one op family per method below; the switch over `Op`
/// has no `default:` so a new op makes the compiler point here.
struct NodeWriter {
    let graph: Graph
    private(set) var nodes: [Onnx_NodeProto] = []
    /// Constants the writer generates (clamp bounds, reshape targets), in creation order.
    private(set) var constants: [(String, Tensor)] = []
    private var names: ValueNames

    init(graph: Graph) {
        self.graph = graph
        names = ValueNames(graph)
    }

    /// A value name not used anywhere in the graph, based on `base`.
    mutating func fresh(_ base: String) -> String { names.fresh(base) }

    mutating func constant(_ t: Tensor, _ base: String) -> String {
        let name = fresh(base)
        constants.append((name, t))
        return name
    }

    mutating func emit(_ opType: String, _ name: String, _ inputs: [String], _ outputs: [String],
                       _ attributes: [Onnx_AttributeProto] = []) {
        var p = Onnx_NodeProto()
        p.opType = opType
        p.name = name
        // ONNX allows omitted trailing optional inputs to be left out; the IR keeps "" holes.
        var ins = inputs
        while let last = ins.last, last.isEmpty { ins.removeLast() }
        p.input = ins
        p.output = outputs
        p.attribute = attributes
        nodes.append(p)
    }

    func unsupported(_ node: Node, _ reason: String) -> LoupeError {
        .unsupportedOp(node.reference, reason: "cannot export: \(reason)")
    }

    func requireNCHW(_ node: Node, _ layout: Layout) throws {
        guard layout == .nchw else {
            throw unsupported(node, "layout \(layout.rawValue); export the graph before ConvertToNHWC (Pipeline option convertToNHWC: false)")
        }
    }

    // MARK: - Dispatch

    mutating func write(_ node: Node) throws {
        let type = node.op.onnxName
        switch node.op {
        case .conv(let a), .convTranspose(let a):
            try requireNCHW(node, a.layout)
            var attrs = convAttributes(a)
            if case .convTranspose = node.op {
                if a.outputPadding.contains(where: { $0 != 0 }) { attrs.append(.ints("output_padding", a.outputPadding)) }
                if let s = a.outputShape { attrs.append(.ints("output_shape", s)) }
            }
            try writeClamped(node, type, attrs, min: a.outputMin, max: a.outputMax)
        case .gemm(let a):
            var attrs: [Onnx_AttributeProto] = []
            if a.alpha != 1 { attrs.append(.float("alpha", a.alpha)) }
            if a.beta != 1 { attrs.append(.float("beta", a.beta)) }
            if a.transA { attrs.append(.int("transA", 1)) }
            if a.transB { attrs.append(.int("transB", 1)) }
            try writeClamped(node, type, attrs, min: a.outputMin, max: a.outputMax)
        case .matMul, .binary, .unary, .compare, .select, .clip, .prelu, .expand, .identity:
            emit(type, node.name, node.inputs, node.outputs)
        case .leakyRelu(let alpha), .elu(let alpha), .swish(let alpha):
            emit(type, node.name, node.inputs, node.outputs, [.float("alpha", alpha)])
        case .hardSigmoid(let alpha, let beta):
            emit(type, node.name, node.inputs, node.outputs, [.float("alpha", alpha), .float("beta", beta)])
        case .batchNormalization(let epsilon, let layout):
            try requireNCHW(node, layout)
            emit(type, node.name, node.inputs, node.outputs, [.float("epsilon", epsilon)])
        case .batchNormalizationTraining(let epsilon):
            emit(type, node.name, node.inputs, node.outputs, [.float("epsilon", epsilon), .int("training_mode", 1)])
        case .layerNormalization(let axis, let epsilon):
            emit(type, node.name, node.inputs, node.outputs, [.int("axis", axis), .float("epsilon", epsilon)])
        case .split(let axis):
            var attrs: [Onnx_AttributeProto] = [.int("axis", axis)]
            // From opset 18 a Split without the sizes input must say how many parts.
            if node.input(1) == nil { attrs.append(.int("num_outputs", node.outputs.count)) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .mod(let fmod):
            emit(type, node.name, node.inputs, node.outputs, [.int("fmod", fmod ? 1 : 0)])
        case .gelu(let tanh):
            emit(type, node.name, node.inputs, node.outputs, tanh ? [.string("approximate", "tanh")] : [])
        case .globalAveragePool(let layout), .globalMaxPool(let layout):
            try requireNCHW(node, layout)
            emit(type, node.name, node.inputs, node.outputs)
        case .reduce(_, let keepDims, let noop):
            var attrs: [Onnx_AttributeProto] = [.int("keepdims", keepDims ? 1 : 0)]
            if noop { attrs.append(.int("noop_with_empty_axes", 1)) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .averagePool(let a), .maxPool(let a):
            try requireNCHW(node, a.layout)
            var attrs = windowAttributes(kernel: a.kernelShape, strides: a.strides, dilations: a.dilations,
                                         pads: a.pads, autoPad: a.autoPad)
            if a.ceilMode { attrs.append(.int("ceil_mode", 1)) }
            if case .averagePool = node.op, a.countIncludePad { attrs.append(.int("count_include_pad", 1)) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .flatten(let axis):
            emit(type, node.name, node.inputs, node.outputs, [.int("axis", axis)])
        case .reshape(let allowZero):
            emit(type, node.name, node.inputs, node.outputs, allowZero ? [.int("allowzero", 1)] : [])
        case .squeeze, .unsqueeze, .slice:
            emit(type, node.name, node.inputs, node.outputs)
        case .concat(let axis):
            emit(type, node.name, node.inputs, node.outputs, [.int("axis", axis)])
        case .pad(let mode):
            emit(type, node.name, node.inputs, node.outputs, mode == .constant ? [] : [.string("mode", mode.rawValue)])
        case .resize(let a):
            try requireNCHW(node, a.layout)
            emit(type, node.name, node.inputs, node.outputs, resizeAttributes(a))
        case .softmax(let axis, let legacy):
            try writeSoftmax(node, axis: axis, legacy: legacy)
        case .transpose(let perm):
            emit(type, node.name, node.inputs, node.outputs, perm.map { [.ints("perm", $0)] } ?? [])
        case .depthSpace(let a):
            try requireNCHW(node, a.layout)
            var attrs: [Onnx_AttributeProto] = [.int("blocksize", a.blockSize)]
            if a.direction == .depthToSpaceCRD { attrs.append(.string("mode", "CRD")) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .shape(let start, let end):
            var attrs: [Onnx_AttributeProto] = []
            if start != 0 { attrs.append(.int("start", start)) }
            if let end { attrs.append(.int("end", end)) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .gather(let axis):
            emit(type, node.name, node.inputs, node.outputs, [.int("axis", axis)])
        case .cast(let to):
            emit(type, node.name, node.inputs, node.outputs, [.int("to", Int(ONNXImporter.onnxCode(to)))])
        case .constantOfShape(let value):
            emit(type, node.name, node.inputs, node.outputs, [.tensor("value", ONNXImporter.tensorProto(from: value, name: ""))])
        case .dropout:
            emit("Identity", node.name, [node.inputs[0]], [node.outputs[0]])
        case .quantizeLinear(let axis, let saturate):
            // `saturate` only concerns float8 outputs; written when not the default so that a
            // re-import gives the same node.
            var attrs: [Onnx_AttributeProto] = axis == 1 ? [] : [.int("axis", axis)]
            if !saturate { attrs.append(.int("saturate", 0)) }
            emit(type, node.name, node.inputs, node.outputs, attrs)
        case .dequantizeLinear(let axis):
            emit(type, node.name, node.inputs, node.outputs, axis == 1 ? [] : [.int("axis", axis)])
        case .unsupported(let opType, let domain, let reason):
            throw unsupported(node, "op '\(opType)'\(domain.isEmpty ? "" : " of domain '\(domain)'") was not imported (\(reason))")
        }
    }

    // MARK: - Op families

    func convAttributes(_ a: ConvAttributes) -> [Onnx_AttributeProto] {
        var attrs = windowAttributes(kernel: a.kernelShape, strides: a.strides, dilations: a.dilations,
                                     pads: a.pads, autoPad: a.autoPad)
        if a.group != 1 { attrs.append(.int("group", a.group)) }
        return attrs
    }

    func windowAttributes(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int],
                          autoPad: AutoPad) -> [Onnx_AttributeProto] {
        var attrs: [Onnx_AttributeProto] = [.ints("kernel_shape", kernel), .ints("strides", strides),
                                            .ints("dilations", dilations)]
        // ONNX forbids explicit pads together with auto_pad.
        if autoPad == .notSet { attrs.append(.ints("pads", pads)) } else { attrs.append(.string("auto_pad", autoPad.rawValue)) }
        return attrs
    }

    /// The op itself writes a fresh value; a Relu or Clip writes the node's output.
    mutating func writeClamped(_ node: Node, _ type: String, _ attrs: [Onnx_AttributeProto],
                               min lo: Float, max hi: Float) throws {
        guard lo > -.infinity || hi < .infinity else {
            emit(type, node.name, node.inputs, node.outputs, attrs)
            return
        }
        guard let out = node.outputs.first else { throw unsupported(node, "no output") }
        let raw = fresh("\(out)::unclamped")
        emit(type, node.name, node.inputs, [raw] + node.outputs.dropFirst(), attrs)
        if lo == 0 && hi == .infinity {
            emit("Relu", fresh("\(node.name)::relu"), [raw], [out])
            return
        }
        let dtype = graph.type(of: out)?.dtype ?? .float32
        let minName = lo > -.infinity ? constant(Tensor(shape: [], floats: [lo], dtype: dtype), "\(node.name)::clip_min") : ""
        let maxName = hi < .infinity ? constant(Tensor(shape: [], floats: [hi], dtype: dtype), "\(node.name)::clip_max") : ""
        emit("Clip", fresh("\(node.name)::clip"), [raw, minName, maxName], [out])
    }

    /// Opset < 13 Softmax normalises over all axes from `axis` on, which opset 21 spells
    /// as Flatten(axis) → Softmax(−1) → Reshape(original shape).
    mutating func writeSoftmax(_ node: Node, axis: Int, legacy: Bool) throws {
        guard legacy else {
            emit("Softmax", node.name, node.inputs, node.outputs, [.int("axis", axis)])
            return
        }
        guard let shape = graph.type(of: node.inputs[0])?.staticShape else {
            throw unsupported(node, "opset < 13 Softmax needs the static shape of '\(node.inputs[0])' to be written at opset \(ONNXExporter.opset)")
        }
        let a = axis < 0 ? axis + shape.count : axis
        if a == shape.count - 1 {
            emit("Softmax", node.name, node.inputs, node.outputs, [.int("axis", -1)])
            return
        }
        let flat = fresh("\(node.outputs[0])::flat"), soft = fresh("\(node.outputs[0])::softmax")
        emit("Flatten", fresh("\(node.name)::flatten"), [node.inputs[0]], [flat], [.int("axis", a)])
        emit("Softmax", node.name, [flat], [soft], [.int("axis", -1)])
        let target = constant(Tensor(shape: [shape.count], ints: shape.map(Int64.init)), "\(node.name)::shape")
        emit("Reshape", fresh("\(node.name)::reshape"), [soft, target], node.outputs)
    }

    func resizeAttributes(_ a: ResizeAttributes) -> [Onnx_AttributeProto] {
        var attrs: [Onnx_AttributeProto] = [
            .string("mode", a.mode.rawValue),
            .string("coordinate_transformation_mode", a.coordinateTransformation.rawValue),
            .string("nearest_mode", a.nearestMode.rawValue),
            .float("cubic_coeff_a", a.cubicCoeffA),
            .int("exclude_outside", a.excludeOutside ? 1 : 0),
            .float("extrapolation_value", a.extrapolationValue),
            .string("keep_aspect_ratio_policy", a.keepAspectRatioPolicy.rawValue),
        ]
        if a.antialias { attrs.append(.int("antialias", 1)) }
        if let axes = a.axes { attrs.append(.ints("axes", axes)) }
        return attrs
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(v); return a
    }
    static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = v.map(Int64.init); return a
    }
    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = v; return a
    }
    static func string(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(v.utf8); return a
    }
    static func tensor(_ name: String, _ t: Onnx_TensorProto) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .tensor; a.t = t; return a
    }
}
