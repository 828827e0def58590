import CXNNPACK
import LoupeIR
import LoupeKernels

extension Lowering {
    // MARK: binary

    /// Int8 Add / Sub / Mul with broadcasting → `xnn_create_{add,subtract,multiply}_nd_qs8`.
    /// An operand may be an int8 constant with per-tensor parameters.
    static func lowerBinaryQS8(_ node: Node, _ graph: Graph, _ op: BinaryOp, into b: PlanBuilder?) throws -> Placement {
        let name: String
        switch op {
        case .add: name = "xnn_create_add_nd_qs8"
        case .sub: name = "xnn_create_subtract_nd_qs8"
        case .mul: name = "xnn_create_multiply_nd_qs8"
        case .div, .pow, .max, .min:
            throw Unsupported("int8 \(node.op.onnxName) has no int8 lowering: FoldQuantization should leave it in float32")
        }
        let a = try input(node, 0, "A"), c = try input(node, 1, "B")
        if graph.constant(a) != nil && graph.constant(c) != nil {
            throw Unsupported("both operands are constant: constant folding should have removed this node")
        }
        func operand(_ v: String, _ what: String) throws -> ([Int], ValueQuantization) {
            if let t = graph.constant(v) {
                guard t.dtype == .int8 else { throw Unsupported("constant \(what) '\(v)' is \(t.dtype); expected int8 codes") }
                return (t.shape, try quantParams(v, graph, what))
            }
            return (try shape(v, graph, what, dtype: .int8), try quantParams(v, graph, what))
        }
        var (sa, qa) = try operand(a, "A")
        var (sc, qc) = try operand(c, "B")
        guard sa.count <= Int(XNN_MAX_TENSOR_DIMS), sc.count <= Int(XNN_MAX_TENSOR_DIMS) else {
            throw Unsupported("rank above \(XNN_MAX_TENSOR_DIMS) is not supported by XNNPACK")
        }
        guard let out = broadcast(sa, sc) else { throw Unsupported("shapes \(sa) and \(sc) do not broadcast") }
        let (y, qy) = try int8Output(node, graph, out)
        // The scale ratios XNNPACK accepts (and asserts on when it builds its parameters).
        switch op {
        case .add, .sub:
            for (s, what) in [(qa.scale, "A"), (qc.scale, "B")] {
                let r = s / qy.scale
                guard r >= 0x1.0p-10, r < 0x1.0p8 else {
                    throw Unsupported("\(what)-to-output scale ratio \(r) is outside XNNPACK's [2^-10, 2^8)")
                }
            }
        case .mul:
            let r = qa.scale * qc.scale / qy.scale
            guard r >= 0x1.0p-16, r < 0x1.0p8 else {
                throw Unsupported("product-to-output scale ratio \(r) is outside XNNPACK's [2^-16, 2^8)")
            }
        case .div, .pow, .max, .min:
            preconditionFailure("refused above")
        }
        if op == .mul, let gate = channelGate(sa, sc, out), let path = try ownGemmPath(node), let isa = path.gemmISA {
            return emitMulChannels(node, b, isa, path, gate, a: a, qa: qa, c: c, qc: qc, y: y, qy: qy)
        }
        guard let b else { return .xnnpack(name) }
        b.constant(a)
        b.constant(c)
        if sa.isEmpty { sa = [1] }
        if sc.isEmpty { sc = [1] }
        func create() throws -> XNNOperator {
            try XNNOperator.create(name, node) { out in
                switch op {
                case .add: return loupe_xnn_create_add_nd_qs8(qa.int8ZeroPoint, qa.scale, qc.int8ZeroPoint, qc.scale, qy.int8ZeroPoint, qy.scale, -128, 127, 0, out)
                case .sub: return loupe_xnn_create_subtract_nd_qs8(qa.int8ZeroPoint, qa.scale, qc.int8ZeroPoint, qc.scale, qy.int8ZeroPoint, qy.scale, -128, 127, 0, out)
                case .mul: return loupe_xnn_create_multiply_nd_qs8(qa.int8ZeroPoint, qa.scale, qc.int8ZeroPoint, qc.scale, qy.int8ZeroPoint, qy.scale, -128, 127, 0, out)
                case .div, .pow, .max, .min: return xnn_status_invalid_parameter
                }
            }
        }
        let setupName = name.replacingOccurrences(of: "create", with: "setup")
        func setup(_ o: XNNOperator, _ s1: [Int], _ s2: [Int], _ pa: UnsafePointer<Int8>, _ pc: UnsafePointer<Int8>,
                   _ py: UnsafeMutablePointer<Int8>, _ pool: pthreadpool_t?) throws {
            let s: xnn_status
            switch op {
            case .add: s = loupe_xnn_setup_add_nd_qs8(o.op, s1.count, s1, s2.count, s2, pa, pc, py, pool)
            case .sub: s = loupe_xnn_setup_subtract_nd_qs8(o.op, s1.count, s1, s2.count, s2, pa, pc, py, pool)
            case .mul: s = loupe_xnn_setup_multiply_nd_qs8(o.op, s1.count, s1, s2.count, s2, pa, pc, py, pool)
            case .div, .pow, .max, .min: s = xnn_status_invalid_parameter
            }
            try Backend.check(s, setupName, node)
        }
        // Same-shape operands (a residual add): one operator per chunk, the chunks over the
        // pool, as for float — XNNPACK's qs8 add ran a 360×640×16 tensor no faster on two
        // threads than on one.
        let count = out.reduce(1, *)
        let splitThreads = threadsFor(elements: count, b.threads)
        if splitThreads > 1 && sa == sc {
            let parts = chunks(count, parts: splitThreads)
            let ops = try parts.map { _ in try create() }
            b.addSplitXNNStep(node, name, reads: [a, c], writes: [y], parts: parts, ops: ops) { o, r, bind, pool in
                try setup(o, [r.count], [r.count], bind.int8s(a) + r.lowerBound, bind.int8s(c) + r.lowerBound,
                          bind.int8s(y) + r.lowerBound, pool)
            }
            return .xnnpack(name)
        }
        let xop = try create()
        let (s1, s2) = (sa, sc)
        b.addXNNStep(node, name, reads: [a, c], writes: [y], ops: [xop]) { bind in
            try setup(xop, s1, s2, bind.int8s(a), bind.int8s(c), bind.int8s(y), bind.pool)
        }
        return .xnnpack(name)
    }

