import LoupeIR
import LoupeKernels

extension Lowering {
    /// The own int8 GEMM kernel in effect for `node`, or nil when XNNPACK runs it.
    static func ownGemmPath(_ node: Node) throws -> Int8KernelPath? {
        let path = try Int8KernelPath.current(for: node)
        return path.gemmISA == nil ? nil : path
    }

    static func gemmKernelName(_ path: Int8KernelPath) -> String { "loupe_s8_gemm_qc8w__\(path.kernelSuffix)" }

    /// [rows, k] int8 × [n, k]ᵀ int8 per-channel weights → [rows, n] int8 on
    /// `loupe_s8_gemm_qc8w`: the same codes as XNNPACK's QC8 convolution (its fp32
    /// requantization with scale input · weight[c] / output computed in float, as XNNPACK
    /// computes it). Weights, biases and scales are packed once here; the step splits the
    /// rows over the pool in tiles of whole kernel tiles.
    static func emitGemmQC8W(_ node: Node, _ b: PlanBuilder, _ path: Int8KernelPath, x: String, y: String, rows: Int, k: Int,
                             n: Int, qx: QuantParams, scales: [Float], weights: [Int8], bias: [Int32]?, qy: QuantParams,
                             lo: Int8, hi: Int8) throws -> Placement {
        guard let isa = path.gemmISA else { preconditionFailure("emitGemmQC8W on the XNNPACK path") }
        precondition(weights.count == n * k && scales.count == n)
        let requant = scales.map { qx.scale * $0 / qy.scale }
        let packed = AlignedBuffer(bytes: loupe_s8_gemm_qc8w_packed_size(k, n))
        weights.withUnsafeBufferPointer { w in
            requant.withUnsafeBufferPointer { s in
                if let bias {
                    bias.withUnsafeBufferPointer { loupe_s8_gemm_qc8w_pack(k, n, w.baseAddress, $0.baseAddress, s.baseAddress, qx.zeroPoint, packed.pointer) }
                } else {
                    loupe_s8_gemm_qc8w_pack(k, n, w.baseAddress, nil, s.baseAddress, qx.zeroPoint, packed.pointer)
                }
            }
        }
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: qy.zeroPoint, y_min: lo, y_max: hi)
        // Whole 8-row tiles (the VNNI kernel's), about four parts per thread so that a slow
        // core does not hold the others back.
        let tile = 8
        let tiles = (rows + tile - 1) / tile
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(tiles, b.threads * 4)) : 1
        let rowsPerPart = ((tiles + parts - 1) / parts) * tile
        let count = (rows + rowsPerPart - 1) / rowsPerPart
        let name = gemmKernelName(path)
        b.addStep(node, .kernel(name), reads: [x], writes: [y], owned: [packed]) { bind in
            let px = UnsafePointer(bind.int8s(x)), py = bind.int8s(y)
            let pw = UnsafeRawPointer(packed.pointer)
            let task = ParallelTask(count: count) { i in
                let r0 = i * rowsPerPart, r1 = Swift.min(rows, r0 + rowsPerPart)
                withUnsafePointer(to: params) { loupe_s8_gemm_qc8w__isa(isa, r0, r1, k, n, px, k, pw, py, n, $0) }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }
}
