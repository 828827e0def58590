import CXNNPACK
import Foundation
import LoupeIR
import LoupeKernels

/// Int8 lowering (after `FoldQuantization`): a node whose activations are int8 codes runs on
/// XNNPACK's qc8/qs8/s8/x8 operators or on Loupe's x8 kernels. Quantization parameters come
/// from `Graph.quantization`; every parameter XNNPACK checks (or asserts on: the Debian build
/// aborts) is validated here first, with the reason reported as `Unsupported`.
extension Lowering {
    /// True when the node reads or writes int8 activations (constants do not count: int8
    /// weights of a float node are refused by the float lowering). QuantizeLinear and
    /// DequantizeLinear are the converts at the border and lower on their own.
    public static func runsOnInt8(_ node: Node, _ graph: Graph) -> Bool {
        if node.op.isQuantize || node.op.isDequantize { return false }
        for v in node.inputs + node.outputs where !v.isEmpty && graph.constant(v) == nil {
            if graph.type(of: v)?.dtype == .int8 { return true }
        }
        return false
    }

    /// One exhaustive switch: which ops have an int8 lowering, and why the others do not.
    static func lowerInt8(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let inFloat = "has no int8 lowering: FoldQuantization should leave it in float32 (DequantizeLinear before, QuantizeLinear after)"
        if let fused = try fusedActivationPlacement(node, graph, into: b) { return fused }
        switch node.op {
        case .conv(let a): return try lowerConvQC8(node, graph, a, into: b)
        case .gemm(let a): return try lowerGemmQC8(node, graph, a, into: b)
        case .matMul: return try lowerMatMulQC8(node, graph, into: b)
        case .binary(let op): return try lowerBinaryQS8(node, graph, op, into: b)
        case .unary(let op): return try lowerUnaryInt8(node, graph, op, into: b)
        case .clip:
            let lo = try constantFloats(node, graph, 1, "min")?.first ?? -.infinity
            let hi = try constantFloats(node, graph, 2, "max")?.first ?? .infinity
            guard !lo.isNaN, !hi.isNaN else { throw Unsupported("Clip bounds must not be NaN") }
            // min ≥ max sets every value to max (numpy.clip); the table says so directly.
            return try emitLUT(node, graph, b, label: "Clip", loupe_lut_clip, Double(Swift.min(lo, hi)), Double(hi))
        case .leakyRelu(let alpha):
            guard alpha.isFinite else { throw Unsupported("LeakyRelu alpha \(alpha) is not finite") }
            return try emitLUT(node, graph, b, label: "LeakyRelu", loupe_lut_leaky_relu, Double(alpha), 0)
        case .elu(let alpha):
            guard alpha.isFinite else { throw Unsupported("Elu alpha \(alpha) is not finite") }
            return try emitLUT(node, graph, b, label: "Elu", loupe_lut_elu, Double(alpha), 0)
        case .hardSigmoid(let alpha, let beta):
            guard alpha.isFinite, beta.isFinite else { throw Unsupported("HardSigmoid alpha/beta must be finite") }
            return try emitLUT(node, graph, b, label: "HardSigmoid", loupe_lut_hardsigmoid, Double(alpha), Double(beta))
        case .gelu(let tanhApproximation):
            return try emitLUT(node, graph, b, label: "Gelu", tanhApproximation ? loupe_lut_gelu_tanh : loupe_lut_gelu, 0, 0)
        case .swish(let alpha):
            guard alpha.isFinite else { throw Unsupported("Swish alpha \(alpha) is not finite") }
            return try emitLUT(node, graph, b, label: "Swish", loupe_lut_swish, Double(alpha), 0)
        case .globalAveragePool(let layout): return try lowerGlobalAveragePoolQS8(node, graph, layout: layout, into: b)
        case .maxPool(let a): return try lowerMaxPoolS8(node, graph, a, into: b)
        case .averagePool(let a): return try lowerAveragePoolS8(node, graph, a, into: b)
        case .concat(let axis): return try lowerConcatInt8(node, graph, axis: axis, into: b)
        case .flatten, .reshape, .squeeze, .unsqueeze: return try lowerAliasInt8(node, graph, into: b)
        case .identity, .dropout: return try lowerCopyInt8(node, graph, into: b)
        case .transpose(let perm): return try lowerTransposeInt8(node, graph, perm: perm, into: b)
        case .slice: return try lowerSlice(node, graph, int8: true, into: b)
        case .resize(let a): return try lowerResize(node, graph, a, int8: true, into: b)
        case .gather(let axis): return try lowerGather(node, graph, axis: axis, int8: true, into: b)
        case .depthSpace(let a): return try lowerDepthSpace(node, graph, a, int8: true, into: b)
        case .prelu:
            throw Unsupported("int8 PRelu: a per-channel slope is not one lookup table; \(inFloat)")
        case .compare, .select, .convTranspose, .batchNormalization, .batchNormalizationTraining, .layerNormalization, .split, .mod,
             .globalMaxPool, .reduce, .pad, .softmax, .shape, .cast,
             .constantOfShape, .expand:
            throw Unsupported("int8 \(node.op.onnxName) \(inFloat)")
        case .quantizeLinear, .dequantizeLinear:
            preconditionFailure("converts are lowered by lowerQuantizeLinear/lowerDequantizeLinear")
        case .unsupported(let opType, let domain, let reason):
            throw Unsupported("\(domain.isEmpty ? "" : domain + ".")\(opType) is not representable: \(reason)")
        }
    }

