import Foundation
import LoupeIR

// Resize, following the ONNX spec and its reference implementation (onnx/reference/ops/
// op_resize.py): separable per axis; each output coordinate reads a few input coordinates
// with weights.

/// The input coordinates (clamped to the axis) and weights that make one output coordinate,
/// or nil when tf_crop_and_resize maps it outside the input (extrapolation value).
typealias Taps = [(index: Int, weight: Double)]?

extension Kernel {
    func resize(_ a: ResizeAttributes) throws -> Tensor {
        let x = try floats(0)
        let xs = try input(0).shape
        func given(_ i: Int) throws -> Tensor? {
            guard present(i) else { return nil }
            let t = try input(i)
            return t.count == 0 ? nil : t
        }
        let roi = a.coordinateTransformation == .tfCropAndResize ? try given(1) : nil
        let plan = try ResizePlan.resolve(node: ref, input: xs, attributes: a, roi: roi,
                                          scales: try given(2), sizes: try given(3))
        if a.mode == .nearest && a.antialias {
            throw LoupeError.invalidAttribute(ref, attribute: "antialias", reason: "is not defined for mode nearest")
        }
        // Separable: resize one axis at a time, as the ONNX reference does.
        var data = x.map(Double.init)
        var shape = xs
        for axis in 0..<xs.count where !isIdentity(a, plan: plan, axis: axis, input: xs[axis]) {
            let taps = axisTaps(a, plan: plan, axis: axis, input: xs[axis], output: plan.outputShape[axis])
            let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
            let inW = shape[axis], outW = plan.outputShape[axis]
            var next = Array(repeating: Double(a.extrapolationValue), count: outer * outW * inner)
            for o in 0..<outer {
                for (yi, t) in taps.enumerated() {
                    guard let t else { continue }
                    for j in 0..<inner {
                        var sum = 0.0
                        for tap in t where tap.weight != 0 { sum += tap.weight * data[(o * inW + tap.index) * inner + j] }
                        next[(o * outW + yi) * inner + j] = sum
                    }
                }
            }
            data = next
            shape[axis] = outW
        }
        return output(data)
    }

    /// The reference leaves an axis alone when it is not resized.
    private func isIdentity(_ a: ResizeAttributes, plan: ResizePlan, axis: Int, input inW: Int) -> Bool {
        let r0 = plan.roiStart[axis], r1 = plan.roiEnd[axis]
        let roiDefault = a.coordinateTransformation != .tfCropAndResize || (abs(r0) < 1e-9 && abs(r1 - 1) < 1e-9)
        return abs(plan.scales[axis] - 1) <= 1e-9 && plan.outputShape[axis] == inW && roiDefault
    }

    private func axisTaps(_ a: ResizeAttributes, plan: ResizePlan, axis: Int, input inW: Int, output outW: Int) -> [Taps] {
        let scale = plan.scales[axis]
        let r0 = plan.roiStart[axis], r1 = plan.roiEnd[axis]
        // `outF` is the spec's fractional `output_width` (scale·length). align_corners divides
        // by it minus one, as ONNX's own reference and node-test data do when a scale is given
        // (onnx/onnx#2462; ONNX Runtime uses the integer length instead); the two agree when
        // the scale is exactly out/in, i.e. whenever sizes are given. The runtime follows the
        // same rule.
        let inF = Double(inW), outI = Double(outW), outF = scale * inF
        let alignLength = abs(outF - outI) <= 1e-9 * outI ? outI : outF
        return (0..<outW).map { yi -> Taps in
            let yv = Double(yi)
            let xo: Double
            switch a.coordinateTransformation {
            case .alignCorners: xo = outW > 1 ? yv * (inF - 1) / (alignLength - 1) : 0
            case .asymmetric: xo = yv / scale
            case .tfCropAndResize:
                xo = outW > 1 ? r0 * (inF - 1) + yv * (r1 - r0) * (inF - 1) / (outI - 1) : 0.5 * (r0 + r1) * (inF - 1)
                if xo < 0 || xo > inF - 1 { return nil }
            case .pytorchHalfPixel: xo = outW > 1 ? (yv + 0.5) / scale - 0.5 : 0
            case .halfPixel: xo = (yv + 0.5) / scale - 0.5
            case .halfPixelSymmetric:
                let adjustment = outI / outF
                xo = (inF / 2) * (1 - adjustment) + (yv + 0.5) / scale - 0.5
            }
            let ratio = xo == xo.rounded(.down) ? 1.0 : xo - xo.rounded(.down)
            var coeffs = coefficients(a, ratio: ratio, scale: scale)
            let n = coeffs.count
            let pad = (n + 1) / 2
            let xp = xo + Double(pad)
            let p = Int(xp.rounded(.down))
            let frac = xp - Double(p)
            let offset: Int
            if n % 2 == 0 {
                offset = frac == 0 ? -(n / 2) : -(n / 2) + 1
            } else {
                offset = frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1
            }
            let first = p + offset - pad
            if a.excludeOutside {
                for j in 0..<n where first + j < 0 || first + j >= inW { coeffs[j] = 0 }
                let s = coeffs.reduce(0, +)
                if s != 0 { coeffs = coeffs.map { $0 / s } }
            }
            return (0..<n).map { j in (Swift.min(Swift.max(first + j, 0), inW - 1), coeffs[j]) }
        }
    }

    /// Interpolation weights for the neighbours of a source coordinate whose distance past
    /// the left neighbour is `ratio` (1 on an exact input coordinate).
    private func coefficients(_ a: ResizeAttributes, ratio r: Double, scale: Double) -> [Double] {
        switch a.mode {
        case .nearest:
            if r == 1 { return [0, 1] }
            switch a.nearestMode {
            case .roundPreferFloor: return r <= 0.5 ? [1, 0] : [0, 1]
            case .roundPreferCeil: return r < 0.5 ? [1, 0] : [0, 1]
            case .floor: return [1, 0]
            case .ceil: return [0, 1]
            }
        case .linear:
            guard a.antialias else { return [1 - r, r] }
            let s = Swift.min(scale, 1)
            let start = Int((-1 / s).rounded(.down)) + 1
            let footprint = 2 - 2 * start
            let c = (0..<footprint).map { Swift.max(0, Swift.min(1, 1 - abs((Double(start + $0) - r) * s))) }
            let sum = c.reduce(0, +)
            return c.map { $0 / sum }
        case .cubic:
            let A = Double(a.cubicCoeffA)
            guard a.antialias else {
                let c0 = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A
                let c1 = ((A + 2) * r - (A + 3)) * r * r + 1
                let c2 = ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1
                let c3 = ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A
                return [c0, c1, c2, c3]
            }
            let s = Swift.min(scale, 1)
            func k(_ v: Double) -> Double {
                let x = abs(v), x2 = x * x, x3 = x2 * x
                if x <= 1 { return (A + 2) * x3 - (A + 3) * x2 + 1 }
                if x < 2 { return A * x3 - 5 * A * x2 + 8 * A * x - 4 * A }
                return 0
            }
            let start = Int((-2 / s).rounded(.down)) + 1
            let end = 2 - start
            let c = (start..<end).map { k(s * (Double($0) - r)) }
            let sum = c.reduce(0, +)
            return c.map { $0 / sum }
        }
    }
}
