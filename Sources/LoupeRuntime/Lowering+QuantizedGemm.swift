import LoupeIR
import LoupeKernels

extension Lowering {
    /// The own int8 GEMM kernel in effect for `node`, or nil when XNNPACK runs it.
    static func ownGemmPath(_ node: Node) throws -> Int8KernelPath? {
        let path = try Int8KernelPath.current(for: node)
        return path.gemmISA == nil ? nil : path
    }

    static func gemmKernelName(_ path: Int8KernelPath, fused label: String? = nil) -> String {
        let kernel = "loupe_s8_gemm_qc8w__\(path.kernelSuffix)"
        return label.map { "\(kernel) + loupe_x8_lut (\($0))" } ?? kernel
    }

    /// Rows per kernel call when a table activation follows it: about 16 KiB of output, so
    /// that the table pass reads what the kernel has just written from L1/L2.
    static func fusedSubRows(rowBytes: Int, multiple: Int) -> Int {
        Swift.max(multiple, (16384 / Swift.max(rowBytes, 1)) / multiple * multiple)
    }

    /// Weights, biases and the per-channel requantization scales (input · weight[c] / output,
    /// in float as XNNPACK computes them) packed once for one of the own int8 kernels; `pack`
    /// is `loupe_s8_gemm_qc8w_pack` or `loupe_s8_dwconv_qc8w_pack` for one variant.
    static func packQC8W(bytes: Int, _ a: Int, _ b: Int, weights: [Int8], bias: [Int32]?, scales: [Float],
                         qx: ValueQuantization, qy: ValueQuantization,
                         _ pack: (Int, Int, UnsafePointer<Int8>?, UnsafePointer<Int32>?, UnsafePointer<Float>?, Int8,
                                  UnsafeMutableRawPointer?) -> Void) -> AlignedBuffer {
        let requant = scales.map { qx.scale * $0 / qy.scale }
        let packed = AlignedBuffer(bytes: bytes)
        weights.withUnsafeBufferPointer { w in
            requant.withUnsafeBufferPointer { s in
                if let bias {
                    bias.withUnsafeBufferPointer { pack(a, b, w.baseAddress, $0.baseAddress, s.baseAddress, qx.int8ZeroPoint, packed.pointer) }
                } else {
                    pack(a, b, w.baseAddress, nil, s.baseAddress, qx.int8ZeroPoint, packed.pointer)
                }
            }
        }
        return packed
    }

