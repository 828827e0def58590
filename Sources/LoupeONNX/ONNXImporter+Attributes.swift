import Foundation
import LoupeIR

/// One ONNX node being imported: its name, opset and typed attribute accessors that
/// check the attribute type and throw `invalidAttribute` naming the node.
struct NodeContext {
    let proto: Onnx_NodeProto
    let index: Int
    /// The node's name, or `"<OpType>_<index>"` when the file leaves it empty.
    let name: String
    let opType: String
    /// The domain as written ("" for the default domain).
    let domain: String
    /// The opset in force for the node's domain (0 when the model does not import it).
    let opset: Int
    let attributes: [String: Onnx_AttributeProto]

    init(proto: Onnx_NodeProto, index: Int, opsets: [String: Int]) throws {
        self.proto = proto
        self.index = index
        self.opType = proto.opType
        self.domain = proto.domain
        self.name = proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name
        self.opset = opsets[proto.domain == "ai.onnx" ? "" : proto.domain] ?? 0
        guard !proto.opType.isEmpty else {
            throw LoupeError.malformedModel("node \(index) '\(name)' has no op_type")
        }
        var attributes: [String: Onnx_AttributeProto] = [:]
        for a in proto.attribute {
            guard attributes[a.name] == nil else {
                throw LoupeError.invalidAttribute(
                    NodeReference(index: index, name: name, opType: proto.opType, opset: opset),
                    attribute: a.name, reason: "appears more than once")
            }
            attributes[a.name] = a
        }
        self.attributes = attributes
        var seen: Set<String> = []
        for v in proto.output where !v.isEmpty {
            guard seen.insert(v).inserted else {
                throw LoupeError.malformedModel("node \(index) '\(name)' lists output '\(v)' twice")
            }
        }
    }

    var isDefaultDomain: Bool { domain.isEmpty || domain == "ai.onnx" }
    /// Inputs and outputs as written, less trailing omitted (empty) names, which ONNX
    /// allows and Loupe's arity checks do not count.
    var inputs: [String] { Self.trimmed(proto.input) }
    var outputs: [String] { Self.trimmed(proto.output) }

    private static func trimmed(_ names: [String]) -> [String] {
        var names = names
        while let last = names.last, last.isEmpty { names.removeLast() }
        return names
    }
    var reference: NodeReference { NodeReference(index: index, name: name, opType: opType, opset: opset) }
    var origin: NodeOrigin { NodeOrigin(index: index, opType: opType, opset: opset) }

    /// The input at `i` when present (non-empty).
    func input(_ i: Int) -> String? { i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil }

    // MARK: Node construction

    func node(_ op: Op, inputs: [String]? = nil, outputs: [String]? = nil, name: String? = nil) -> Node {
        Node(name: name ?? self.name, op: op, inputs: inputs ?? self.inputs,
             outputs: outputs ?? self.outputs, origin: origin)
    }

    func unsupported(_ reason: String) -> Node {
        node(.unsupported(opType: opType, domain: domain, reason: reason))
    }

    /// A node with its inputs and outputs as written, after checking their counts.
    func simple(_ op: Op, inputs: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1) throws -> [Node] {
        try requireArity(inputs: inputs, outputs: outputs)
        return [node(op)]
    }

    /// Checks the number of inputs (trailing omitted inputs do not count) and outputs, and
    /// that required inputs (within the lower bound) and the first output are present.
    func requireArity(inputs range: ClosedRange<Int>, outputs outRange: ClosedRange<Int> = 1...1) throws {
        let count = inputs.count
        guard range.contains(count) else {
            throw LoupeError.malformedModel("\(reference) has \(count) inputs; expected \(describe(range))")
        }
        for i in 0..<range.lowerBound where inputs[i].isEmpty {
            throw LoupeError.malformedModel("\(reference) omits required input \(i)")
        }
        guard outRange.contains(outputs.count) else {
            throw LoupeError.malformedModel("\(reference) has \(outputs.count) outputs; expected \(describe(outRange))")
        }
        guard let first = outputs.first, !first.isEmpty else {
            throw LoupeError.malformedModel("\(reference) has no output name")
        }
    }

