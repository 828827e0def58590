import LoupeIR

/// Phase 2 of QDQ insertion: rewrites the prepared float graph into the standard
/// QuantizeLinear/DequantizeLinear form, given the ``QuantizationPlan`` and the parameters
/// of every calibrated activation.
///
/// Before: `%y = Conv(%x, %w, %b) [clamp 0…6]; %z = Add(%y, %r)`
/// After:
/// ```
/// %x_q = QuantizeLinear(%x, s_x, zp_x);           %x_dq = DequantizeLinear(%x_q, s_x, zp_x)
/// %w_dq = DequantizeLinear(%w_quantized : int8[O,I,kh,kw], s_w : [O], 0 : int8[O]) axis 0
/// %b_dq = DequantizeLinear(%b_quantized : int32[O], s_x·s_w : [O], 0 : int32[O]) axis 0
/// %y = Conv(%x_dq, %w_dq, %b_dq) [clamp 0…6]
/// %y_q = QuantizeLinear(%y, s_y, zp_y);           %y_dq = DequantizeLinear(%y_q, s_y, zp_y)
/// %z = Add(%y_dq, %r_dq) …
/// ```
/// Each int8 activation gets exactly one Q → DQ, read by all its int8 consumers; a float
/// island reads the dequantized value when the producer is int8 and the original float
/// value otherwise. A graph output produced in int8 keeps its name on the DequantizeLinear
/// (the producer writes `"<name>_float"`), so the interface stays float32. Gemm `alpha` is
/// folded into the weights and `beta·C` into a per-column bias. Float weights and biases
/// that nothing reads any more are dropped.
///
/// Weight codes are rounded to nearest (``Quantization/quantizeWeights(_:scales:)``) unless
/// `weightCodes` gives a node's codes (``AdaptiveRounding``): then that node gets its own
/// int8 initializer with those codes and the same per-channel scales.
public enum QDQRewriter {
    /// The rewritten graph (types inferred) and the parameters of every int8 activation
    /// (resolved `.sameAs` / `.fixed` included) and constant stored int8, by original name.
    /// `weightCodes`: int8 codes by node name for weighted nodes whose codes are not the
    /// nearest rounding, output channel first (a Gemm/MatMul weight `[K, N]` as `[N, K]`),
    /// with the scales ``Quantization/weightScales(_:outputChannels:)`` gives.
    public static func rewrite(_ graph: Graph, plan: QuantizationPlan,
                               params: [String: ValueQuantization],
                               weightCodes: [String: [Int8]] = [:]) throws -> (graph: Graph, params: [String: ValueQuantization]) {
        var r = Rewriter(graph: graph, plan: plan)
        r.weightCodes = weightCodes
        for v in plan.activations.keys.sorted() {
            guard let p = plan.resolve(v, params) else {
                throw LoupeError.verification("no quantization parameters for activation '\(v)' (it was never observed)")
            }
            r.resolved[v] = p
        }
        try r.run()
        var g = r.out
        g.types = [:]
        try g.inferTypes()
        return (g, r.resolved)
    }
}

private struct Rewriter {
    let graph: Graph
    let plan: QuantizationPlan
    var out: Graph
    var resolved: [String: ValueQuantization] = [:]
    /// Codes that replace the nearest rounding, by node name, output channel first.
    var weightCodes: [String: [Int8]] = [:]
    private var names: ValueNames
    private var producers: [String: Int]
    /// What int8 consumers / float consumers read in place of an activation.
    private var int8Read: [String: String] = [:]
    private var floatRead: [String: String] = [:]
    /// Original output name → the name its producer writes instead (graph outputs).
    private var renamedOutputs: [String: String] = [:]
    /// Dequantized constants already emitted, by cache key.
    private var emittedConstants: [String: String] = [:]
    private var nodes: [Node] = []

    init(graph: Graph, plan: QuantizationPlan) {
        self.graph = graph
        self.plan = plan
        self.out = graph
        names = ValueNames(graph)
        names.reserve(graph.nodes.map(\.name))
        producers = graph.producers()
    }

    mutating func fresh(_ base: String) -> String { names.fresh(base) }

    mutating func addConstant(_ t: Tensor, _ base: String) -> String {
        let name = fresh(base)
        out.initializers[name] = t
        return name
    }

