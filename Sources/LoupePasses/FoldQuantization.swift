import LoupeIR

/// Folds QuantizeLinear/DequantizeLinear pairs (QDQ ONNX from ONNX Runtime's quantize_static
/// or Loupe's calibrator) into the ops between them, which then read and write int8 codes;
/// `Graph.quantization` gets the scale and zero point of every int8 value.
///
/// Before (NCHW, as imported):
/// ```
/// %xq = Q(%x, 0.02, -3 : i8)
/// %xd = DQ(%xq, 0.02, -3);  %wd = DQ(%w : i8[16x3x3x3] const, %sw[16], 0, axis 0)
/// %bd = DQ(%b : i32[16] const, %sb[16], 0)
/// %c  = Conv(%xd, %wd, %bd) [out ∈ [0, ∞)]
/// %cq = Q(%c, 0.05, -128 : i8);  %y = DQ(%cq, 0.05, -128)
/// ```
/// After:
/// ```
/// %xq = Q(%x, 0.02, -3 : i8)
/// %cq = Conv(%xq : i8, %w : i8 const, %b : i32 const) [out ∈ [0, ∞)]   // int8 out
/// %y  = DQ(%cq, 0.05, -128)
/// quantization: %xq scale 0.02 zp -3; %w per-axis(0) %sw; %b per-axis(0) 0.02·%sw; %cq 0.05 zp -128
/// ```
///
/// Guards, for each op with an int8 form in the op catalogue (`Op.int8Form`: Conv, Gemm and
/// MatMul with constant weights, Add, Mul, the average pools, MaxPool, every activation,
/// Concat, data movement):
/// - each activation input comes from a per-tensor DequantizeLinear of int8 codes;
/// - weights come from a DequantizeLinear of an int8 constant with zero points 0, per tensor
///   or per output channel (axis 0 of an OIHW conv weight; the N axis of a Gemm B, 0 when
///   transB else 1; axis 1 of a MatMul B [K, N]);
/// - a bias is a float constant or a DequantizeLinear of a constant; it is requantized to
///   int32 at scale input·weight[c] unless it already is exactly that (ONNX Runtime's);
/// - the output is not a graph output, and a per-tensor QuantizeLinear to int8 reads it
///   (data movement and MaxPool keep their input's parameters: when the Q that follows wants
///   others, the op still runs in int8 and a DQ→Q requantization pair follows it);
/// - Gemm: A not transposed (CanonicalizeGemm inserts the Transpose), alpha > 0 (folded into
///   the weight scales), beta folded into the bias.
/// Ops that fail a guard stay float32 between explicit DQ and Q nodes, and
/// `Graph.floatIslands[node]` says why. Fused conv/gemm clamps stay in real units.
///
/// Preparation (see FoldQuantization+Codes.swift): uint8 codes become int8 (zero point
/// −128); DQ moves below data movement and Q above it; DQ→Q pairs with equal parameters
/// cancel. Afterwards a DQ of a constant that no int8 op took (a float island's weights)
/// becomes a float constant.
///
/// Runs after FuseActivations and dead-code elimination (the patterns are NCHW and see
/// clamps already fused) and before LiftOneDimensional / ConvertToNHWC.
public struct FoldQuantization: GraphPass {
    public let name = "fold-quantization"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        guard graph.nodes.contains(where: { $0.op.isQuantize || $0.op.isDequantize }) else { return false }
        try graph.inferTypes()
        var changed = normalizeUInt8(&graph)
        for _ in 0..<8 {
            if changed { try graph.inferTypes() }
            guard try moveConversions(&graph) else { break }
            changed = true
        }
        try graph.inferTypes()
        changed = try foldOps(&graph) || changed
        changed = foldDequantizedConstants(&graph) || changed
        _ = try EliminateDeadCode().run(on: &graph)
        try graph.inferTypes()
        PropagateQuantization.fill(&graph)
        let names = Set(graph.nodes.map(\.name))
        graph.floatIslands = graph.floatIslands.filter { names.contains($0.key) }
        return changed
    }

    /// Rewrites every node that touches quantized data (reads a DQ or feeds a Q); records the
    /// reason for each one it leaves in float.
    func foldOps(_ graph: inout Graph) throws -> Bool {
        var changed = false
        var i = 0
        while i < graph.nodes.count {
            let node = graph.nodes[i]
            if node.op.isQuantize || node.op.isDequantize { i += 1; continue }
            let producers = graph.producers()
            let consumers = graph.consumers()
            let readsDQ = node.inputs.contains { v in producers[v].map { graph.nodes[$0].op.isDequantize } ?? false }
            let feedsQ = node.outputs.contains { v in (consumers[v] ?? []).contains { graph.nodes[$0].op.isQuantize } }
            guard readsDQ || feedsQ else { i += 1; continue }
            do {
                let inserted = try fold(at: i, in: &graph, producers: producers, consumers: consumers)
                graph.floatIslands[node.name] = nil
                changed = true
                i += 1 + inserted
            } catch {
                graph.floatIslands[node.name] = error.reason
                i += 1
            }
        }
        return changed
    }

    /// An activation input: int8 codes and their per-tensor parameters.
    struct Activation {
        var codes: String
        var params: QDQOperands
        var isConstant: Bool
    }

    func activation(_ v: String, _ graph: Graph, _ producers: [String: Int], allowConstant: Bool = false) throws(NotFolded) -> Activation {
        guard let p = producers[v], graph.nodes[p].op.isDequantize else {
            if graph.initializers[v] != nil { throw NotFolded("input '\(v)' is a float constant, not quantized") }
            throw NotFolded("input '\(v)' does not come from a DequantizeLinear")
        }
        let params = try graph.qdqOperands(of: graph.nodes[p])
        guard params.isPerTensor else {
            throw NotFolded("input '\(v)' is dequantized per axis (axis \(params.axis!)); int8 activations have one scale")
        }
        guard params.codeType == .int8 else {
            throw NotFolded("input '\(v)' is dequantized from \(params.codeType) codes, not int8")
        }
        let codes = graph.nodes[p].inputs[0]
        let constant = graph.initializers[codes] != nil
        if constant && !allowConstant { throw NotFolded("input '\(v)' is a quantized constant where an activation is expected") }
        return Activation(codes: codes, params: params, isConstant: constant)
    }

    /// A QC8 weight: int8 constant codes and one scale per slice along `axis`.
    struct Weight {
        var codes: String
        var tensor: Tensor
        var scales: [Float]
    }

    func weight(_ v: String, axis: Int, rank: Int, _ graph: Graph, _ producers: [String: Int]) throws(NotFolded) -> Weight {
        guard let p = producers[v], graph.nodes[p].op.isDequantize else {
            if graph.initializers[v] != nil { throw NotFolded("weight '\(v)' is a float constant, not quantized") }
            throw NotFolded("weight '\(v)' is not a dequantized constant")
        }
        let params = try graph.qdqOperands(of: graph.nodes[p])
        let codes = graph.nodes[p].inputs[0]
        guard let t = graph.initializers[codes] else { throw NotFolded("weight '\(v)' is not a constant") }
        guard t.shape.count == rank else { throw NotFolded("weight '\(v)' has rank \(t.shape.count), expected \(rank)") }
        guard params.codeType == .int8 else {
            throw NotFolded("weight '\(v)' has \(params.codeType) codes that could not be mapped to int8")
        }
        guard params.zeroPoints.allSatisfy({ $0 == 0 }) else {
            let zp = params.zeroPoints.first { $0 != 0 }!
            throw NotFolded("weight '\(v)' has zero point \(zp) (asymmetric); int8 weights must be symmetric (QC8, zero point 0)")
        }
        let channels = t.shape[axis]
        if let a = params.axis {
            guard a == axis else {
                throw NotFolded("weight '\(v)' is quantized along axis \(a); QC8 needs the output-channel axis \(axis)")
            }
            return Weight(codes: codes, tensor: t, scales: params.scales)
        }
        return Weight(codes: codes, tensor: t, scales: Array(repeating: params.scales[0], count: channels))
    }

    /// An int32 bias at `scales` (input scale · weight scale per channel), `channels` long.
    func bias(_ v: String?, scales: [Float], beta: Float, _ graph: Graph, _ producers: [String: Int]) throws(NotFolded) -> (base: String, tensor: Tensor)? {
        guard let v else { return nil }
        let channels = scales.count
        var real: [Float]
        var base = v
        if let c = graph.initializers[v] {
            guard c.dtype.isFloat else { throw NotFolded("bias '\(v)' is a \(c.dtype) constant") }
            real = c.floats
        } else if let p = producers[v], graph.nodes[p].op.isDequantize,
                  let codes = graph.initializers[graph.nodes[p].inputs[0]] {
            let params = try graph.qdqOperands(of: graph.nodes[p])
            base = graph.nodes[p].inputs[0]
            // ONNX Runtime writes the bias at exactly input · weight scale: keep its codes.
            if codes.dtype == .int32, codes.count == channels, beta == 1, params.zeroPoints.allSatisfy({ $0 == 0 }),
               (0..<channels).allSatisfy({ c in
                   let s = params.scales[params.isPerTensor ? 0 : c]
                   return abs(s - scales[c]) <= 1e-6 * scales[c]
               }) {
                return (base, Tensor(shape: [channels], ints: codes.ints, dtype: .int32))
            }
            real = params.quantization.dequantize(codes).floats
        } else {
            throw NotFolded("bias '\(v)' is not a constant")
        }
        guard real.count == channels || real.count == 1 else {
            throw NotFolded("bias '\(v)' has \(real.count) elements for \(channels) output channels")
        }
        if real.count == 1 { real = Array(repeating: real[0], count: channels) }
        if beta != 1 { real = real.map { $0 * beta } }
        return (base + "::q", Tensor(shape: [channels], ints: quantizeBias(real, scales: scales), dtype: .int32))
    }

    /// Folds node `i`; returns how many nodes were inserted after it.
    func fold(at i: Int, in graph: inout Graph, producers: [String: Int], consumers: [String: [Int]]) throws(NotFolded) -> Int {
        let node = graph.nodes[i]
        guard let form = node.op.int8Form else {
            if case .batchNormalization = node.op {
                // ONNX Runtime quantizes a Conv→BatchNormalization pair as two ops; the fold
                // into the conv has to happen before quantization (its quant_pre_process).
                throw NotFolded("BatchNormalization has no int8 form in Loupe (quantize a model with BatchNormalization folded into the conv)")
            }
            throw NotFolded("\(node.op.onnxName) has no int8 form in Loupe")
        }
        guard node.outputs.count == 1 else {
            throw NotFolded("\(node.op.onnxName) with \(node.outputs.count) outputs has no int8 form (MaxPool's Indices)")
        }
        let y = node.outputs[0]
        guard !graph.isGraphOutput(y) else { throw NotFolded("its output '\(y)' is a graph output, which stays float32") }

        // The QuantizeLinear that gives the output its parameters.
        var outQ: (index: Int, params: QDQOperands)? = nil
        var outReason = "no QuantizeLinear reads its output '\(y)'"
        for k in consumers[y] ?? [] where graph.nodes[k].op.isQuantize && graph.nodes[k].inputs[0] == y {
            do {
                let p = try graph.qdqOperands(of: graph.nodes[k])
                if !p.isPerTensor { outReason = "its output '\(y)' is quantized per axis"; continue }
                if p.codeType != .int8 { outReason = "its output '\(y)' is quantized to \(p.codeType), not int8"; continue }
                outQ = (k, p)
                break
            } catch {
                outReason = error.reason
            }
        }

        var op = node.op
        var inputs = node.inputs
        var entries: [(String, ValueQuantization)] = []
        var constants: [(base: String, tensor: Tensor, q: ValueQuantization, input: Int)] = []
        var outParams: QDQOperands

        func take(_ a: Activation, at index: Int) {
            inputs[index] = a.codes
            if a.isConstant, let t = graph.initializers[a.codes] {
                constants.append((a.codes, t, a.params.quantization, index))
            } else {
                entries.append((a.codes, a.params.quantization))
            }
        }
        func requireOutput() throws(NotFolded) -> QDQOperands {
            guard let outQ else { throw NotFolded(outReason) }
            return outQ.params
        }

        switch form {
        case .conv:
            guard let x = node.input(0), let w = node.input(1) else { throw NotFolded("Conv lacks an input") }
            let a = try activation(x, graph, producers)
            let rank = graph.type(of: w)?.rank ?? 0
            let wt = try weight(w, axis: 0, rank: rank, graph, producers)
            outParams = try requireOutput()
            let biasScales = wt.scales.map { a.params.scales[0] * $0 }
            let b = try bias(node.input(2), scales: biasScales, beta: 1, graph, producers)
            take(a, at: 0)
            constants.append((wt.codes, wt.tensor, .perChannel(scales: wt.scales, axis: 0), 1))
            if let b { constants.append((b.base, b.tensor, .perChannel(scales: biasScales, axis: 0), 2)) }
        case .gemm:
            guard case .gemm(var attrs) = node.op, let x = node.input(0), let w = node.input(1) else {
                throw NotFolded("Gemm lacks an input")
            }
            guard !attrs.transA else { throw NotFolded("Gemm with transA has no int8 form (A must be [M, K])") }
            guard attrs.alpha > 0 else { throw NotFolded("Gemm alpha \(attrs.alpha) is not positive (folded into the weight scales)") }
            let a = try activation(x, graph, producers)
            let axis = attrs.transB ? 0 : 1
            var wt = try weight(w, axis: axis, rank: 2, graph, producers)
            wt.scales = wt.scales.map { $0 * attrs.alpha }
            outParams = try requireOutput()
            let biasScales = wt.scales.map { a.params.scales[0] * $0 }
            let b = try bias(attrs.beta == 0 ? nil : node.input(2), scales: biasScales, beta: attrs.beta, graph, producers)
            take(a, at: 0)
            constants.append((wt.codes, wt.tensor, .perChannel(scales: wt.scales, axis: axis), 1))
            if let b {
                constants.append((b.base, b.tensor, .perChannel(scales: biasScales, axis: 0), 2))
            } else if inputs.count > 2 {
                inputs.removeLast(inputs.count - 2)
            }
            attrs.alpha = 1
            attrs.beta = 1
            op = .gemm(attrs)
        case .matMul:
            guard let x = node.input(0), let w = node.input(1) else { throw NotFolded("MatMul lacks an input") }
            guard let xr = graph.type(of: x)?.rank, xr >= 2 else { throw NotFolded("MatMul A of rank < 2 has no int8 form") }
            let a = try activation(x, graph, producers)
            let wt = try weight(w, axis: 1, rank: 2, graph, producers)
            outParams = try requireOutput()
            take(a, at: 0)
            constants.append((wt.codes, wt.tensor, .perChannel(scales: wt.scales, axis: 1), 1))
        case .elementwise:
            let a = try activation(node.inputs[0], graph, producers, allowConstant: true)
            let b = try activation(node.inputs[1], graph, producers, allowConstant: true)
            guard !(a.isConstant && b.isConstant) else { throw NotFolded("both operands are constants") }
            outParams = try requireOutput()
            take(a, at: 0)
            take(b, at: 1)
        case .average:
            let a = try activation(node.inputs[0], graph, producers)
            outParams = try requireOutput()
            take(a, at: 0)
        case .lookupTable:
            let a = try activation(node.inputs[0], graph, producers)
            for (k, v) in node.inputs.enumerated().dropFirst() where !v.isEmpty {
                guard let c = graph.initializers[v], c.dtype.isFloat else {
                    throw NotFolded("input \(k) '\(v)' is not a float constant (a lookup table needs constant bounds)")
                }
            }
            outParams = try requireOutput()
            take(a, at: 0)
        case .concat:
            var acts: [Activation] = []
            for v in node.inputs { acts.append(try activation(v, graph, producers)) }
            outParams = try requireOutput()
            for (k, a) in acts.enumerated() { take(a, at: k) }
        case .sameParameters:
            let a = try activation(node.inputs[0], graph, producers)
            for (k, v) in node.inputs.enumerated().dropFirst() where !v.isEmpty && graph.initializers[v] == nil {
                throw NotFolded("input \(k) '\(v)' is not constant")
            }
            outParams = a.params
            take(a, at: 0)
        }

        // The same codes dequantized with other parameters elsewhere cannot carry one entry.
        for (v, q) in entries where graph.quantization[v].map({ $0 != q }) ?? false {
            throw NotFolded("'\(v)' is dequantized with two different parameters")
        }

        // Checks passed: rewrite.
        for (v, q) in entries { graph.quantization[v] = q }
        for c in constants { inputs[c.input] = intern(c.base, c.tensor, c.q, in: &graph) }
        var inserted = 0
        var rewritten = node
        rewritten.op = op
        rewritten.inputs = inputs
        let sameAsQ = outQ.map { $0.params.sameValues(as: outParams) } ?? false
        if let outQ, sameAsQ {
            let q = graph.nodes[outQ.index]
            let out = q.outputs[0]
            rewritten.outputs = [out]
            graph.quantization[out] = outParams.quantization
            graph.nodes[i] = rewritten
            graph.nodes.remove(at: outQ.index)
            if (consumers[y] ?? []).count > 1 {
                graph.nodes.insert(dequantize(out, q.inputs[1], q.input(2), y, node), at: i + 1)
                inserted = 1
            }
        } else {
            // Same-parameter ops whose Q wants other parameters: int8 op, then DQ→Q.
            let out = graph.freshName("\(y)::q")
            rewritten.outputs = [out]
            graph.quantization[out] = outParams.quantization
            graph.nodes[i] = rewritten
            graph.nodes.insert(dequantize(out, outParams.scaleName, outParams.zeroPointName.isEmpty ? nil : outParams.zeroPointName, y, node),
                               at: i + 1)
            inserted = 1
        }
        return inserted
    }

    private func dequantize(_ codes: String, _ scale: String, _ zeroPoint: String?, _ y: String, _ node: Node) -> Node {
        Node(name: "\(node.name)::dq", op: .dequantizeLinear(axis: 1),
             inputs: [codes, scale] + (zeroPoint.map { [$0] } ?? []), outputs: [y], origin: node.origin)
    }

    /// Stores `tensor` as a constant with quantization `q`: under `base` when that name holds
    /// this tensor with no or the same parameters, else under a fresh name.
    private func intern(_ base: String, _ tensor: Tensor, _ q: ValueQuantization, in graph: inout Graph) -> String {
        if graph.initializers[base] == tensor, graph.quantization[base].map({ $0 == q }) ?? true {
            graph.quantization[base] = q
            return base
        }
        if graph.initializers[base] == nil {
            graph.initializers[base] = tensor
            graph.quantization[base] = q
            return base
        }
        let name = graph.freshName(base.hasSuffix("::q") ? base : base + "::q")
        graph.initializers[name] = tensor
        graph.quantization[name] = q
        return name
    }

    /// Turns each remaining `DQ(constant)` into a float constant (a float island's weights).
    func foldDequantizedConstants(_ graph: inout Graph) -> Bool {
        var changed = false
        graph.nodes = graph.nodes.filter { node in
            guard node.op.isDequantize, let x = node.input(0), let codes = graph.initializers[x],
                  !graph.isGraphOutput(node.outputs[0]),
                  let params = try? graph.qdqOperands(of: node) else { return true }
            graph.initializers[node.outputs[0]] = params.quantization.dequantize(codes)
            graph.types[node.outputs[0]] = nil
            changed = true
            return false
        }
        return changed
    }
}
