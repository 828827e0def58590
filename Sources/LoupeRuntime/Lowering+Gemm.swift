import CXNNPACK
import LoupeIR

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
        guard let bt = graph.constant(bName) else {
            throw Unsupported("MatMul with non-constant B needs a batched MatMul kernel (not implemented yet)")
        }
        guard bt.shape.count == 1 || bt.shape.count == 2 else {
            throw Unsupported("batched constant B \(bt.shape) is not lowered (only 1-D or 2-D B)")
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
                    xnn_create_fully_connected_nc_f32(k, n, k, outStride, wp.baseAddress, bp, lo, hi, 0, out)
                }
            }
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(xnn_setup_fully_connected_nc_f32(op.op, batch, bind.floats(x), bind.floats(y), bind.pool),
                              "xnn_setup_fully_connected_nc_f32", node)
        }
        return .xnnpack(name)
    }
}