    // MARK: parameters

    static func checkScale(_ s: Float, _ what: String) throws {
        // XNNPACK rejects scales that are not positive normal floats (and asserts in places).
        guard s > 0, s.isNormal, s.isFinite else { throw Unsupported("\(what) scale \(s) must be a positive normal float") }
    }

    /// Per-tensor parameters of an int8 activation: `Graph.quantization`, or the constant
    /// scale / zero point of the QuantizeLinear that produces it.
    static func quantParams(_ value: String, _ graph: Graph, _ what: String) throws -> ValueQuantization {
        var q = graph.quantization[value]
        if q == nil, let producer = graph.nodes.first(where: { $0.outputs.first == value }),
           case .quantizeLinear = producer.op, let s = producer.input(1).flatMap(graph.constant), s.count == 1 {
            let zp = producer.input(2).flatMap(graph.constant)?.ints.first ?? 0
            q = .perTensor(scale: s.floats[0], zeroPoint: Int32(truncatingIfNeeded: zp))
        }
        guard let q else {
            throw Unsupported("\(what) '\(value)' is int8 but has no quantization parameters (Graph.quantization)")
        }
        guard q.isPerTensor else {
            throw Unsupported("\(what) '\(value)' is quantized per axis (\(q)); int8 activations must be per tensor")
        }
        try checkScale(q.scale, "\(what) '\(value)'")
        guard q.zeroPoint >= -128, q.zeroPoint <= 127 else {
            throw Unsupported("\(what) '\(value)' zero point \(q.zeroPoint) is outside int8")
        }
        return q
    }

    /// A non-constant int8 input with its static shape and parameters.
    static func int8Activation(_ node: Node, _ graph: Graph, _ i: Int, _ what: String) throws -> (String, [Int], ValueQuantization) {
        let v = try input(node, i, what)
        if graph.constant(v) != nil { throw Unsupported("\(what) '\(v)' is a constant (expected an int8 activation)") }
        return (v, try shape(v, graph, what, dtype: .int8), try quantParams(v, graph, what))
    }

    /// The int8 output with the shape the lowering computes, and its parameters.
    static func int8Output(_ node: Node, _ graph: Graph, _ computed: [Int]) throws -> (String, ValueQuantization) {
        let y = try expectOutput(node, graph, computed, dtype: .int8)
        return (y, try quantParams(y, graph, "output"))
    }

