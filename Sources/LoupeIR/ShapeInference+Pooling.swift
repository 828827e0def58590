// Pools, global pools, BatchNormalization, reductions, Softmax.

/// The axes a Reduce node reduces over: `axes` normalised (nil or empty means all axes,
/// unless `noopWithEmptyAxes`, which gives none: the op is then the identity).
public func resolveReduceAxes(_ axes: [Int]?, rank: Int, noopWithEmptyAxes: Bool, node: NodeReference) throws -> [Int] {
    guard let axes, !axes.isEmpty else { return noopWithEmptyAxes ? [] : Array(0..<rank) }
    var out: [Int] = []
    for a in axes {
        guard a >= -rank && a < rank else {
            throw LoupeError.invalidInput(node, input: 1, reason: "axis \(a) is out of range for rank \(rank)")
        }
        let n = a < 0 ? a + rank : a
        guard !out.contains(n) else {
            throw LoupeError.invalidInput(node, input: 1, reason: "axes \(axes) repeat axis \(n)")
        }
        out.append(n)
    }
    return out.sorted()
}

extension ShapeContext {
    func pool(_ a: PoolAttributes) throws -> TensorType {
        let t = try floatOrInt8(0)
        let xs = logical(try shape(0), a.layout)
        let g = try a.geometry(node: ref, input: xs)
        return TensorType(t.dtype, shape: physical([xs[0], xs[1]] + g.output, a.layout))
    }

    func globalPool(layout: Layout) throws -> TensorType {
        let t = try floatOrInt8(0)
        let xs = logical(try shape(0), layout)
        guard xs.count >= 3 else { throw fail("input shape \(try shape(0)) must have rank ≥ 3") }
        return TensorType(t.dtype, shape: physical([xs[0], xs[1]] + Array(repeating: 1, count: xs.count - 2), layout))
    }

    func batchNormalization(layout: Layout) throws -> TensorType {
        let t = try float(0)
        let xs = logical(try shape(0), layout)
        guard xs.count >= 2 else { throw fail("input shape \(xs) must have rank ≥ 2") }
        for i in 1...4 {
            let s = try shape(i)
            guard s == [xs[1]] else {
                throw LoupeError.invalidInput(ref, input: i, reason: "shape \(s): expected [\(xs[1])] (one per channel)")
            }
        }
        return t
    }

    func reduce(keepDims: Bool, noopWithEmptyAxes: Bool) throws -> TensorType {
        let t = try type(0)
        let xs = try shape(0)
        var list: [Int]? = nil
        if present(1) { list = try constantInts(1, what: "axes") }
        let axes = try resolveReduceAxes(list, rank: xs.count, noopWithEmptyAxes: noopWithEmptyAxes, node: ref)
        if axes.isEmpty { return t }
        var out: [Int] = []
        for (i, d) in xs.enumerated() {
            if axes.contains(i) { if keepDims { out.append(1) } } else { out.append(d) }
        }
        return TensorType(t.dtype, shape: out)
    }

    func softmax(axis a: Int) throws -> TensorType {
        let t = try float(0)
        let xs = try shape(0)
        _ = try axis(a, rank: xs.count)
        return t
    }
}
