import Foundation
import LoupeIR
import LoupeKernels

/// Which implementation runs float32 depthwise convolutions: Loupe's own kernel
/// (`Kernels/src/conv/dwconv_f32.c`), which also runs a HardSwish that is the convolution's
/// sole reader on the rows it has just written, or XNNPACK's convolution operator followed
/// by a HardSwish pass of its own over the whole tensor.
///
/// `LOUPE_F32_DWCONV` forces one path (`avx512`, `avx2`, `neon`, `scalar` or `xnnpack`).
enum FloatDwConvPath: String, ForcedKernelPath {
    case avx512
    case avx2
    case neon
    case scalar
    case xnnpack

    static let environmentVariable = "LOUPE_F32_DWCONV"
    static let family = "float depthwise convolution"

    /// The own kernel variant of a path; nil for XNNPACK.
    var isa: loupe_f32_dwconv_isa? {
        switch self {
        case .avx512: return loupe_f32_dwconv_avx512
        case .avx2: return loupe_f32_dwconv_avx2
        case .neon: return loupe_f32_dwconv_neon
        case .scalar: return loupe_f32_dwconv_scalar
        case .xnnpack: return nil
        }
    }

    var isAvailable: Bool {
        guard let isa else { return true }
        return loupe_f32_dwconv_isa_available(isa) != 0
    }

    /// The own kernel on x86 CPUs with AVX-512 (measured faster than XNNPACK 2022's
    /// depthwise operator plus its HardSwish pass, Bench/RESULTS.md); elsewhere XNNPACK,
    /// whose ARM build has tuned NEON depthwise kernels.
    static var automatic: FloatDwConvPath {
        FloatDwConvPath.avx512.isAvailable ? .avx512 : .xnnpack
    }
}

extension Lowering {
    /// The float HardSwish that the own depthwise kernel runs for convolution `conv`: the
    /// sole reader of its output (not a graph output), float32, of the same static shape.
    static func fusableFloatHardSwish(after conv: Node, _ graph: Graph) -> (node: Node, output: String)? {
        guard let (act, y) = soleActivationReader(of: conv, graph), case .unary(.hardSwish) = act.op,
              let out = act.outputs.first, !out.isEmpty, !runsOnInt8(act, graph),
              let to = graph.type(of: out), to.dtype == .float32, let shape = to.staticShape,
              shape == graph.type(of: y)?.staticShape else { return nil }
        return (act, out)
    }

    /// The placement of a float HardSwish that its depthwise convolution's step runs,
    /// recorded without a step of its own; nil when the node is not one.
    static func fusedFloatHardSwishPlacement(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement? {
        guard case .unary(.hardSwish) = node.op, let x = node.inputs.first, !x.isEmpty,
              let producer = graph.nodes.first(where: { $0.outputs.first == x }),
              case .conv(let a) = producer.op, !runsOnInt8(producer, graph),
              case .kernel(let name)? = try? lowerConv(producer, graph, a, into: nil),
              name.hasSuffix(floatHardSwishSuffix) else { return nil }
        let placement = Placement.kernel("fused into '\(producer.name)': \(name)")
        b?.addElided(node, placement)
        return placement
    }

    static let floatHardSwishSuffix = " + HardSwish"

    /// A float depthwise convolution (groups = input = output channels) on the own kernel:
    /// weights packed once, output rows split over the pool (about four parts per thread),
    /// the fused clamp and, when `fusableFloatHardSwish` finds one, the HardSwish applied to
    /// each row as it is written; the step then writes the HardSwish's output. A large 1×1
    /// expansion just before it is computed by this step, rows at a time
    /// (`emitStreamedDwConv`). Nil when the path in effect is XNNPACK's.
    static func lowerFloatDwConv(_ node: Node, _ graph: Graph, _ a: ConvAttributes, x: String, y: String,
                                 geometry geo: ConvGeometry, weights: Tensor, bias: [Float]?,
                                 into b: PlanBuilder?) throws -> Placement? {
        guard geo.g == geo.c, geo.o == geo.c, geo.ig == 1 else { return nil }
        let path = try FloatDwConvPath.current(for: node)
        guard let isa = path.isa else { return nil }
        let fused = fusableFloatHardSwish(after: node, graph)
        let name = "loupe_f32_dwconv_nhwc__\(path.rawValue)" + (fused == nil ? "" : floatHardSwishSuffix)
        guard let b else { return .kernel(name) }

        let win = geo.window, c = geo.c, taps = win.kernel.h * win.kernel.w
        let w = weights.floats  // OIHW with I = 1: [channels][taps]
        precondition(w.count == c * taps)
        let packed = AlignedBuffer(bytes: loupe_f32_dwconv_packed_size(taps, c))
        w.withUnsafeBufferPointer { wp in
            withOptional(bias) { loupe_f32_dwconv_pack(taps, c, wp.baseAddress, $0, packed.pointer) }
        }
        let geometry = windowGeometry(geo, win)
        let params = loupe_f32_dwconv_params(min: a.outputMin, max: a.outputMax, hardswish: fused == nil ? 0 : 1)
        let out = fused?.output ?? y
        let pixelStride = b.outputStride(out, channels: c)
        let rows = geo.n * geo.oh
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(rows, b.threads * 4)) : 1
        let rowsPerPart = (rows + parts - 1) / parts
        let count = (rows + rowsPerPart - 1) / rowsPerPart
        let pw = UnsafeRawPointer(packed.pointer)
        if let producer = streamableProducer(of: x, reader: node, b, geometry: geo, elementSize: 4) {
            emitStreamedDwConv(node, b, producer, out: out, dwName: name, geometry: geometry, elementSize: 4,
                               owned: [packed]) { r0, r1, px, py in
                withUnsafePointer(to: geometry) { g in
                    withUnsafePointer(to: params) {
                        loupe_f32_dwconv_nhwc__isa(isa, g, r0, r1, px.assumingMemoryBound(to: Float.self), pw,
                                                   py.assumingMemoryBound(to: Float.self), pixelStride, $0)
                    }
                }
            }
            return .kernel(name)
        }
        b.addStep(node, .kernel(name), reads: [x], writes: [out], owned: [packed]) { bind in
            let px = UnsafePointer(bind.floats(x)), py = bind.floats(out)
            let task = ParallelTask(count: count) { i in
                withUnsafePointer(to: geometry) { g in
                    withUnsafePointer(to: params) {
                        loupe_f32_dwconv_nhwc__isa(isa, g, i * rowsPerPart, Swift.min(rows, (i + 1) * rowsPerPart),
                                                   px, pw, py, pixelStride, $0)
                    }
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }
}
