import CXNNPACK
import LoupeIR
import LoupeKernels

// Unary activations, float and int8, in one place: a new unary op adds its float lowering
// and its real function (`function`, which the int8 lookup table and the scalar
// `loupe_f32_activation` kernel both evaluate) here.

extension UnaryOp {
    /// The op's real function as Loupe's kernels evaluate it (Kernels/src/activation/function.c).
    var function: loupe_lut_function {
        switch self {
        case .relu: return loupe_lut_relu
        case .sigmoid: return loupe_lut_sigmoid
        case .tanh: return loupe_lut_tanh
        case .hardSwish: return loupe_lut_hardswish
        case .neg: return loupe_lut_neg
        case .abs: return loupe_lut_abs
        case .sqrt: return loupe_lut_sqrt
        case .reciprocal: return loupe_lut_reciprocal
        case .exp: return loupe_lut_exp
        case .log: return loupe_lut_log
        case .floor: return loupe_lut_floor
        case .ceil: return loupe_lut_ceil
        case .erf: return loupe_lut_erf
        case .softplus: return loupe_lut_softplus
        case .mish: return loupe_lut_mish
        case .sin: return loupe_lut_sin
        case .cos: return loupe_lut_cos
        }
    }
}

extension UnaryOp {
    /// True when the float form runs as an XNNPACK `_nc` operator (which can write a concat
    /// slice in place, with an output stride); must agree with `lowerUnary` below.
    var lowersToXNNPACK: Bool {
        switch self {
        case .relu, .sigmoid, .hardSwish, .neg, .abs, .sqrt, .floor, .ceil: return true
        case .tanh, .reciprocal, .exp, .log, .erf, .softplus, .mish, .sin, .cos: return false
        }
    }
}

extension Lowering {
    /// Float unary ops: XNNPACK's operator where the 2022 library has one, else a Loupe kernel.
    static func lowerUnary(_ node: Node, _ graph: Graph, _ op: UnaryOp, into b: PlanBuilder?) throws -> Placement {
        switch op {
        case .relu:
            return try emitClamp(node, graph, b, 0, .infinity)
        case .sigmoid:
            return try emitUnaryNC(node, graph, b, "xnn_create_sigmoid_nc_f32",
                                   create: { loupe_xnn_create_sigmoid_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_sigmoid_nc_f32($0, $1, $2, $3, $4) })
        case .hardSwish:
            let p = try emitUnaryNC(node, graph, b, "xnn_create_hardswish_nc_f32",
                                    create: { loupe_xnn_create_hardswish_nc_f32($0, $1, $2, 0, $3) },
                                    setup: { loupe_xnn_setup_hardswish_nc_f32($0, $1, $2, $3, $4) })
            // After a 1×1 expansion a depthwise step may stream: it may run both on its rows.
            if let b, let x = node.inputs.first, let y = node.outputs.first {
                try registerFloatHardSwishProducer(node, b, x: x, y: y)
            }
            return p
        case .neg:
            return try emitUnaryNC(node, graph, b, "xnn_create_negate_nc_f32",
                                   create: { loupe_xnn_create_negate_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_negate_nc_f32($0, $1, $2, $3, $4) })
        case .abs:
            return try emitUnaryNC(node, graph, b, "xnn_create_abs_nc_f32",
                                   create: { loupe_xnn_create_abs_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_abs_nc_f32($0, $1, $2, $3, $4) })
        case .sqrt:
            return try emitUnaryNC(node, graph, b, "xnn_create_square_root_nc_f32",
                                   create: { loupe_xnn_create_square_root_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_square_root_nc_f32($0, $1, $2, $3, $4) })
        case .floor:
            return try emitUnaryNC(node, graph, b, "xnn_create_floor_nc_f32",
                                   create: { loupe_xnn_create_floor_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_floor_nc_f32($0, $1, $2, $3, $4) })
        case .ceil:
            return try emitUnaryNC(node, graph, b, "xnn_create_ceiling_nc_f32",
                                   create: { loupe_xnn_create_ceiling_nc_f32($0, $1, $2, 0, $3) },
                                   setup: { loupe_xnn_setup_ceiling_nc_f32($0, $1, $2, $3, $4) })
        case .tanh:
            return try emitKernelElementwise(node, graph, b, "loupe_f32_tanh") { n, x, y, _ in loupe_f32_tanh(n, x, y) }
        // The 2022 XNNPACK has no f32 operator for these: scalar libm kernels until a SIMD
        // variant is needed.
        case .reciprocal:
            return try emitKernelElementwise(node, graph, b, "loupe_f32_reciprocal__scalar") { n, x, y, _ in loupe_f32_reciprocal__scalar(n, x, y) }
        case .exp:
            return try emitKernelElementwise(node, graph, b, "loupe_f32_exp__scalar") { n, x, y, _ in loupe_f32_exp__scalar(n, x, y) }
        case .log:
            return try emitKernelElementwise(node, graph, b, "loupe_f32_log__scalar") { n, x, y, _ in loupe_f32_log__scalar(n, x, y) }
        case .erf:
            return try emitKernelElementwise(node, graph, b, "loupe_f32_erf__scalar") { n, x, y, _ in loupe_f32_erf__scalar(n, x, y) }
        // No SIMD kernel yet: the activation's definition, evaluated per element.
        case .softplus, .mish, .sin, .cos:
            let f = op.function
            return try emitKernelElementwise(node, graph, b, "loupe_f32_activation__scalar (\(op.rawValue))") { n, x, y, _ in
                loupe_f32_activation__scalar(f, 0, 0, n, x, y)
            }
        }
    }

    /// Unary activations: Sigmoid on XNNPACK when its output parameters are the ones it
    /// supports (scale 1/256, zero point −128), every other one (and Sigmoid otherwise) a table.
    static func lowerUnaryInt8(_ node: Node, _ graph: Graph, _ op: UnaryOp, into b: PlanBuilder?) throws -> Placement {
        if op == .sigmoid {
            let qy = try quantParams(try output(node), graph, "output")
            if qy == .xnnpackSigmoidOutput { return try emitSigmoidQS8(node, graph, into: b) }
        }
        return try emitLUT(node, graph, b, label: op.rawValue, op.function, 0, 0)
    }
}
