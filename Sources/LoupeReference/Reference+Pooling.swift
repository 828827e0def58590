import Foundation
import LoupeIR

// AveragePool, MaxPool, global pools, reductions.

extension Kernel {
    /// Visits every window of a pool: for each (n·c plane, output position) calls `body`
    /// with the flat plane offset, the output position, the in-bounds input offsets of
    /// the window and the number of taps inside the explicitly padded input.
    private func windows(_ a: PoolAttributes,
                         _ body: (_ plane: Int, _ p: Int, _ taps: [Int], _ paddedTaps: Int) -> Void) throws -> WindowGeometry {
        let xs = try input(0).shape
        let g = try a.geometry(node: ref, input: xs)
        let planes = xs[0] * xs[1]
        let inStrides = strides(g.input)
        var kernelIndices: [[Int]] = []
        forEachIndex(g.kernel) { _, k in kernelIndices.append(k) }
        forEachIndex(g.output) { p, pos in
            var taps: [Int] = []
            var padded = 0
            for k in kernelIndices {
                var off = 0
                var inside = true
                var inPadded = true
                for d in 0..<g.rank {
                    let i = pos[d] * g.strides[d] + k[d] * g.dilations[d] - g.padBegin[d]
                    if i < 0 || i >= g.input[d] { inside = false }
                    // Taps past the explicit end pad come from ceil_mode and never count.
                    if i >= g.input[d] + g.padEnd[d] { inPadded = false }
                    off += i * inStrides[d]
                }
                if inPadded { padded += 1 }
                if inside { taps.append(off) }
            }
            for plane in 0..<planes { body(plane, p, taps, padded) }
        }
        return g
    }

    func averagePool(_ a: PoolAttributes) throws -> Tensor {
        let x = try floats(0)
        let inSize = try input(0).shape[2...].reduce(1, *)
        let outSize = outShape[2...].reduce(1, *)
        var y = Array(repeating: 0.0, count: outShape.reduce(1, *))
        _ = try windows(a) { plane, p, taps, padded in
            var sum = 0.0
            for t in taps { sum += Double(x[plane * inSize + t]) }
            let n = a.countIncludePad ? padded : taps.count
            y[plane * outSize + p] = n > 0 ? sum / Double(n) : .nan
        }
        return output(y)
    }

    /// MaxPool; the optional second output holds the flat NCHW index of each maximum.
    func maxPool(_ a: PoolAttributes) throws -> [Tensor] {
        let x = try floats(0)
        let inSize = try input(0).shape[2...].reduce(1, *)
        let outSize = outShape[2...].reduce(1, *)
        let count = outShape.reduce(1, *)
        var y = Array(repeating: -Double.infinity, count: count)
        var indices = Array(repeating: Int64(-1), count: count)
        _ = try windows(a) { plane, p, taps, _ in
            var best = -Double.infinity
            var at = -1
            for t in taps where at < 0 || Double(x[plane * inSize + t]) > best {
                best = Double(x[plane * inSize + t])
                at = plane * inSize + t
            }
            y[plane * outSize + p] = best
            indices[plane * outSize + p] = Int64(at)
        }
        let values = output(y)
        if node.outputs.count > 1 {
            return [values, Tensor(shape: outShape, ints: indices, dtype: .int64)]
        }
        return [values]
    }

    func globalPool(average: Bool) throws -> Tensor {
        let x = try floats(0)
        let xs = try input(0).shape
        let planes = xs[0] * xs[1], size = xs[2...].reduce(1, *)
        var y: [Double] = []
        for plane in 0..<planes {
            let window = x[(plane * size)..<((plane + 1) * size)].map(Double.init)
            y.append(average ? window.reduce(0, +) / Double(size) : (window.max() ?? -.infinity))
        }
        return output(y)
    }

    func reduce(_ op: ReduceOp, keepDims: Bool, noopWithEmptyAxes: Bool) throws -> Tensor {
        let x = try input(0)
        let list: [Int]? = present(1) ? try input(1).ints.map { Int(clamping: $0) } : nil
        let axes = try resolveReduceAxes(list, rank: x.shape.count, noopWithEmptyAxes: noopWithEmptyAxes, node: ref)
        if axes.isEmpty { return x }
        // Output position of each input element: its index with the reduced axes dropped.
        let kept = (0..<x.shape.count).filter { !axes.contains($0) }
        let keptShape = kept.map { x.shape[$0] }
        let keptStrides = strides(keptShape)
        let outCount = keptShape.reduce(1, *)
        let n = axes.map { x.shape[$0] }.reduce(1, *)
        var target: [Int] = []
        target.reserveCapacity(x.count)
        forEachIndex(x.shape) { _, index in
            var o = 0
            for (j, d) in kept.enumerated() { o += index[d] * keptStrides[j] }
            target.append(o)
        }
        if case .int(let v) = x.storage, !x.dtype.isFloat {
            var acc: [Int64]
            switch op {
            case .sum, .mean, .sumSquare, .l2: acc = Array(repeating: 0, count: outCount)
            case .prod: acc = Array(repeating: 1, count: outCount)
            case .max: acc = Array(repeating: .min, count: outCount)
            case .min: acc = Array(repeating: .max, count: outCount)
            }
            for (i, t) in target.enumerated() {
                switch op {
                case .sum, .mean: acc[t] = acc[t] &+ v[i]
                case .sumSquare, .l2: acc[t] = acc[t] &+ v[i] &* v[i]
                case .prod: acc[t] = acc[t] &* v[i]
                case .max: acc[t] = Swift.max(acc[t], v[i])
                case .min: acc[t] = Swift.min(acc[t], v[i])
                }
            }
            switch op {
            case .mean: acc = acc.map { n > 0 ? $0 / Int64(n) : 0 }
            case .l2: acc = acc.map { Int64(Foundation.sqrt(Double($0))) }
            case .sum, .sumSquare, .prod, .max, .min: break
            }
            return Tensor(shape: outShape, ints: acc, dtype: x.dtype)
        }
        let v = try floats(0)
        var acc: [Double]
        switch op {
        case .sum, .mean, .sumSquare, .l2: acc = Array(repeating: 0, count: outCount)
        case .prod: acc = Array(repeating: 1, count: outCount)
        case .max: acc = Array(repeating: -.infinity, count: outCount)
        case .min: acc = Array(repeating: .infinity, count: outCount)
        }
        for (i, t) in target.enumerated() {
            let e = Double(v[i])
            switch op {
            case .sum, .mean: acc[t] += e
            case .sumSquare, .l2: acc[t] += e * e
            case .prod: acc[t] *= e
            case .max: acc[t] = e.isNaN || acc[t].isNaN ? .nan : Swift.max(acc[t], e)
            case .min: acc[t] = e.isNaN || acc[t].isNaN ? .nan : Swift.min(acc[t], e)
            }
        }
        switch op {
        case .mean: acc = acc.map { $0 / Double(n) }
        case .l2: acc = acc.map { Foundation.sqrt($0) }
        case .sum, .sumSquare, .prod, .max, .min: break
        }
        return output(acc)
    }
}
