// Conv, ConvTranspose, Gemm, MatMul.

/// Resolved geometry of a sliding-window op (Conv, ConvTranspose, pools) along its spatial
/// axes, after `auto_pad`, `ceil_mode` and `output_shape` have been applied. Shared by shape
/// inference, the reference interpreter, costs and lowering so they cannot disagree.
public struct WindowGeometry: Sendable, Hashable {
    public var input: [Int]
    public var kernel: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padBegin: [Int]
    public var padEnd: [Int]
    public var output: [Int]

    /// Number of spatial axes.
    public var rank: Int { input.count }

    /// Conv or pool geometry. `ceilMode` is the pools' `ceil_mode` (false for Conv).
    public static func forward(node: NodeReference, input: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                               pads: [Int], autoPad: AutoPad, ceilMode: Bool) throws -> WindowGeometry {
        let r = input.count
        let (k, s, d, p) = try checkLists(node: node, rank: r, kernel: kernel, strides: strides, dilations: dilations, pads: pads)
        var g = WindowGeometry(input: input, kernel: k, strides: s, dilations: d,
                               padBegin: Array(p[0..<r]), padEnd: Array(p[r..<(2 * r)]), output: [])
        for i in 0..<r {
            let window = d[i] * (k[i] - 1) + 1
            switch autoPad {
            case .notSet:
                let span = input[i] + g.padBegin[i] + g.padEnd[i] - window
                guard span >= 0 else {
                    throw LoupeError.shapeInference(
                        node, reason: "window \(window) does not fit spatial axis \(i) of size \(input[i]) with pads \(g.padBegin[i]),\(g.padEnd[i])")
                }
                var out = ceilMode ? (span + s[i] - 1) / s[i] + 1 : span / s[i] + 1
                // ONNX: with ceil_mode the last window must start inside the input or left padding.
                if ceilMode && (out - 1) * s[i] >= input[i] + g.padBegin[i] { out -= 1 }
                g.output.append(out)
            case .valid:
                guard input[i] >= window else {
                    throw LoupeError.shapeInference(node, reason: "window \(window) does not fit spatial axis \(i) of size \(input[i]) (auto_pad VALID)")
                }
                g.padBegin[i] = 0
                g.padEnd[i] = 0
                g.output.append((input[i] - window) / s[i] + 1)
            case .sameUpper, .sameLower:
                let out = (input[i] + s[i] - 1) / s[i]
                let total = Swift.max((out - 1) * s[i] + window - input[i], 0)
                let small = total / 2
                g.padBegin[i] = autoPad == .sameUpper ? small : total - small
                g.padEnd[i] = total - g.padBegin[i]
                g.output.append(out)
            }
        }
        return g
    }

