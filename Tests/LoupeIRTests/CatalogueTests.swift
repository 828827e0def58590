import XCTest
@testable import LoupeIR

/// The op catalogue against the rules that must agree with it.
final class CatalogueTests: XCTestCase {
    /// Every op whose catalogue entry promises an int8 lookup table takes int8 codes in
    /// shape inference (a folded QDQ file puts int8 values on its input and output).
    func testLookupTableOpsTypeInt8Codes() throws {
        var ops: [Op] = UnaryOp.allCases.map { .unary($0) }
        ops += [.clip, .leakyRelu(alpha: 0.1), .elu(alpha: 1), .hardSigmoid(alpha: 0.2, beta: 0.5),
                .gelu(tanhApproximation: false), .gelu(tanhApproximation: true), .swish(alpha: 1.702)]
        for op in ops {
            XCTAssertEqual(op.int8Form, .lookupTable, op.onnxName)
            let t = try infer(op, [[1, 4, 5]], dtypes: [.int8])
            XCTAssertEqual(t, TensorType(.int8, shape: [1, 4, 5]), op.onnxName)
        }
    }

    /// Kinds decide the profiler's counts: MAC ops count no element-wise work and data
    /// movement counts nothing.
    func testKindsMatchTheCostRules() {
        XCTAssertEqual(Op.matMul.traits.kind, .multiplyAccumulate(.matMul))
        XCTAssertEqual(Op.transpose(perm: nil).traits.kind, .view)
        XCTAssertTrue(Op.reshape(allowZero: false).isDataMovement)
        XCTAssertFalse(Op.concat(axis: 1).isDataMovement, "Concat copies from several inputs")
        XCTAssertEqual(Op.layerNormalization(axis: -1, epsilon: 1e-5).traits.kind, .elementwise)
        XCTAssertEqual(Op.reduce(.mean, keepDims: true, noopWithEmptyAxes: false).traits.kind, .reduction)
    }
}
