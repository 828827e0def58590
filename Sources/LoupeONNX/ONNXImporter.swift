import Foundation
import LoupeIR
import SwiftProtobuf

/// Imports ONNX models into Loupe's IR.
///
/// The importer validates the file once (protobuf structure, topological order, unique
/// value names, attribute types and lengths, tensor sizes) and maps every node of the
/// default ONNX domain (`""` / `"ai.onnx"`, opsets ``supportedOpsets``) onto an `Op`.
/// Nodes it cannot represent — another domain, an op type without an `Op` case, or a
/// valid attribute value Loupe does not implement — become
/// `.unsupported(opType:domain:reason:)` so that `loupe inspect` can list them. Only files
/// that are not valid ONNX throw, and models whose graph inputs, outputs or initializers
/// are not tensors of a `DType` (strings, bfloat16, float8, sequences…), which no Loupe
/// graph can hold — except initializers consumed only by QuantizeLinear/DequantizeLinear
/// (float8 or 4-bit codes and their zero points): those nodes import as `.unsupported`
/// naming the type, and the initializers are left out of the graph.
///
/// Conventions of the imported graph:
/// - Inputs follow the newest opset: attributes that old opsets used for what are now
///   inputs (Clip min/max, Pad pads/value, Squeeze/Unsqueeze/Reduce axes, Slice
///   starts/ends, Upsample scales) become initializers named `"<node>::<input>"` (made
///   unique) and are referenced as inputs.
/// - Constant nodes become initializers under their output name; no node is emitted.
/// - Negative axes are kept as written (Concat, Flatten, Softmax, Gather and axes
///   inputs); shape inference normalises them against the input rank.
/// - Omitted spatial attributes get ONNX's defaults sized from the kernel rank
///   (strides and dilations 1, pads 0).
public enum ONNXImporter {
    /// Default-domain opsets the importer maps. 7 is the oldest with numpy broadcasting;
    /// for every mapped op, the schema changes after opset 21 (checked against the onnx
    /// 1.22 schemas, up to opset 27) only widen type constraints, or (Cast-24/25
    /// `round_mode`) concern float8 targets Loupe does not have.
    public static let supportedOpsets: ClosedRange<Int> = 7...27

    /// Reads and imports the model at `path`. External tensor data is resolved relative to
    /// the model file's directory. Only a regular file is read (a FIFO would block, a
    /// device never end: `LoupeError.io` saying what the path is), and a malformed model's
    /// message starts with `path`, so that a command given several files says which one.
    public static func load(contentsOf path: String) throws -> Graph {
        let url = URL(fileURLWithPath: path)
        let data = try RegularFile.read(path, what: "model")
        do {
            return try load(data: data, baseDirectory: url.deletingLastPathComponent())
        } catch LoupeError.malformedModel(let reason) {
            throw LoupeError.malformedModel("\(path): \(reason)")
        }
    }

    /// Imports a serialized `ModelProto`. Models whose tensors use external data must be
    /// loaded with ``load(contentsOf:)`` instead.
    public static func load(data: Data) throws -> Graph {
        try load(data: data, baseDirectory: nil)
    }

