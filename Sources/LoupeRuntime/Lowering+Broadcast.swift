import LoupeIR
import LoupeKernels

/// Broadcasting ops on activations: Where and the comparisons (attention masks) on the
/// scalar kernels in Kernels/src/select/, Expand as a strided copy. Constant ones are
/// folded before lowering.
extension Lowering {
    /// Element strides of `shape` read as the broadcast `out` (right-aligned; 0 along the
    /// axes where the input has extent 1 or no axis at all).
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: out.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = out.count - shape.count + d
            strides[o] = shape[d] == 1 ? 0 : step
            step *= shape[d]
        }
        return strides
    }

    /// Element types the broadcasting kernels move or compare, by their arena size.
    static let broadcastTypes: Set<DType> = [.float32, .int32, .int64, .bool, .uint8]

    /// The operands of a broadcasting op: each input's name, element strides against the
    /// output shape and dtype; constants registered with the plan in their arena form.
    static func broadcastOperands(_ node: Node, _ graph: Graph, _ dtypes: [Set<DType>],
                                  into b: PlanBuilder?) throws -> (names: [String], strides: [[Int]], out: [Int]) {
        var names: [String] = [], shapes: [[Int]] = []
        for (i, allowed) in dtypes.enumerated() {
            let v = try input(node, i, "input \(i)")
            guard let t = graph.type(of: v), allowed.contains(t.dtype) else {
                throw Unsupported("input \(i) '\(v)' is \(graph.type(of: v)?.dtype.rawValue ?? "untyped"); "
                                  + "runs on \(allowed.map(\.rawValue).sorted().joined(separator: "/")) only")
            }
            names.append(v)
            shapes.append(try shape(v, graph, "input \(i)", dtype: t.dtype))
        }
        guard names.contains(where: { graph.constant($0) == nil }) else {
            throw Unsupported("every input is constant: constant folding should have removed this node")
        }
        guard let out = shapes.dropFirst().reduce(Optional(shapes[0]), { acc, s in acc.flatMap { broadcast($0, s) } }),
              !out.isEmpty, out.count <= Int(LOUPE_MAX_DIMS) else {
            throw Unsupported("shapes \(shapes) do not broadcast to a tensor of rank 1…\(LOUPE_MAX_DIMS)")
        }
        if let b { for v in names { b.constantInArenaForm(v) } }
        return (names, shapes.map { broadcastStrides($0, to: out) }, out)
    }

    /// Expand of an activation to a constant shape → `loupe_strided_copy` reading each
    /// broadcast axis with stride 0.
    static func lowerExpand(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let name = stridedCopyName
        let x = try input(node, 0, "input")
        guard let dtype = graph.type(of: x)?.dtype, broadcastTypes.contains(dtype) else {
            throw Unsupported("input '\(x)' is \(graph.type(of: x)?.dtype.rawValue ?? "untyped"); runs on "
                              + "\(broadcastTypes.map(\.rawValue).sorted().joined(separator: "/")) only")
        }
        let xs = try shape(x, graph, "input", dtype: dtype)
        guard let target = try constantInts(node, graph, 1, "shape") else { throw Unsupported("shape is missing") }
        guard let out = broadcast(xs, target), !out.isEmpty, out.count <= Int(LOUPE_MAX_DIMS) else {
            throw Unsupported("\(xs) does not broadcast to \(target) within rank 1…\(LOUPE_MAX_DIMS)")
        }
        let y = try expectOutput(node, graph, out, dtype: dtype)
        guard let b else { return .kernel(name) }
        addStridedCopy(node, b, from: x, to: y, shape: out, strides: broadcastStrides(xs, to: out), elementSize: dtype.byteSize)
        return .kernel(name)
    }

    /// Where(condition, X, Y) → `loupe_where` (elements moved as they are, any size).
    static func lowerSelect(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_where"
        let (v, strides, out) = try broadcastOperands(node, graph, [[.bool], broadcastTypes, broadcastTypes], into: b)
        guard let dtype = graph.type(of: v[1])?.dtype else { throw Unsupported("X has no type") }
        let y = try expectOutput(node, graph, out, dtype: dtype)
        guard let b else { return .kernel(name) }
        let shape = out, rows = out.dropLast().reduce(1, *), size = dtype.byteSize
        b.addStep(node, .kernel(name), reads: v, writes: [y]) { bind in
            let c = UnsafePointer(bind.pointer(v[0]).assumingMemoryBound(to: UInt8.self))
            let px = UnsafeRawPointer(bind.pointer(v[1])), py = UnsafeRawPointer(bind.pointer(v[2]))
            let po = bind.pointer(y)
            return { _ in
                loupe_where__scalar(size, shape.count, shape, c, strides[0], px, strides[1], py, strides[2], po, 0, rows)
            }
        }
        return .kernel(name)
    }

    /// Equal, Less, … → `loupe_compare` (bool output as bytes).
    static func lowerCompare(_ node: Node, _ graph: Graph, _ op: CompareOp, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_compare"
        let (v, strides, out) = try broadcastOperands(node, graph, [broadcastTypes, broadcastTypes], into: b)
        let y = try expectOutput(node, graph, out, dtype: .bool)
        guard let b else { return .kernel(name) }
        let type: loupe_compare_type
        switch graph.type(of: v[0])?.dtype {
        case .float32: type = loupe_compare_f32
        case .int32: type = loupe_compare_s32
        case .int64: type = loupe_compare_s64
        default: type = loupe_compare_u8  // bool and uint8, the rest of broadcastTypes
        }
        let kernelOp: loupe_compare
        switch op {
        case .equal: kernelOp = loupe_compare_equal
        case .less: kernelOp = loupe_compare_less
        case .lessOrEqual: kernelOp = loupe_compare_less_or_equal
        case .greater: kernelOp = loupe_compare_greater
        case .greaterOrEqual: kernelOp = loupe_compare_greater_or_equal
        }
        let shape = out, rows = out.dropLast().reduce(1, *)
        b.addStep(node, .kernel(name), reads: v, writes: [y]) { bind in
            let pa = UnsafeRawPointer(bind.pointer(v[0])), pb = UnsafeRawPointer(bind.pointer(v[1]))
            let po = bind.pointer(y).assumingMemoryBound(to: UInt8.self)
            return { _ in
                loupe_compare__scalar(kernelOp, type, shape.count, shape, pa, strides[0], pb, strides[1], po, 0, rows)
            }
        }
        return .kernel(name)
    }
}
