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

// Normalizations that compute their statistics from X: training-mode BatchNormalization
// and LayerNormalization. Statistics accumulate in Double, two passes (mean, then the
// squared deviations), so a large mean does not cancel the variance.

extension Kernel {
    /// Training-mode BatchNormalization, output Y only: per channel (axis 1) mean and
    /// population variance over every other axis, then
    /// Y = scale · (X − mean) / sqrt(var + epsilon) + B. The running-statistics inputs
    /// (3, 4) do not enter Y.
    func batchNormalizationTraining(epsilon: Float) throws -> Tensor {
        let x = try floats(0)
        let scale = try floats(1), b = try floats(2)
        let xs = try input(0).shape
        let n = xs[0], c = xs[1], size = xs[2...].reduce(1, *)
        let count = Double(n * size)
        var y = Array(repeating: 0.0, count: x.count)
        for ch in 0..<c {
            var sum = 0.0
            for i in 0..<n { for j in 0..<size { sum += Double(x[(i * c + ch) * size + j]) } }
            let mean = count > 0 ? sum / count : 0
            var squares = 0.0
            for i in 0..<n {
                for j in 0..<size {
                    let d = Double(x[(i * c + ch) * size + j]) - mean
                    squares += d * d
                }
            }
            let variance = count > 0 ? squares / count : 0
            let inv = 1 / Foundation.sqrt(variance + Double(epsilon))
            for i in 0..<n {
                for j in 0..<size {
                    let at = (i * c + ch) * size + j
                    y[at] = Double(scale[ch]) * (Double(x[at]) - mean) * inv + Double(b[ch])
                }
            }
        }
        return output(y)
    }

    /// LayerNormalization over axes `axis...`: Y = (X − mean) · invStdDev · Scale + B, with
    /// Scale and B broadcast to the normalised shape; also Mean and InvStdDev when asked for.
    func layerNormalization(axis a: Int, epsilon: Float) throws -> [Tensor] {
        let x = try floats(0)
        let xs = try input(0).shape
        let axis = a < 0 ? a + xs.count : a
        let normalized = Array(xs[axis...])
        let rows = xs[..<axis].reduce(1, *), size = normalized.reduce(1, *)
        let scale = try floats(1)
        let scaleSrc = broadcastSources(output: normalized, input: try input(1).shape)
        let bias: [Float]? = present(2) ? try floats(2) : nil
        let biasSrc = present(2) ? broadcastSources(output: normalized, input: try input(2).shape) : []
        var y = Array(repeating: 0.0, count: x.count)
        var means = Array(repeating: 0.0, count: rows), invs = means
        for r in 0..<rows {
            let base = r * size
            var sum = 0.0
            for j in 0..<size { sum += Double(x[base + j]) }
            let mean = size > 0 ? sum / Double(size) : 0
            var squares = 0.0
            for j in 0..<size {
                let d = Double(x[base + j]) - mean
                squares += d * d
            }
            let inv = 1 / Foundation.sqrt((size > 0 ? squares / Double(size) : 0) + Double(epsilon))
            for j in 0..<size {
                var v = (Double(x[base + j]) - mean) * inv * Double(scale[scaleSrc[j]])
                if let bias { v += Double(bias[biasSrc[j]]) }
                y[base + j] = v
            }
            means[r] = mean
            invs[r] = inv
        }
        return [y, means, invs].prefix(outputShapes.count).enumerated().map { output($0.element, $0.offset) }
    }
}