    /// A multiply of an activation by a per-channel gate: one operand has the output's shape
    /// (rows × channels, channels last), the other is 1 everywhere but the last axis (the
    /// channels) and, optionally, the first (the batch) — a squeeze-excite scale in NHWC.
    struct ChannelGate {
        /// Whether A is the activation (else B is, and A the gate).
        let activationIsA: Bool
        let rows, rowsPerGate, channels: Int
    }

    static func channelGate(_ sa: [Int], _ sc: [Int], _ out: [Int]) -> ChannelGate? {
        guard out.count >= 2, let channels = out.last, channels > 0 else { return nil }
        let rows = out.dropLast().reduce(1, *)
        for (big, small, isA) in [(sa, sc, true), (sc, sa, false)] where big == out {
            let padded = [Int](repeating: 1, count: out.count - small.count) + small
            guard padded.count == out.count, padded.last == channels,
                  padded.dropFirst().dropLast().allSatisfy({ $0 == 1 }),
                  padded[0] == 1 || padded[0] == out[0] else { continue }
            // A gate per batch image (rows / batch rows each) or one for all rows.
            let perGate = padded[0] == 1 ? rows : rows / out[0]
            guard perGate > 0 else { continue }
            return ChannelGate(activationIsA: isA, rows: rows, rowsPerGate: perGate, channels: channels)
        }
        return nil
    }

    static func mulChannelsKernelName(_ path: Int8KernelPath) -> String {
        "loupe_s8_mul_channels__\(path.kernelSuffix)"
    }

