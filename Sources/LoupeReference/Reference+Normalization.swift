import Foundation
import LoupeIR

// BatchNormalization (inference) and Softmax.

extension Kernel {
    /// Y = scale · (X − mean) / sqrt(var + epsilon) + B, per channel (axis 1).
    func batchNormalization(epsilon: Float) throws -> Tensor {
        let x = try floats(0)
        let scale = try floats(1), b = try floats(2), mean = try floats(3), variance = try floats(4)
        let xs = try input(0).shape
        let c = xs[1], size = xs[2...].reduce(1, *)
        var y = Array(repeating: 0.0, count: x.count)
        for i in 0..<x.count {
            let ch = (i / size) % c
            let inv = 1 / Foundation.sqrt(Double(variance[ch]) + Double(epsilon))
            y[i] = Double(scale[ch]) * (Double(x[i]) - Double(mean[ch])) * inv + Double(b[ch])
        }
        return output(y)
    }

    /// Softmax along `axis`; with `legacyCoerce2D` (opset < 13) over all axes from `axis` on.
    func softmax(axis a: Int, legacyCoerce2D: Bool) throws -> Tensor {
        let x = try floats(0)
        let xs = try input(0).shape
        let axis = a < 0 ? a + xs.count : a
        // View the tensor as [outer, n, inner] and normalise over n.
        let outer = xs[..<axis].reduce(1, *)
        let n = legacyCoerce2D ? xs[axis...].reduce(1, *) : xs[axis]
        let inner = legacyCoerce2D ? 1 : xs[(axis + 1)...].reduce(1, *)
        var y = Array(repeating: 0.0, count: x.count)
        for o in 0..<outer {
            for i in 0..<inner {
                let at = { (j: Int) in (o * n + j) * inner + i }
                var m = -Double.infinity
                for j in 0..<n { m = Swift.max(m, Double(x[at(j)])) }
                var sum = 0.0
                for j in 0..<n { sum += Foundation.exp(Double(x[at(j)]) - m) }
                for j in 0..<n { y[at(j)] = Foundation.exp(Double(x[at(j)]) - m) / sum }
            }
        }
        return output(y)
    }
}
