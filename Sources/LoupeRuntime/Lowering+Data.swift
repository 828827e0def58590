import CXNNPACK
import LoupeIR
import LoupeKernels

/// How a Concat is materialised: which inputs are written in place by their producers.
struct ConcatPlan {
    struct Slice {
        var value: String
        /// Element offset of the slice inside one row of the concat output.
        var offset: Int
        /// Elements the input contributes per row.
        var width: Int
        var inPlace: Bool
    }
    var output: String
    /// Rows = product of the dims before the axis; rowElements = elements per row.
    var rows: Int
    var rowElements: Int
    var slices: [Slice]
}

extension Lowering {
    /// Producers that can write with an output pixel stride when lowered on XNNPACK.
    static func writesWithStride(_ op: Op) -> Bool {
        switch op {
        case .conv, .convTranspose, .gemm, .matMul, .clip, .leakyRelu, .elu, .globalAveragePool, .averagePool, .maxPool:
            return true
        case .unary(let u): return u.lowersToXNNPACK
        case .binary, .compare, .select, .hardSigmoid, .prelu, .batchNormalization, .batchNormalizationTraining, .layerNormalization,
             .split, .mod, .gelu, .swish, .globalMaxPool, .reduce, .flatten, .reshape, .squeeze,
             .unsqueeze, .concat, .pad, .resize, .softmax, .transpose, .depthSpace, .shape, .gather, .slice, .cast,
             .constantOfShape,
             .expand, .identity, .dropout, .quantizeLinear, .dequantizeLinear, .unsupported:
            return false
        }
    }

    /// Plans every Concat: an input goes in place (its producer writes straight into the
    /// concat buffer with the concat's row stride) when the concat is on the last axis, the
    /// input's only consumer is this concat, it is not a graph input/output or constant,
    /// and its producer is an XNNPACK op with output-stride support.
    static func concatPlans(_ graph: Graph) -> [String: ConcatPlan] {
        let consumers = graph.consumers(), producers = graph.producers()
        var plans: [String: ConcatPlan] = [:]
        var claimed = Set<String>()
        for node in graph.nodes {
            guard case .concat(let axis) = node.op, let plan = try? concatGeometry(node, graph, axis: axis) else { continue }
            var p = plan
            let outShape = outputShape(node, graph)
            let lastAxis = axis == -1 || axis == outShape.count - 1
            for i in p.slices.indices {
                let v = p.slices[i].value
                guard lastAxis, graph.constant(v) == nil, !graph.isGraphOutput(v),
                      !graph.inputs.contains(where: { $0.name == v }),
                      consumers[v]?.count == 1, !claimed.contains(v),
                      node.inputs.filter({ $0 == v }).count == 1,
                      let pi = producers[v] else { continue }
                let producer = graph.nodes[pi]
                // MatMul with a 1-D B drops the channel axis: its rows are not the concat's.
                if case .matMul = producer.op, graph.constant(producer.inputs[1])?.shape.count != 2 { continue }
                guard writesWithStride(producer.op), producer.outputs.first == v,
                      case .xnnpack = placement(of: producer, in: graph) else { continue }
                p.slices[i].inPlace = true
                claimed.insert(v)
            }
            plans[node.outputs[0]] = p
        }
        return plans
    }

    static func concatGeometry(_ node: Node, _ graph: Graph, axis: Int) throws -> ConcatPlan {
        let y = try output(node)
        let ys = try shape(y, graph, "output")
        let ax = axis < 0 ? axis + ys.count : axis
        guard ax >= 0, ax < ys.count else { throw Unsupported("axis \(axis) out of range for \(ys)") }
        let rows = ys[..<ax].reduce(1, *)
        let inner = ys[(ax + 1)...].reduce(1, *)
        var slices: [ConcatPlan.Slice] = []
        var offset = 0
        for v in node.inputs where !v.isEmpty {
            let s = try shape(v, graph, "input")
            guard s.count == ys.count, Array(s[..<ax]) == Array(ys[..<ax]), Array(s[(ax + 1)...]) == Array(ys[(ax + 1)...]) else {
                throw Unsupported("input '\(v)' \(s) does not match the output \(ys) off axis \(ax)")
            }
            slices.append(.init(value: v, offset: offset, width: s[ax] * inner, inPlace: false))
            offset += s[ax] * inner
        }
        guard offset == ys[ax] * inner else { throw Unsupported("inputs do not add up to the output along axis \(ax)") }
        return ConcatPlan(output: y, rows: rows, rowElements: offset, slices: slices)
    }

