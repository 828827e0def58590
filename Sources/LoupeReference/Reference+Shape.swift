import LoupeIR

// Data movement and shape computations. These work on float and integer tensors alike.

extension Kernel {
    /// Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout: same elements, inferred shape.
    func reshaped() throws -> Tensor {
        try input(0).reshaped(outShape)
    }

    func concat(axis a: Int) throws -> Tensor {
        let parts = try (0..<inputs.count).map { try input($0) }
        let axis = a < 0 ? a + outShape.count : a
        let outer = outShape[..<axis].reduce(1, *)
        let inner = outShape[(axis + 1)...].reduce(1, *)
        switch parts[0].storage {
        case .float:
            var y: [Float] = []
            y.reserveCapacity(outShape.reduce(1, *))
            for o in 0..<outer {
                for (i, p) in parts.enumerated() {
                    let block = p.shape[axis] * inner
                    let v = try floats(i)
                    y.append(contentsOf: v[(o * block)..<((o + 1) * block)])
                }
            }
            return output(floats: y)
        case .int:
            var y: [Int64] = []
            for o in 0..<outer {
                for (i, p) in parts.enumerated() {
                    let block = p.shape[axis] * inner
                    guard case .int(let v) = p.storage else {
                        throw LoupeError.invalidInput(ref, input: i, reason: "storage differs from input 0's")
                    }
                    y.append(contentsOf: v[(o * block)..<((o + 1) * block)])
                }
            }
            return Tensor(shape: outShape, ints: y, dtype: outputTypes[0].dtype)
        }
    }

    /// Pad: negative pads crop first, then the cropped tensor is padded by `mode`
    /// (reflect and wrap repeat as in numpy when a pad exceeds the size).
    func pad(_ mode: PadMode) throws -> Tensor {
        let x = try input(0)
        let pads = try input(1).ints.map { Int(clamping: $0) }
        let axes: [Int]? = present(3) ? try input(3).ints.map { Int(clamping: $0) } : nil
        let (begin, end) = try resolvePads(pads, axes: axes, rank: x.shape.count, node: ref)
        // Per axis, the input coordinate for each output coordinate (-1: constant fill).
        var maps: [[Int]] = []
        for d in 0..<x.shape.count {
            let lo = Swift.max(0, -begin[d])
            let length = x.shape[d] - lo - Swift.max(0, -end[d])
            let before = Swift.max(0, begin[d])
            if length <= 0 && mode != .constant && outShape[d] > 0 {
                throw LoupeError.invalidInput(ref, input: 1, reason: "\(mode) padding of an empty axis \(d)")
            }
            maps.append((0..<outShape[d]).map { o in
                let r = o - before
                if r >= 0 && r < length { return lo + r }
                switch mode {
                case .constant: return -1
                case .edge: return lo + Swift.min(Swift.max(r, 0), length - 1)
                case .wrap: return lo + ((r % length) + length) % length
                case .reflect:
                    if length == 1 { return lo }
                    let period = 2 * (length - 1)
                    let m = ((r % period) + period) % period
                    return lo + (m < length ? m : period - m)
                }
            })
        }
        let inStrides = strides(x.shape)
        var src: [Int] = []
        src.reserveCapacity(outShape.reduce(1, *))
        forEachIndex(outShape) { _, index in
            var s = 0
            for d in 0..<index.count {
                let i = maps[d][index[d]]
                if i < 0 { s = -1; break }
                s += i * inStrides[d]
            }
            src.append(s)
        }
        return x.gathering(src, shape: outShape, fill: present(2) ? try input(2) : nil)
    }

    func transpose(perm: [Int]?) throws -> Tensor {
        let x = try input(0)
        return x.transposed(perm ?? Array((0..<x.shape.count).reversed()))
    }

    /// SpaceToDepth / DepthToSpace (NCHW) element by element from the formulas of
    /// `DepthSpaceAttributes.Direction`, not from the runtime's 6-D view, so that the two
    /// check each other.
    func depthSpace(_ a: DepthSpaceAttributes) throws -> Tensor {
        let x = try input(0)
        let s = x.shape, y = outShape
        let b = a.blockSize
        var src: [Int] = []
        src.reserveCapacity(y.reduce(1, *))
        for n in 0..<y[0] {
            for c in 0..<y[1] {
                for h in 0..<y[2] {
                    for w in 0..<y[3] {
                        let (xc, xh, xw): (Int, Int, Int)
                        switch a.direction {
                        case .spaceToDepth:
                            let block = c / s[1], i = block / b, j = block % b
                            (xc, xh, xw) = (c % s[1], h * b + i, w * b + j)
                        case .depthToSpaceDCR:
                            (xc, xh, xw) = (((h % b) * b + w % b) * y[1] + c, h / b, w / b)
                        case .depthToSpaceCRD:
                            (xc, xh, xw) = (c * b * b + (h % b) * b + w % b, h / b, w / b)
                        }
                        src.append(((n * s[1] + xc) * s[2] + xh) * s[3] + xw)
                    }
                }
            }
        }
        return x.gathering(src, shape: y)
    }

