import Dispatch
import Loupe

/// How the int8 weight codes are rounded from the float weights (the per-channel scales are
/// the same either way: `max|w_c| / 127`).
public enum WeightRounding: String, Sendable, Hashable, CaseIterable {
    /// Each weight to its nearest code (``Quantization/quantizeWeights(_:scales:)``).
    case nearest
    /// Each weight up or down, chosen so that the layer's output over the calibration
    /// samples, fed the int8 model's own input, stays close to the FP32 output
    /// (``AdaptiveRounding``, asymmetric reconstruction).
    case adaround
    /// The same with the FP32 model's input on both sides: only the weights' own rounding
    /// error is reduced (``AdaptiveRounding/Reconstruction/fp32Inputs``).
    case adaroundFP32 = "adaround-fp32"

    /// The reconstruction of an adaptive rounding; nil for nearest.
    public var reconstruction: AdaptiveRounding.Reconstruction? {
        switch self {
        case .nearest: return nil
        case .adaround: return .asymmetric
        case .adaroundFP32: return .fp32Inputs
        }
    }
}

/// Adaptive rounding of the int8 weights: AdaRound (Nagel, Amjad, van Baalen, Louizos,
/// Blankevoort, "Up or Down? Adaptive Rounding for Post-Training Quantization", ICML 2020),
/// in its asymmetric form (the paper's §5, also BRECQ's and AdaQuant's practice), solved by
/// greedy coordinate descent instead of the paper's relaxed rounding variables.
///
/// What is minimised: for every int8 Conv/Gemm/MatMul and every output channel with float
/// weights `w` (K of them: input channels of the group × kernel window) and codes `q`
/// (`ŵ = s·q`, `s` the channel's scale, unchanged), the squared error of the layer's
/// pre-activation output over calibration positions,
///
///     E(q) = Σₙ (ŵ·x̂ₙ − w·xₙ)² = ŵᵀAŵ − 2ŵᵀCw + wᵀFw,
///     A = Σₙ x̂ₙx̂ₙᵀ,  C = Σₙ x̂ₙxₙᵀ,  F = Σₙ xₙxₙᵀ,
///
/// where `xₙ` is the layer's input patch (im2col row, or Gemm input row) in the FP32 model
/// and `x̂ₙ` the same patch in the int8 model whose earlier layers already carry their
/// chosen codes: the input the int8 layer really sees, so the rounding also takes up part
/// of the error arriving from earlier layers (``Reconstruction/asymmetric``; with
/// ``Reconstruction/fp32Inputs``, `x̂ = x`). Each code may only be the floor or the ceiling
/// of `w/s` (so it differs from nearest rounding by at most one), within [−127, 127].
///
/// How: E is a quadratic form in `q`, so no autograd is needed. Starting from nearest
/// rounding, sweeps over the weights flip a code to its other neighbour whenever that lowers
/// E (the change of flipping weight i by t = ±s is t²A′ᵢᵢ + 2t·hᵢ, with h = A′Δ + (A − C)w the
/// half-gradient, Δ = ŵ − w, kept up to date in O(K) per flip), until a sweep flips nothing or
/// after ``maxSweeps`` sweeps. This is the sequential (greedy) variant of the paper's
/// "Quadratic Unconstrained Binary Optimization" formulation (§3.1), not its continuous
/// relaxation with the rectified sigmoid and annealed regulariser. A′ = A + λI with
/// λ = ``damping`` × mean(diag A) keeps the choice near nearest rounding where few
/// positions pin A down; since nearest rounding minimises |Δ|², E itself never ends above
/// nearest rounding's. Layers with fewer calibration rows than ``minRowsPerWeight`` × K (the
/// layers after a global pool, one row per photo) keep nearest rounding.
///
/// Layers are taken in graph order; for each, the QDQ model with the codes chosen so far is
/// built and run (only up to that layer's input) on the calibration samples, and
/// ``rowsPerLayer`` positions are drawn over the samples (evenly per sample, at seeded random
/// places, the same ones in both models) for the Gram matrices.
public enum AdaptiveRounding {
    /// Which input each side of the reconstructed output takes.
    public enum Reconstruction: String, Sendable, Hashable {
        /// `ŵ·x̂` against `w·x`: the int8 layer's real input against FP32 (the paper's §5,
        /// "asymmetric reconstruction"). One int8 model build and run per layer.
        case asymmetric
        /// `ŵ·x` against `w·x` (the paper's §3 objective): only the weights' own rounding
        /// error, from one FP32 pass; `x̂ = x`, so A = C = F.
        case fp32Inputs = "fp32 inputs"
    }