    /// Codes of a fused real output range [lo, hi]; XNNPACK needs min < max.
    static func codeRange(_ lo: Float, _ hi: Float, _ q: ValueQuantization) throws -> (Int8, Int8) {
        try checkRange(lo, hi)
        let (a, b) = (q.quantize(lo), q.quantize(hi))
        guard a < b else {
            throw Unsupported("fused output range [\(lo), \(hi)] collapses to int8 code \(a) at \(q) (XNNPACK needs min < max)")
        }
        return (a, b)
    }

    /// Int8 weights with one symmetric scale per slice along `axis` (QC8): a per-tensor
    /// scale is repeated; zero points must be 0.
    static func qc8Weights(_ name: String, _ graph: Graph, axis: Int, channels: Int) throws -> (codes: [Int8], scales: [Float]) {
        guard let t = graph.constant(name), t.dtype == .int8 else {
            throw Unsupported("weights '\(name)' must be an int8 constant (got \(graph.type(of: name).map(\.description) ?? "a non-constant"))")
        }
        guard let q = graph.quantization[name] else { throw Unsupported("int8 weights '\(name)' have no scales (Graph.quantization)") }
        guard q.zeroPoints.allSatisfy({ $0 == 0 }) else {
            throw Unsupported("weights '\(name)' have non-zero zero points: XNNPACK's QC8 weights are symmetric")
        }
        var scales = q.scales
        if q.isPerTensor {
            scales = [Float](repeating: q.scale, count: channels)
        } else {
            let a = q.axis! < 0 ? q.axis! + t.shape.count : q.axis!
            guard a == axis, scales.count == channels else {
                throw Unsupported("weights '\(name)' are quantized along axis \(q.axis!) with \(scales.count) scales; expected \(channels) along axis \(axis) (the output channels)")
            }
        }
        for (c, s) in scales.enumerated() { try checkScale(s, "weights '\(name)' channel \(c)") }
        return (t.int8Values ?? t.ints.map { Int8(truncatingIfNeeded: $0) }, scales)
    }

    /// Int32 bias codes in units of input scale · weight scale[c] (what XNNPACK adds to the
    /// accumulator). An int32 bias at another scale, or a float bias, is requantized.
    static func qc8Bias(_ name: String?, _ graph: Graph, channels: Int, inputScale: Float, weightScales: [Float],
                        multiplier: Double = 1) throws -> [Int32]? {
        guard let name else { return nil }
        guard let t = graph.constant(name) else { throw Unsupported("bias '\(name)' must be constant") }
        guard t.count == channels || t.count == 1 else {
            throw Unsupported("bias '\(name)' \(t.shape) does not have \(channels) values")
        }
        let expected = weightScales.map { Double(inputScale) * Double($0) }
        var real: [Double]
        switch t.dtype {
        case .int32:
            let q = graph.quantization[name]
            guard q?.zeroPoints.allSatisfy({ $0 == 0 }) ?? true else { throw Unsupported("bias '\(name)' has a non-zero zero point") }
            let codes = t.ints
            // Without parameters the bias is taken at the scale QC8 expects.
            real = (0..<channels).map { c in
                let s = q.map { Double($0.scales.count == 1 ? $0.scales[0] : $0.scales[c]) } ?? expected[c]
                return Double(codes[t.count == 1 ? 0 : c]) * s
            }
        case .float32, .float16, .float64:
            let v = t.floats
            real = (0..<channels).map { Double(v[t.count == 1 ? 0 : $0]) }
        case .int8, .uint8, .int16, .uint16, .int64, .uint32, .uint64, .bool:
            throw Unsupported("bias '\(name)' is \(t.dtype); expected int32 codes or float")
        }
        real = real.map { $0 * multiplier }
        return try (0..<channels).map { c in
            let r = (real[c] / expected[c]).rounded(.toNearestOrEven)
            guard r.isFinite, abs(r) <= Double(Int32.max) else {
                throw Unsupported("bias '\(name)' channel \(c) overflows int32 at scale \(expected[c])")
            }
            return Int32(r)
        }
    }

