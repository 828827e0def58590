import XCTest
@testable import LoupeIR

/// Infers the first output type of a one-node application of `op`.
func infer(_ op: Op, _ shapes: [[Int]?], dtypes: [DType]? = nil, constants: [Int: Tensor] = [:],
           outputs: Int = 1) throws -> TensorType {
    try inferAll(op, shapes, dtypes: dtypes, constants: constants, outputs: outputs)[0]
}

func inferAll(_ op: Op, _ shapes: [[Int]?], dtypes: [DType]? = nil, constants: [Int: Tensor] = [:],
              outputs: Int = 1) throws -> [TensorType] {
    var types: [TensorType?] = []
    var consts: [Tensor?] = []
    for (i, s) in shapes.enumerated() {
        if let c = constants[i] {
            types.append(c.type)
            consts.append(c)
        } else {
            types.append(s.map { TensorType(dtypes?[i] ?? .float32, shape: $0) })
            consts.append(nil)
        }
    }
    let node = Node(name: "n", op: op, inputs: shapes.indices.map { shapes[$0] == nil && constants[$0] == nil ? "" : "x\($0)" },
                    outputs: (0..<outputs).map { "y\($0)" })
    return try inferOutputTypes(node: node, inputTypes: types, constants: consts)
}

func ints(_ v: [Int64]) -> Tensor { Tensor(shape: [v.count], ints: v) }
func floats(_ v: [Float]) -> Tensor { Tensor(shape: [v.count], floats: v) }