    /// Greedy sweeps per output channel, at most.
    public static let maxSweeps = 20
    /// Ridge λ as a share of the mean of diag(A).
    public static let damping = 0.1
    /// Rows per weight of a channel a layer needs to be rounded adaptively.
    public static let minRowsPerWeight = 2
    /// Calibration positions drawn per layer, at least (or 4 × K when larger).
    public static let defaultRowsPerLayer = 4096

    /// One Conv/Gemm/MatMul: its weights output channel first and how to read its input.
    struct Layer {
        enum Kind {
            case conv(ConvAttributes)
            /// Input `[…, K]`, one row per leading index.
            case dense
        }

        let node: Node
        let kind: Kind
        /// Output channels.
        let channels: Int
        /// Gram matrices: the conv's groups (one per channel when depthwise); 1 for dense.
        let groups: Int
        /// Weights per output channel (columns of a group's patch).
        let k: Int
        /// Float weights, output channel first (Gemm alpha folded in, as the rewriter does).
        let weights: [Float]
        /// Per-channel scales, as the rewriter computes them.
        let scales: [Float]

        /// Nil for nodes this does not handle (ConvTranspose, non-2-D convs, a transposed A).
        init?(node: Node, weight: Tensor) {
            guard weight.dtype == .float32 else { return nil }
            let ws = weight.floats
            switch node.op {
            case .conv(let a):
                guard weight.shape.count == 4, a.group >= 1, a.layout == .nchw, weight.shape[0] % a.group == 0 else { return nil }
                kind = .conv(a)
                channels = weight.shape[0]
                groups = a.group
                k = weight.shape[1...].reduce(1, *)
                weights = ws
            case .gemm(let a):
                guard weight.shape.count == 2, !a.transA else { return nil }
                let (kk, n) = a.transB ? (weight.shape[1], weight.shape[0]) : (weight.shape[0], weight.shape[1])
                kind = .dense
                channels = n
                groups = 1
                k = kk
                weights = (0..<(n * kk)).map { i in
                    let (o, t) = (i / kk, i % kk)
                    return a.alpha * ws[a.transB ? o * kk + t : t * n + o]
                }
            case .matMul:
                guard weight.shape.count == 2 else { return nil }
                let (kk, n) = (weight.shape[0], weight.shape[1])
                kind = .dense
                channels = n
                groups = 1
                k = kk
                weights = (0..<(n * kk)).map { i in ws[(i % kk) * n + i / kk] }
            default:
                return nil
            }
            self.node = node
            guard let s = try? Quantization.weightScales(weights, outputChannels: channels) else { return nil }
            scales = s
        }

        /// Input columns: a conv's input channels × kernel window, a dense layer's K.
        var columns: Int { groups * k }

        /// Number of patch positions (rows) in input `x`.
        func positions(in x: Tensor) throws -> Int {
            switch kind {
            case .conv(let a):
                guard x.shape.count == 4 else { throw LoupeError.verification("\(node.reference): input shape \(x.shape) is not NCHW") }
                let g = try a.geometry(node: node.reference, input: x.shape, weight: [channels, k / kernelArea(a), a.kernelShape[0], a.kernelShape[1]],
                                       transposed: false)
                return x.shape[0] * g.output.reduce(1, *)
            case .dense:
                guard let last = x.shape.last, last == k else {
                    throw LoupeError.verification("\(node.reference): input shape \(x.shape) does not end in \(k)")
                }
                return x.count / k
            }
        }

        private func kernelArea(_ a: ConvAttributes) -> Int { a.kernelShape.reduce(1, *) }

