import CXNNPACK
import LoupeIR
import LoupeKernels

extension Lowering {
    /// Gemm with constant B (and C) → `xnn_create_fully_connected_nc_f32`. alpha, beta and
    /// transB are folded into the packed weights and bias at lowering.
    static func lowerGemm(_ node: Node, _ graph: Graph, _ a: GemmAttributes, into b: PlanBuilder?) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "A")
        guard xs.count == 2 else { throw Unsupported("A must be 2-D, got \(xs)") }
        var (m, k) = (xs[0], xs[1])
        if a.transA {
            guard m == 1 || k == 1 else { throw Unsupported("transA with a non-vector A \(xs) needs a transpose kernel (not lowered)") }
            (m, k) = (k, m)
        }
        let bName = try input(node, 1, "B")
        guard let bt = graph.constant(bName) else {
            throw Unsupported("Gemm with non-constant B needs a MatMul kernel (not implemented yet)")
        }
        guard bt.shape.count == 2 else { throw Unsupported("B must be 2-D, got \(bt.shape)") }
        let (bk, nOut) = a.transB ? (bt.shape[1], bt.shape[0]) : (bt.shape[0], bt.shape[1])
        guard bk == k else { throw Unsupported("B \(bt.shape) does not match K = \(k)") }
        var bias: [Float]? = nil
        if let cName = node.input(2), a.beta != 0 {
            guard let ct = graph.constant(cName) else { throw Unsupported("non-constant C is not supported (add it with an Add node)") }
            let cs = ct.shape.drop { $0 == 1 }
            let cv = ct.floats
            if ct.count == 1 {
                bias = [Float](repeating: cv[0] * a.beta, count: nOut)
            } else if Array(cs) == [nOut] {
                bias = cv.map { $0 * a.beta }
            } else {
                throw Unsupported("C of shape \(ct.shape) is not a per-column bias (needs an explicit Add)")
            }
        }
        let y = try expectOutput(node, graph, [m, nOut])
        try checkRange(a.outputMin, a.outputMax)
        return try emitFullyConnected(node, b, x: x, y: y, batch: m, k: k, n: nOut, bias: bias, min: a.outputMin, max: a.outputMax) {
            // XNNPACK wants [N, K]; scale by alpha.
            let v = bt.floats
            var w = [Float](repeating: 0, count: nOut * k)
            for j in 0..<nOut {
                for i in 0..<k { w[j * k + i] = a.alpha * (a.transB ? v[j * k + i] : v[i * nOut + j]) }
            }
            return w
        }
    }

    /// MatMul with a constant 2-D (or 1-D) B → `xnn_create_fully_connected_nc_f32` over all
    /// leading dimensions of A.
    static func lowerMatMul(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let (x, xs) = try activation(node, graph, 0, "A")
        let bName = try input(node, 1, "B")
        guard let bt = graph.constant(bName), bt.shape.count <= 2 else {
            return try lowerBatchedMatMul(node, graph, into: b)
        }
        let k = xs.last!
        let (bk, nOut) = bt.shape.count == 2 ? (bt.shape[0], bt.shape[1]) : (bt.shape[0], 1)
        guard bk == k else { throw Unsupported("B \(bt.shape) does not match K = \(k)") }
        let batch = xs.dropLast().reduce(1, *)
        var outShape = Array(xs.dropLast())
        if bt.shape.count == 2 { outShape.append(nOut) }
        let y = try expectOutput(node, graph, outShape)
        return try emitFullyConnected(node, b, x: x, y: y, batch: batch, k: k, n: nOut, bias: nil,
                                      min: -.infinity, max: .infinity) {
            let v = bt.floats
            var w = [Float](repeating: 0, count: nOut * k)
            for j in 0..<nOut { for i in 0..<k { w[j * k + i] = v[i * nOut + j] } }
            return w
        }
    }

    static func emitFullyConnected(_ node: Node, _ b: PlanBuilder?, x: String, y: String, batch: Int, k: Int, n: Int,
                                   bias: [Float]?, min lo: Float, max hi: Float,
                                   weights: () -> [Float]) throws -> Placement {
        let name = "xnn_create_fully_connected_nc_f32"
        guard let b else { return .xnnpack(name) }
        let w = weights()
        let outStride = b.outputStride(y, channels: n)
        let op = try w.withUnsafeBufferPointer { wp in
            try XNNOperator.create(name, node) { out in
                withOptional(bias) { bp in
                    loupe_xnn_create_fully_connected_nc_f32(k, n, k, outStride, wp.baseAddress, bp, lo, hi, 0, out)
                }
            }
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_fully_connected_nc_f32(op.op, batch, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_fully_connected_nc_f32", node)
        }
        return .xnnpack(name)
    }

    /// MatMul with a non-constant (or batched) B → `loupe_f32_matmul` per batch entry, with
    /// numpy broadcasting of the batch dimensions; split over (batch, row block) across threads.
    static func lowerBatchedMatMul(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let name = "loupe_f32_matmul"
        let a = try input(node, 0, "A"), bv = try input(node, 1, "B")
        var sa = try shape(a, graph, "A"), sb = try shape(bv, graph, "B")
        let dropM = sa.count == 1, dropN = sb.count == 1
        if dropM { sa = [1] + sa }
        if dropN { sb = sb + [1] }
        guard sa.count >= 2, sb.count >= 2 else { throw Unsupported("MatMul operands must have rank >= 1") }
        let (m, k) = (sa[sa.count - 2], sa[sa.count - 1])
        let (kb, n) = (sb[sb.count - 2], sb[sb.count - 1])
        guard k == kb else { throw Unsupported("A \(sa) and B \(sb) disagree on K") }
        let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        guard let batchShape = broadcast(ba, bb) else { throw Unsupported("batch dims \(ba) and \(bb) do not broadcast") }
        var outShape = batchShape
        if !dropM { outShape.append(m) }
        if !dropN { outShape.append(n) }
        let y = try expectOutput(node, graph, outShape)
        guard let b else { return .kernel(name) }
        // Element offsets of each batch entry in A and B (stride 0 along broadcast dims).
        func offsets(_ dims: [Int], matrix: Int) -> [Int] {
            let r = batchShape.count
            let padded = [Int](repeating: 1, count: r - dims.count) + dims
            var strides = [Int](repeating: 0, count: r)
            var acc = matrix
            for i in stride(from: r - 1, through: 0, by: -1) {
                strides[i] = padded[i] == 1 ? 0 : acc
                acc *= padded[i]
            }
            let count = batchShape.reduce(1, *)
            return (0..<count).map { e in
                var rem = e, off = 0
                for i in stride(from: r - 1, through: 0, by: -1) {
                    off += (rem % batchShape[i]) * strides[i]
                    rem /= batchShape[i]
                }
                return off
            }
        }
        let offA = offsets(ba, matrix: m * k), offB = offsets(bb, matrix: k * n)
        let batches = offA.count
        // Wake the pool only for enough MACs; split rows when there are fewer batches than threads.
        let want = batches * m * n * k >= 1 << 17 ? b.threads : 1
        let rowBlocks = batches >= want ? 1 : max(1, min(m, (want + batches - 1) / batches))
        b.addStep(node, .kernel(name), reads: [a, bv], writes: [y]) { bind in
            let pa = bind.floats(a), pb = bind.floats(bv), py = bind.floats(y)
            let task = ParallelTask(count: batches * rowBlocks) { t in
                let bi = t / rowBlocks, blk = t % rowBlocks
                let r0 = m * blk / rowBlocks, r1 = m * (blk + 1) / rowBlocks
                guard r1 > r0 else { return }
                loupe_f32_matmul(r1 - r0, n, k, pa + offA[bi] + r0 * k, k, pb + offB[bi], n, py + bi * m * n + r0 * n, n)
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }
}
