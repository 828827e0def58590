import LoupeIR
import LoupeKernels

/// Values that are not float32 activations at run time: token ids (int64), masks (bool),
/// and their conversions. Shape computations over them fold before lowering; these are
/// the ones that depend on the input data (a text encoder's attention mask, its ids).
extension Lowering {
    /// The kernel element type of a dtype that runs at run time, nil for the others.
    static func element(_ dtype: DType) -> loupe_element? {
        switch dtype {
        case .float32: return loupe_element_f32
        case .int32: return loupe_element_s32
        case .int64: return loupe_element_s64
        case .int8: return loupe_element_s8
        case .uint8: return loupe_element_u8
        case .bool: return loupe_element_bool
        case .float16, .float64, .int16, .uint16, .uint32, .uint64: return nil
        }
    }

    /// Cast between float32, int32, int64, int8, uint8 and bool → `loupe_convert`.
    static func lowerCast(_ node: Node, _ graph: Graph, to: DType, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_convert"
        let x = try input(node, 0, "input")
        if graph.constant(x) != nil { throw Unsupported(unfolded(node, graph)) }
        guard let from = graph.type(of: x)?.dtype, let source = element(from), let target = element(to) else {
            throw Unsupported("Cast from \(graph.type(of: x)?.dtype.rawValue ?? "untyped") to \(to) does not run "
                              + "(float32, int32, int64, int8, uint8 and bool do)")
        }
        if from == .int8 || to == .int8 {
            // int8 values in an optimized graph are quantized codes; a Cast of codes would drop the scale.
            throw Unsupported("Cast of int8 codes: quantized values convert through DequantizeLinear/QuantizeLinear")
        }
        let xs = try shape(x, graph, "input", dtype: from)
        let y = try expectOutput(node, graph, xs, dtype: to)
        guard let b else { return .kernel(name) }
        let count = xs.reduce(1, *)
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = UnsafeRawPointer(bind.pointer(x)), py = bind.pointer(y)
            return { _ in loupe_convert(source, target, count, px, py) }
        }
        return .kernel(name)
    }

    /// Identity of a value that is not float32 (an int64 id passed through to an output).
    static func lowerTypedCopy(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let name = "memcpy"
        let x = try input(node, 0, "input")
        guard let dtype = graph.type(of: x)?.dtype, broadcastTypes.contains(dtype) else {
            throw Unsupported("input '\(x)' is \(graph.type(of: x)?.dtype.rawValue ?? "untyped")")
        }
        let xs = try shape(x, graph, "input", dtype: dtype)
        let y = try expectOutput(node, graph, xs, dtype: dtype)
        guard let b else { return .kernel(name) }
        let bytes = xs.reduce(1, *) * dtype.byteSize
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = UnsafeRawPointer(bind.pointer(x)), py = bind.pointer(y)
            return { _ in py.copyMemory(from: px, byteCount: bytes) }
        }
        return .kernel(name)
    }

    /// Gather whose indices are computed at run time (token ids into an embedding table):
    /// `loupe_gather`, which checks each index; an index out of range fails the run with an
    /// error naming the node.
    static func lowerGatherAtRunTime(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_gather"
        let x = try input(node, 0, "data"), i = try input(node, 1, "indices")
        guard let dtype = graph.type(of: x)?.dtype, broadcastTypes.contains(dtype) else {
            throw Unsupported("data '\(x)' is \(graph.type(of: x)?.dtype.rawValue ?? "untyped")")
        }
        guard let indexType = graph.type(of: i)?.dtype, indexType == .int64 || indexType == .int32 else {
            throw Unsupported("indices '\(i)' must be int64 or int32")
        }
        let xs = try shape(x, graph, "data", dtype: dtype)
        let ish = try shape(i, graph, "indices", dtype: indexType)
        let n = axis < 0 ? axis + xs.count : axis
        guard n >= 0, n < xs.count else { throw Unsupported("axis \(axis) out of range for \(xs)") }
        let out = Array(xs[..<n]) + ish + Array(xs[(n + 1)...])
        let y = try expectOutput(node, graph, out, dtype: dtype)
        guard let b else { return .kernel(name) }
        b.constantInArenaForm(x)
        let outer = xs[..<n].reduce(1, *), length = xs[n], inner = xs[(n + 1)...].reduce(1, *)
        let count = ish.reduce(1, *), size = dtype.byteSize, wide: Int32 = indexType == .int64 ? 1 : 0
        let faults = b.faults, what = "\(node.reference): indices '\(i)' hold values outside [-\(length), \(length))"
        b.addStep(node, .kernel(name), reads: [x, i], writes: [y]) { bind in
            let px = UnsafeRawPointer(bind.pointer(x)), pi = UnsafeRawPointer(bind.pointer(i)), py = bind.pointer(y)
            return { _ in
                if loupe_gather(size, outer, length, inner, px, pi, wide, count, py) > 0 { faults.record(what) }
            }
        }
        return .kernel(name)
    }
}