    // MARK: converts at the float/int8 border

    /// The one scale and int8 zero point of a QuantizeLinear/DequantizeLinear node.
    static func convertParams(_ node: Node, _ graph: Graph) throws -> ValueQuantization {
        guard let sName = node.input(1), let s = graph.constant(sName) else {
            throw Unsupported("the scale must be a constant")
        }
        guard s.count == 1 else { throw Unsupported("per-axis \(node.op.onnxName) of an activation (\(s.count) scales) has no XNNPACK convert") }
        var zp: Int64 = 0
        if let zName = node.input(2) {
            guard let z = graph.constant(zName) else { throw Unsupported("the zero point must be a constant") }
            guard z.dtype == .int8 else {
                throw Unsupported("zero point of type \(z.dtype): only int8 codes run (FoldQuantization maps uint8 to int8)")
            }
            zp = z.ints.first ?? 0
        }
        let scale = s.floats[0]
        try checkScale(scale, node.op.onnxName)
        guard (1 / scale).isFinite else { throw Unsupported("scale \(scale) has no finite reciprocal") }
        guard zp >= -128, zp <= 127 else { throw Unsupported("zero point \(zp) is outside int8") }
        return .perTensor(scale: scale, zeroPoint: Int32(zp))
    }

    /// QuantizeLinear float32 → int8 with one scale → `xnn_create_convert_nc_f32_qs8`; when
    /// `fusableNCHWToNHWC` finds the layout's transpose after it, the own
    /// `loupe_f32_qs8_nchw_to_nhwc` instead, which writes the transpose's output.
    static func lowerQuantizeLinear(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_convert_nc_f32_qs8"
        let (x, xs) = try activation(node, graph, 0, "X")
        let q = try convertParams(node, graph)
        let y = try expectOutput(node, graph, xs, dtype: .int8)
        if let (path, transposed) = try fusableNCHWToNHWC(after: node, graph) {
            return emitQuantizeToNHWC(node, b, path, x: x, shape: xs, q: q, y: transposed)
        }
        guard let b else { return .xnnpack(name) }
        let channels = xs.last ?? 1, batch = xs.dropLast().reduce(1, *)
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_convert_nc_f32_qs8(channels, channels, channels, q.scale, q.int8ZeroPoint, -128, 127, 0, $0)
        }
        // A graph input is converted straight from the caller's tensor: the operator is set
        // up again each run with its address (a setup stores pointers; it does no work).
        b.addStep(node, .xnnpack(name), reads: [x], writes: [y], owned: [op], readsInPlace: [x]) { bind in
            let py = bind.int8s(y)
            guard let slot = bind.slot(x) else {
                try Backend.check(loupe_xnn_setup_convert_nc_f32_qs8(op.op, batch, bind.floats(x), py, bind.pool),
                                  "xnn_setup_convert_nc_f32_qs8", node)
                return { pool in _ = loupe_xnn_run_operator(op.op, pool) }
            }
            // Checked once here (a setup only stores the addresses: the output's stands in).
            let pool = bind.pool
            try Backend.check(loupe_xnn_setup_convert_nc_f32_qs8(op.op, batch, UnsafePointer(OpaquePointer(py)), py, pool),
                              "xnn_setup_convert_nc_f32_qs8", node)
            return { runPool in
                let px = slot.pointer!.assumingMemoryBound(to: Float.self)
                _ = loupe_xnn_setup_convert_nc_f32_qs8(op.op, batch, px, py, pool)
                _ = loupe_xnn_run_operator(op.op, runPool)
            }
        }
        return .xnnpack(name)
    }

    /// DequantizeLinear int8 → float32 with one scale → `xnn_create_convert_nc_qs8_f32`.
    static func lowerDequantizeLinear(_ node: Node, _ graph: Graph, axis: Int, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_convert_nc_qs8_f32"
        let x = try input(node, 0, "X")
        if graph.constant(x) != nil { throw Unsupported("DequantizeLinear of a constant should have been folded") }
        let xs = try shape(x, graph, "X", dtype: .int8)
        let q = try convertParams(node, graph)
        let y = try expectOutput(node, graph, xs)
        guard let b else { return .xnnpack(name) }
        let channels = xs.last ?? 1, batch = xs.dropLast().reduce(1, *)
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_convert_nc_qs8_f32(channels, channels, channels, q.scale, q.int8ZeroPoint, 0, $0)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_convert_nc_qs8_f32(op.op, batch, bind.int8s(x), bind.floats(y), bind.pool),
                              "xnn_setup_convert_nc_qs8_f32", node)
        }
        return .xnnpack(name)
    }

    // MARK: lookup tables

    /// A table built from the input and output parameters, kept alive by the step.
    static func lutTable(_ f: loupe_lut_function, _ p0: Double, _ p1: Double, _ qx: ValueQuantization, _ qy: ValueQuantization) throws -> AlignedBuffer {
        var table = [UInt8](repeating: 0, count: 256)
        guard loupe_x8_lut_build(f, p0, p1, qx.scale, Int32(qx.int8ZeroPoint), qy.scale, Int32(qy.int8ZeroPoint), &table) == 0 else {
            throw Unsupported("lookup table refused the parameters in \(qx), out \(qy)")
        }
        return PlanBuilder.store(table)
    }

    /// An elementwise int8 function as a 256-entry table → `loupe_x8_lut`, split into chunks
    /// across the pool.
    static func emitLUT(_ node: Node, _ graph: Graph, _ b: PlanBuilder?, label: String, _ f: loupe_lut_function,
                        _ p0: Double, _ p1: Double) throws -> Placement {
        let name = "loupe_x8_lut (\(label))"
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        let (y, qy) = try int8Output(node, graph, xs)
        let table = try lutTable(f, p0, p1, qx, qy)
        guard let b else { return .kernel(name) }
        let count = xs.reduce(1, *)
        let parts = chunks(count, parts: threadsFor(elements: count, b.threads))
        b.addStep(node, .kernel(name), reads: [x], writes: [y], owned: [table]) { bind in
            let px = bind.int8s(x), py = bind.int8s(y)
            let tp = UnsafePointer(table.pointer.assumingMemoryBound(to: UInt8.self))
            let task = ParallelTask(count: parts.count) { i in
                let r = parts[i]
                loupe_x8_lut(r.count, px + r.lowerBound, py + r.lowerBound, tp)
            }
            return { pool in task.run(pool) }
        }
        return .kernel(name)
    }

    /// Sigmoid with output scale 1/256, zero point −128 → `xnn_create_sigmoid_nc_qs8`.
    static func emitSigmoidQS8(_ node: Node, _ graph: Graph, into b: PlanBuilder?) throws -> Placement {
        let name = "xnn_create_sigmoid_nc_qs8"
        let (x, xs, qx) = try int8Activation(node, graph, 0, "X")
        let (y, qy) = try int8Output(node, graph, xs)
        guard let b else { return .xnnpack(name) }
        let channels = xs.last ?? 1, batch = xs.dropLast().reduce(1, *)
        let op = try XNNOperator.create(name, node) {
            loupe_xnn_create_sigmoid_nc_qs8(channels, channels, channels, qx.int8ZeroPoint, qx.scale, qy.int8ZeroPoint, qy.scale, -128, 127, 0, $0)
        }
        b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
            try Backend.check(loupe_xnn_setup_sigmoid_nc_qs8(op.op, batch, bind.int8s(x), bind.int8s(y), bind.pool),
                              "xnn_setup_sigmoid_nc_qs8", node)
        }
        return .xnnpack(name)
    }
}
