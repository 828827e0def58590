import CXNNPACK
import LoupeIR
import LoupeKernels

extension Lowering {
    // MARK: binary

    static func binaryName(_ op: BinaryOp) throws -> String {
        switch op {
        case .add: return "xnn_create_add_nd_f32"
        case .sub: return "xnn_create_subtract_nd_f32"
        case .mul: return "xnn_create_multiply_nd_f32"
        case .div: return "xnn_create_divide_nd_f32"
        case .max: return "xnn_create_maximum_nd_f32"
        case .min: return "xnn_create_minimum_nd_f32"
        case .pow: throw Unsupported("Pow: the 2022 XNNPACK has no f32 power operator and there is no Loupe kernel yet")
        }
    }

    static func createBinary(_ op: BinaryOp, _ node: Node) throws -> XNNOperator {
        let name = try binaryName(op)
        return try XNNOperator.create(name, node) { out in
            switch op {
            case .add: return loupe_xnn_create_add_nd_f32(-.infinity, .infinity, 0, out)
            case .sub: return loupe_xnn_create_subtract_nd_f32(-.infinity, .infinity, 0, out)
            case .mul: return loupe_xnn_create_multiply_nd_f32(-.infinity, .infinity, 0, out)
            case .div: return loupe_xnn_create_divide_nd_f32(-.infinity, .infinity, 0, out)
            case .max: return loupe_xnn_create_maximum_nd_f32(0, out)
            case .min: return loupe_xnn_create_minimum_nd_f32(0, out)
            case .pow: return xnn_status_unsupported_parameter
            }
        }
    }

    static func setupBinary(_ op: BinaryOp, _ x: XNNOperator, _ s1: [Int], _ s2: [Int],
                            _ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                            _ pool: pthreadpool_t?, _ node: Node) throws {
        let st: xnn_status
        switch op {
        case .add: st = loupe_xnn_setup_add_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .sub: st = loupe_xnn_setup_subtract_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .mul: st = loupe_xnn_setup_multiply_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .div: st = loupe_xnn_setup_divide_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .max: st = loupe_xnn_setup_maximum_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .min: st = loupe_xnn_setup_minimum_nd_f32(x.op, s1.count, s1, s2.count, s2, a, c, y, pool)
        case .pow: st = xnn_status_unsupported_parameter
        }
        try Backend.check(st, (try? binaryName(op).replacingOccurrences(of: "create", with: "setup")) ?? "xnn_setup", node)
    }

