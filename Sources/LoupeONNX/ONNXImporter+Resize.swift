import LoupeIR

/// Resize and Upsample, normalised to the Resize-11+ input form (X, roi?, scales?, sizes?).
extension ONNXImporter {
    static func mapResize(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        if n.opset < 11 {
            // Resize-10: (X, scales), asymmetric coordinates like Upsample.
            try n.requireArity(inputs: 2...2)
            let mode = try resizeMode(n, allowed: [.nearest, .linear])
            return [n.node(.resize(legacyResizeAttributes(mode)), inputs: [n.inputs[0], "", n.inputs[1]])]
        }
        try n.requireArity(inputs: n.opset < 13 ? 3...4 : 1...4)
        let mode = try resizeMode(n, allowed: [.nearest, .linear, .cubic])
        let ctmName = try n.string("coordinate_transformation_mode", default: "half_pixel")
        guard let ctm = ResizeAttributes.CoordinateTransformation(rawValue: ctmName) else {
            if ctmName == "tf_half_pixel_for_nn" {
                return [n.unsupported("coordinate_transformation_mode 'tf_half_pixel_for_nn' is not supported")]
            }
            throw n.invalid("coordinate_transformation_mode", "unknown mode '\(ctmName)'")
        }
        if ctm == .halfPixelSymmetric && n.opset < 19 {
            throw n.invalid("coordinate_transformation_mode", "'half_pixel_symmetric' needs opset 19")
        }
        let nearestName = try n.string("nearest_mode", default: "round_prefer_floor")
        guard let nearest = ResizeAttributes.NearestMode(rawValue: nearestName) else {
            throw n.invalid("nearest_mode", "unknown mode '\(nearestName)'")
        }
        let policyName = try n.string("keep_aspect_ratio_policy", default: "stretch")
        guard let policy = ResizeAttributes.AspectRatioPolicy(rawValue: policyName) else {
            throw n.invalid("keep_aspect_ratio_policy", "unknown policy '\(policyName)'")
        }
        let attrs = ResizeAttributes(
            mode: mode, coordinateTransformation: ctm, nearestMode: nearest,
            cubicCoeffA: try n.float("cubic_coeff_a", default: -0.75),
            excludeOutside: try n.bool("exclude_outside", default: false),
            extrapolationValue: try n.float("extrapolation_value", default: 0),
            antialias: try n.bool("antialias", default: false),
            axes: try n.ints("axes"),
            keepAspectRatioPolicy: policy)
        return [n.node(.resize(attrs))]
    }

    /// Upsample-7/8 (`scales` attribute) and -9/10 (`scales` input).
    static func mapUpsample(_ n: NodeContext, _ b: inout GraphBuilder) throws -> [Node] {
        let mode = try resizeMode(n, allowed: [.nearest, .linear])
        let attrs = legacyResizeAttributes(mode)
        if n.opset >= 9 {
            try n.rejectMovedAttributes("scales", since: 9)
            try n.requireArity(inputs: 2...2)
            return [n.node(.resize(attrs), inputs: [n.inputs[0], "", n.inputs[1]])]
        }
        try n.requireArity(inputs: 1...1)
        guard let scales = try n.floats("scales") else { throw n.invalid("scales", "is required") }
        if let bad = scales.first(where: { !($0 >= 1) }) {
            throw n.invalid("scales", "values must be at least 1, got \(bad)")
        }
        if let rank = b.rank(of: n.inputs[0]), rank != scales.count {
            throw n.invalid("scales", "expected \(rank) values for input of rank \(rank), got \(scales.count)")
        }
        let name = b.addConstant(Tensor(shape: [scales.count], floats: scales), for: n, "scales")
        return [n.node(.resize(attrs), inputs: [n.inputs[0], "", name])]
    }

    /// Upsample and Resize-10 sample at `x_out / scale` (asymmetric); nearest takes the
    /// floor, as the ONNX reference's repeat for integer scales does.
    static func legacyResizeAttributes(_ mode: ResizeAttributes.Mode) -> ResizeAttributes {
        ResizeAttributes(mode: mode, coordinateTransformation: .asymmetric, nearestMode: .floor)
    }

    static func resizeMode(_ n: NodeContext, allowed: [ResizeAttributes.Mode]) throws -> ResizeAttributes.Mode {
        let name = try n.string("mode", default: "nearest")
        // Upsample-7 still documents "bilinear" from opset 1.
        let mode = name == "bilinear" && n.opType == "Upsample" ? .linear : ResizeAttributes.Mode(rawValue: name)
        guard let mode, allowed.contains(mode) else {
            throw n.invalid("mode", "expected \(allowed.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
        }
        return mode
    }
}
