import Foundation
import LoupeIR
import SwiftProtobuf

/// Writes Loupe IR graphs as ONNX models: the other half of ``ONNXImporter``, used to save
/// quantized (QuantizeLinear/DequantizeLinear) models that ONNX Runtime can run too.
///
/// The graph must be in ONNX's own form: NCHW (before `ConvertToNHWC`), as the importer
/// produces it or as `Pipeline.optimize(_:options:)` leaves it with `convertToNHWC: false`.
/// What the exporter writes:
/// - Opset ``opset`` of the default domain and IR version ``irVersion``. Every IR op is
///   written in its newest input form (the IR already follows it).
/// - A clamp that `FuseActivations` folded into a Conv/ConvTranspose/Gemm becomes a separate
///   `Relu` (`[0, ∞)`) or `Clip` node after it; the op's result gets a fresh name
///   (`"<output>::unclamped"`, made unique) and the clamp keeps the original output name.
///   Loupe re-fuses the pair on import.
/// - Opset < 13 Softmax (`legacyCoerce2D`) becomes Flatten → Softmax(axis −1) → Reshape
///   when its axis is not the last one (needs the input's static shape).
/// - Dropout is written as Identity (Loupe's Dropout is inference-only).
/// - Initializers: every constant that a node or a graph output references, raw little-endian
///   data in its declared element type. Graph inputs and outputs keep their declared types.
/// - `Graph.metadata` goes to `metadata_props`, except `producer_name` / `producer_version`
///   (the importer's copies of those fields), which the exporter writes itself.
///
/// It throws `LoupeError.unsupportedOp` naming the node for what cannot be written: NHWC
/// layouts, `.unsupported` nodes (their attributes are not kept), and a legacy Softmax
/// without a static shape. `Graph.quantization` (folded int8 values) has no ONNX form: the
/// exporter refuses a graph that carries it; write the QDQ form instead.
public enum ONNXExporter {
    /// The default-domain opset of exported models. 21 is the newest at which every IR op
    /// keeps the semantics Loupe gives it (later versions only widen types) and which ONNX
    /// Runtime 1.17+ runs.
    public static let opset = 21
    /// The ONNX IR version that goes with ``opset`` (ONNX 1.16).
    public static let irVersion: Int64 = 10

    /// Serializes a Loupe IR graph (NCHW, before layout conversion: ONNX-like) as an ONNX
    /// model (`ModelProto` bytes). `producer` becomes `producer_name`.
    public static func serialize(_ graph: Graph, producer: String = "loupe") throws -> [UInt8] {
        let model = try modelProto(graph, producer: producer)
        do {
            return try model.serializedBytes()
        } catch {
            throw LoupeError.malformedModel("cannot serialize graph '\(graph.name)': \(error)")
        }
    }

    /// Writes ``serialize(_:producer:)``'s bytes to `path` atomically: into a temporary file
    /// in the same directory, then renamed over `path`. On any failure nothing is left
    /// behind and an existing file at `path` is untouched.
    public static func write(_ graph: Graph, to path: String, producer: String = "loupe") throws {
        let bytes = try serialize(graph, producer: producer)
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temp, options: [.withoutOverwriting])
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw LoupeError.io("cannot write '\(path)': \(error.localizedDescription)")
        }
        // rename(2) replaces the destination atomically; FileManager's move refuses to.
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw LoupeError.io("cannot write '\(path)': \(reason)")
        }
    }

    // MARK: - Model

    static func modelProto(_ graph: Graph, producer: String) throws -> Onnx_ModelProto {
        guard graph.quantization.isEmpty else {
            throw LoupeError.verification(
                "graph '\(graph.name)' carries folded int8 values (\(graph.quantization.count)); only the QuantizeLinear/DequantizeLinear form can be exported")
        }
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = producer
        if let v = graph.metadata["producer_version"], producer == graph.metadata["producer_name"] {
            model.producerVersion = v
        }
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(Self.opset)
        model.opsetImport = [opset]
        for key in graph.metadata.keys.sorted() where key != "producer_name" && key != "producer_version" {
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = graph.metadata[key] ?? ""
            model.metadataProps.append(entry)
        }
        model.graph = try graphProto(graph)
        return model
    }

    static func graphProto(_ graph: Graph) throws -> Onnx_GraphProto {
        var writer = NodeWriter(graph: graph)
        for node in graph.nodes { try writer.write(node) }

        var g = Onnx_GraphProto()
        g.name = graph.name
        g.node = writer.nodes
        g.input = graph.inputs.map { valueInfo($0.name, $0.type) }
        g.output = graph.outputs.map { valueInfo($0.name, graph.type(of: $0.name) ?? $0.type) }
        // Every referenced constant, sorted for a deterministic file. Generated constants
        // (clamp bounds, reshape targets) come from the writer.
        var referenced = Set(writer.nodes.flatMap(\.input))
        for o in graph.outputs { referenced.insert(o.name) }
        let inputNames = Set(graph.inputs.map(\.name))
        var initializers: [Onnx_TensorProto] = []
        for name in graph.initializers.keys.sorted() where referenced.contains(name) && !inputNames.contains(name) {
            initializers.append(ONNXImporter.tensorProto(from: graph.initializers[name]!, name: name))
        }
        for (name, t) in writer.constants { initializers.append(ONNXImporter.tensorProto(from: t, name: name)) }
        g.initializer = initializers
        return g
    }

    static func valueInfo(_ name: String, _ type: TensorType) -> Onnx_ValueInfoProto {
        var vi = Onnx_ValueInfoProto()
        vi.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = ONNXImporter.onnxCode(type.dtype)
        var shape = Onnx_TensorShapeProto()
        shape.dim = type.dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .value(let v): dim.dimValue = Int64(v)
            case .param(let p): dim.dimParam = p
            case .unknown: break
            }
            return dim
        }
        tt.shape = shape
        var t = Onnx_TypeProto()
        t.tensorType = tt
        vi.type = t
        return vi
    }
}