    /// Decodes a serialized `TensorProto` (as in the `test_data_set_*/*.pb` files of the
    /// ONNX test suite).
    public static func parseTensor(data: Data) throws -> Tensor {
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: data, options: decodingOptions)
        } catch {
            throw LoupeError.malformedModel("not a valid serialized ONNX TensorProto: \(error)")
        }
        return try tensor(from: proto, what: "tensor '\(proto.name)'", baseDirectory: nil)
    }

    /// Serializes `t` as a `TensorProto` named `name`, data in `raw_data` (little-endian)
    /// in the tensor's declared element type.
    public static func serializeTensor(_ t: Tensor, name: String) throws -> Data {
        let proto = tensorProto(from: t, name: name)
        do {
            return try proto.serializedBytes()
        } catch {
            throw LoupeError.malformedModel("cannot serialize tensor '\(name)': \(error)")
        }
    }

    // MARK: - Model

    static var decodingOptions: BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        options.messageDepthLimit = 64
        return options
    }

    static func load(data: Data, baseDirectory: URL?) throws -> Graph {
        guard !data.isEmpty else { throw LoupeError.malformedModel("the model file is empty") }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data, options: decodingOptions)
        } catch {
            throw LoupeError.malformedModel("not a valid ONNX protobuf (\(data.count) bytes): \(error)")
        }
        return try importModel(model, baseDirectory: baseDirectory)
    }

    static func importModel(_ model: Onnx_ModelProto, baseDirectory: URL?) throws -> Graph {
        guard model.hasGraph else { throw LoupeError.malformedModel("the model has no graph") }
        var opsets: [String: Int] = [:]
        for entry in model.opsetImport {
            let domain = entry.domain == "ai.onnx" ? "" : entry.domain
            guard let v = Int(exactly: entry.version), v >= 1 else {
                throw LoupeError.malformedModel("opset_import for domain '\(entry.domain)' has version \(entry.version)")
            }
            if let old = opsets[domain], old != v {
                throw LoupeError.malformedModel("opset_import lists domain '\(entry.domain)' twice (\(old) and \(v))")
            }
            opsets[domain] = v
        }
        // A model of other domains only (ai.onnx.ml, training) needs no default opset; its
        // nodes all import as unsupported and graph.opset is 0.
        let usesDefaultDomain = model.graph.node.contains { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = opsets[""] ?? (usesDefaultDomain ? nil : 0) else {
            throw LoupeError.malformedModel("the model has nodes of the default ONNX domain but imports no opset for it")
        }

        let g = model.graph
        var builder = GraphBuilder(proto: g, baseDirectory: baseDirectory)
        builder.graph.name = g.name.isEmpty ? "graph" : g.name
        builder.graph.opset = opset
        for entry in model.metadataProps { builder.graph.metadata[entry.key] = entry.value }
        if !model.producerName.isEmpty { builder.graph.metadata["producer_name"] = model.producerName }
        if !model.producerVersion.isEmpty { builder.graph.metadata["producer_version"] = model.producerVersion }

        try builder.addInitializers()
        try builder.addInputs()
        builder.addValueInfoTypes()

        for (index, nodeProto) in g.node.enumerated() {
            let node = try NodeContext(proto: nodeProto, index: index, opsets: opsets)
            try builder.checkInputsDefined(node)
            let mapped = try map(node, &builder)
            try builder.define(outputsOf: node)
            builder.graph.nodes.append(contentsOf: mapped)
        }
        try builder.addOutputs()
        return builder.graph
    }

    /// Maps one node. Throws for invalid files; returns `.unsupported` nodes for valid
    /// nodes Loupe cannot represent.
    static func map(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        guard n.isDefaultDomain else {
            return [n.unsupported("domain '\(n.domain)' is not supported (only the default ONNX domain is)")]
        }
        guard supportedOpsets.contains(n.opset) else {
            return [n.unsupported("opset \(n.opset) is outside the supported range \(supportedOpsets.lowerBound)...\(supportedOpsets.upperBound)")]
        }
        if let u = UnaryOp(rawValue: n.opType) { return try n.simple(.unary(u), inputs: 1...1) }
        if let c = CompareOp(rawValue: n.opType) { return try n.simple(.compare(c), inputs: 2...2) }
        switch n.opType {
        case "Conv": return try mapConv(n, &b, transposed: false)
        case "ConvTranspose": return try mapConv(n, &b, transposed: true)
        case "Gemm": return try mapGemm(n)
        case "MatMul": return try n.simple(.matMul, inputs: 2...2)
        case "Where": return try n.simple(.select, inputs: 3...3)
        case "BatchNormalization": return try mapBatchNormalization(n, b)
        case "LayerNormalization": return try mapLayerNormalization(n)
        case "Add": return try n.simple(.binary(.add), inputs: 2...2)
        case "Sub": return try n.simple(.binary(.sub), inputs: 2...2)
        case "Mul": return try n.simple(.binary(.mul), inputs: 2...2)
        case "Div": return try n.simple(.binary(.div), inputs: 2...2)
        case "Pow": return try n.simple(.binary(.pow), inputs: 2...2)
        case "Mod": return try mapMod(n)
        case "Max": return try mapVariadic(n, .max, &b)
        case "Min": return try mapVariadic(n, .min, &b)
        case "Gelu": return try mapGelu(n)
        case "Swish":
            guard n.opset >= 24 else { return [n.unsupported("Swish is an ONNX op from opset 24; the model imports opset \(n.opset)")] }
            return try n.simple(.swish(alpha: n.float("alpha", default: 1)), inputs: 1...1)
        case "Clip": return try mapClip(n, &b)
        case "LeakyRelu": return try n.simple(.leakyRelu(alpha: n.float("alpha", default: 0.01)), inputs: 1...1)
        case "Elu": return try n.simple(.elu(alpha: n.float("alpha", default: 1)), inputs: 1...1)
        case "HardSigmoid":
            return try n.simple(.hardSigmoid(alpha: n.float("alpha", default: 0.2),
                                             beta: n.float("beta", default: 0.5)), inputs: 1...1)
        case "PRelu": return try n.simple(.prelu, inputs: 2...2)
        case "GlobalAveragePool": return try n.simple(.globalAveragePool(layout: .nchw), inputs: 1...1)
        case "GlobalMaxPool": return try n.simple(.globalMaxPool(layout: .nchw), inputs: 1...1)
        case "ReduceMean": return try mapReduce(n, .mean, &b)
        case "ReduceSum": return try mapReduce(n, .sum, &b)
        case "ReduceMax": return try mapReduce(n, .max, &b)
        case "ReduceMin": return try mapReduce(n, .min, &b)
        case "ReduceProd": return try mapReduce(n, .prod, &b)
        case "ReduceSumSquare": return try mapReduce(n, .sumSquare, &b)
        case "ReduceL2": return try mapReduce(n, .l2, &b)
        case "AveragePool": return try mapPool(n, b, max: false)
        case "MaxPool": return try mapPool(n, b, max: true)
        case "Flatten": return try n.simple(.flatten(axis: n.int("axis", default: 1)), inputs: 1...1)
        case "Reshape": return try mapReshape(n)
        case "Squeeze": return try mapSqueeze(n, &b, unsqueeze: false)
        case "Unsqueeze": return try mapSqueeze(n, &b, unsqueeze: true)
        case "Concat": return try mapConcat(n)
        case "Split": return try mapSplit(n, &b)
        case "Pad": return try mapPad(n, &b)
        case "Resize": return try mapResize(n, &b)
        case "Upsample": return try mapUpsample(n, &b)
        case "Softmax": return try mapSoftmax(n)
        case "Transpose": return try mapTranspose(n)
        case "SpaceToDepth", "DepthToSpace": return try mapDepthSpace(n)
        case "Shape": return try mapShape(n)
        case "Gather": return try n.simple(.gather(axis: n.int("axis", default: 0)), inputs: 2...2)
        case "Slice": return try mapSlice(n, &b)
        case "Cast": return try mapCast(n, &b)
        case "ConstantOfShape": return try mapConstantOfShape(n, b)
        case "Expand": return try n.simple(.expand, inputs: 2...2)
        case "Identity": return try n.simple(.identity, inputs: 1...1)
        case "Dropout": return try mapDropout(n, b)
        case "Constant": return try mapConstant(n, &b)
        case "QuantizeLinear": return try mapQuantizeLinear(n, &b)
        case "DequantizeLinear": return try mapDequantizeLinear(n, &b)
        default:
            return [n.unsupported("op type '\(n.opType)' has no Loupe equivalent")]
        }
    }
}