    /// The own kernel of the gate multiply (`loupe_s8_mul_channels`): XNNPACK's qs8 codes,
    /// with the product-to-output scale computed as XNNPACK computes it, rows split over the
    /// pool.
    static func emitMulChannels(_ node: Node, _ b: PlanBuilder?, _ isa: loupe_s8_gemm_qc8w_isa, _ path: Int8KernelPath,
                                _ gate: ChannelGate, a: String, qa: ValueQuantization, c: String, qc: ValueQuantization,
                                y: String, qy: ValueQuantization) -> Placement {
        let name = mulChannelsKernelName(path)
        guard let b else { return .kernel(name) }
        b.constant(a)
        b.constant(c)
        let (x, qx, g, qg) = gate.activationIsA ? (a, qa, c, qc) : (c, qc, a, qa)
        let productScale: Float = qa.scale * qc.scale
        let scale = productScale / qy.scale
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: qy.int8ZeroPoint, y_min: -128, y_max: 127)
        let (rows, perGate, channels) = (gate.rows, gate.rowsPerGate, gate.channels)
        let parts = Swift.min(threadsFor(elements: rows * channels, b.threads), rows)
        let (zx, zg) = (qx.int8ZeroPoint, qg.int8ZeroPoint)
        b.addStep(node, .kernel(name), reads: [a, c], writes: [y]) { bind in
            let px = bind.int8s(x), pg = bind.int8s(g), py = bind.int8s(y)
            let task = ParallelTask(count: parts) { i in
                withUnsafePointer(to: params) {
                    loupe_s8_mul_channels__isa(isa, rows * i / parts, rows * (i + 1) / parts, perGate, channels,
                                               px, zx, pg, zg, scale, py, $0)
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    // MARK: pooling

    /// Int8 GlobalAveragePool → `xnn_create_global_average_pooling_nwc_qs8`.
    static func lowerGlobalAveragePoolQS8(_ node: Node, _ graph: Graph, layout: Layout, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_global_average_pooling_nwc_qs8"
        try requireNHWC(layout)
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        guard xs.count >= 3 else { throw Unsupported("X must be NHWC-like with rank >= 3, got \(xs)") }
        let (y, qy) = try int8Output(node, graph, [xs[0]] + [Int](repeating: 1, count: xs.count - 2) + [xs.last!])
        let batch = xs[0], pixels = xs.dropFirst().dropLast().reduce(1, *), channels = xs.last!
        let ratio = qx.scale / qy.scale
        guard ratio >= 0x1.0p-8, ratio < 0x1.0p8 else {
            throw Unsupported("input-to-output scale ratio \(ratio) is outside XNNPACK's [2^-8, 2^8)")
        }
        // Setup derives input / (output · pixels) and asserts it is at least 2⁻³².
        let perPixel = qx.scale / (qy.scale * Float(pixels))
        guard perPixel >= 0x1.0p-32, pixels < 1 << 23 else {
            throw Unsupported("averaging \(pixels) pixels gives requantization scale \(perPixel), below XNNPACK's 2^-32")
        }
        guard let b else { return .xnnpack(name) }
        // XNNPACK splits the pooling over images only: one image's channels are split here
        // instead, one operator per slice of whole 16-channel groups reading with the
        // tensor's pixel stride, the slices over the pool (each channel's average is its own).
        let groups = (channels + 15) / 16
        let parts = batch == 1 ? Swift.min(threadsFor(elements: pixels * channels, b.threads), groups) : 1
        let slices = (0..<parts).map { i in (groups * i / parts * 16)..<Swift.min(channels, groups * (i + 1) / parts * 16) }
        let ops = try slices.map { r in
            try XNNOperator.create(name, node) {
                loupe_xnn_create_global_average_pooling_nwc_qs8(r.count, channels, channels, qx.int8ZeroPoint, qx.scale,
                                                                qy.int8ZeroPoint, qy.scale, -128, 127, 0, $0)
            }
        }
        b.addSplitXNNStep(node, name, reads: [x], writes: [y], parts: slices, ops: ops) { o, r, bind, pool in
            try Backend.check(loupe_xnn_setup_global_average_pooling_nwc_qs8(o.op, batch, pixels, bind.int8s(x) + r.lowerBound,
                                                                             bind.int8s(y) + r.lowerBound, pool),
                              "xnn_setup_global_average_pooling_nwc_qs8", node)
        }
        return .xnnpack(name)
    }

    /// Int8 MaxPool → `xnn_create_max_pooling2d_nhwc_s8` (the max of codes is the code of the
    /// max); different output parameters are applied afterwards by a requantizing table in
    /// place (requantization is monotone, so it commutes with max).
    static func lowerMaxPoolS8(_ node: Node, _ graph: Graph, _ a: PoolAttributes, into b: PlanBuilder?) throws -> Placement {
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        if node.outputs.count > 1 && !node.outputs[1].isEmpty {
            throw Unsupported("MaxPool's Indices output is not supported")
        }
        let (win, _, y) = try poolWindow(node, graph, a, xs, dtype: .int8)
        let qy = try quantParams(y, graph, "output")
        guard win.kernel.h * win.kernel.w > 1 else {
            throw Unsupported("int8 MaxPool with a 1x1 window (a copy or subsampling) has no int8 lowering")
        }
        let same = qx == qy
        let table = same ? nil : try lutTable(loupe_lut_identity, 0, 0, qx, qy)
        let name = same ? "xnn_create_max_pooling2d_nhwc_s8" : "xnn_create_max_pooling2d_nhwc_s8 + loupe_x8_lut (requantize)"
        guard let b else { return .xnnpack(name) }
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        let count = outputShape(node, graph).reduce(1, *)
        let op = try XNNOperator.create("xnn_create_max_pooling2d_nhwc_s8", node) {
            loupe_xnn_create_max_pooling2d_nhwc_s8(UInt32(win.pads.t), UInt32(win.pads.r), UInt32(win.pads.b), UInt32(win.pads.l),
                                             UInt32(win.kernel.h), UInt32(win.kernel.w), UInt32(win.stride.h), UInt32(win.stride.w),
                                             UInt32(win.dilation.h), UInt32(win.dilation.w), c, c, c, -128, 127, 0, $0)
        }
        b.addStep(node, .xnnpack(name), reads: [x], writes: [y], owned: [op] + (table.map { [$0] } ?? [])) { bind in
            let py = bind.int8s(y)
            try Backend.check(loupe_xnn_setup_max_pooling2d_nhwc_s8(op.op, n, h, w, bind.int8s(x), py, bind.pool),
                              "xnn_setup_max_pooling2d_nhwc_s8", node)
            let raw = op.op
            guard let table else { return { pool in _ = loupe_xnn_run_operator(raw, pool) } }
            let tp = UnsafePointer(table.pointer.assumingMemoryBound(to: UInt8.self))
            return { pool in
                _ = loupe_xnn_run_operator(raw, pool)
                loupe_x8_lut(count, py, py, tp)
            }
        }
        return .xnnpack(name)
    }

    /// Int8 AveragePool → `loupe_s8_average_pool_nhwc__scalar` (the 2022 XNNPACK has no qs8
    /// average pooling): exact int32 sums, one correctly rounded requantization in double,
    /// the float kernel's windows, padding and divisor (ceil_mode, dilations,
    /// count_include_pad).
    static func lowerAveragePoolS8(_ node: Node, _ graph: Graph, _ a: PoolAttributes, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_s8_average_pool_nhwc__scalar"
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        let (win, extra, y) = try poolWindow(node, graph, a, xs, dtype: .int8)
        let qy = try quantParams(y, graph, "output")
        let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3])
        let (oh, ow) = try win.output(h, w)
        guard let b else { return .kernel(name) }
        let p = poolParams(win, extra: extra, countIncludePad: a.countIncludePad)
        let scale = Double(qx.scale) / Double(qy.scale)
        let (zx, zy) = (Int32(qx.int8ZeroPoint), Int32(qy.int8ZeroPoint))
        let rows = n * oh
        let parts = Swift.min(threadsFor(elements: rows * ow * c * win.kernel.h * win.kernel.w, b.threads), rows)
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = bind.int8s(x), py = bind.int8s(y)
            let task = ParallelTask(count: parts) { i in
                withUnsafePointer(to: p) { pp in
                    loupe_s8_average_pool_nhwc__scalar(n, h, w, c, oh, ow, pp, zx, scale, zy, px, py, c,
                                                       rows * i / parts, rows * (i + 1) / parts)
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    // MARK: data movement

    /// Int8 Concat: inputs whose parameters equal the output's are copied
    /// (`xnn_create_copy_nc_x8` with the concat's row stride); the others are requantized into
    /// their slice by a table, row by row. (The zero-copy concat of float32 — producers
    /// writing into slices — is not used for int8.)
    static func lowerConcatInt8(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let y = try output(node)
        let ys = try shape(y, graph, "output", dtype: .int8)
        let qy = try quantParams(y, graph, "output")
        let ax = axis < 0 ? axis + ys.count : axis
        guard ax >= 0, ax < ys.count else { throw Unsupported("axis \(axis) out of range for \(ys)") }
        let rows = ys[..<ax].reduce(1, *)
        let inner = ys[(ax + 1)...].reduce(1, *)
        struct Part { var value: String; var offset: Int; var width: Int; var table: AlignedBuffer? }
        var parts: [Part] = []
        var offset = 0
        for v in node.inputs where !v.isEmpty {
            let s: [Int]
            if let t = graph.constant(v) {
                guard t.dtype == .int8 else { throw Unsupported("constant input '\(v)' is \(t.dtype); expected int8 codes") }
                s = t.shape
            } else {
                s = try shape(v, graph, "input", dtype: .int8)
            }
            guard s.count == ys.count, Array(s[..<ax]) == Array(ys[..<ax]), Array(s[(ax + 1)...]) == Array(ys[(ax + 1)...]) else {
                throw Unsupported("input '\(v)' \(s) does not match the output \(ys) off axis \(ax)")
            }
            let qv = try quantParams(v, graph, "input")
            parts.append(Part(value: v, offset: offset, width: s[ax] * inner,
                              table: qv == qy ? nil : try lutTable(loupe_lut_identity, 0, 0, qv, qy)))
            offset += s[ax] * inner
        }
        guard offset == ys[ax] * inner else { throw Unsupported("inputs do not add up to the output along axis \(ax)") }
        let copies = parts.filter { $0.table == nil }.count
        let name = copies == parts.count ? "xnn_create_copy_nc_x8"
            : copies == 0 ? "loupe_x8_lut (Concat requantize)" : "xnn_create_copy_nc_x8 + loupe_x8_lut (Concat requantize)"
        let placement: Placement = copies == 0 ? .kernel(name) : .xnnpack(name)
        guard let b else { return placement }
        let rowElements = offset
        var ops: [XNNOperator?] = []
        for p in parts {
            b.constant(p.value)
            if p.table == nil {
                ops.append(try XNNOperator.create("xnn_create_copy_nc_x8", node) {
                    loupe_xnn_create_copy_nc_x8(p.width, p.width, rowElements, 0, $0)
                })
            } else {
                ops.append(nil)
            }
        }
        let owned: [AnyObject] = ops.compactMap { $0 } + parts.compactMap(\.table)
        b.addStep(node, placement, reads: parts.map(\.value), writes: [y], owned: owned) { bind in
            let out = bind.int8s(y)
            var runs: [(pthreadpool_t?) -> Void] = []
            for (p, op) in zip(parts, ops) {
                let src = bind.int8s(p.value)
                if let op {
                    try Backend.check(loupe_xnn_setup_copy_nc_x8(op.op, rows, src, out + p.offset, bind.pool), "xnn_setup_copy_nc_x8", node)
                    let raw = op.op
                    runs.append { pool in _ = loupe_xnn_run_operator(raw, pool) }
                } else if let table = p.table {
                    let tp = UnsafePointer(table.pointer.assumingMemoryBound(to: UInt8.self))
                    let width = p.width, off = p.offset
                    runs.append { _ in
                        for r in 0..<rows { loupe_x8_lut(width, src + r * width, out + r * rowElements + off, tp) }
                    }
                }
            }
            return { pool in for r in runs { r(pool) } }
        }
        return placement
    }

    /// The output's parameters must be the input's for ops that only move codes.
    static func requireSameParams(_ x: String, _ y: String, _ graph: Graph) throws {
        let (qx, qy) = (try quantParams(x, graph, "input"), try quantParams(y, graph, "output"))
        guard qx == qy else {
            throw Unsupported("input \(qx) and output \(qy) parameters differ: a code-moving op must keep them (FoldQuantization keeps them equal)")
        }
    }

    /// Int8 Reshape/Flatten/Squeeze/Unsqueeze: the output is the input's buffer.
    static func lowerAliasInt8(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let x = try input(node, 0, "data")
        if graph.constant(x) != nil { throw Unsupported("\(node.op.onnxName) of a constant should have been folded") }
        let xs = try shape(x, graph, "data", dtype: .int8)
        let y = try output(node)
        let ys = try shape(y, graph, "output", dtype: .int8)
        guard xs.reduce(1, *) == ys.reduce(1, *) else { throw Unsupported("\(xs) and \(ys) differ in element count") }
        try requireSameParams(x, y, graph)
        b?.alias(y, of: x)
        b?.addElided(node, .alias)
        return .alias
    }

    /// Int8 Identity/Dropout left by RemoveIdentity (graph input to output): a copy; a
    /// change of parameters is a requantizing table.
    static func lowerCopyInt8(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let (x, xs, qx) = try int8Activation(node, graph, 0, "input")
        let (y, qy) = try int8Output(node, graph, xs)
        if qx != qy { return try emitLUT(node, graph, b, label: "requantize", loupe_lut_identity, 0, 0) }
        let name = "xnn_create_copy_nc_x8"
        guard let b else { return .xnnpack(name) }
        let count = xs.reduce(1, *)
        let op = try XNNOperator.create(name, node) { loupe_xnn_create_copy_nc_x8(1, 1, 1, 0, $0) }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_copy_nc_x8(op.op, count, bind.int8s(x), bind.int8s(y), bind.pool), "xnn_setup_copy_nc_x8", node)
        }
        return .xnnpack(name)
    }

    /// Int8 Transpose → `loupe_x8_transpose` (the 2022 XNNPACK has no transpose
    /// operator; int8 transposes are rare because the layout pass keeps them at the float
    /// graph boundary), or nothing when the QuantizeLinear before it runs it
    /// (`fusableNCHWToNHWC`).
    static func lowerTransposeInt8(_ node: Node, _ graph: Graph, perm: [Int]?, into b: PlanBuilder?) throws -> Placement {
        if let p = try fusedNCHWToNHWCPlacement(node, graph, into: b) { return p }
        let (x, xs, _) = try int8Activation(node, graph, 0, "data")
        let r = xs.count
        guard r <= Int(LOUPE_MAX_DIMS) else { throw Unsupported("rank \(r) above \(LOUPE_MAX_DIMS)") }
        let p = perm ?? Array((0..<r).reversed())
        guard p.sorted() == Array(0..<r) else { throw Unsupported("perm \(p) is not a permutation of 0..<\(r)") }
        let (y, _) = try int8Output(node, graph, p.map { xs[$0] })
        try requireSameParams(x, y, graph)
        return emitTranspose(node, b, x: x, y: y, shape: xs, perm: p, int8: true)
    }
}
