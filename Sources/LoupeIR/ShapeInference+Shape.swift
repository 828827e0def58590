// Data-movement and shape-computation ops: Flatten, Reshape, Squeeze, Unsqueeze, Concat,
// Pad, Transpose, Shape, Gather, Slice, Cast, ConstantOfShape, Expand, Identity, Dropout.

/// One axis of a resolved Slice: elements `start, start+step, …` (`count` of them).
public struct SliceAxis: Sendable, Hashable {
    public var start: Int
    public var step: Int
    public var count: Int
}

/// Resolves ONNX Slice inputs against `shape` (negative indices, clamping, negative steps),
/// giving one `SliceAxis` per dimension (untouched axes take everything).
public func resolveSlice(shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?,
                         node: NodeReference) throws -> [SliceAxis] {
    let r = shape.count
    let axes = axes ?? Array(0..<starts.count)
    let steps = steps ?? Array(repeating: 1, count: starts.count)
    guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
        throw LoupeError.invalidInput(node, input: 1, reason: "starts \(starts), ends \(ends), axes \(axes), steps \(steps) differ in length")
    }
    var out = shape.map { SliceAxis(start: 0, step: 1, count: $0) }
    var seen = Set<Int>()
    for i in 0..<axes.count {
        guard axes[i] >= -r && axes[i] < r else {
            throw LoupeError.invalidInput(node, input: 3, reason: "axis \(axes[i]) is out of range for rank \(r)")
        }
        let a = axes[i] < 0 ? axes[i] + r : axes[i]
        guard seen.insert(a).inserted else {
            throw LoupeError.invalidInput(node, input: 3, reason: "axes \(axes) repeat axis \(a)")
        }
        let d = shape[a], step = steps[i]
        guard step != 0 else { throw LoupeError.invalidInput(node, input: 4, reason: "steps must not be 0") }
        var s = starts[i], e = ends[i]
        if s < 0 { s = s &+ d }
        if e < 0 { e = e &+ d }
        let count: Int
        if step > 0 {
            s = Swift.min(Swift.max(s, 0), d)
            e = Swift.min(Swift.max(e, 0), d)
            count = e > s ? (e - s - 1) / step + 1 : 0
        } else {
            s = Swift.min(Swift.max(s, 0), d - 1)
            e = Swift.min(Swift.max(e, -1), d - 1)
            count = s > e ? (s - e - 1) / (step == .min ? .max : -step) + 1 : 0
        }
        out[a] = SliceAxis(start: s, step: step, count: count)
    }
    return out
}

/// Resolves ONNX Pad's `pads` (and optional `axes`) for a tensor of rank `rank` into
/// per-dimension begin and end pads (negative values crop).
public func resolvePads(_ pads: [Int], axes: [Int]?, rank: Int, node: NodeReference) throws -> (begin: [Int], end: [Int]) {
    let axes = axes ?? Array(0..<rank)
    guard pads.count == 2 * axes.count else {
        throw LoupeError.invalidInput(node, input: 1, reason: "pads \(pads) needs \(2 * axes.count) entries (2 per padded axis)")
    }
    var begin = Array(repeating: 0, count: rank), end = begin
    var seen = Set<Int>()
    for (i, a) in axes.enumerated() {
        guard a >= -rank && a < rank else {
            throw LoupeError.invalidInput(node, input: 3, reason: "axis \(a) is out of range for rank \(rank)")
        }
        let n = a < 0 ? a + rank : a
        guard seen.insert(n).inserted else { throw LoupeError.invalidInput(node, input: 3, reason: "axes \(axes) repeat axis \(n)") }
        begin[n] = pads[i]
        end[n] = pads[axes.count + i]
    }
    return (begin, end)
}