        /// Writes the input patches of `x` at `positions` into column-major `out`
        /// (`out[column * stride + row0 + r]`).
        func extract(_ x: Tensor, positions: [Int], into out: UnsafeMutablePointer<Float>, stride: Int, row0: Int) throws {
            let xs = x.floats
            switch kind {
            case .conv(let a):
                let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
                let (kh, kw) = (a.kernelShape[0], a.kernelShape[1])
                guard c * kh * kw == columns else {
                    throw LoupeError.verification("\(node.reference): input has \(c) channels, the weights expect \(columns / (kh * kw))")
                }
                let g = try a.geometry(node: node.reference, input: x.shape, weight: [channels, c / groups, kh, kw], transposed: false)
                let (oh, ow) = (g.output[0], g.output[1])
                let (sh, sw, dh, dw, ph, pw) = (g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.padBegin[0], g.padBegin[1])
                xs.withUnsafeBufferPointer { p in
                    for (r, pos) in positions.enumerated() {
                        let b = pos / (oh * ow), oy = (pos / ow) % oh, ox = pos % ow
                        precondition(b < n)
                        for ch in 0..<c {
                            let plane = (b * c + ch) * h * w
                            for ky in 0..<kh {
                                let iy = oy * sh - ph + ky * dh
                                for kx in 0..<kw {
                                    let ix = ox * sw - pw + kx * dw
                                    let v: Float = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? p[plane + iy * w + ix] : 0
                                    out[((ch * kh + ky) * kw + kx) * stride + row0 + r] = v
                                }
                            }
                        }
                    }
                }
            case .dense:
                xs.withUnsafeBufferPointer { p in
                    for (r, pos) in positions.enumerated() {
                        for t in 0..<k { out[t * stride + row0 + r] = p[pos * k + t] }
                    }
                }
            }
        }
    }

    /// Σ over rows of products of columns: `A = X̂X̂ᵀ`, `C = X̂Xᵀ`, `F = XXᵀ` per group, each
    /// K×K row-major, from column-major patches (`columns × rows`).
    struct Grams {
        let k: Int
        let groups: Int
        let rows: Int
        var a: [Double]
        var c: [Double]
        var f: [Double]

