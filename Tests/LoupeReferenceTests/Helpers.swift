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

/// A small seeded generator (SplitMix64) so failures can be replayed from the printed seed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
    mutating func tensor(_ shape: [Int]) -> Tensor { f(shape, (0..<shape.reduce(1, *)).map { _ in float() }) }
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

func assertThrows(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let e as LoupeError {
        for s in fragments where !e.description.contains(s) {
            XCTFail("error '\(e)' does not mention '\(s)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

func conv2d(k: [Int], s: [Int] = [1, 1], d: [Int] = [1, 1], p: [Int] = [0, 0, 0, 0], auto: AutoPad = .notSet,
            group: Int = 1, outputPadding: [Int] = [], outputShape: [Int]? = nil, layout: Layout = .nchw) -> ConvAttributes {
    ConvAttributes(kernelShape: k, strides: s, dilations: d, pads: p, autoPad: auto, group: group,
                   outputPadding: outputPadding, outputShape: outputShape, layout: layout)
}