extension ShapeContext {
    func flatten(axis a: Int) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        guard a >= -xs.count && a <= xs.count else {
            throw LoupeError.invalidAttribute(ref, attribute: "axis", reason: "\(a) is out of range for rank \(xs.count)")
        }
        let n = a < 0 ? a + xs.count : a
        return TensorType(t.dtype, shape: [xs[..<n].reduce(1, *), xs[n...].reduce(1, *)])
    }

    func reshape(allowZero: Bool) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let requested = try constantInts(1, what: "shape")
        var out: [Int] = []
        var inferred: Int? = nil
        for (i, v) in requested.enumerated() {
            if v == -1 {
                guard inferred == nil else { throw LoupeError.invalidInput(ref, input: 1, reason: "shape \(requested) has more than one -1") }
                inferred = i
                out.append(1)
            } else if v == 0 && !allowZero {
                guard i < xs.count else {
                    throw LoupeError.invalidInput(ref, input: 1, reason: "shape \(requested) copies dimension \(i) (0) but the input \(xs) has rank \(xs.count)")
                }
                out.append(xs[i])
            } else if v < 0 {
                throw LoupeError.invalidInput(ref, input: 1, reason: "shape \(requested) has invalid entry \(v)")
            } else {
                out.append(v)
            }
        }
        _ = try checked(out, "requested")
        let total = xs.reduce(1, *)
        if let i = inferred {
            if allowZero && requested.contains(0) {
                throw LoupeError.invalidInput(ref, input: 1, reason: "shape \(requested) has both 0 and -1 with allowzero=1")
            }
            let rest = out.reduce(1, *)
            guard rest > 0, total % rest == 0 else {
                throw fail("cannot reshape \(xs) (\(total) elements) to \(requested)")
            }
            out[i] = total / rest
        }
        guard out.reduce(1, *) == total else {
            throw fail("cannot reshape \(xs) (\(total) elements) to \(requested) (\(out.reduce(1, *)) elements)")
        }
        return TensorType(t.dtype, shape: out)
    }

    func squeeze() throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        if !present(1) { return TensorType(t.dtype, shape: xs.filter { $0 != 1 }) }
        let axes = try self.axes(try constantInts(1, what: "axes"), rank: xs.count)
        for a in axes where xs[a] != 1 {
            throw LoupeError.invalidInput(ref, input: 1, reason: "cannot squeeze axis \(a) of size \(xs[a]) in \(xs)")
        }
        return TensorType(t.dtype, shape: xs.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }

    func unsqueeze() throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let list = try constantInts(1, what: "axes")
        let r = xs.count + list.count
        let axes = try self.axes(list, rank: r)
        var out: [Int] = []
        var next = xs.makeIterator()
        for i in 0..<r { out.append(axes.contains(i) ? 1 : next.next()!) }
        return TensorType(t.dtype, shape: out)
    }

    func concat(axis a: Int) throws -> TensorType {
        guard !inputTypes.isEmpty else { throw LoupeError.invalidInput(ref, input: 0, reason: "Concat needs at least one input") }
        let t = try type(0)
        var out = try shape(0)
        let n = try axis(a, rank: out.count)
        for i in 1..<Swift.max(inputTypes.count, 1) {
            let ti = try type(i)
            let s = try shape(i)
            guard ti.dtype == t.dtype else { throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(ti.dtype) differs from input 0's \(t.dtype)") }
            guard s.count == out.count, (0..<s.count).allSatisfy({ $0 == n || s[$0] == out[$0] }) else {
                throw LoupeError.invalidInput(ref, input: i, reason: "shape \(s) does not match \(try shape(0)) outside axis \(n)")
            }
            out[n] = try sum(out[n], s[n], "the concatenated length along axis \(n)")
        }
        return TensorType(t.dtype, shape: out)
    }

    func pad() throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let pads = try constantInts(1, what: "pads")
        var axes: [Int]? = nil
        if present(3) { axes = try constantInts(3, what: "axes") }
        if present(2) {
            let s = try shape(2)
            guard s.reduce(1, *) == 1 else { throw LoupeError.invalidInput(ref, input: 2, reason: "constant_value must be a scalar, got shape \(s)") }
        }
        let (b, e) = try resolvePads(pads, axes: axes, rank: xs.count, node: ref)
        // A range, not abs(): abs(Int.min) traps.
        guard pads.allSatisfy({ (-(1 << 40)...(1 << 40)).contains($0) }) else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "pads \(pads) are out of range")
        }
        let out = try (0..<xs.count).map { try sum(try sum(xs[$0], b[$0], "padded axis \($0)"), e[$0], "padded axis \($0)") }
        guard out.allSatisfy({ $0 >= 0 }) else { throw fail("pads \(pads) crop \(xs) below zero") }
        return TensorType(t.dtype, shape: try checked(out))
    }

    /// Split into `outputs` parts along `axis`: the sizes of the `split` input (which must
    /// be constant and sum to the axis length), else ceil(d / outputs) each with the last
    /// part taking the rest.
    func split(axis a: Int, outputs: Int) throws -> [TensorType] {
        let t = try type(0)
        let xs = try shape(0)
        let n = try axis(a, rank: xs.count)
        let sizes = try splitSizes(axisLength: xs[n], outputs: outputs)
        return sizes.map { size in
            var s = xs
            s[n] = size
            return TensorType(t.dtype, shape: s)
        }
    }

    /// The part lengths of a Split along an axis of length `d`.
    func splitSizes(axisLength d: Int, outputs: Int) throws -> [Int] {
        guard outputs >= 1 else { throw fail("Split needs at least one output") }
        if present(1) {
            let sizes = try constantInts(1, what: "split")
            guard sizes.count == outputs else {
                throw LoupeError.invalidInput(ref, input: 1, reason: "split \(sizes) has \(sizes.count) entries for \(outputs) outputs")
            }
            guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, { $0 &+ $1 }) == d else {
                throw LoupeError.invalidInput(ref, input: 1, reason: "split \(sizes) must be non-negative and sum to the axis length \(d)")
            }
            return sizes
        }
        let part = (d + outputs - 1) / outputs
        guard part * (outputs - 1) < d || (d == 0) else {
            throw fail("cannot split an axis of length \(d) into \(outputs) parts of \(part)")
        }
        return (0..<outputs).map { i in Swift.max(0, Swift.min(part, d - i * part)) }
    }

    func transpose(perm: [Int]?) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let p = perm ?? Array((0..<xs.count).reversed())
        guard p.sorted() == Array(0..<xs.count) else {
            throw LoupeError.invalidAttribute(ref, attribute: "perm", reason: "\(p) is not a permutation of 0..<\(xs.count)")
        }
        return TensorType(t.dtype, shape: p.map { xs[$0] })
    }

    func depthSpace(_ a: DepthSpaceAttributes) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        guard xs.count == 4 else {
            throw LoupeError.invalidInput(ref, input: 0, reason: "\(ref.opType) needs a 4-D input, got \(xs)")
        }
        guard a.blockSize >= 1 else {
            throw LoupeError.invalidAttribute(ref, attribute: "blocksize", reason: "\(a.blockSize) is below 1")
        }
        guard let y = a.outputShape(xs) else {
            let what = a.direction == .spaceToDepth ? "height and width" : "channels"
            throw LoupeError.invalidInput(ref, input: 0, reason: "\(what) of \(xs) (\(a.layout.rawValue)) do not divide into blocks of \(a.blockSize)")
        }
        return TensorType(t.dtype, shape: y)
    }

    func shape(start: Int, end: Int?) throws -> TensorType {
        let t = try type(0)
        return TensorType(.int64, shape: [Graph.shapeRange(rank: t.rank, start: start, end: end).count])
    }

    func gather(axis a: Int) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let ti = try type(1)
        guard ti.dtype == .int64 || ti.dtype == .int32 else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "indices dtype \(ti.dtype): expected int32 or int64")
        }
        let n = try axis(a, rank: xs.count)
        return TensorType(t.dtype, shape: Array(xs[..<n]) + (try shape(1)) + Array(xs[(n + 1)...]))
    }

    func slice() throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let starts = try constantInts(1, what: "starts")
        let ends = try constantInts(2, what: "ends")
        let axes: [Int]? = present(3) ? try constantInts(3, what: "axes") : nil
        let steps: [Int]? = present(4) ? try constantInts(4, what: "steps") : nil
        let r = try resolveSlice(shape: xs, starts: starts, ends: ends, axes: axes, steps: steps, node: ref)
        return TensorType(t.dtype, shape: r.map(\.count))
    }

    func cast(to: DType) throws -> TensorType {
        TensorType(to, try type(0).dims)
    }

    func constantOfShape(value: Tensor) throws -> TensorType {
        let dims = try constantInts(0, what: "shape")
        guard dims.allSatisfy({ $0 >= 0 }) else { throw LoupeError.invalidInput(ref, input: 0, reason: "shape \(dims) has a negative entry") }
        guard value.count == 1 else {
            throw LoupeError.invalidAttribute(ref, attribute: "value", reason: "must hold one element, has shape \(value.shape)")
        }
        return TensorType(value.dtype, shape: try checked(dims))
    }

    func expand() throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        let target = try constantInts(1, what: "shape")
        guard let out = broadcastShape(xs, try checked(target, "requested")) else {
            throw fail("input shape \(xs) does not broadcast with \(target)")
        }
        return TensorType(t.dtype, shape: out)
    }
}