    func gather(axis a: Int) throws -> Tensor {
        let x = try input(0)
        guard case .int(let indices) = try input(1).storage else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "indices must hold integers")
        }
        let axis = a < 0 ? a + x.shape.count : a
        let d = x.shape[axis]
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        var src: [Int] = []
        src.reserveCapacity(outShape.reduce(1, *))
        for o in 0..<outer {
            for raw in indices {
                guard raw >= -Int64(d) && raw < Int64(d) else {
                    throw LoupeError.invalidInput(ref, input: 1, reason: "index \(raw) is out of range for axis \(axis) of size \(d)")
                }
                let i = Int(raw < 0 ? raw + Int64(d) : raw)
                for j in 0..<inner { src.append((o * d + i) * inner + j) }
            }
        }
        return x.gathering(src, shape: outShape)
    }

    func slice() throws -> Tensor {
        let x = try input(0)
        func ints(_ i: Int) throws -> [Int] { try input(i).ints.map { Int(clamping: $0) } }
        let plan = try resolveSlice(shape: x.shape, starts: try ints(1), ends: try ints(2),
                                    axes: present(3) ? try ints(3) : nil, steps: present(4) ? try ints(4) : nil,
                                    node: ref)
        let inStrides = strides(x.shape)
        var src: [Int] = []
        forEachIndex(outShape) { _, index in
            var s = 0
            for d in 0..<index.count { s += (plan[d].start + index[d] * plan[d].step) * inStrides[d] }
            src.append(s)
        }
        return x.gathering(src, shape: outShape)
    }

    /// Cast: float → integer truncates toward zero (NaN → 0, saturating at the Int64 range)
    /// then wraps to the target width; → bool is `x != 0`; → float16 rounds to half precision
    /// (values stay held as Float).
    func cast(to: DType) throws -> Tensor {
        let x = try input(0)
        if to == .float16 {
            return Tensor(shape: outShape, floats: x.floats.map(roundToHalf), dtype: to)
        }
        if to.isFloat {
            return Tensor(shape: outShape, floats: x.floats, dtype: to)
        }
        if to == .bool {
            // Bool is x != 0 on the original value (0.5 is true).
            return Tensor(shape: outShape, ints: x.floats.map { $0 != 0 ? 1 : 0 }, dtype: .bool)
        }
        let wide: [Int64]
        switch x.storage {
        case .int(let v): wide = v
        case .float(let v):
            wide = v.map { f in
                if f.isNaN { return 0 }
                if f >= 9.2e18 { return .max }
                if f <= -9.2e18 { return .min }
                return Int64(f.rounded(.towardZero))
            }
        }
        let narrowed: [Int64]
        switch to {
        case .bool: narrowed = wide.map { $0 != 0 ? 1 : 0 }
        case .int8: narrowed = wide.map { Int64(Int8(truncatingIfNeeded: $0)) }
        case .uint8: narrowed = wide.map { Int64(UInt8(truncatingIfNeeded: $0)) }
        case .int16: narrowed = wide.map { Int64(Int16(truncatingIfNeeded: $0)) }
        case .uint16: narrowed = wide.map { Int64(UInt16(truncatingIfNeeded: $0)) }
        case .int32: narrowed = wide.map { Int64(Int32(truncatingIfNeeded: $0)) }
        case .uint32: narrowed = wide.map { Int64(UInt32(truncatingIfNeeded: $0)) }
        case .int64, .uint64: narrowed = wide
        case .float32, .float16, .float64: narrowed = wide  // handled above
        }
        return Tensor(shape: outShape, ints: narrowed, dtype: to)
    }

    func constantOfShape(_ value: Tensor) -> Tensor {
        value.gathering(Array(repeating: 0, count: outShape.reduce(1, *)), shape: outShape)
    }

    func expand() throws -> Tensor {
        let x = try input(0)
        return x.gathering(broadcastSources(output: outShape, input: x.shape), shape: outShape)
    }
}

/// Rounds to the nearest float16 value (ties to even), held as Float.
func roundToHalf(_ v: Float) -> Float {
    #if arch(x86_64) && os(macOS)
    // No Float16 here: round the significand to 11 bits by hand (normal range only).
    guard v.isFinite, v != 0 else { return v }
    if abs(v) >= 65520 { return v < 0 ? -.infinity : .infinity }
    let e = max(v.exponent, -14)
    let q = Float(sign: .plus, exponent: e - 10, significand: 1)
    return (v / q).rounded(.toNearestOrEven) * q
    #else
    return Float(Float16(v))
    #endif
}

extension Kernel {
    /// Split along `axis` into the parts shape inference sized (one per output).
    func split(axis a: Int) throws -> [Tensor] {
        let x = try input(0)
        let axis = a < 0 ? a + x.shape.count : a
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let d = x.shape[axis]
        var offset = 0
        var parts: [Tensor] = []
        for shape in outputShapes {
            let size = shape[axis]
            var src: [Int] = []
            src.reserveCapacity(outer * size * inner)
            for o in 0..<outer {
                let base = (o * d + offset) * inner
                src.append(contentsOf: base..<(base + size * inner))
            }
            parts.append(x.gathering(src, shape: shape))
            offset += size
        }
        return parts
    }
}
