import LoupeIR
import LoupeReference
import XCTest

/// Seeded generator; failures print the seed.
struct Rng {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<n).map { _ in lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24) }
    }
    mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        Tensor(shape: shape, floats: uniform(shape.reduce(1, *), lo, hi))
    }
}

func scalar(_ v: Float) -> Tensor { Tensor(shape: [], floats: [v]) }

func convAttrs(kernel: Int = 3, pad: Int = 1, stride: Int = 1, group: Int = 1) -> ConvAttributes {
    ConvAttributes(kernelShape: [kernel, kernel], strides: [stride, stride], dilations: [1, 1],
                   pads: [pad, pad, pad, pad], group: group)
}

func opNames(_ g: Graph) -> [String] { g.nodes.map { $0.op.onnxName } }

/// Runs both graphs on the same inputs with the reference interpreter and checks every
/// output (same names, same shapes) agrees to a relative tolerance.
func assertSameOutputs(_ a: Graph, _ b: Graph, inputs: [String: Tensor], tolerance: Float = 1e-5,
                       seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(a.inputs.map(\.name), b.inputs.map(\.name), "graph inputs changed", file: file, line: line)
    XCTAssertEqual(a.outputs.map(\.name), b.outputs.map(\.name), "graph outputs changed", file: file, line: line)
    let ra = try ReferenceInterpreter.run(a, inputs: inputs)
    let rb = try ReferenceInterpreter.run(b, inputs: inputs)
    for o in a.outputs {
        guard let x = ra[o.name], let y = rb[o.name] else {
            XCTFail("output \(o.name) missing (seed \(seed))", file: file, line: line)
            continue
        }
        XCTAssertEqual(x.shape, y.shape, "shape of \(o.name) (seed \(seed))", file: file, line: line)
        let scale = max(1, x.floats.map { abs($0) }.max() ?? 0)
        let err = zip(x.floats, y.floats).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(err, tolerance * scale, "output \(o.name) differs by \(err) (seed \(seed))",
                                 file: file, line: line)
    }
}
