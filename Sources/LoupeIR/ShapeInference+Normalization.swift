// Normalizations that compute their statistics from the input: training-mode
// BatchNormalization and LayerNormalization. (Inference BatchNormalization, whose statistics
// are inputs, sits with the pools in ShapeInference+Pooling.swift.)

extension ShapeContext {
    /// X of rank ≥ 2; scale, B, input_mean and input_var each of shape [C]; Y like X.
    func batchNormalizationTraining() throws -> TensorType {
        let t = try float(0)
        let xs = try shape(0)
        guard xs.count >= 2 else { throw fail("input shape \(xs) must have rank ≥ 2") }
        for i in 1...4 {
            _ = try float(i)
            let s = try shape(i)
            guard s == [xs[1]] else {
                throw LoupeError.invalidInput(ref, input: i, reason: "shape \(s): expected [\(xs[1])] (one per channel)")
            }
        }
        return t
    }

    /// Scale and B broadcast to the normalised shape `X.shape[axis...]` (unidirectionally);
    /// Y like X; Mean and InvStdDev are X's shape with the normalised axes set to 1.
    func layerNormalization(axis a: Int) throws -> [TensorType] {
        let t = try float(0)
        let xs = try shape(0)
        let axis = try self.axis(a, rank: xs.count)
        let normalized = Array(xs[axis...])
        for i in 1...2 where present(i) {
            let ti = try float(i)
            let s = try shape(i)
            guard ti.dtype == t.dtype else {
                throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(ti.dtype) differs from input 0's \(t.dtype)")
            }
            guard broadcastShape(normalized, s) == normalized else {
                throw LoupeError.invalidInput(ref, input: i, reason: "shape \(s) does not broadcast to the normalised shape \(normalized)")
            }
        }
        let stats = Array(xs[..<axis]) + Array(repeating: 1, count: xs.count - axis)
        return [t, TensorType(.float32, shape: stats), TensorType(.float32, shape: stats)]
    }
}
