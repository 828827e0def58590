import XCTest
import LoupeIR
import LoupeReference

/// Evaluates a one-node application of `op` on `inputs`.
func evalNode(_ op: Op, _ inputs: [Tensor?], outputs: Int = 1) throws -> [Tensor] {
    let node = Node(name: "n", op: op, inputs: inputs.indices.map { inputs[$0] == nil ? "" : "x\($0)" },
                    outputs: (0..<outputs).map { "y\($0)" })
    return try ReferenceInterpreter.evaluate(node, inputs: inputs)
}

func run1(_ op: Op, _ inputs: [Tensor?]) throws -> Tensor { try evalNode(op, inputs)[0] }

func f(_ shape: [Int], _ v: [Float]) -> Tensor { Tensor(shape: shape, floats: v) }
func i64(_ shape: [Int], _ v: [Int64]) -> Tensor { Tensor(shape: shape, ints: v) }
func i64(_ v: [Int64]) -> Tensor { Tensor(shape: [v.count], ints: v) }
func iota(_ shape: [Int], from start: Float = 0) -> Tensor {
    f(shape, (0..<shape.reduce(1, *)).map { start + Float($0) })
}

/// Asserts equal shapes and elements within `tol` (absolute + relative).
func assertClose(_ t: Tensor, _ shape: [Int], _ expected: [Float], tol: Float = 1e-5, _ context: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(t.shape, shape, "shape \(context)", file: file, line: line)
    let v = t.floats
    guard v.count == expected.count else {
        XCTFail("\(v.count) elements, expected \(expected.count) \(context)", file: file, line: line)
        return
    }
    for i in 0..<v.count where !(abs(v[i] - expected[i]) <= tol * (1 + abs(expected[i]))) {
        XCTFail("element \(i): \(v[i]) vs expected \(expected[i]) \(context); got \(v)", file: file, line: line)
        return
    }
}
