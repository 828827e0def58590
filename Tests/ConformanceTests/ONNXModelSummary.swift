import Foundation

/// What the conformance runner needs to know about a node-test model before importing it:
/// op types, graph inputs and outputs in order, and the kind of each value's type.
///
/// Read with a minimal protobuf walker (field numbers from onnx.proto) rather than through
/// the importer, so that scope and exclusions are decided even when the importer rejects
/// the model, and so that the runner does not depend on LoupeONNX's internal proto types.
struct ONNXModelSummary {
    enum ValueKind: Equatable {
        /// A tensor with ONNX `TensorProto.DataType` code (1 = float, 7 = int64, ...).
        case tensor(elemType: Int)
        case sequence, map, optional, sparseTensor, unknown
    }

    struct Value {
        var name: String
        var kind: ValueKind
    }

    struct NodeSummary {
        var opType: String
        var domain: String
        var inputs: [String]
    }

    var nodes: [NodeSummary] = []
    var inputs: [Value] = []
    var outputs: [Value] = []
    var initializerNames: Set<String> = []
    var opsetImports: [String: Int] = [:]

    /// Op types of the default ONNX domain, plus `domain:op` for others.
    var opTypes: Set<String> {
        Set(nodes.map { $0.domain.isEmpty || $0.domain == "ai.onnx" ? $0.opType : "\($0.domain):\($0.opType)" })
    }

    /// Graph inputs that are fed at run time (not initializers), in declaration order.
    var runtimeInputs: [Value] { inputs.filter { !initializerNames.contains($0.name) } }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(contentsOf path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try self.init(bytes: [UInt8](data))
    }

    init(bytes: [UInt8]) throws {
        var model = ProtoReader(bytes[...])
        while let (field, wire) = try model.next() {
            switch (field, wire) {
            case (7, 2): try readGraph(model.bytesField())
            case (8, 2):
                var op = ProtoReader(try model.bytesField())
                var domain = "", version = 0
                while let (f, w) = try op.next() {
                    switch (f, w) {
                    case (1, 2): domain = try op.stringField()
                    case (2, 0): version = Int(truncatingIfNeeded: try op.varint())
                    default: try op.skip(w)
                    }
                }
                opsetImports[domain] = version
            default: try model.skip(wire)
            }
        }
    }

    private mutating func readGraph(_ bytes: ArraySlice<UInt8>) throws {
        var graph = ProtoReader(bytes)
        while let (field, wire) = try graph.next() {
            switch (field, wire) {
            case (1, 2):
                var node = ProtoReader(try graph.bytesField())
                var n = NodeSummary(opType: "", domain: "", inputs: [])
                while let (f, w) = try node.next() {
                    switch (f, w) {
                    case (1, 2): n.inputs.append(try node.stringField())
                    case (4, 2): n.opType = try node.stringField()
                    case (7, 2): n.domain = try node.stringField()
                    default: try node.skip(w)
                    }
                }
                nodes.append(n)
            case (5, 2):
                var tensor = ProtoReader(try graph.bytesField())
                while let (f, w) = try tensor.next() {
                    if (f, w) == (8, 2) { initializerNames.insert(try tensor.stringField()) } else { try tensor.skip(w) }
                }
            case (11, 2): inputs.append(try Self.readValueInfo(graph.bytesField()))
            case (12, 2): outputs.append(try Self.readValueInfo(graph.bytesField()))
            default: try graph.skip(wire)
            }
        }
    }

    private static func readValueInfo(_ bytes: ArraySlice<UInt8>) throws -> Value {
        var info = ProtoReader(bytes)
        var value = Value(name: "", kind: .unknown)
        while let (f, w) = try info.next() {
            switch (f, w) {
            case (1, 2): value.name = try info.stringField()
            case (2, 2):
                var type = ProtoReader(try info.bytesField())
                while let (tf, tw) = try type.next() {
                    switch (tf, tw) {
                    case (1, 2):
                        var tensor = ProtoReader(try type.bytesField())
                        var elem = 0
                        while let (ef, ew) = try tensor.next() {
                            if (ef, ew) == (1, 0) { elem = Int(truncatingIfNeeded: try tensor.varint()) } else { try tensor.skip(ew) }
                        }
                        value.kind = .tensor(elemType: elem)
                    case (4, 2): _ = try type.bytesField(); value.kind = .sequence
                    case (5, 2): _ = try type.bytesField(); value.kind = .map
                    case (8, 2): _ = try type.bytesField(); value.kind = .sparseTensor
                    case (9, 2): _ = try type.bytesField(); value.kind = .optional
                    default: try type.skip(tw)
                    }
                }
            default: try info.skip(w)
            }
        }
        return value
    }
}

/// Protobuf wire-format reader: just enough to walk messages and skip what is not needed.
struct ProtoReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// The next field number and wire type, or nil at the end.
    mutating func next() throws -> (Int, Int)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard shift < 64 else { break }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw ONNXModelSummary.ParseError(description: "truncated or overlong varint")
    }

    mutating func bytesField() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.count) else {
            throw ONNXModelSummary.ParseError(description: "length-delimited field runs past the end")
        }
        let field = bytes.prefix(Int(length))
        bytes = bytes.dropFirst(Int(length))
        return field
    }

    mutating func stringField() throws -> String {
        String(decoding: try bytesField(), as: UTF8.self)
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: try drop(8)
        case 2: _ = try bytesField()
        case 5: try drop(4)
        default: throw ONNXModelSummary.ParseError(description: "unsupported wire type \(wire)")
        }
    }

    private mutating func drop(_ n: Int) throws {
        guard bytes.count >= n else { throw ONNXModelSummary.ParseError(description: "truncated fixed-width field") }
        bytes = bytes.dropFirst(n)
    }
}