    /// Numpy broadcast of two shapes, or nil.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: r - a.count) + a, pb = [Int](repeating: 1, count: r - b.count) + b
        var out: [Int] = []
        for i in 0..<r {
            if pa[i] == pb[i] || pb[i] == 1 { out.append(pa[i]) } else if pa[i] == 1 { out.append(pb[i]) } else { return nil }
        }
        return out
    }

    /// Add/Sub/Mul/Div/Max/Min with broadcasting → `xnn_create_*_nd_f32`. Constant operands
    /// live in the constants buffer. Same-shape operands are split across the pool's threads
    /// (one operator per chunk) because XNNPACK runs a flat elementwise op on one thread.
    static func lowerBinary(_ node: Node, _ graph: Graph, _ op: BinaryOp, into b: PlanBuilder?) throws -> Placement {
        let name = try binaryName(op)
        let a = try input(node, 0, "A"), c = try input(node, 1, "B")
        if graph.constant(a) != nil && graph.constant(c) != nil {
            throw Unsupported("both operands are constant: constant folding should have removed this node")
        }
        var sa = try shape(a, graph, "A"), sc = try shape(c, graph, "B")
        guard sa.count <= Int(XNN_MAX_TENSOR_DIMS), sc.count <= Int(XNN_MAX_TENSOR_DIMS) else {
            throw Unsupported("rank above \(XNN_MAX_TENSOR_DIMS) is not supported by XNNPACK")
        }
        guard let out = broadcast(sa, sc) else { throw Unsupported("shapes \(sa) and \(sc) do not broadcast") }
        let y = try expectOutput(node, graph, out)
        guard let b else { return .xnnpack(name) }
        b.constant(a)
        b.constant(c)
        if sa.isEmpty { sa = [1] }
        if sc.isEmpty { sc = [1] }
        let count = out.reduce(1, *)
        let splitThreads = threadsFor(elements: count, b.threads)
        if splitThreads > 1 && sa == sc {
            let parts = chunks(count, parts: splitThreads)
            let ops = try parts.map { _ in try createBinary(op, node) }
            b.addSplitXNNStep(node, name, reads: [a, c], writes: [y], parts: parts, ops: ops) { o, r, bind, pool in
                try setupBinary(op, o, [r.count], [r.count], bind.floats(a) + r.lowerBound, bind.floats(c) + r.lowerBound,
                                bind.floats(y) + r.lowerBound, pool, node)
            }
            return .xnnpack(name)
        }
        let o = try createBinary(op, node)
        let (s1, s2) = (sa, sc)
        b.addXNNStep(node, name, reads: [a, c], writes: [y], ops: [o]) { bind in
            try setupBinary(op, o, s1, s2, bind.floats(a), bind.floats(c), bind.floats(y), bind.pool, node)
        }
        return .xnnpack(name)
    }

    // MARK: unary through XNNPACK nc operators

    typealias CreateNC = (_ channels: Int, _ inStride: Int, _ outStride: Int, _ out: UnsafeMutablePointer<loupe_xnn_operator_t?>) -> xnn_status
    typealias SetupNC = (_ op: loupe_xnn_operator_t, _ batch: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                         _ pool: pthreadpool_t?) -> xnn_status

    /// A tensor of shape `xs` as XNNPACK's `_nc_` operators take it: `batch` rows of
    /// `channels` (the last dim), and the row stride that output `y` is written with.
    static func ncRows(_ xs: [Int], output y: String, _ b: PlanBuilder) -> (channels: Int, batch: Int, outStride: Int) {
        let channels = xs.last ?? 1
        return (channels, xs.dropLast().reduce(1, *), b.outputStride(y, channels: channels))
    }

    /// An elementwise op as an XNNPACK `_nc_f32` operator over [rest, last dim].
    static func emitUnaryNC(_ node: Node, _ graph: Graph, _ b: PlanBuilder?, _ name: String,
                            create: CreateNC, setup: @escaping SetupNC) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "X")
        let y = try expectOutput(node, graph, xs)
        guard let b else { return .xnnpack(name) }
        let (channels, batch, outStride) = ncRows(xs, output: y, b)
        let op = try XNNOperator.create(name, node) { create(channels, channels, outStride, $0) }
        let setupName = name.replacingOccurrences(of: "create", with: "setup")
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(setup(op.op, batch, bind.floats(x), bind.floats(y), bind.pool), setupName, node)
        }
        return .xnnpack(name)
    }

    static func emitClamp(_ node: Node, _ graph: Graph, _ b: PlanBuilder?, _ lo: Float, _ hi: Float) throws -> Placement {
        try checkRange(lo, hi)
        return try emitUnaryNC(node, graph, b, "xnn_create_clamp_nc_f32",
                               create: { loupe_xnn_create_clamp_nc_f32($0, $1, $2, lo, hi, 0, $3) },
                               setup: { loupe_xnn_setup_clamp_nc_f32($0, $1, $2, $3, $4) })
    }

    /// A Loupe kernel applied elementwise, split into chunks across the pool.
    static func emitKernelElementwise(_ node: Node, _ graph: Graph, _ b: PlanBuilder?, _ name: String,
                                      _ kernel: @escaping (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "X")
        let y = try expectOutput(node, graph, xs)
        guard let b else { return .kernel(name) }
        let count = xs.reduce(1, *)
        let parts = chunks(count, parts: threadsFor(elements: count, b.threads))
        b.addStep(node, .kernel(name), reads: [x], writes: [y]) { bind in
            let px = bind.floats(x), py = bind.floats(y)
            let task = ParallelTask(count: parts.count) { i in
                let r = parts[i]
                kernel(r.count, px + r.lowerBound, py + r.lowerBound, r.lowerBound)
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// Clip with constant (or absent) min/max → `xnn_create_clamp_nc_f32`.
    static func lowerClip(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let lo = try constantFloats(node, graph, 1, "min")?.first ?? -.infinity
        let hi = try constantFloats(node, graph, 2, "max")?.first ?? .infinity
        if lo >= hi { return try emitClampToMax(node, graph, b, hi) }
        return try emitClamp(node, graph, b, lo, hi)
    }

    /// Clip with min ≥ max: ONNX (numpy.clip) sets every value to max. XNNPACK's clamp needs
    /// min < max (it rejects the operator otherwise), so two clamps run in order:
    /// (−∞, max] then [max, +∞) in place. Every non-NaN value ends at exactly max.
    static func emitClampToMax(_ node: Node, _ graph: Graph, _ b: PlanBuilder?, _ hi: Float) throws -> Placement {
        let name = "xnn_create_clamp_nc_f32 twice (min > max)"
        guard hi.isFinite else { throw Unsupported("Clip with min ≥ max = \(hi): max must be finite") }
        let (x, xs) = try activation(node, graph, 0, "X")
        let y = try expectOutput(node, graph, xs)
        guard let b else { return .xnnpack(name) }
        let (channels, batch, outStride) = ncRows(xs, output: y, b)
        let below = try XNNOperator.create("xnn_create_clamp_nc_f32", node) {
            loupe_xnn_create_clamp_nc_f32(channels, channels, outStride, -.infinity, hi, 0, $0)
        }
        let above = try XNNOperator.create("xnn_create_clamp_nc_f32", node) {
            loupe_xnn_create_clamp_nc_f32(channels, outStride, outStride, hi, .infinity, 0, $0)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [below, above]) { bind in
            try Backend.check(loupe_xnn_setup_clamp_nc_f32(below.op, batch, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_clamp_nc_f32", node)
            try Backend.check(loupe_xnn_setup_clamp_nc_f32(above.op, batch, bind.floats(y), bind.floats(y), bind.pool),
                              "xnn_setup_clamp_nc_f32", node)
        }
        return .xnnpack(name)
    }

    static func lowerLeakyRelu(_ node: Node, _ graph: Graph, alpha: Float, into b: PlanBuilder?) throws -> Placement {
        guard alpha.isFinite else { throw Unsupported("LeakyRelu alpha \(alpha) is not finite") }
        return try emitUnaryNC(node, graph, b, "xnn_create_leaky_relu_nc_f32",
                               create: { loupe_xnn_create_leaky_relu_nc_f32($0, $1, $2, alpha, 0, $3) },
                               setup: { loupe_xnn_setup_leaky_relu_nc_f32($0, $1, $2, $3, $4) })
    }

    static func lowerElu(_ node: Node, _ graph: Graph, alpha: Float, into b: PlanBuilder?) throws -> Placement {
        guard alpha > 0, alpha.isNormal else {
            throw Unsupported("Elu alpha \(alpha): XNNPACK needs a positive normal alpha")
        }
        return try emitUnaryNC(node, graph, b, "xnn_create_elu_nc_f32",
                               create: { loupe_xnn_create_elu_nc_f32($0, $1, $2, alpha, 0, $3) },
                               setup: { loupe_xnn_setup_elu_nc_f32($0, $1, $2, $3, $4) })
    }

    static func lowerHardSigmoid(_ node: Node, _ graph: Graph, alpha: Float, beta: Float, into b: PlanBuilder?) throws -> Placement {
        guard alpha.isFinite, beta.isFinite else { throw Unsupported("HardSigmoid alpha/beta must be finite") }
        return try emitKernelElementwise(node, graph, b, "loupe_f32_hardsigmoid") { n, x, y, _ in
            loupe_f32_hardsigmoid(n, x, y, alpha, beta)
        }
    }

    /// PRelu: one slope → leaky ReLU; a per-channel slope on the last axis →
    /// `xnn_create_prelu_nc_f32`; any other broadcast → `loupe_f32_prelu` with the slope
    /// expanded to its period.
    static func lowerPRelu(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let (_, xs) = try activation(node, graph, 0, "X")
        let sName = try input(node, 1, "slope")
        guard let st = graph.constant(sName) else { throw Unsupported("non-constant slope is not supported") }
        guard let out = broadcast(xs, st.shape), out == xs else {
            throw Unsupported("slope \(st.shape) does not broadcast to X \(xs)")
        }
        let slope = st.floats
        if slope.count == 1 {
            return try lowerLeakyRelu(node, graph, alpha: slope[0], into: b)
        }
        let trimmed = Array(st.shape.drop { $0 == 1 })
        let channels = xs.last!
        if trimmed == [channels] {
            let name = "xnn_create_prelu_nc_f32"
            return try slope.withUnsafeBufferPointer { sp in
                try emitUnaryNC(node, graph, b, name,
                                create: { loupe_xnn_create_prelu_nc_f32($0, $1, $2, sp.baseAddress, 0, $3) },
                                setup: { loupe_xnn_setup_prelu_nc_f32($0, $1, $2, $3, $4) })
            }
        }
        // Period = the trailing block of X the slope spans; expand the slope over it.
        let r = xs.count
        let ps = [Int](repeating: 1, count: r - st.shape.count) + st.shape
        var first = r
        for i in 0..<r where ps[i] != 1 { first = min(first, i) }
        let periodShape = Array(xs[first...])
        let period = periodShape.reduce(1, *)
        var expanded = [Float](repeating: 0, count: period)
        var sStrides = [Int](repeating: 0, count: r)
        var acc = 1
        for i in stride(from: r - 1, through: 0, by: -1) {
            sStrides[i] = ps[i] == 1 ? 0 : acc
            acc *= ps[i]
        }
        for e in 0..<period {
            var rem = e, src = 0
            for i in stride(from: r - 1, through: first, by: -1) {
                let idx = rem % xs[i]
                rem /= xs[i]
                src += idx * sStrides[i]
            }
            expanded[e] = slope[src]
        }
        return try emitKernelElementwise(node, graph, b, "loupe_f32_prelu") { n, px, py, start in
            expanded.withUnsafeBufferPointer { sp in
                // Each chunk starts at a multiple of 64, not of the period: rotate the slope.
                if start % period == 0 {
                    loupe_f32_prelu(n, px, sp.baseAddress, period, py)
                } else {
                    for i in 0..<n {
                        let v = px[i]
                        py[i] = v < 0 ? v * sp[(start + i) % period] : v
                    }
                }
            }
        }
    }
}
