/// Where a node came from in the source model, for error messages.
public struct NodeOrigin: Sendable, Hashable {
    /// Index of the node in the ONNX graph's node list.
    public var index: Int
    /// The ONNX op type as written in the file (e.g. "Conv").
    public var opType: String
    /// The opset version in force for the node's domain.
    public var opset: Int

    public init(index: Int, opType: String, opset: Int) {
        self.index = index
        self.opType = opType
        self.opset = opset
    }
}

/// One operation. Values are referred to by name, as in ONNX; an empty input name marks an
/// omitted optional input.
public struct Node: Sendable, Hashable {
    public var name: String
    public var op: Op
    public var inputs: [String]
    public var outputs: [String]
    public var origin: NodeOrigin?

    public init(name: String, op: Op, inputs: [String], outputs: [String], origin: NodeOrigin? = nil) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.origin = origin
    }

    /// The input at `i` when present (non-empty), else nil.
    public func input(_ i: Int) -> String? {
        i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
    }

    /// Entry `i` of `values`, which holds one entry per input (its type, its tensor) and nil
    /// for an omitted one; throws `invalidInput` naming this node when that input is missing.
    public func required<T>(_ i: Int, of values: [T?]) throws -> T {
        guard i < values.count, let v = values[i] else {
            throw LoupeError.invalidInput(reference, input: i, reason: "required input is missing")
        }
        return v
    }

    /// A short reference for messages: `Conv node 12 'conv2d_3'`.
    public var reference: NodeReference {
        NodeReference(index: origin?.index, name: name, opType: origin?.opType ?? op.onnxName, opset: origin?.opset)
    }
}

/// A graph input or output with its declared type.
public struct ValueInfo: Sendable, Hashable {
    public var name: String
    public var type: TensorType

    public init(name: String, type: TensorType) {
        self.name = name
        self.type = type
    }
}

/// A model graph in Loupe's IR. Nodes are kept in topological order.
public struct Graph: Sendable {
    public var name: String
    /// Graph inputs fed at run time (initializers are not listed here).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    public var nodes: [Node]
    /// Constant tensors: initializers, Constant nodes and folded values.
    public var initializers: [String: Tensor]
    /// Inferred types of every value; filled by `inferTypes()`.
    public var types: [String: TensorType]
    /// Default-domain opset the model was imported at.
    public var opset: Int
    /// Model metadata (ONNX `metadata_props`, producer).
    public var metadata: [String: String]
    /// Affine quantization of integer-coded values (int8 activations, int8 weights, int32
    /// biases) once `FoldQuantization` has folded QuantizeLinear/DequantizeLinear pairs into
    /// the ops between them. Kept apart from `types` because shape inference recomputes
    /// types from inputs, and a quantized op's output scale cannot be derived from them.
    /// Values absent here are plain numbers.
    public var quantization: [String: ValueQuantization] = [:]
    /// Nodes of a quantized graph that `FoldQuantization` left in float32 (explicit
    /// DequantizeLinear before, QuantizeLinear after), by node name, with the reason: what
    /// `loupe inspect` prints so that no fallback is silent. Empty for float models.
    public var floatIslands: [String: String] = [:]

    public init(name: String = "graph", inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
                nodes: [Node] = [], initializers: [String: Tensor] = [:],
                types: [String: TensorType] = [:], opset: Int = 17, metadata: [String: String] = [:]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.initializers = initializers
        self.types = types
        self.opset = opset
        self.metadata = metadata
    }

    /// The type of a value: initializer, graph input or inferred.
    public func type(of value: String) -> TensorType? {
        if let t = initializers[value] { return t.type }
        if let t = types[value] { return t }
        if let i = inputs.first(where: { $0.name == value }) { return i.type }
        return nil
    }

    /// Constant data for a value, if it is an initializer.
    public func constant(_ value: String) -> Tensor? { initializers[value] }

    /// Map from value name to the indices of nodes that consume it.
    public func consumers() -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() {
            for v in n.inputs where !v.isEmpty { out[v, default: []].append(i) }
        }
        return out
    }

    /// Map from value name to the index of the node that produces it.
    public func producers() -> [String: Int] {
        var out: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            for v in n.outputs where !v.isEmpty { out[v] = i }
        }
        return out
    }

    /// True when `value` is one of the graph outputs.
    public func isGraphOutput(_ value: String) -> Bool {
        outputs.contains { $0.name == value }
    }
}
