import CXNNPACK
import LoupeIR
import LoupeKernels

extension Lowering {
    /// SpaceToDepth / DepthToSpace. NHWC DepthToSpace in DCR mode (TensorFlow's, ONNX's
    /// default) → `xnn_create_depth_to_space_nhwc_x32`; every other form is one transpose of
    /// the 6-D view (`DepthSpaceAttributes.view(of:)`) → `loupe_x32_transpose`, or
    /// `loupe_x8_transpose` on int8 codes (the 2022 XNNPACK has no SpaceToDepth and
    /// no int8 DepthToSpace).
    static func lowerDepthSpace(_ node: Node, _ graph: Graph, _ a: DepthSpaceAttributes, int8: Bool,
                                into b: PlanBuilder?) throws -> Placement {
        let dtype: DType = int8 ? .int8 : .float32
        let x = try input(node, 0, "input")
        let xs = try shape(x, graph, "input", dtype: dtype)
        guard let computed = a.outputShape(xs) else {
            throw Unsupported("\(xs) (\(a.layout.rawValue)) does not divide into blocks of \(a.blockSize)")
        }
        let y = try expectOutput(node, graph, computed, dtype: dtype)
        if int8 { try requireSameParams(x, y, graph) }
        // XNNPACK refuses a block of 1 (a copy); the transpose kernel does it.
        if !int8, a.direction == .depthToSpaceDCR, a.layout == .nhwc, a.blockSize > 1 {
            let name = "xnn_create_depth_to_space_nhwc_x32"
            guard let b else { return .xnnpack(name) }
            let channels = computed[3]
            let op = try XNNOperator.create(name, node) {
                loupe_xnn_create_depth_to_space_nhwc_x32(channels, xs[3], channels, UInt32(a.blockSize), 0, $0)
            }
            b.addXNNStep(node, name, reads: [x], writes: [y], ops: [op]) { bind in
                try Backend.check(loupe_xnn_setup_depth_to_space_nhwc_x32(op.op, xs[0], xs[1], xs[2], bind.pointer(x),
                                                                     bind.pointer(y), bind.pool),
                                  "xnn_setup_depth_to_space_nhwc_x32", node)
            }
            return .xnnpack(name)
        }
        let (view, perm) = a.view(of: xs)
        return emitTranspose(node, b, x: x, y: y, shape: view, perm: perm, int8: int8)
    }
}