    private func describe(_ r: ClosedRange<Int>) -> String {
        r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound) to \(r.upperBound)"
    }

    // MARK: Attributes

    func invalid(_ attribute: String, _ reason: String) -> LoupeError {
        .invalidAttribute(reference, attribute: attribute, reason: reason)
    }

    /// The attribute `name` if present, after checking it has type `expected`. Files
    /// written before the `type` field existed leave it UNDEFINED; those are accepted when
    /// the matching value field is set.
    func attribute(_ name: String, _ expected: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        guard let a = attributes[name] else { return nil }
        if a.type == expected { return a }
        if a.type == .undefined {
            switch expected {
            case .float where a.hasF, .int where a.hasI, .string where a.hasS, .tensor where a.hasT,
                 .floats where a.floats.count > 0, .ints where a.ints.count > 0,
                 .strings where a.strings.count > 0:
                return a
            default: break
            }
        }
        throw invalid(name, "expected type \(typeName(expected)), got \(typeName(a.type))")
    }

    private func typeName(_ t: Onnx_AttributeProto.AttributeType) -> String {
        switch t {
        case .undefined: return "UNDEFINED"
        case .float: return "FLOAT"
        case .int: return "INT"
        case .string: return "STRING"
        case .tensor: return "TENSOR"
        case .graph: return "GRAPH"
        case .sparseTensor: return "SPARSE_TENSOR"
        case .typeProto: return "TYPE_PROTO"
        case .floats: return "FLOATS"
        case .ints: return "INTS"
        case .strings: return "STRINGS"
        case .tensors: return "TENSORS"
        case .graphs: return "GRAPHS"
        case .sparseTensors: return "SPARSE_TENSORS"
        case .typeProtos: return "TYPE_PROTOS"
        }
    }

    func has(_ name: String) -> Bool { attributes[name] != nil }

    /// Rejects an attribute that became an input at `opset`: ignoring it would silently
    /// change the node's meaning.
    func rejectMovedAttributes(_ names: String..., since opset: Int) throws {
        for name in names where has(name) {
            throw invalid(name, "is an input from opset \(opset), not an attribute")
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let a = try attribute(name, .int) else { return nil }
        guard let v = Int(exactly: a.i) else { throw invalid(name, "value \(a.i) does not fit in Int") }
        return v
    }

    func int(_ name: String, default d: Int) throws -> Int { try int(name) ?? d }

    /// An INT attribute that must be 0 or 1.
    func bool(_ name: String, default d: Bool) throws -> Bool {
        guard let v = try int(name) else { return d }
        guard v == 0 || v == 1 else { throw invalid(name, "expected 0 or 1, got \(v)") }
        return v == 1
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = try attribute(name, .ints) else { return nil }
        return try a.ints.map { v in
            guard let i = Int(exactly: v) else { throw invalid(name, "value \(v) does not fit in Int") }
            return i
        }
    }

    func ints64(_ name: String) throws -> [Int64]? {
        try attribute(name, .ints)?.ints
    }

    func float(_ name: String) throws -> Float? { try attribute(name, .float)?.f }

    func float(_ name: String, default d: Float) throws -> Float { try float(name) ?? d }

    func floats(_ name: String) throws -> [Float]? { try attribute(name, .floats)?.floats }

    func string(_ name: String) throws -> String? {
        guard let a = try attribute(name, .string) else { return nil }
        guard let s = String(data: a.s, encoding: .utf8) else { throw invalid(name, "is not valid UTF-8") }
        return s
    }

    func string(_ name: String, default d: String) throws -> String { try string(name) ?? d }

    func tensor(_ name: String) throws -> Onnx_TensorProto? { try attribute(name, .tensor)?.t }

    /// A per-spatial-axis INTS attribute with `count` entries (`default` repeated when
    /// absent), each at least `minimum`.
    func spatial(_ name: String, count: Int, default d: Int, minimum: Int) throws -> [Int] {
        guard let v = try ints(name) else { return Array(repeating: d, count: count) }
        guard v.count == count else {
            throw invalid(name, "expected \(count) values (one per spatial axis), got \(v.count)")
        }
        if let bad = v.first(where: { $0 < minimum }) {
            throw invalid(name, "values must be at least \(minimum), got \(bad)")
        }
        return v
    }

    /// ONNX `pads`: `2 * count` non-negative entries, zeros when absent.
    func pads(spatialRank count: Int) throws -> [Int] {
        try spatial("pads", count: 2 * count, default: 0, minimum: 0)
    }

    /// `kernel_shape` when present, checked to hold at least one size and only positive ones.
    func kernelShape() throws -> [Int]? {
        guard let k = try ints("kernel_shape") else { return nil }
        guard !k.isEmpty, k.allSatisfy({ $0 >= 1 }) else {
            throw invalid("kernel_shape", "expected positive sizes, got \(k)")
        }
        return k
    }

    /// The window attributes Conv, ConvTranspose and the pools share, over `count` spatial
    /// axes: strides and dilations (1 when absent), pads (0 when absent) and auto_pad.
    func window(spatialRank count: Int) throws -> (strides: [Int], dilations: [Int], pads: [Int], autoPad: AutoPad) {
        (strides: try spatial("strides", count: count, default: 1, minimum: 1),
         dilations: try spatial("dilations", count: count, default: 1, minimum: 1),
         pads: try pads(spatialRank: count),
         autoPad: try autoPad())
    }

    func autoPad() throws -> AutoPad {
        let s = try string("auto_pad", default: "NOTSET")
        // Some exporters write an empty string for the default.
        guard let p = s.isEmpty ? .notSet : AutoPad(rawValue: s) else {
            throw invalid("auto_pad", "expected NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '\(s)'")
        }
        return p
    }
}
