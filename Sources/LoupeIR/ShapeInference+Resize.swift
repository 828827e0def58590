// Resize: output shape from scales or sizes, with axes and keep_aspect_ratio_policy.

/// A Resize resolved against a logical (NCHW) input shape: per-dimension output size,
/// scale factor and region of interest (`roiStart`/`roiEnd`, used by tf_crop_and_resize).
public struct ResizePlan: Sendable, Hashable {
    public var outputShape: [Int]
    public var scales: [Double]
    public var roiStart: [Double]
    public var roiEnd: [Double]

    /// Resolves Resize per the ONNX spec (opset 19 semantics). `scales`, `sizes` and `roi`
    /// refer to `attributes.axes` when set, else to every dimension; an empty tensor counts
    /// as absent. Exactly one of `scales` and `sizes` must be given.
    public static func resolve(node: NodeReference, input: [Int], attributes a: ResizeAttributes,
                               roi: Tensor?, scales: Tensor?, sizes: Tensor?) throws -> ResizePlan {
        let r = input.count
        let axes: [Int]
        if let given = a.axes {
            axes = try given.map { ax in
                guard ax >= -r && ax < r else {
                    throw LoupeError.invalidAttribute(node, attribute: "axes", reason: "\(ax) is out of range for rank \(r)")
                }
                return ax < 0 ? ax + r : ax
            }
            guard Set(axes).count == axes.count else {
                throw LoupeError.invalidAttribute(node, attribute: "axes", reason: "\(given) repeats an axis")
            }
        } else {
            axes = Array(0..<r)
        }
        let scales = scales.flatMap { $0.count == 0 ? nil : $0 }
        let sizes = sizes.flatMap { $0.count == 0 ? nil : $0 }
        var plan = ResizePlan(outputShape: input, scales: Array(repeating: 1, count: r),
                              roiStart: Array(repeating: 0, count: r), roiEnd: Array(repeating: 1, count: r))
        if let roi, roi.count > 0 {
            let v = roi.floats
            guard v.count == 2 * axes.count else {
                throw LoupeError.invalidInput(node, input: 1, reason: "roi has \(v.count) elements, expected \(2 * axes.count)")
            }
            for (i, ax) in axes.enumerated() {
                plan.roiStart[ax] = Double(v[i])
                plan.roiEnd[ax] = Double(v[axes.count + i])
            }
        }
        switch (scales, sizes) {
        case (let s?, nil):
            guard s.dtype.isFloat, s.count == axes.count else {
                throw LoupeError.invalidInput(node, input: 2, reason: "scales must be \(axes.count) floats, got \(s.type)")
            }
            for (i, ax) in axes.enumerated() {
                let scale = Double(s.floats[i])
                guard scale > 0, scale.isFinite else {
                    throw LoupeError.invalidInput(node, input: 2, reason: "scale \(scale) must be positive")
                }
                plan.scales[ax] = scale
                let size = (scale * Double(input[ax])).rounded(.down)
                guard size < Double(1 << 40) else {
                    throw LoupeError.invalidInput(node, input: 2, reason: "scale \(scale) makes axis \(ax) too large")
                }
                plan.outputShape[ax] = Int(size)
            }
        case (nil, let z?):
            guard !z.dtype.isFloat, z.count == axes.count else {
                throw LoupeError.invalidInput(node, input: 3, reason: "sizes must be \(axes.count) integers, got \(z.type)")
            }
            let v = z.ints.map { Int(clamping: $0) }
            guard v.allSatisfy({ $0 > 0 && $0 <= 1 << 40 }), axes.allSatisfy({ input[$0] > 0 }) else {
                throw LoupeError.invalidInput(node, input: 3, reason: "sizes \(v) must be positive for input \(input)")
            }
            let ratios = axes.enumerated().map { Double(v[$0.offset]) / Double(input[$0.element]) }
            switch a.keepAspectRatioPolicy {
            case .stretch:
                for (i, ax) in axes.enumerated() {
                    plan.scales[ax] = ratios[i]
                    plan.outputShape[ax] = v[i]
                }
            case .notLarger, .notSmaller:
                let scale = a.keepAspectRatioPolicy == .notLarger ? ratios.min()! : ratios.max()!
                for ax in axes {
                    plan.scales[ax] = scale
                    plan.outputShape[ax] = Int(scale * Double(input[ax]) + 0.5)
                }
            }
        case (nil, nil):
            throw LoupeError.invalidInput(node, input: 2, reason: "Resize needs scales or sizes (must be constant for shape inference)")
        case (.some, .some):
            throw LoupeError.invalidInput(node, input: 3, reason: "Resize takes scales or sizes, not both")
        }
        return plan
    }
}

extension ShapeContext {
    func resize(_ a: ResizeAttributes) throws -> TensorType {
        // int8 codes after FoldQuantization (nearest only picks elements).
        let t = try floatOrInt8(0)
        let xs = logical(try shape(0), a.layout)
        // An absent or empty scales/sizes input is "not given"; a non-constant one is unknown.
        func given(_ i: Int, _ what: String) throws -> Tensor? {
            guard present(i) else { return nil }
            if let s = try? shape(i), s.reduce(1, *) == 0 { return nil }
            return try constant(i, what: what)
        }
        let roi = a.coordinateTransformation == .tfCropAndResize ? try given(1, "roi") : nil
        let plan = try ResizePlan.resolve(node: ref, input: xs, attributes: a, roi: roi,
                                          scales: try given(2, "scales"), sizes: try given(3, "sizes"))
        return TensorType(t.dtype, shape: physical(try checked(plan.outputShape), a.layout))
    }
}
