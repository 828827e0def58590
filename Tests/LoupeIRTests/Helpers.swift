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

func conv2d(k: [Int], s: [Int] = [1, 1], d: [Int] = [1, 1], p: [Int] = [0, 0, 0, 0], auto: AutoPad = .notSet,
            group: Int = 1, outputPadding: [Int] = [], outputShape: [Int]? = nil, layout: Layout = .nchw) -> ConvAttributes {
    ConvAttributes(kernelShape: k, strides: s, dilations: d, pads: p, autoPad: auto, group: group,
                   outputPadding: outputPadding, outputShape: outputShape, layout: layout)
}

/// Asserts that `body` throws a `LoupeError` whose description contains every fragment.
func assertThrows(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let e as LoupeError {
        for f in fragments where !e.description.contains(f) {
            XCTFail("error '\(e)' does not mention '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
