import Foundation
import LoupeIR

/// Graph-level state of one import: the graph being built, the values defined so far (for
/// the topological-order and single-assignment checks) and every name in the file (so
/// generated constant names never collide with a later value).
struct GraphBuilder {
    let proto: Onnx_GraphProto
    let baseDirectory: URL?
    var graph = Graph()
    /// Values available to the next node: graph inputs, initializers, earlier outputs.
    var defined: Set<String> = []
    /// Every value name that appears anywhere in the file, plus generated names.
    var reserved: Set<String> = []
    /// Values some node consumes or the graph outputs.
    let used: Set<String>
    /// Declared types (inputs, value_info, outputs), for attribute defaults that depend on
    /// a rank when the value is not an initializer.
    var declaredTypes: [String: TensorType] = [:]
    /// Initializers and value_info entries of an ONNX element type Loupe cannot hold
    /// (float8, 4-bit and 2-bit codes, bfloat16), by name → ONNX type code. Such an
    /// initializer is kept out of the graph only when QuantizeLinear/DequantizeLinear nodes
    /// alone consume it: those nodes then import as `.unsupported` naming the type.
    var unrepresentableTypes: [String: Int32] = [:]
    /// The initializers of `unrepresentableTypes`, which the graph does not hold.
    var droppedInitializers: Set<String> = []

    init(proto: Onnx_GraphProto, baseDirectory: URL?) {
        self.proto = proto
        self.baseDirectory = baseDirectory
        var used: Set<String> = []
        var reserved: Set<String> = []
        for n in proto.node {
            for v in n.input where !v.isEmpty { used.insert(v); reserved.insert(v) }
            for v in n.output where !v.isEmpty { reserved.insert(v) }
        }
        for o in proto.output { used.insert(o.name); reserved.insert(o.name) }
        for i in proto.input { reserved.insert(i.name) }
        for t in proto.initializer { reserved.insert(t.name) }
        self.used = used
        self.reserved = reserved
    }

    mutating func addInitializers() throws {
        for (i, t) in proto.initializer.enumerated() {
            guard !t.name.isEmpty else { throw LoupeError.malformedModel("initializer \(i) has no name") }
            guard graph.initializers[t.name] == nil, unrepresentableTypes[t.name] == nil else {
                throw LoupeError.malformedModel("initializer '\(t.name)' is defined twice")
            }
            if ONNXImporter.dtype(onnx: t.dataType) == nil, onlyQuantizationNodesConsume(t.name) {
                unrepresentableTypes[t.name] = t.dataType
                droppedInitializers.insert(t.name)
                defined.insert(t.name)
                continue
            }
            graph.initializers[t.name] = try ONNXImporter.tensor(
                from: t, what: "initializer '\(t.name)'", baseDirectory: baseDirectory)
            defined.insert(t.name)
        }
        if let sparse = proto.sparseInitializer.first {
            throw LoupeError.malformedModel(
                "sparse initializer '\(sparse.values.name)' is not supported (Loupe reads dense initializers only)")
        }
    }

    /// True when `name` is consumed, and only by default-domain QuantizeLinear or
    /// DequantizeLinear nodes (float8/int4 codes and their zero points).
    private func onlyQuantizationNodesConsume(_ name: String) -> Bool {
        let consumers = proto.node.filter { $0.input.contains(name) }
        return !consumers.isEmpty && consumers.allSatisfy { node in
            (node.domain.isEmpty || node.domain == "ai.onnx")
                && (node.opType == "QuantizeLinear" || node.opType == "DequantizeLinear")
        } && !proto.output.contains { $0.name == name }
    }

    /// Graph inputs, leaving out initializers that old exporters also list as inputs.
    mutating func addInputs() throws {
        for vi in proto.input where graph.initializers[vi.name] == nil && unrepresentableTypes[vi.name] == nil {
            guard !vi.name.isEmpty else { throw LoupeError.malformedModel("a graph input has no name") }
            guard !defined.contains(vi.name) else {
                throw LoupeError.malformedModel("graph input '\(vi.name)' is listed twice")
            }
            let type = try ONNXImporter.tensorType(of: vi, what: "graph input '\(vi.name)'", requireShape: true)
            graph.inputs.append(ValueInfo(name: vi.name, type: type))
            declaredTypes[vi.name] = type
            defined.insert(vi.name)
        }
    }

