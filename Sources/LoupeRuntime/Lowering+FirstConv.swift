import Foundation
import LoupeIR
import LoupeKernels

/// Which implementation runs a float network's first convolution when it reads the NCHW
/// photo through the layout's NCHW → NHWC transpose: Loupe's own kernel
/// (`Kernels/src/conv/conv_nchw_f32.c`), which reads the planes itself (no transpose pass)
/// and runs a HardSwish that is its sole reader on the pixels it has just computed, or the
/// transpose, XNNPACK's convolution and a HardSwish pass.
///
/// `LOUPE_F32_FIRST_CONV` forces one path (`avx512`, `scalar` or `xnnpack`).
enum FloatFirstConvPath: String, ForcedKernelPath {
    case avx512
    case scalar
    case xnnpack

    static let environmentVariable = "LOUPE_F32_FIRST_CONV"
    static let family = "float first convolution"

    /// The own kernel variant of a path; nil for XNNPACK.
    var isa: loupe_f32_dwconv_isa? {
        switch self {
        case .avx512: return loupe_f32_dwconv_avx512
        case .scalar: return loupe_f32_dwconv_scalar
        case .xnnpack: return nil
        }
    }

    var isAvailable: Bool {
        guard let isa else { return true }
        return loupe_f32_conv_nchw_isa_available(isa) != 0
    }

    /// The own kernel on x86 CPUs with AVX-512 (measured faster than the transpose, XNNPACK's
    /// convolution and its HardSwish pass together, Bench/RESULTS.md); elsewhere XNNPACK.
    static var automatic: FloatFirstConvPath {
        FloatFirstConvPath.avx512.isAvailable ? .avx512 : .xnnpack
    }
}

extension Lowering {
    /// Input channels up to which the own first-convolution kernel runs: a photo's 3 (or a
    /// grey image's 1, RGBA's 4). With more, the convolution is a GEMM worth XNNPACK's kernels.
    static let firstConvMaxChannels = 4

    /// The float NCHW → NHWC transpose (perm [0, 2, 3, 1]) that produces float convolution
    /// `conv`'s input with `conv` its sole reader, when `conv` has one group and at most
    /// `firstConvMaxChannels` input channels and the own path is in effect: the path, the
    /// transpose and its NCHW input; nil otherwise.
    static func fusableFirstConv(_ conv: Node, _ graph: Graph) throws -> (FloatFirstConvPath, Node, String)? {
        guard case .conv(let a) = conv.op, a.group == 1, !runsOnInt8(conv, graph), let x = conv.inputs.first, !x.isEmpty,
              !graph.isGraphOutput(x), let t = graph.nodes.first(where: { $0.outputs.first == x }),
              case .transpose(let perm) = t.op, perm == [0, 2, 3, 1], !runsOnInt8(t, graph),
              let nchw = t.inputs.first, !nchw.isEmpty, let ts = graph.type(of: nchw), ts.dtype == .float32,
              let xs = ts.staticShape, xs.count == 4, xs[1] <= firstConvMaxChannels,
              graph.nodes.filter({ $0.inputs.contains(x) }).count == 1 else { return nil }
        let path = try FloatFirstConvPath.current(for: conv)
        guard path.isa != nil else { return nil }
        return (path, t, nchw)
    }

    /// The own first-convolution step: weights packed once, output rows split over the pool
    /// (about four parts per thread), the fused clamp and, when `fusableFloatHardSwish` finds
    /// one, the HardSwish; reads the NCHW value (a graph input straight from the caller's
    /// tensor). Nil when `fusableFirstConv` does not apply.
    static func lowerFirstConv(_ node: Node, _ graph: Graph, _ a: ConvAttributes, y: String, geometry geo: ConvGeometry,
                               weights: Tensor, bias: [Float]?, into b: PlanBuilder?) throws -> Placement? {
        guard let (path, _, nchw) = try fusableFirstConv(node, graph), let isa = path.isa else { return nil }
        let fused = fusableFloatHardSwish(after: node, graph)
        let name = "loupe_f32_conv_nchw_nhwc__\(path.rawValue) (reads NCHW)" + (fused == nil ? "" : floatHardSwishSuffix)
        guard let b else { return .kernel(name) }

        let geometry = windowGeometry(geo, geo.window)
        let o = geo.o
        let packed = AlignedBuffer(bytes: withUnsafePointer(to: geometry) { loupe_f32_conv_nchw_packed_size($0, o) })
        let w = weights.floats  // OIHW
        precondition(w.count == o * geo.c * geo.kh * geo.kw)
        w.withUnsafeBufferPointer { wp in
            withOptional(bias) { bp in
                withUnsafePointer(to: geometry) { loupe_f32_conv_nchw_pack($0, o, wp.baseAddress, bp, packed.pointer) }
            }
        }
        let params = loupe_f32_dwconv_params(min: a.outputMin, max: a.outputMax, hardswish: fused == nil ? 0 : 1)
        let out = fused?.output ?? y
        let rows = geo.n * geo.oh
        let parts = b.threads > 1 ? Swift.max(1, Swift.min(rows, b.threads * 4)) : 1
        let rowsPerPart = (rows + parts - 1) / parts
        let count = (rows + rowsPerPart - 1) / rowsPerPart
        let pw = UnsafeRawPointer(packed.pointer)
        // A graph input (the photo) is read straight from the caller's tensor.
        b.addStep(node, .kernel(name), reads: [nchw], writes: [out], owned: [packed], readsInPlace: [nchw]) { bind in
            let read = bind.readInPlace(nchw)
            let py = bind.floats(out)
            let task = ParallelTask(count: count) { i in
                let px = read().assumingMemoryBound(to: Float.self)
                withUnsafePointer(to: geometry) { g in
                    withUnsafePointer(to: params) {
                        loupe_f32_conv_nchw_nhwc__isa(isa, g, o, i * rowsPerPart, Swift.min(rows, (i + 1) * rowsPerPart),
                                                      px, pw, py, $0)
                    }
                }
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// The placement of a float transpose that its convolution's step reads through (see
    /// `fusableFirstConv`), recorded without a step of its own; nil when the node is not one.
    static func fusedFirstConvTransposePlacement(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement? {
        guard case .transpose = node.op, let y = node.outputs.first, !y.isEmpty,
              let conv = graph.nodes.first(where: { $0.inputs.first == y }),
              let (_, t, _) = try fusableFirstConv(conv, graph), t.name == node.name else { return nil }
        let placement = Placement.kernel("fused into '\(conv.name)': loupe_f32_conv_nchw_nhwc reads NCHW")
        b?.addElided(node, placement)
        return placement
    }
}