        /// `quantized` nil: X̂ = X (A = C = F, computed once).
        init(quantized: [Float]?, float x: [Float], rows: Int, groups: Int, k: Int, threads: Int) {
            let same = quantized == nil
            let q = quantized ?? x
            self.k = k
            self.groups = groups
            self.rows = rows
            let kk = k * k
            var a = [Double](repeating: 0, count: groups * kk)
            var c = a, f = a
            let tasks = groups * k
            let workers = max(1, min(threads, tasks))
            q.withUnsafeBufferPointer { qp in
                x.withUnsafeBufferPointer { xp in
                    a.withUnsafeMutableBufferPointer { ap in
                        c.withUnsafeMutableBufferPointer { cp in
                            f.withUnsafeMutableBufferPointer { fp in
                                let (qb, xb, ab, cb, fb) = (qp.baseAddress!, xp.baseAddress!, ap.baseAddress!, cp.baseAddress!, fp.baseAddress!)
                                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                                    // Each task is one row i of one group's matrices: no two
                                    // workers write the same entry.
                                    for task in Swift.stride(from: worker, to: tasks, by: workers) {
                                        let (gi, i) = (task / k, task % k)
                                        let base = gi * kk
                                        let qi = qb + (gi * k + i) * rows, xi = xb + (gi * k + i) * rows
                                        for j in 0..<k {
                                            let qj = qb + (gi * k + j) * rows, xj = xb + (gi * k + j) * rows
                                            if same {
                                                if j >= i { fb[base + i * k + j] = dot(xi, xj, rows) }
                                                continue
                                            }
                                            cb[base + i * k + j] = dot(qi, xj, rows)
                                            if j >= i {
                                                ab[base + i * k + j] = dot(qi, qj, rows)
                                                fb[base + i * k + j] = dot(xi, xj, rows)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for gi in 0..<groups {
                for i in 0..<k {
                    for j in 0..<i {
                        a[gi * kk + i * k + j] = a[gi * kk + j * k + i]
                        f[gi * kk + i * k + j] = f[gi * kk + j * k + i]
                    }
                }
            }
            if same {
                a = f
                c = f
            }
            self.a = a
            self.c = c
            self.f = f
        }
    }

    /// Σᵢ aᵢbᵢ in Float (eight lanes, two accumulators), returned as Double.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 16 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var s = Double((s0 + s1).sum())
        while i < n { s += Double(a[i]) * Double(b[i]); i += 1 }
        return s
    }

    /// What rounding one layer gave.
    struct LayerResult {
        /// Codes, output channel first.
        var codes: [Int8]
        /// E(q) summed over channels, nearest rounding and the chosen codes.
        var errorNearest: Double
        var errorAdaptive: Double
        /// Codes that differ from nearest rounding.
        var flips: Int
    }

    /// The codes of one layer from its Gram matrices.
    static func round(_ layer: Layer, grams g: Grams, threads: Int) -> LayerResult {
        let k = layer.k, kk = k * k
        let perGroup = layer.channels / layer.groups
        var codes = [Int8](repeating: 0, count: layer.channels * k)
        var errN = [Double](repeating: 0, count: layer.channels), errA = errN
        var flips = [Int](repeating: 0, count: layer.channels)
        let workers = max(1, min(threads, layer.channels))
        g.a.withUnsafeBufferPointer { gap in g.c.withUnsafeBufferPointer { gcp in g.f.withUnsafeBufferPointer { gfp in
        let (ga, gc, gf) = (gap.baseAddress!, gcp.baseAddress!, gfp.baseAddress!)
        codes.withUnsafeMutableBufferPointer { cp in
            errN.withUnsafeMutableBufferPointer { enp in
                errA.withUnsafeMutableBufferPointer { eap in
                    flips.withUnsafeMutableBufferPointer { fp in
                        let (cb, enb, eab, fb) = (cp.baseAddress!, enp.baseAddress!, eap.baseAddress!, fp.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workers) { worker in
                            for o in Swift.stride(from: worker, to: layer.channels, by: workers) {
                                let gi = o / perGroup
                                let r = roundChannel(weights: Array(layer.weights[(o * k)..<((o + 1) * k)]), scale: layer.scales[o],
                                                     a: ga + gi * kk, c: gc + gi * kk, f: gf + gi * kk)
                                for t in 0..<k { cb[o * k + t] = r.codes[t] }
                                enb[o] = r.errorNearest
                                eab[o] = r.errorAdaptive
                                fb[o] = r.flips
                            }
                        }
                    }
                }
            }
        }
        } } }
        return LayerResult(codes: codes, errorNearest: errN.reduce(0, +), errorAdaptive: errA.reduce(0, +),
                           flips: flips.reduce(0, +))
    }

    /// One output channel: `weights` (K), its `scale`, and its group's K×K Grams.
    static func roundChannel(weights w: [Float], scale s: Float, a: UnsafePointer<Double>, c: UnsafePointer<Double>,
                             f: UnsafePointer<Double>) -> LayerResult {
        let k = w.count
        // Nearest rounding exactly as the quantizer does it, and the two allowed codes.
        let nearest = w.map { Int(Swift.min(127, Swift.max(-127, ($0 / s).rounded(.toNearestOrEven)))) }
        var lo = [Int](repeating: 0, count: k), hi = lo
        for i in 0..<k {
            let u = (w[i] / s).rounded(.down)
            lo[i] = Int(Swift.min(127, Swift.max(-127, u)))
            hi[i] = Int(Swift.min(127, Swift.max(-127, u + 1)))
        }
        let sd = Double(s)
        let wd = w.map(Double.init)
        func error(_ q: [Int]) -> Double {
            // ŵᵀAŵ − 2ŵᵀCw + wᵀFw
            var e = 0.0
            for i in 0..<k {
                let wi = sd * Double(q[i])
                var ar = 0.0, cr = 0.0, fr = 0.0
                for j in 0..<k {
                    ar += a[i * k + j] * sd * Double(q[j])
                    cr += c[i * k + j] * wd[j]
                    fr += f[i * k + j] * wd[j]
                }
                e += wi * ar - 2 * wi * cr + wd[i] * fr
            }
            return e
        }
        var trace = 0.0
        for i in 0..<k { trace += a[i * k + i] }
        let lambda = damping * trace / Double(k)
        // h = A′Δ + (A − C)w, Δ = ŵ − w.
        var q = nearest
        var h = [Double](repeating: 0, count: k)
        for i in 0..<k {
            var v = lambda * (sd * Double(q[i]) - wd[i])
            for j in 0..<k {
                let dj = sd * Double(q[j]) - wd[j]
                v += a[i * k + j] * (dj + wd[j]) - c[i * k + j] * wd[j]
            }
            h[i] = v
        }
        if lambda > 0 || trace > 0 {
            for _ in 0..<maxSweeps {
                var flipped = false
                for i in 0..<k where lo[i] != hi[i] {
                    let other = q[i] == lo[i] ? hi[i] : lo[i]
                    let t = sd * Double(other - q[i])
                    let aii = a[i * k + i] + lambda
                    let change = t * t * aii + 2 * t * h[i]
                    guard change < -1e-12 * Swift.max(aii * sd * sd, 1e-300) else { continue }
                    q[i] = other
                    for j in 0..<k { h[j] += t * a[j * k + i] }
                    h[i] += t * lambda
                    flipped = true
                }
                if !flipped { break }
            }
        }
        let flips = zip(q, nearest).filter { $0 != $1 }.count
        let eN = error(nearest)
        let eA = flips == 0 ? eN : error(q)
        return LayerResult(codes: q.map { Int8($0) }, errorNearest: eN, errorAdaptive: eA, flips: flips)
    }

    /// `take` of `0..<count`, sorted, drawn without repetition (all of them when `take ≥ count`).
    static func choose(_ take: Int, of count: Int, _ rng: inout SplitMix64) -> [Int] {
        guard take < count else { return Array(0..<count) }
        var all = Array(0..<count)
        for i in 0..<take { all.swapAt(i, i + rng.below(count - i)) }
        return all[0..<take].sorted()
    }

    /// What ``run(prepared:plan:samples:fp32:compile:rowsPerLayer:quantize:progress:)`` chose.
    public struct Outcome: Sendable {
        /// Codes by node name, output channel first (``QDQRewriter``'s `weightCodes`).
        public var codes: [String: [Int8]]
        /// Layers rounded adaptively, and all int8 weighted layers.
        public var rounded: Int
        public var layers: Int
        /// Weight codes that differ from nearest rounding, of all weights rounded.
        public var flips: Int
        public var weights: Int
        /// Σ over rounded layers of each layer's output error E relative to its own output
        /// energy, nearest and adaptive (the mean of per-layer ratios).
        public var meanRelativeErrorNearest: Double
        public var meanRelativeErrorAdaptive: Double
        /// Layers kept at nearest rounding, with the reason.
        public var skipped: [(node: String, reason: String)]
        /// The reconstruction used.
        public var reconstruction: Reconstruction

        /// The `loupe.calibration.weight_rounding` entry.
        public var summary: String {
            var s = "adaround (\(reconstruction == .asymmetric ? "asymmetric reconstruction" : "FP32 inputs"), greedy coordinate descent; Nagel et al. 2020): "
                + "\(rounded) of \(layers) int8 conv/gemm layer(s), \(flips) of \(weights) weight code(s) moved off nearest; "
                + String(format: "mean layer output error %.4g -> %.4g of its energy", meanRelativeErrorNearest, meanRelativeErrorAdaptive)
            if !skipped.isEmpty {
                s += "; nearest kept for " + skipped.map { "\($0.node) (\($0.reason))" }.joined(separator: ", ")
            }
            return s
        }
    }

    /// Rounds every int8 Conv/Gemm/MatMul of `plan` in graph order. `quantize(codes)` makes
    /// the QDQ graph with the codes chosen so far; `fp32` is the float model (its `capture`
    /// gives the layers' FP32 inputs). `progress(done, total)` after each layer.
    public static func run(prepared: Graph, plan: QuantizationPlan, samples: [[String: Tensor]], fp32: Model,
                           compile: CompileOptions, rowsPerLayer: Int = defaultRowsPerLayer,
                           reconstruction: Reconstruction = .asymmetric,
                           quantize: ([String: [Int8]]) throws -> Graph,
                           progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        var layers: [Layer] = []
        for (i, node) in prepared.nodes.enumerated() where plan.isInt8(i) {
            guard case .weighted(let w, _, _) = plan.roles[i], let wt = prepared.initializers[node.inputs[w]],
                  let layer = Layer(node: node, weight: wt) else { continue }
            layers.append(layer)
        }
        var outcome = Outcome(codes: [:], rounded: 0, layers: layers.count, flips: 0, weights: 0,
                              meanRelativeErrorNearest: 0, meanRelativeErrorAdaptive: 0, skipped: [],
                              reconstruction: reconstruction)
        guard !layers.isEmpty, !samples.isEmpty else { return outcome }
        progress?(0, layers.count)
        // FP32 patches of every layer, at positions drawn once per layer and sample.
        var positions: [[[Int]]] = Array(repeating: [], count: layers.count)
        var rows = [Int](repeating: 0, count: layers.count)
        var floatPatches: [[Float]] = Array(repeating: [], count: layers.count)
        let inputsOf = layers.map { $0.node.inputs[0] }
        for (si, sample) in samples.enumerated() {
            let values = try fp32.capture(sample, values: Array(Set(inputsOf)))
            for (li, layer) in layers.enumerated() {
                guard let x = values[inputsOf[li]] else {
                    throw LoupeError.verification("adaptive rounding: no FP32 value for '\(inputsOf[li])'")
                }
                let count = try layer.positions(in: x)
                if si == 0 {
                    let want = Swift.max(rowsPerLayer, 4 * layer.k)
                    let per = Swift.min(count, (want + samples.count - 1) / samples.count)
                    rows[li] = per * samples.count
                    floatPatches[li] = [Float](repeating: 0, count: rows[li] * layer.columns)
                }
                let per = rows[li] / samples.count
                guard per <= count else { throw LoupeError.verification("adaptive rounding: input shapes differ between samples") }
                var rng = SplitMix64(seed: UInt64(li) &* 0x1_0000_0001 &+ UInt64(si) &+ 0xADA)
                let chosen = choose(per, of: count, &rng)
                positions[li].append(chosen)
                let stride = rows[li]
                try floatPatches[li].withUnsafeMutableBufferPointer {
                    try layer.extract(x, positions: chosen, into: $0.baseAddress!, stride: stride, row0: si * per)
                }
            }
        }
        var relN = 0.0, relA = 0.0
        for (li, layer) in layers.enumerated() {
            defer { progress?(li + 1, layers.count) }
            let name = layer.node.name
            guard rows[li] >= minRowsPerWeight * layer.k else {
                outcome.skipped.append((name, "\(rows[li]) calibration row(s) for \(layer.k) weights per channel"))
                floatPatches[li] = []
                continue
            }
            var quantized: [Float]? = nil
            if reconstruction == .asymmetric {
                // The int8 model with the codes so far, up to this layer's input.
                let qdq = try quantize(outcome.codes)
                guard let qNode = qdq.nodes.first(where: { $0.name == name }), let qIn = qNode.inputs.first,
                      let type = qdq.type(of: qIn) else {
                    throw LoupeError.verification("adaptive rounding: node '\(name)' is not in the QDQ graph")
                }
                var probe = qdq
                probe.outputs = [ValueInfo(name: qIn, type: type)]
                // A graph input read as it is (its Q/DQ pair removed by `--keep-fp32 auto`)
                // needs no run.
                let isInput = qdq.inputs.contains { $0.name == qIn }
                let model = isInput ? nil : try Model(graph: probe, options: compile)
                var q = [Float](repeating: 0, count: rows[li] * layer.columns)
                let per = rows[li] / samples.count
                for (si, sample) in samples.enumerated() {
                    guard let x = try model.map({ try $0.run(sample)[qIn] }) ?? sample[qIn] else {
                        throw LoupeError.verification("adaptive rounding: the int8 model returned no '\(qIn)'")
                    }
                    try q.withUnsafeMutableBufferPointer {
                        try layer.extract(x, positions: positions[li][si], into: $0.baseAddress!, stride: rows[li], row0: si * per)
                    }
                }
                quantized = q
            }
            let grams = Grams(quantized: quantized, float: floatPatches[li], rows: rows[li], groups: layer.groups, k: layer.k,
                              threads: compile.threads)
            floatPatches[li] = []
            let r = round(layer, grams: grams, threads: compile.threads)
            outcome.codes[name] = r.codes
            outcome.rounded += 1
            outcome.flips += r.flips
            outcome.weights += r.codes.count
            // Output energy Σ (w·x)² = wᵀFw, for the relative errors.
            var energy = 0.0
            let k = layer.k, kk = k * k, perGroup = layer.channels / layer.groups
            for o in 0..<layer.channels {
                let base = (o / perGroup) * kk
                for i in 0..<k {
                    var s = 0.0
                    for j in 0..<k { s += grams.f[base + i * k + j] * Double(layer.weights[o * k + j]) }
                    energy += Double(layer.weights[o * k + i]) * s
                }
            }
            if energy > 0 {
                relN += r.errorNearest / energy
                relA += r.errorAdaptive / energy
            }
        }
        if outcome.rounded > 0 {
            outcome.meanRelativeErrorNearest = relN / Double(outcome.rounded)
            outcome.meanRelativeErrorAdaptive = relA / Double(outcome.rounded)
        }
        return outcome
    }
}