    /// ConvTranspose geometry. `output` is the output spatial shape; `padBegin`/`padEnd` are
    /// the pads removed from the full transposed result (computed per the ONNX spec when
    /// `auto_pad` is SAME_* or `output_shape` is given; negative when `output_shape` is larger
    /// than the full result, which then extends with zeros).
    public static func transposed(node: NodeReference, input: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                                  pads: [Int], autoPad: AutoPad, outputPadding: [Int],
                                  outputShape: [Int]?) throws -> WindowGeometry {
        let r = input.count
        let (k, s, d, p) = try checkLists(node: node, rank: r, kernel: kernel, strides: strides, dilations: dilations, pads: pads)
        let op = outputPadding.isEmpty ? Array(repeating: 0, count: r) : outputPadding
        guard op.count == r else {
            throw LoupeError.invalidAttribute(node, attribute: "output_padding", reason: "\(outputPadding) needs \(r) entries")
        }
        var requested: [Int]? = nil
        if let os = outputShape, !os.isEmpty {
            if os.count == r { requested = os } else if os.count == r + 2 { requested = Array(os[2...]) } else {
                throw LoupeError.invalidAttribute(node, attribute: "output_shape", reason: "\(os) needs \(r) spatial entries")
            }
        }
        var g = WindowGeometry(input: input, kernel: k, strides: s, dilations: d,
                               padBegin: Array(p[0..<r]), padEnd: Array(p[r..<(2 * r)]), output: [])
        for i in 0..<r {
            let full = s[i] * (input[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1
            var target: Int? = requested?[i]
            if target == nil && (autoPad == .sameUpper || autoPad == .sameLower) { target = input[i] * s[i] }
            if let out = target {
                guard out > 0 else {
                    throw LoupeError.invalidAttribute(node, attribute: "output_shape", reason: "output size \(out) on spatial axis \(i) is not positive")
                }
                // A requested size above the full size gives negative total padding: the
                // output extends past the full result with zeros (plus bias). The spec's
                // `total_padding / 2` is floor division, as in the ONNX reference
                // (op_conv_transpose.py), so -1 puts the extra element at the end (start
                // for SAME_UPPER).
                let total = full - out
                let half = total >= 0 ? total / 2 : -((-total + 1) / 2)
                g.padBegin[i] = autoPad == .sameUpper ? half : total - half
                g.padEnd[i] = total - g.padBegin[i]
                g.output.append(out)
            } else {
                if autoPad == .valid { g.padBegin[i] = 0; g.padEnd[i] = 0 }
                let out = full - g.padBegin[i] - g.padEnd[i]
                guard out > 0 else {
                    throw LoupeError.shapeInference(node, reason: "pads \(g.padBegin[i]),\(g.padEnd[i]) leave no output on spatial axis \(i)")
                }
                g.output.append(out)
            }
        }
        return g
    }

    private static func checkLists(node: NodeReference, rank r: Int, kernel: [Int], strides: [Int], dilations: [Int],
                                   pads: [Int]) throws -> ([Int], [Int], [Int], [Int]) {
        let s = strides.isEmpty ? Array(repeating: 1, count: r) : strides
        let d = dilations.isEmpty ? Array(repeating: 1, count: r) : dilations
        let p = pads.isEmpty ? Array(repeating: 0, count: 2 * r) : pads
        guard kernel.count == r else {
            throw LoupeError.invalidAttribute(node, attribute: "kernel_shape", reason: "\(kernel) needs \(r) entries for \(r) spatial axes")
        }
        guard s.count == r, s.allSatisfy({ $0 > 0 }) else {
            throw LoupeError.invalidAttribute(node, attribute: "strides", reason: "\(strides) needs \(r) positive entries")
        }
        guard d.count == r, d.allSatisfy({ $0 > 0 }) else {
            throw LoupeError.invalidAttribute(node, attribute: "dilations", reason: "\(dilations) needs \(r) positive entries")
        }
        guard p.count == 2 * r, p.allSatisfy({ $0 >= 0 }) else {
            throw LoupeError.invalidAttribute(node, attribute: "pads", reason: "\(pads) needs \(2 * r) non-negative entries")
        }
        let limit = 1 << 31  // keeps window arithmetic far from overflow
        guard (kernel + s + d + p).allSatisfy({ $0 < limit }) else {
            throw LoupeError.invalidAttribute(node, attribute: "kernel_shape/strides/dilations/pads", reason: "a value is 2³¹ or more")
        }
        guard kernel.allSatisfy({ $0 > 0 }) else {
            throw LoupeError.invalidAttribute(node, attribute: "kernel_shape", reason: "\(kernel) has a non-positive entry")
        }
        return (kernel, s, d, p)
    }
}

extension ConvAttributes {
    /// The geometry of this Conv (or ConvTranspose when `transposed`) for a logical NCHW
    /// input shape and OIHW (IOHW) weight shape.
    public func geometry(node: NodeReference, input: [Int], weight: [Int], transposed: Bool) throws -> WindowGeometry {
        guard input.count >= 3, weight.count == input.count else {
            throw LoupeError.shapeInference(node, reason: "input shape \(input) and weight shape \(weight) must have the same rank ≥ 3")
        }
        let kernel = kernelShape.isEmpty ? Array(weight[2...]) : kernelShape
        guard kernel == Array(weight[2...]) else {
            throw LoupeError.invalidAttribute(node, attribute: "kernel_shape", reason: "\(kernelShape) does not match weight shape \(weight)")
        }
        if transposed {
            return try WindowGeometry.transposed(node: node, input: Array(input[2...]), kernel: kernel, strides: strides,
                                                 dilations: dilations, pads: pads, autoPad: autoPad,
                                                 outputPadding: outputPadding, outputShape: outputShape)
        }
        return try WindowGeometry.forward(node: node, input: Array(input[2...]), kernel: kernel, strides: strides,
                                          dilations: dilations, pads: pads, autoPad: autoPad, ceilMode: false)
    }
}

extension PoolAttributes {
    /// The geometry of this pool for a logical NCHW input shape.
    public func geometry(node: NodeReference, input: [Int]) throws -> WindowGeometry {
        guard input.count >= 3 else {
            throw LoupeError.shapeInference(node, reason: "input shape \(input) must have rank ≥ 3")
        }
        // ONNX requires each explicit pad to be smaller than the kernel: a window lying wholly
        // in the padding has no element to take (−inf from a max pool, 0/0 from an average).
        let r = kernelShape.count
        if autoPad == .notSet && pads.count == 2 * r {
            for i in 0..<r where pads[i] >= kernelShape[i] || pads[i + r] >= kernelShape[i] {
                throw LoupeError.invalidAttribute(
                    node, attribute: "pads", reason: "\(pads) has a pad of \(max(pads[i], pads[i + r])) on spatial axis \(i), "
                        + "not smaller than the kernel size \(kernelShape[i]) (ONNX requires pads < kernel_shape)")
            }
        }
        return try WindowGeometry.forward(node: node, input: Array(input[2...]), kernel: kernelShape, strides: strides,
                                          dilations: dilations, pads: pads, autoPad: autoPad, ceilMode: ceilMode)
    }
}

extension ShapeContext {
    /// Physical input shape → logical NCHW shape for a layout-sensitive op.
    func logical(_ shape: [Int], _ layout: Layout) -> [Int] {
        switch layout {
        case .nchw: return shape
        case .nhwc: return LayoutPermutation.permute(shape, LayoutPermutation.toNCHW(rank: shape.count))
        }
    }

    /// Logical NCHW output shape → physical shape.
    func physical(_ shape: [Int], _ layout: Layout) -> [Int] {
        switch layout {
        case .nchw: return shape
        case .nhwc: return LayoutPermutation.permute(shape, LayoutPermutation.toNHWC(rank: shape.count))
        }
    }

    func conv(_ a: ConvAttributes) throws -> TensorType {
        let x = try floatOrInt8(0)
        let (xs, ws, g) = try convOperands(a, transposed: false)
        guard xs[1] == ws[1] * a.group else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "weight shape \(ws) with group \(a.group) expects \(ws[1] * a.group) input channels, input has \(xs[1])")
        }
        guard ws[0] % a.group == 0 else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "\(ws[0]) output channels are not divisible by group \(a.group)")
        }
        try checkBias(channels: ws[0])
        return TensorType(x.dtype, shape: physical([xs[0], ws[0]] + g.output, a.layout))
    }

    func convTranspose(_ a: ConvAttributes) throws -> TensorType {
        let x = try float(0)
        let (xs, ws, g) = try convOperands(a, transposed: true)
        guard xs[1] == ws[0], ws[0] % a.group == 0 else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "weight shape \(ws) (C×M/group×k) does not match \(xs[1]) input channels with group \(a.group)")
        }
        let outC = ws[1] * a.group
        try checkBias(channels: outC)
        return TensorType(x.dtype, shape: physical([xs[0], outC] + g.output, a.layout))
    }

    /// The logical NCHW input shape and the weight shape of a Conv or ConvTranspose, with
    /// the window's geometry, once the group is known to be positive.
    private func convOperands(_ a: ConvAttributes, transposed: Bool) throws -> (input: [Int], weight: [Int], geometry: WindowGeometry) {
        let xs = logical(try shape(0), a.layout)
        let ws = try shape(1)
        guard a.group > 0 && a.group < 1 << 31 else { throw LoupeError.invalidAttribute(ref, attribute: "group", reason: "\(a.group) must be positive") }
        return (xs, ws, try a.geometry(node: ref, input: xs, weight: ws, transposed: transposed))
    }

    private func checkBias(channels: Int) throws {
        if present(2) {
            let b = try shape(2)
            guard b == [channels] else {
                throw LoupeError.invalidInput(ref, input: 2, reason: "bias shape \(b): expected [\(channels)]")
            }
        }
    }

    func gemm(_ a: GemmAttributes) throws -> TensorType {
        let t = try floatOrInt8(0)
        let sa = try shape(0), sb = try shape(1)
        guard sa.count == 2, sb.count == 2 else {
            throw fail("Gemm needs 2-D A and B, got \(sa) and \(sb)")
        }
        let (m, k) = a.transA ? (sa[1], sa[0]) : (sa[0], sa[1])
        let (k2, n) = a.transB ? (sb[1], sb[0]) : (sb[0], sb[1])
        guard k == k2 else {
            throw fail("inner dimensions differ: A\(a.transA ? "ᵀ" : "") is \(m)×\(k), B\(a.transB ? "ᵀ" : "") is \(k2)×\(n)")
        }
        if present(2) {
            let sc = try shape(2)
            guard let bc = broadcastShape(sc, [m, n]), bc == [m, n] else {
                throw LoupeError.invalidInput(ref, input: 2, reason: "C shape \(sc) does not broadcast to [\(m), \(n)]")
            }
        }
        return TensorType(t.dtype, shape: [m, n])
    }

    func matMul() throws -> TensorType {
        let t = try type(0)
        guard let out = matMulShape(try shape(0), try shape(1)) else {
            throw fail("MatMul shapes \(try shape(0)) and \(try shape(1)) do not fit (numpy matmul)")
        }
        return TensorType(t.dtype, shape: out)
    }
}

/// numpy `matmul` output shape: 1-D operands are promoted (and the added axis removed),
/// batch dimensions broadcast. nil when the shapes do not fit.
public func matMulShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    guard !a.isEmpty, !b.isEmpty else { return nil }
    let a2 = a.count == 1 ? [1] + a : a
    let b2 = b.count == 1 ? b + [1] : b
    let m = a2[a2.count - 2], k = a2[a2.count - 1]
    let k2 = b2[b2.count - 2], n = b2[b2.count - 1]
    guard k == k2, let batch = broadcastShape(Array(a2.dropLast(2)), Array(b2.dropLast(2))) else { return nil }
    var out = batch
    if a.count != 1 { out.append(m) }
    if b.count != 1 { out.append(n) }
    return out
}