    mutating func run() throws {
        // Decide the names first: consumers may precede nothing, but a graph output's
        // producer must know its new output name before it is emitted.
        for v in plan.activations.keys.sorted() {
            let producerInt8 = producers[v].map(plan.isInt8) ?? false
            if producerInt8 && graph.isGraphOutput(v) {
                renamedOutputs[v] = fresh("\(v)_float")
                int8Read[v] = v
                floatRead[v] = v
            } else {
                let dq = fresh("\(v)_dequantized")
                int8Read[v] = dq
                floatRead[v] = producerInt8 ? dq : v
            }
        }
        for input in graph.inputs where plan.activations[input.name] != nil {
            emitQDQ(input.name)
        }
        for (i, node) in graph.nodes.enumerated() {
            try emit(i, node)
            for v in node.outputs where plan.activations[v] != nil { emitQDQ(v) }
        }
        out.nodes = nodes
        // Drop constants nothing reads any more (the float weights and biases).
        var used = Set(nodes.flatMap(\.inputs))
        for o in graph.outputs { used.insert(o.name) }
        out.initializers = out.initializers.filter { used.contains($0.key) }
    }

    /// Q → DQ for activation `v` after its producer.
    mutating func emitQDQ(_ v: String) {
        let p = resolved[v]!
        let source = renamedOutputs[v] ?? v
        let s = addConstant(Tensor(shape: [], floats: [p.scale]), "\(v)_scale")
        let zp = addConstant(Tensor(shape: [], ints: [Int64(p.zeroPoint)], dtype: .int8), "\(v)_zero_point")
        let q = fresh("\(v)_quantized")
        nodes.append(Node(name: fresh("\(v)_QuantizeLinear"), op: .quantizeLinear(axis: 1, saturate: true),
                          inputs: [source, s, zp], outputs: [q]))
        nodes.append(Node(name: fresh("\(v)_DequantizeLinear"), op: .dequantizeLinear(axis: 1),
                          inputs: [q, s, zp], outputs: [int8Read[v]!]))
    }

    mutating func emit(_ index: Int, _ original: Node) throws {
        var node = original
        node.outputs = node.outputs.map { renamedOutputs[$0] ?? $0 }
        let role = plan.roles[index]
        guard plan.isInt8(index) else {
            node.inputs = node.inputs.map { floatRead[$0] ?? $0 }
            nodes.append(node)
            return
        }
        let data = Set(Int8Support.int8Inputs(role, original))
        for (k, v) in original.inputs.enumerated() where !v.isEmpty {
            if data.contains(k) {
                if let read = int8Read[v] { node.inputs[k] = read }
                else if plan.constantActivations.contains(v) { node.inputs[k] = try constantActivation(v) }
            } else {
                node.inputs[k] = floatRead[v] ?? v
            }
        }
        if case .weighted(let w, let axis, let bias) = role {
            try quantizeWeights(&node, original, weight: w, axis: axis, bias: bias)
        }
        nodes.append(node)
    }

    /// A float constant in a data position: int8 per tensor from its own min/max.
    mutating func constantActivation(_ c: String) throws -> String {
        if let name = emittedConstants["act:" + c] { return name }
        let t = graph.initializers[c]!
        let xs = t.floats
        let p = try Quantization.activationParams(min: xs.min() ?? 0, max: xs.max() ?? 0)
        resolved[c] = p
        let codes = addConstant(Tensor(shape: t.shape, ints: p.quantize(xs).map(Int64.init), dtype: .int8), "\(c)_quantized")
        let s = addConstant(Tensor(shape: [], floats: [p.scale]), "\(c)_scale")
        let zp = addConstant(Tensor(shape: [], ints: [Int64(p.zeroPoint)], dtype: .int8), "\(c)_zero_point")
        let dq = fresh("\(c)_dequantized")
        nodes.append(Node(name: fresh("\(c)_DequantizeLinear"), op: .dequantizeLinear(axis: 1), inputs: [codes, s, zp], outputs: [dq]))
        emittedConstants["act:" + c] = dq
        return dq
    }

