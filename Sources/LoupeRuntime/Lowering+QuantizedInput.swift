import LoupeIR
import LoupeKernels

/// A quantized model's float NCHW input: the QuantizeLinear and the int8 NCHW → NHWC
/// transpose that the layout pass puts after it run as one own kernel on the own int8 path.
/// Two passes over the photo (XNNPACK's convert writing NCHW codes, then a byte transpose
/// reading them back) become one: measured 2.35 ms → 0.3 ms per 720×1280 photo at 1 thread
/// on an AVX-512 CPU (Bench/RESULTS.md).
extension Lowering {
    /// The int8 transpose NCHW → NHWC (perm [0, 2, 3, 1]) that is the sole reader of
    /// QuantizeLinear `node`'s 4-D output, with the same parameters, and the own int8 path
    /// in effect: that path and the transpose's output; nil otherwise.
    static func fusableNCHWToNHWC(after node: Node, _ graph: Graph) throws -> (Int8KernelPath, String)? {
        guard case .quantizeLinear = node.op, let path = try ownGemmPath(node),
              let (t, y) = soleActivationReader(of: node, graph), case .transpose(let perm) = t.op,
              perm == [0, 2, 3, 1], runsOnInt8(t, graph), let out = t.outputs.first, !out.isEmpty,
              let xs = graph.type(of: y)?.staticShape, xs.count == 4,
              graph.type(of: out)?.staticShape == [xs[0], xs[2], xs[3], xs[1]],
              (try? requireSameParams(y, out, graph)) != nil else { return nil }
        return (path, out)
    }

    /// The QuantizeLinear + transpose step: `loupe_f32_qs8_nchw_to_nhwc` over rows of
    /// batch × height split across the pool, reading a graph input straight from the
    /// caller's tensor.
    static func emitQuantizeToNHWC(_ node: Node, _ b: PlanBuilder?, _ path: Int8KernelPath, x: String, shape xs: [Int],
                                   q: ValueQuantization, y: String) -> Placement {
        let name = "loupe_f32_qs8_nchw_to_nhwc (QuantizeLinear + NCHW → NHWC)"
        guard let b, let isa = path.gemmISA else { return .kernel(name) }
        let (channels, height, width) = (xs[1], xs[2], xs[3])
        let rows = xs[0] * height
        let parts = Swift.min(threadsFor(elements: xs.reduce(1, *), b.threads), rows)
        // XNNPACK's convert multiplies by 1 / scale computed in float: the same here.
        let inverse = 1 / q.scale
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: q.int8ZeroPoint, y_min: -128, y_max: 127)
        b.addStep(node, .kernel(name), reads: [x], writes: [y], readsInPlace: [x]) { bind in
            let read = bind.readInPlace(x)
            let py = bind.int8s(y)
            let task = ParallelTask(count: parts) { i in
                let px = read().assumingMemoryBound(to: Float.self)
                withUnsafePointer(to: params) {
                    loupe_f32_qs8_nchw_to_nhwc__isa(isa, channels, height, width, rows * i / parts, rows * (i + 1) / parts,
                                                    px, inverse, py, $0)
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// The placement of an int8 transpose that its QuantizeLinear's step runs, recorded
    /// without a step of its own; nil when the node is not one.
    static func fusedNCHWToNHWCPlacement(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement? {
        guard case .transpose = node.op, let x = node.inputs.first, !x.isEmpty,
              let producer = graph.nodes.first(where: { $0.outputs.first == x }),
              let (_, out) = try fusableNCHWToNHWC(after: producer, graph), out == node.outputs.first else { return nil }
        let placement = Placement.kernel("fused into '\(producer.name)': loupe_f32_qs8_nchw_to_nhwc")
        b?.addElided(node, placement)
        return placement
    }
}