    /// Concat: zero-copy for inputs planned in place, `xnn_create_copy_nc_x32` with strides
    /// for the others.
    static func lowerConcat(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_copy_nc_x32"
        let geometry = try concatGeometry(node, graph, axis: axis)
        let plan = b?.concatPlans[geometry.output] ?? concatPlans(graph)[geometry.output] ?? geometry
        let copies = plan.slices.filter { !$0.inPlace }
        if copies.isEmpty {
            b?.addElided(node, .alias)
            return .alias
        }
        guard let b else { return .xnnpack(name) }
        let y = plan.output
        var ops: [XNNOperator] = []
        for s in copies {
            b.constant(s.value)
            ops.append(try XNNOperator.create(name, node) { loupe_xnn_create_copy_nc_x32(s.width, s.width, plan.rowElements, 0, $0) })
        }
        b.addXNNStep(node, name, reads: copies.map(\.value), writes: [y], ops: ops) { bind in
            let out = bind.pointer(y)
            for (s, op) in zip(copies, ops) {
                try Backend.check(loupe_xnn_setup_copy_nc_x32(op.op, plan.rows, bind.pointer(s.value), out + s.offset * 4, bind.pool),
                                  "xnn_setup_copy_nc_x32", node)
            }
        }
        return .xnnpack(name)
    }

    /// Reshape/Flatten/Squeeze/Unsqueeze: the output is the input's buffer.
    static func lowerAlias(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let x = try input(node, 0, "data")
        // Token ids and masks (int64, bool) are reshaped as freely as float activations.
        let dtype = graph.type(of: x).map(\.dtype).flatMap { broadcastTypes.contains($0) ? $0 : nil } ?? .float32
        let xs = try shape(x, graph, "data", dtype: dtype)
        let y = try output(node)
        let ys = try shape(y, graph, "output", dtype: dtype)
        guard xs.reduce(1, *) == ys.reduce(1, *) else { throw Unsupported("\(xs) and \(ys) differ in element count") }
        if graph.constant(x) != nil {
            throw Unsupported("\(node.op.onnxName) of a constant should have been folded")
        }
        b?.alias(y, of: x)
        b?.addElided(node, .alias)
        return .alias
    }