    /// Weights int8 per output channel along `axis`, bias int32 at s_x·s_w[c].
    mutating func quantizeWeights(_ node: inout Node, _ original: Node, weight w: Int, axis: Int, bias: Int?) throws {
        let wName = original.inputs[w]
        var wt = graph.initializers[wName]!
        var biasValues: [Float]?
        if case .gemm(var a) = original.op {
            // Gemm's alpha goes into the weights and beta·C into a per-column bias, so the
            // int8 op computes A·B + bias as XNNPACK's fully-connected does.
            let n = a.transB ? wt.shape[0] : wt.shape[1]
            if a.alpha != 1 { wt = Tensor(shape: wt.shape, floats: wt.floats.map { $0 * a.alpha }) }
            if let b = bias {
                let c = graph.initializers[original.inputs[b]]!.floats
                biasValues = (0..<n).map { a.beta * c[c.count == 1 ? 0 : $0] }
            }
            a.alpha = 1
            a.beta = 1
            node.op = .gemm(a)
            if bias == nil { node.inputs = Array(node.inputs.prefix(2)) }
        } else if let b = bias {
            biasValues = graph.initializers[original.inputs[b]]!.floats
        }
        let override = weightCodes[original.name]
        let key = "w:\(wName):\(axis):\(node.op == original.op && override == nil ? "" : node.name)"
        let (wdq, scales) = try dequantizedWeight(wt, wName, axis: axis, key: key, origin: original, codes: override)
        node.inputs[w] = wdq
        guard let b = bias, let values = biasValues else { return }
        guard let inputParams = resolved[original.inputs[0]] else {
            throw LoupeError.verification("\(original.reference): input '\(original.inputs[0])' has no int8 parameters for the bias scale")
        }
        guard values.count == scales.count else {
            throw LoupeError.invalidInput(original.reference, input: b,
                                          reason: "bias has \(values.count) values for \(scales.count) output channels")
        }
        let bName = original.inputs[b]
        let codes = try Quantization.quantizeBias(values, inputScale: inputParams.scale, weightScales: scales)
        let bScales = Quantization.biasScales(inputScale: inputParams.scale, weightScales: scales)
        let n = values.count
        let q = addConstant(Tensor(shape: [n], ints: codes.map(Int64.init), dtype: .int32), "\(bName)_quantized")
        let s = addConstant(Tensor(shape: [n], floats: bScales), "\(bName)_scale")
        let zp = addConstant(Tensor(shape: [n], ints: Array(repeating: 0, count: n), dtype: .int32), "\(bName)_zero_point")
        let dq = fresh("\(bName)_dequantized")
        nodes.append(Node(name: fresh("\(bName)_DequantizeLinear"), op: .dequantizeLinear(axis: 0), inputs: [q, s, zp], outputs: [dq]))
        node.inputs[b] = dq
    }

    /// The int8 weight initializer plus its DequantizeLinear (shared by nodes reading the
    /// same unchanged weight) and the per-channel scales.
    mutating func dequantizedWeight(_ wt: Tensor, _ wName: String, axis: Int, key: String,
                                    origin: Node, codes override: [Int8]? = nil) throws -> (String, [Float]) {
        let channels = wt.shape[axis]
        let xs = wt.floats
        // Output channel first for the scale computation: only a 2-D [K, N] weight needs a
        // transpose (axis 1); Conv weights are OIHW (axis 0).
        let first: [Float]
        if axis == 0 {
            first = xs
        } else {
            precondition(axis == 1 && wt.shape.count == 2, "weight axis \(axis) of rank \(wt.shape.count)")
            let k = wt.shape[0]
            first = (0..<(channels * k)).map { i in xs[(i % k) * channels + i / k] }
        }
        let scales: [Float]
        let codesFirst: [Int8]
        do {
            scales = try Quantization.weightScales(first, outputChannels: channels)
            codesFirst = try Quantization.quantizeWeights(first, scales: scales)
        } catch let e as QuantizationError {
            throw LoupeError.invalidInput(origin.reference, input: 1, reason: "weight '\(wName)': \(e)")
        }
        if let name = emittedConstants[key] { return (name, scales) }
        var codes = codesFirst
        if let override {
            guard override.count == codesFirst.count, override.allSatisfy({ $0 >= -127 }) else {
                throw LoupeError.verification("\(origin.reference): \(override.count) weight codes given for \(codesFirst.count) weights, or a code below -127")
            }
            codes = override
        }
        if axis == 1 {
            let k = wt.shape[0], byChannel = codes
            codes = (0..<xs.count).map { i in byChannel[(i % channels) * k + i / channels] }
        }
        let q = addConstant(Tensor(shape: wt.shape, ints: codes.map(Int64.init), dtype: .int8), "\(wName)_quantized")
        let s = addConstant(Tensor(shape: [channels], floats: scales), "\(wName)_scale")
        let zp = addConstant(Tensor(shape: [channels], ints: Array(repeating: 0, count: channels), dtype: .int8), "\(wName)_zero_point")
        let dq = fresh("\(wName)_dequantized")
        nodes.append(Node(name: fresh("\(wName)_DequantizeLinear"), op: .dequantizeLinear(axis: axis), inputs: [q, s, zp], outputs: [dq]))
        emittedConstants[key] = dq
        return (dq, scales)
    }
}
