import LoupeIR
import LoupeReference
import LoupeTestSupport
import XCTest

/// The shared seeded generator under the name these tests use; failures print the seed.
typealias Rng = SeededRandom

extension SeededRandom {
    init(_ seed: UInt64) { self.init(seed: seed) }
    /// `n` values uniform in [lo, hi) (`floats`, under the name these tests use).
    mutating func uniform(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] { floats(n, lo, hi) }
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