    /// [rows, k] int8 × [n, k]ᵀ int8 per-channel weights → [rows, n] int8 on
    /// `loupe_s8_gemm_qc8w`: the same codes as XNNPACK's QC8 convolution (its fp32
    /// requantization with scale input · weight[c] / output computed in float, as XNNPACK
    /// computes it). Weights, biases and scales are packed once here; the step splits the
    /// rows over the pool in tiles of whole kernel tiles.
    static func emitGemmQC8W(_ node: Node, _ b: PlanBuilder, _ path: Int8KernelPath, x: String, y: String, rows: Int, k: Int,
                             n: Int, qx: ValueQuantization, scales: [Float], weights: [Int8], bias: [Int32]?, qy: ValueQuantization,
                             lo: Int8, hi: Int8, fused: FusedTable? = nil) throws -> Placement {
        guard let isa = path.gemmISA else { preconditionFailure("emitGemmQC8W on the XNNPACK path") }
        precondition(weights.count == n * k && scales.count == n)
        let packed = packQC8W(bytes: loupe_s8_gemm_qc8w_packed_size(k, n), k, n, weights: weights, bias: bias,
                              scales: scales, qx: qx, qy: qy, loupe_s8_gemm_qc8w_pack)
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: qy.int8ZeroPoint, y_min: lo, y_max: hi)
        let name = gemmKernelName(path, fused: fused?.label)
        // Whole 8-row tiles: the VNNI kernel's.
        let producer = addRowSplitStep(node, b, name, x: x, y: y, packed: packed, fused: fused, rows: rows, tile: 8,
                                       rowBytes: n) { r0, r1, px, pw, py in
            withUnsafePointer(to: params) { loupe_s8_gemm_qc8w__isa(isa, r0, r1, k, n, px, k, pw, py, n, $0) }
        }
        // Its rows are pixels: a depthwise convolution reading it may compute them itself.
        b.rowProducers[producer.output] = producer
        return .kernel(name)
    }

    /// The own depthwise kernel of a path: AVX-512 VNNI (vpdpbusd) on the VNNI path, AVX2
    /// and scalar on theirs.
    static func dwconvISA(_ path: Int8KernelPath) -> loupe_s8_dwconv_qc8w_isa {
        switch path {
        case .vnni512: return loupe_s8_dwconv_qc8w_avx512vnni
        case .avx2: return loupe_s8_dwconv_qc8w_avx2
        case .scalar, .xnnpack: return loupe_s8_dwconv_qc8w_scalar
        }
    }

    static func dwconvKernelName(_ path: Int8KernelPath, fused label: String? = nil) -> String {
        let kernel: String
        switch path {
        case .vnni512: kernel = "loupe_s8_dwconv_qc8w_nhwc__avx512vnni"
        case .avx2: kernel = "loupe_s8_dwconv_qc8w_nhwc__avx2"
        case .scalar, .xnnpack: kernel = "loupe_s8_dwconv_qc8w_nhwc__scalar"
        }
        return label.map { "\(kernel) + loupe_x8_lut (\($0))" } ?? kernel
    }

    /// A table activation (HardSwish, HardSigmoid, ...) run by the step of the depthwise or
    /// pointwise convolution that feeds it, on the rows that step has just written (still in
    /// cache), in place in the activation's output: no intermediate tensor, no separate pass.
    struct FusedTable {
        let node: Node
        /// The activation's output value: the convolution step writes there.
        let output: String
        let table: AlignedBuffer
        let label: String
    }

    /// The node an activation fused into `conv`'s step would be: the sole reader of its
    /// output `y` (not a graph output), with `y` as its only input and one output.
    static func soleActivationReader(of conv: Node, _ graph: Graph) -> (node: Node, input: String)? {
        guard let y = conv.outputs.first, !graph.isGraphOutput(y) else { return nil }
        let readers = graph.nodes.filter { $0.inputs.contains(y) }
        guard readers.count == 1, let act = readers.first, act.inputs == [y], act.outputs.count == 1 else { return nil }
        return (act, y)
    }

    /// The activation fused into int8 convolution `conv` (output parameters `qy`):
    /// the sole reader of its output (not a graph output), an int8 activation that lowers to a
    /// table with the same shape. Sigmoid stays apart (XNNPACK's operator takes it when its
    /// parameters allow).
    static func fusableTable(after conv: Node, _ graph: Graph, outputParams qy: ValueQuantization) -> FusedTable? {
        guard let (act, y) = soleActivationReader(of: conv, graph) else { return nil }
        var spec: (label: String, f: loupe_lut_function, p0: Double, p1: Double)?
        if case .unary(let op) = act.op, op != .sigmoid { spec = (op.rawValue, op.function, 0, 0) }
        if case .hardSigmoid(let alpha, let beta) = act.op, alpha.isFinite, beta.isFinite {
            spec = ("HardSigmoid", loupe_lut_hardsigmoid, Double(alpha), Double(beta))
        }
        guard let spec, runsOnInt8(act, graph), let out = act.outputs.first, !out.isEmpty,
              let to = graph.type(of: out), to.dtype == .int8, to.staticShape != nil,
              to.staticShape == graph.type(of: y)?.staticShape,
              let qo = try? quantParams(out, graph, "output"),
              let table = try? lutTable(spec.f, spec.p0, spec.p1, qy, qo) else { return nil }
        return FusedTable(node: act, output: out, table: table, label: spec.label)
    }

    /// The placement of an activation that a convolution's step runs (see
    /// `FusedTable`), recorded without a step of its own; nil when the node is not one.
    static func fusedActivationPlacement(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement? {
        var isTable = false
        if case .unary = node.op { isTable = true }
        if case .hardSigmoid = node.op { isTable = true }
        guard isTable, let x = node.inputs.first, !x.isEmpty,
              let producer = graph.nodes.first(where: { $0.outputs.first == x }),
              case .conv(let a) = producer.op, runsOnInt8(producer, graph),
              case .kernel(let name)? = try? lowerConvQC8(producer, graph, a, into: nil),
              name.contains(" + loupe_x8_lut") else { return nil }
        let placement = Placement.kernel("fused into '\(producer.name)': \(name)")
        b?.addElided(node, placement)
        return placement
    }

    /// The window walk the int8 depthwise and windowed convolution kernels share.
    static func windowGeometry(_ geo: ConvGeometry, _ win: Window2D) -> loupe_s8_dwconv_geometry {
        loupe_s8_dwconv_geometry(
            batch: geo.n, in_h: geo.h, in_w: geo.w, channels: geo.c, out_h: geo.oh, out_w: geo.ow,
            kernel_h: win.kernel.h, kernel_w: win.kernel.w, stride_h: win.stride.h, stride_w: win.stride.w,
            dilation_h: win.dilation.h, dilation_w: win.dilation.w, pad_top: win.pads.t, pad_left: win.pads.l)
    }

    /// Int8 depthwise convolution (groups = input = output channels) on
    /// `loupe_s8_dwconv_qc8w_nhwc`: XNNPACK's QC8 codes (padding reads the input zero point,
    /// the same requantization). Packed once here; the step splits output rows over the pool.
    static func emitDwConvQC8W(_ node: Node, _ b: PlanBuilder, _ path: Int8KernelPath, x: String, y: String,
                               geometry geo: ConvGeometry, window win: Window2D, qx: ValueQuantization, scales: [Float],
                               weights: [Int8], bias: [Int32]?, qy: ValueQuantization, lo: Int8, hi: Int8,
                               fused: FusedTable?) throws -> Placement {
        let taps = win.kernel.h * win.kernel.w, c = geo.c
        precondition(weights.count == c * taps && scales.count == c)
        let isa = dwconvISA(path)
        // The VNNI variant has a layout of its own: packed for the variant that runs.
        let packed = packQC8W(bytes: loupe_s8_dwconv_qc8w_packed_size(isa, taps, c), taps, c, weights: weights, bias: bias,
                              scales: scales, qx: qx, qy: qy) { loupe_s8_dwconv_qc8w_pack(isa, $0, $1, $2, $3, $4, $5, $6) }
        let geometry = windowGeometry(geo, win)
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: qy.int8ZeroPoint, y_min: lo, y_max: hi)
        let name = dwconvKernelName(path, fused: fused?.label)
        if let producer = streamableProducer(of: x, reader: node, b, geometry: geo, elementSize: 1) {
            let pw = UnsafeRawPointer(packed.pointer)
            let tp = fused.map { UnsafePointer($0.table.pointer.assumingMemoryBound(to: UInt8.self)) }
            let outRow = geo.ow * c
            emitStreamedDwConv(node, b, producer, out: fused?.output ?? y, dwName: name, geometry: geometry, elementSize: 1,
                               owned: [packed] + (fused.map { [$0.table] } ?? []), dwRows: { r0, r1, px, py in
                withUnsafePointer(to: geometry) { g in
                    withUnsafePointer(to: params) {
                        loupe_s8_dwconv_qc8w_nhwc__isa(isa, g, r0, r1, px.assumingMemoryBound(to: Int8.self), pw,
                                                       py.assumingMemoryBound(to: Int8.self), c, $0)
                    }
                }
            }, after: tp.map { table in { r0, r1, py in
                let rows = py.assumingMemoryBound(to: Int8.self) + r0 * outRow
                loupe_x8_lut((r1 - r0) * outRow, rows, rows, table)
            } })
            return .kernel(name)
        }
        addRowSplitStep(node, b, name, x: x, y: y, packed: packed, fused: fused, rows: geo.n * geo.oh, tile: 1,
                        rowBytes: geo.ow * c) { r0, r1, px, pw, py in
            withUnsafePointer(to: geometry) { g in
                withUnsafePointer(to: params) { loupe_s8_dwconv_qc8w_nhwc__isa(isa, g, r0, r1, px, pw, py, c, $0) }
            }
        }
        return .kernel(name)
    }

    static func convKernelName(_ path: Int8KernelPath, fused label: String? = nil) -> String {
        let kernel = "loupe_s8_conv_qc8w_nhwc (im2col + \(gemmKernelName(path)))"
        return label.map { "\(kernel) + loupe_x8_lut (\($0))" } ?? kernel
    }

    /// Int8 convolution with one group and a window (not 1×1): im2col chunks of output
    /// pixels fed to the own GEMM (`loupe_s8_conv_qc8w_nhwc`), XNNPACK's QC8 codes. Weights
    /// are OHWI, packed once with k = kh·kw·c.
    static func emitConvQC8W(_ node: Node, _ b: PlanBuilder, _ path: Int8KernelPath, x: String, y: String,
                             geometry geo: ConvGeometry, window win: Window2D, qx: ValueQuantization, scales: [Float],
                             weights: [Int8], bias: [Int32]?, qy: ValueQuantization, lo: Int8, hi: Int8,
                             fused: FusedTable?) throws -> Placement {
        guard let isa = path.gemmISA else { preconditionFailure("emitConvQC8W on the XNNPACK path") }
        let k = win.kernel.h * win.kernel.w * geo.c, n = geo.o
        precondition(weights.count == n * k && scales.count == n)
        let packed = packQC8W(bytes: loupe_s8_gemm_qc8w_packed_size(k, n), k, n, weights: weights, bias: bias,
                              scales: scales, qx: qx, qy: qy, loupe_s8_gemm_qc8w_pack)
        let geometry = windowGeometry(geo, win)
        let params = loupe_s8_gemm_qc8w_params(y_zero_point: qy.int8ZeroPoint, y_min: lo, y_max: hi)
        let zx = qx.int8ZeroPoint
        let name = convKernelName(path, fused: fused?.label)
        addRowSplitStep(node, b, name, x: x, y: y, packed: packed, fused: fused, rows: geo.n * geo.oh, tile: 1,
                        rowBytes: geo.ow * n) { r0, r1, px, pw, py in
            withUnsafePointer(to: geometry) { g in
                withUnsafePointer(to: params) { loupe_s8_conv_qc8w_nhwc__isa(isa, g, r0, r1, px, zx, n, pw, py, n, $0) }
            }
        }
        return .kernel(name)
    }

    /// The one step shape of the own int8 kernels: `rows` output rows (`rowBytes` each) split
    /// over the pool in parts of whole `tile`s, about four parts per thread so that a slow
    /// core does not hold the others back. With a fused activation table each part runs in
    /// sub-ranges, and the sub-range just written is mapped through the table in place while
    /// it is still in cache; the step then writes the activation's output.
    @discardableResult
    static func addRowSplitStep(_ node: Node, _ b: PlanBuilder, _ name: String, x: String, y: String, packed: AlignedBuffer,
                                fused: FusedTable?, rows: Int, tile: Int, rowBytes: Int,
                                kernel: @escaping (_ r0: Int, _ r1: Int, _ x: UnsafePointer<Int8>, _ w: UnsafeRawPointer,
                                                   _ y: UnsafeMutablePointer<Int8>) -> Void) -> RowProducer {
        let tiles = (rows + tile - 1) / tile
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(tiles, b.threads * 4)) : 1
        let rowsPerPart = ((tiles + parts - 1) / parts) * tile
        let sub = fused == nil ? rowsPerPart : fusedSubRows(rowBytes: rowBytes, multiple: tile)
        let count = (rows + rowsPerPart - 1) / rowsPerPart
        let out = fused?.output ?? y
        let table = fused?.table
        let pw = UnsafeRawPointer(packed.pointer)
        let tp = table.map { UnsafePointer($0.pointer.assumingMemoryBound(to: UInt8.self)) }
        // Rows [r0, r1) written, the activation's table applied: the step's work, and a
        // reader's when it computes the rows itself (`RowProducer`).
        let rowKernel = { (r0: Int, r1: Int, px: UnsafePointer<Int8>, py: UnsafeMutablePointer<Int8>) in
            for s0 in stride(from: r0, to: r1, by: sub) {
                let s1 = Swift.min(r1, s0 + sub)
                kernel(s0, s1, px, pw, py)
                if let tp { loupe_x8_lut((s1 - s0) * rowBytes, py + s0 * rowBytes, py + s0 * rowBytes, tp) }
            }
        }
        b.addStep(node, .kernel(name), reads: [x], writes: [out], owned: [packed] + (table.map { [$0] } ?? [])) { bind in
            let px = UnsafePointer(bind.int8s(x)), py = bind.int8s(out)
            let task = ParallelTask(count: count) { i in
                rowKernel(i * rowsPerPart, Swift.min(rows, (i + 1) * rowsPerPart), px, py)
            }
            return { pool in task.run(pool) }
        }
        return RowProducer(steps: [b.steps[b.steps.count - 1]], node: node, input: x, output: out, rowBytes: rowBytes,
                           name: name, parts: Int.max) { _, r0, r1, px, py in
            rowKernel(r0, r1, px.assumingMemoryBound(to: Int8.self), py.assumingMemoryBound(to: Int8.self))
        }
    }
}