    /// Pad: constant → `xnn_create_constant_pad_nd_x32`; reflect/edge → `loupe_x32_pad`.
    static func lowerPad(_ node: Node, _ graph: Graph, _ mode: PadMode, into b: PlanBuilder?) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "data")
        guard xs.count <= Int(XNN_MAX_TENSOR_DIMS) else { throw Unsupported("rank above 6") }
        guard let pads = try constantInts(node, graph, 1, "pads") else { throw Unsupported("pads are required") }
        let r = xs.count
        var pre = [Int](repeating: 0, count: r), post = [Int](repeating: 0, count: r)
        if let axes0 = try constantInts(node, graph, 3, "axes") {
            let axes = axes0.map { $0 < 0 ? $0 + r : $0 }
            guard pads.count == 2 * axes.count, axes.allSatisfy({ $0 >= 0 && $0 < r }) else { throw Unsupported("pads \(pads) do not match axes \(axes0)") }
            for (i, a) in axes.enumerated() { pre[a] = pads[i]; post[a] = pads[i + axes.count] }
        } else {
            guard pads.count == 2 * r else { throw Unsupported("pads \(pads) must have \(2 * r) values") }
            pre = Array(pads[..<r]); post = Array(pads[r...])
        }
        guard (pre + post).allSatisfy({ $0 >= 0 }) else { throw Unsupported("negative pads (cropping) are not lowered") }
        let value = try constantFloats(node, graph, 2, "constant_value")?.first ?? 0
        let y = try expectOutput(node, graph, (0..<r).map { xs[$0] + pre[$0] + post[$0] })
        switch mode {
        case .constant:
            let name = "xnn_create_constant_pad_nd_x32"
            guard let b else { return .xnnpack(name) }
            var v = value
            let op = try XNNOperator.create(name, node) { loupe_xnn_create_constant_pad_nd_x32(&v, 0, $0) }
            b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
                try Backend.check(loupe_xnn_setup_constant_pad_nd_x32(op.op, r, xs, pre, post, bind.pointer(x), bind.pointer(y), bind.pool),
                                  "xnn_setup_constant_pad_nd_x32", node)
            }
            return .xnnpack(name)
        case .reflect, .edge:
            if mode == .reflect {
                for i in 0..<r where pre[i] > 0 || post[i] > 0 {
                    guard xs[i] >= 2, pre[i] <= xs[i] - 1, post[i] <= xs[i] - 1 else {
                        throw Unsupported("reflect pad of \(pre[i])/\(post[i]) on axis \(i) of size \(xs[i]) needs pads < size")
                    }
                }
            }
            let name = "loupe_x32_pad"
            guard let b else { return .kernel(name) }
            let kmode = mode == .reflect ? loupe_pad_reflect : loupe_pad_edge
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.pointer(x).assumingMemoryBound(to: UInt32.self)
                let py = bind.pointer(y).assumingMemoryBound(to: UInt32.self)
                return { _ in loupe_x32_pad__scalar(r, xs, pre, post, kmode, 0, px, py) }
            }
            return .kernel(name)
        case .wrap:
            throw Unsupported("wrap padding has no lowering")
        }
    }

    /// Transpose → `loupe_x32_transpose` (2-D/NCHW↔NHWC fast path), split across threads
    /// over the outermost output axis; nothing when a first convolution reads through it
    /// (`fusableFirstConv`).
    static func lowerTranspose(_ node: Node, _ graph: Graph, perm: [Int]?, into b: PlanBuilder?) throws -> Placement {
        if let p = try fusedFirstConvTransposePlacement(node, graph, into: b) { return p }
        let (x, xs) = try activation(node, graph, 0, "data")
        let r = xs.count
        guard r <= Int(LOUPE_MAX_DIMS) else { throw Unsupported("rank \(r) above \(LOUPE_MAX_DIMS)") }
        let p = perm ?? Array((0..<r).reversed())
        guard p.sorted() == Array(0..<r) else { throw Unsupported("perm \(p) is not a permutation of 0..<\(r)") }
        let y = try expectOutput(node, graph, p.map { xs[$0] })
        return emitTranspose(node, b, x: x, y: y, shape: xs, perm: p, int8: false)
    }

    /// The transpose step itself (checked shapes, `perm` a permutation of 0..<shape.count ≤
    /// LOUPE_MAX_DIMS): `loupe_x32_transpose`, or `loupe_x8_transpose` on int8 codes (the
    /// 2022 XNNPACK has no x8 transpose), split across threads over the outermost output
    /// axis. Transpose and SpaceToDepth/DepthToSpace's 6-D view share it.
    static func emitTranspose(_ node: Node, _ b: PlanBuilder?, x: String, y: String, shape xs: [Int], perm p: [Int],
                              int8: Bool) -> Placement {
        let name = int8 ? "loupe_x8_transpose" : "loupe_x32_transpose"
        guard let b else { return .kernel(name) }
        let r = xs.count
        if int8 {
            let batches = loupe_x8_transpose_batches(r, xs, p)
            let parts = Swift.min(threadsFor(elements: xs.reduce(1, *), b.threads), batches)
            b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
                let px = bind.int8s(x), py = bind.int8s(y)
                let task = ParallelTask(count: parts) { i in
                    loupe_x8_transpose(r, xs, p, px, py, batches * i / parts, batches * (i + 1) / parts)
                }
                return { pool in task.run(pool) }
            }
            return .kernel(name)
        }
        let batches = loupe_x32_transpose_batches(r, xs, p)
        let parts = Swift.min(threadsFor(elements: xs.reduce(1, *), b.threads), batches)
        // A float graph input (NCHW photos) is transposed straight from the caller's tensor.
        b.addStep(node, .kernel(name), reads: [x], writes: [y], readsInPlace: [x]) { bind in
            let read = bind.readInPlace(x)
            let py = bind.pointer(y).assumingMemoryBound(to: UInt32.self)
            let task = ParallelTask(count: parts) { i in
                let px = read().assumingMemoryBound(to: UInt32.self)
                let lo = batches * i / parts, hi = batches * (i + 1) / parts
                loupe_x32_transpose(r, xs, p, px, py, lo, hi)
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// Softmax over the last axis (or legacy 2-D coercion) → `xnn_create_softmax_nc_f32`;
    /// over another axis the axis is moved last by `loupe_x32_transpose` into a scratch
    /// buffer and moved back afterwards.
    static func lowerSoftmax(_ node: Node, _ graph: Graph, axis: Int, legacy: Bool, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_softmax_nc_f32"
        let (x, xs) = try activation(node, graph, 0, "input")
        let r = xs.count
        let ax = axis < 0 ? axis + r : axis
        guard ax >= 0, ax < max(r, 1) else { throw Unsupported("axis \(axis) out of range for \(xs)") }
        let y = try expectOutput(node, graph, xs)
        // Legacy (opset < 13) Softmax coerces the input to 2-D at `axis`: rows are the dims
        // before it, and one softmax runs over everything from `axis` on.
        let lastAxis = legacy || xs[(ax + 1)...].allSatisfy { $0 == 1 }
        let channels = legacy ? xs[ax...].reduce(1, *) : xs[ax]
        let count = xs.reduce(1, *)
        let batch = count / channels
        let placement: Placement = lastAxis ? .xnnpack(name) : .xnnpack(name + " between loupe_x32_transpose")
        guard r <= Int(LOUPE_MAX_DIMS) || lastAxis else { throw Unsupported("rank \(r) above \(LOUPE_MAX_DIMS)") }
        guard let b else { return placement }
        let op = try XNNOperator.create(name, node) { loupe_xnn_create_softmax_nc_f32(channels, channels, channels, 0, $0) }
        if lastAxis {
            b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
                try Backend.check(loupe_xnn_setup_softmax_nc_f32(op.op, batch, bind.floats(x), bind.floats(y), bind.pool),
                                  "xnn_setup_softmax_nc_f32", node)
            }
            return placement
        }
        let perm = (0..<r).filter { $0 != ax } + [ax]
        let moved = perm.map { xs[$0] }
        var inverse = [Int](repeating: 0, count: r)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        let t1 = "\u{0}softmax_in:\(node.name)", t2 = "\u{0}softmax_out:\(node.name)"
        b.declareScratch(t1, bytes: count * 4)
        b.declareScratch(t2, bytes: count * 4)
        b.addStep(node, placement, reads: [x], writes: [t1, t2, y], owned: [op]) { bind in
            let px = bind.pointer(x).assumingMemoryBound(to: UInt32.self)
            let p1 = bind.pointer(t1).assumingMemoryBound(to: UInt32.self)
            let p2 = bind.pointer(t2).assumingMemoryBound(to: UInt32.self)
            let py = bind.pointer(y).assumingMemoryBound(to: UInt32.self)
            try Backend.check(loupe_xnn_setup_softmax_nc_f32(op.op, batch, UnsafeRawPointer(p1).assumingMemoryBound(to: Float.self),
                                                       UnsafeMutableRawPointer(p2).assumingMemoryBound(to: Float.self), bind.pool),
                              "xnn_setup_softmax_nc_f32", node)
            let raw = op.op
            return { pool in
                loupe_x32_transpose(r, xs, perm, px, p1, 0, Int.max)
                _ = loupe_xnn_run_operator(raw, pool)
                loupe_x32_transpose(r, moved, inverse, p2, py, 0, Int.max)
            }
        }
        return placement
    }
}