    /// Copies fully specified value_info types into `graph.types`; other entries are
    /// hints Loupe does not need.
    mutating func addValueInfoTypes() {
        for vi in proto.valueInfo {
            if vi.hasType, case .tensorType(let tt)? = vi.type.value, tt.elemType != 0, ONNXImporter.dtype(onnx: tt.elemType) == nil {
                unrepresentableTypes[vi.name] = tt.elemType
            }
            guard let type = try? ONNXImporter.tensorType(of: vi, what: "value_info '\(vi.name)'", requireShape: true)
            else { continue }
            declaredTypes[vi.name] = type
            if type.staticShape != nil { graph.types[vi.name] = type }
        }
    }

    mutating func addOutputs() throws {
        var seen: Set<String> = []
        for vi in proto.output {
            guard defined.contains(vi.name) else {
                throw LoupeError.malformedModel("graph output '\(vi.name)' is not produced by any node, input or initializer")
            }
            guard seen.insert(vi.name).inserted else {
                throw LoupeError.malformedModel("graph output '\(vi.name)' is listed twice")
            }
            // A missing shape is kept as rank 0 dims = []: Loupe's TensorType cannot say
            // "unknown rank"; shape inference computes the real type.
            let type = try ONNXImporter.tensorType(of: vi, what: "graph output '\(vi.name)'", requireShape: false)
            graph.outputs.append(ValueInfo(name: vi.name, type: type))
        }
        if graph.outputs.isEmpty { throw LoupeError.malformedModel("the graph has no outputs") }
    }

    /// ONNX requires nodes in topological order: every input must already be defined.
    func checkInputsDefined(_ n: NodeContext) throws {
        for (i, v) in n.inputs.enumerated() where !v.isEmpty && !defined.contains(v) {
            let later = proto.node.dropFirst(n.index + 1).contains { $0.output.contains(v) }
            throw LoupeError.malformedModel(
                "input \(i) '\(v)' of \(n.reference) is " +
                (later ? "produced by a later node (nodes are not in topological order)"
                       : "not a graph input, initializer or output of an earlier node"))
        }
    }

    /// Single assignment: every output name is new.
    mutating func define(outputsOf n: NodeContext) throws {
        for v in n.outputs where !v.isEmpty {
            guard defined.insert(v).inserted else {
                throw LoupeError.malformedModel("output '\(v)' of \(n.reference) is already defined")
            }
        }
    }

    /// Adds a constant tensor under a fresh name derived from the node (`"<node>::<what>"`).
    mutating func addConstant(_ t: Tensor, for n: NodeContext, _ what: String) -> String {
        var name = "\(n.name)::\(what)"
        var k = 1
        while reserved.contains(name) || graph.initializers[name] != nil {
            name = "\(n.name)::\(what)_\(k)"
            k += 1
        }
        reserved.insert(name)
        graph.initializers[name] = t
        defined.insert(name)
        return name
    }

    /// A fresh value name for intermediate results of a node split in several.
    mutating func freshValue(for n: NodeContext, _ what: String) -> String {
        var name = "\(n.name)::\(what)"
        var k = 1
        while reserved.contains(name) {
            name = "\(n.name)::\(what)_\(k)"
            k += 1
        }
        reserved.insert(name)
        return name
    }

    /// The static shape of a value known at import: initializer, or declared type.
    func staticShape(of value: String) -> [Int]? {
        if let t = graph.initializers[value] { return t.shape }
        return declaredTypes[value]?.staticShape
    }

    /// Dims 2... of a weight when they are known at import (the output/input channel dims
    /// may be symbolic), nil otherwise or when the rank is below 2.
    func spatialDims(of value: String) -> [Int]? {
        if let t = graph.initializers[value] { return t.shape.count >= 2 ? Array(t.shape.dropFirst(2)) : nil }
        guard let dims = declaredTypes[value]?.dims, dims.count >= 2 else { return nil }
        return TensorType(.float32, Array(dims.dropFirst(2))).staticShape
    }

    /// The rank of a value known at import.
    func rank(of value: String) -> Int? {
        if let t = graph.initializers[value] { return t.shape.count }
        return declaredTypes[value]?.rank
    }

    func dtype(of value: String) -> DType? {
        graph.initializers[value]?.dtype ?? declaredTypes[value]?.dtype
    }

    func isUsed(_ value: String) -> Bool { !value.isEmpty && used.contains(value) }
}
