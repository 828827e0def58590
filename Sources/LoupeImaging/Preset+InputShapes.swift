import LoupeIR

extension Preset {
    /// Static shapes for the inputs of `graph` that this preset fills (see
    /// ``fillingSymbolicDimensions(of:with:)``): what scoring, profiling and calibration
    /// compile a model with when it leaves its batch, height or width symbolic.
    public func inputShapes(filling graph: Graph) -> [String: [Int]] {
        Self.fillingSymbolicDimensions(of: graph.inputs, with: inputShapes)
    }

    /// Static shapes for `inputs` from the tensor shapes `made`, matched by input position:
    /// each input whose shape is not fully static and whose rank matches takes the made
    /// sizes where it leaves a dimension symbolic and keeps the dimensions it fixes. Inputs
    /// already static, of another rank, or without a made tensor are left out: whoever
    /// feeds the tensors checks them against the compiled inputs.
    public static func fillingSymbolicDimensions(of inputs: [ValueInfo], with made: [[Int]]) -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for (input, shape) in zip(inputs, made) where input.type.staticShape == nil && input.type.rank == shape.count {
            shapes[input.name] = zip(input.type.dims, shape).map { dim, size in dim.known ?? size }
        }
        return shapes
    }
}
