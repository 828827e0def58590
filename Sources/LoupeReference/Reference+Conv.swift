import LoupeIR

// Conv, ConvTranspose, Gemm, MatMul: double accumulation, optional fused output clamp.

/// Clamps to a fused output range ([-inf, inf] leaves the value unchanged).
func clamp(_ v: Double, _ lo: Float, _ hi: Float) -> Double {
    var y = v
    if y < Double(lo) { y = Double(lo) }
    if y > Double(hi) { y = Double(hi) }
    return y
}

extension Kernel {
    /// Y[n, o, p] = B[o] + Σ_{c in group(o), k} X[n, c, p·s + k·d − padBegin] · W[o, c, k]
    func conv(_ a: ConvAttributes) throws -> Tensor {
        let x = try floats(0), w = try floats(1)
        let xs = try input(0).shape, ws = try input(1).shape
        let bias = present(2) ? try floats(2) : nil
        let g = try a.geometry(node: ref, input: xs, weight: ws, transposed: false)
        let n = xs[0], c = xs[1], o = ws[0]
        let cPerGroup = ws[1], oPerGroup = o / a.group
        let inSize = g.input.reduce(1, *), outSize = g.output.reduce(1, *), kSize = g.kernel.reduce(1, *)
        let inStrides = strides(g.input)
        var kernelIndices: [[Int]] = []
        forEachIndex(g.kernel) { _, k in kernelIndices.append(k) }
        var y = Array(repeating: 0.0, count: n * o * outSize)
        var offsets = Array(repeating: -1, count: kSize)
        forEachIndex(g.output) { p, pos in
            // Input spatial offset read by each kernel tap at this output position (-1: padding).
            for (t, k) in kernelIndices.enumerated() {
                var off = 0
                var inside = true
                for d in 0..<g.rank {
                    let i = pos[d] * g.strides[d] + k[d] * g.dilations[d] - g.padBegin[d]
                    if i < 0 || i >= g.input[d] { inside = false; break }
                    off += i * inStrides[d]
                }
                offsets[t] = inside ? off : -1
            }
            for b in 0..<n {
                for oc in 0..<o {
                    let group = oc / oPerGroup
                    var acc = bias.map { Double($0[oc]) } ?? 0
                    for ic in 0..<cPerGroup {
                        let xBase = (b * c + group * cPerGroup + ic) * inSize
                        let wBase = (oc * cPerGroup + ic) * kSize
                        for t in 0..<kSize where offsets[t] >= 0 {
                            acc += Double(x[xBase + offsets[t]]) * Double(w[wBase + t])
                        }
                    }
                    y[(b * o + oc) * outSize + p] = clamp(acc, a.outputMin, a.outputMax)
                }
            }
        }
        return output(y)
    }

    /// Each input element X[n, c, i] scatters X·W[c, m, k] into Y[n, group(c)·M/g + m, i·s + k·d − padBegin].
    func convTranspose(_ a: ConvAttributes) throws -> Tensor {
        let x = try floats(0), w = try floats(1)
        let xs = try input(0).shape, ws = try input(1).shape
        let bias = present(2) ? try floats(2) : nil
        let g = try a.geometry(node: ref, input: xs, weight: ws, transposed: true)
        let n = xs[0], c = xs[1], mPerGroup = ws[1], o = mPerGroup * a.group
        let cPerGroup = c / a.group
        let inSize = g.input.reduce(1, *), outSize = g.output.reduce(1, *), kSize = g.kernel.reduce(1, *)
        let outStrides = strides(g.output)
        var kernelIndices: [[Int]] = []
        forEachIndex(g.kernel) { _, k in kernelIndices.append(k) }
        var y = Array(repeating: 0.0, count: n * o * outSize)
        forEachIndex(g.input) { p, pos in
            for (t, k) in kernelIndices.enumerated() {
                var off = 0
                var inside = true
                for d in 0..<g.rank {
                    let q = pos[d] * g.strides[d] + k[d] * g.dilations[d] - g.padBegin[d]
                    if q < 0 || q >= g.output[d] { inside = false; break }
                    off += q * outStrides[d]
                }
                guard inside else { continue }
                for b in 0..<n {
                    for ic in 0..<c {
                        let group = ic / cPerGroup
                        let xv = Double(x[(b * c + ic) * inSize + p])
                        for m in 0..<mPerGroup {
                            let oc = group * mPerGroup + m
                            y[(b * o + oc) * outSize + off] += xv * Double(w[(ic * mPerGroup + m) * kSize + t])
                        }
                    }
                }
            }
        }
        for b in 0..<n {
            for oc in 0..<o {
                for p in 0..<outSize {
                    let i = (b * o + oc) * outSize + p
                    y[i] = clamp(y[i] + (bias.map { Double($0[oc]) } ?? 0), a.outputMin, a.outputMax)
                }
            }
        }
        return output(y)
    }

    /// Y = alpha · A' · B' + beta · C (C broadcast to [M, N]).
    func gemm(_ a: GemmAttributes) throws -> Tensor {
        let av = try floats(0), bv = try floats(1)
        let sa = try input(0).shape, sb = try input(1).shape
        let m = outShape[0], n = outShape[1]
        let k = a.transA ? sa[0] : sa[1]
        var cv: [Float]? = nil
        var cSrc: [Int] = []
        if present(2) {
            cv = try floats(2)
            cSrc = broadcastSources(output: [m, n], input: try input(2).shape)
        }
        var y = Array(repeating: 0.0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let aij = a.transA ? av[p * sa[1] + i] : av[i * sa[1] + p]
                    let bij = a.transB ? bv[j * sb[1] + p] : bv[p * sb[1] + j]
                    acc += Double(aij) * Double(bij)
                }
                var v = Double(a.alpha) * acc
                if let cv { v += Double(a.beta) * Double(cv[cSrc[i * n + j]]) }
                y[i * n + j] = clamp(v, a.outputMin, a.outputMax)
            }
        }
        return output(y)
    }

    /// numpy matmul: 1-D operands promoted, batch dimensions broadcast.
    func matMul() throws -> Tensor {
        let av = try floats(0), bv = try floats(1)
        var sa = try input(0).shape, sb = try input(1).shape
        if sa.count == 1 { sa = [1] + sa }
        if sb.count == 1 { sb = sb + [1] }
        let m = sa[sa.count - 2], k = sa[sa.count - 1], n = sb[sb.count - 1]
        let batchA = Array(sa.dropLast(2)), batchB = Array(sb.dropLast(2))
        guard let batch = broadcastShape(batchA, batchB) else {
            throw LoupeError.shapeInference(ref, reason: "batch shapes \(batchA) and \(batchB) do not broadcast")
        }
        let srcA = broadcastSources(output: batch, input: batchA)
        let srcB = broadcastSources(output: batch, input: batchB)
        var y: [Double] = []
        y.reserveCapacity(srcA.count * m * n)
        for bi in 0..<srcA.count {
            let aBase = srcA[bi] * m * k, bBase = srcB[bi] * k * n
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k { acc += Double(av[aBase + i * k + p]) * Double(bv[bBase + p * n + j]) }
                    y.append(acc)
                }
            }
        }
        return output(y)
    }
}
