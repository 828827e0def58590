import XCTest
@testable import LoupeIR
import LoupeTestSupport

/// Shape inference, arity and costs of training-mode BatchNormalization,
/// LayerNormalization, Split, Mod and Gelu.
final class TransformerOpsShapeTests: XCTestCase {
    func testLayerNormalizationOutputs() throws {
        let t = try inferAll(.layerNormalization(axis: -1, epsilon: 1e-5), [[1, 56, 56, 96], [96], [96]], outputs: 3)
        XCTAssertEqual(t, [TensorType(.float32, shape: [1, 56, 56, 96]), TensorType(.float32, shape: [1, 56, 56, 1]),
                           TensorType(.float32, shape: [1, 56, 56, 1])])
        XCTAssertEqual(try inferAll(.layerNormalization(axis: 1, epsilon: 1e-5), [[2, 3, 4], [3, 4], nil], outputs: 2).last,
                       TensorType(.float32, shape: [2, 1, 1]))
        assertThrows(["input 1", "does not broadcast"]) { _ = try infer(.layerNormalization(axis: -1, epsilon: 0), [[2, 8], [7]]) }
        assertThrows(["differs"]) {
            _ = try infer(.layerNormalization(axis: -1, epsilon: 0), [[2, 8], [8]], dtypes: [.float32, .float16])
        }
        assertThrows(["floating-point"]) { _ = try infer(.layerNormalization(axis: -1, epsilon: 0), [[2, 8], [8]], dtypes: [.int64, .int64]) }
    }

    func testBatchNormalizationTraining() throws {
        XCTAssertEqual(try infer(.batchNormalizationTraining(epsilon: 1e-5), [[1, 40, 27], [40], [40], [40], [40]]),
                       TensorType(.float32, shape: [1, 40, 27]))
        assertThrows(["input 3", "expected [40]"]) {
            _ = try infer(.batchNormalizationTraining(epsilon: 1e-5), [[1, 40, 27], [40], [40], [27], [40]])
        }
    }

    func testSplit() throws {
        XCTAssertEqual(try inferAll(.split(axis: 0), [[3, 2, 49, 32]], outputs: 3).map(\.staticShape),
                       [[1, 2, 49, 32], [1, 2, 49, 32], [1, 2, 49, 32]])
        XCTAssertEqual(try inferAll(.split(axis: -1), [[2, 10], [2]], constants: [1: ints([4, 6])], outputs: 2).map(\.staticShape),
                       [[2, 4], [2, 6]])
        XCTAssertEqual(try inferAll(.split(axis: 0), [[10]], outputs: 4).map(\.staticShape), [[3], [3], [3], [1]])
        assertThrows(["split", "must be constant"]) { _ = try inferAll(.split(axis: 0), [[10], [2]], dtypes: [.float32, .int64], outputs: 2) }
        assertThrows(["sum to the axis length 10"]) {
            _ = try inferAll(.split(axis: 0), [[10], [2]], constants: [1: ints([4, 5])], outputs: 2)
        }
        assertThrows(["out of range"]) { _ = try inferAll(.split(axis: 2), [[10, 2]], outputs: 2) }
    }

    func testModAndGelu() throws {
        XCTAssertEqual(try infer(.mod(fmod: false), [[2, 1], [3]], dtypes: [.int64, .int64]), TensorType(.int64, shape: [2, 3]))
        XCTAssertEqual(try infer(.mod(fmod: true), [[4], [1]]), TensorType(.float32, shape: [4]))
        assertThrows(["fmod"]) { _ = try infer(.mod(fmod: false), [[4], [4]]) }
        assertThrows(["do not broadcast"]) { _ = try infer(.mod(fmod: true), [[4], [3]]) }
        XCTAssertEqual(try infer(.gelu(tanhApproximation: false), [[2, 3]]), TensorType(.float32, shape: [2, 3]))
    }

    func testArityAndCosts() throws {
        XCTAssertEqual(Op.split(axis: 0).arity.outputs, 1...Int.max)
        XCTAssertEqual(Op.layerNormalization(axis: -1, epsilon: 0).arity.inputs, 2...3)
        XCTAssertEqual(Op.batchNormalizationTraining(epsilon: 0).arity.inputs, 5...5)
        XCTAssertEqual(Op.batchNormalizationTraining(epsilon: 0).onnxName, "BatchNormalization")

        // Swin attention: q·kᵀ and attn·v between activations; LayerNorm counts its output.
        var g = Graph(inputs: [ValueInfo(name: "q", type: TensorType(.float32, shape: [64, 3, 49, 32])),
                               ValueInfo(name: "k", type: TensorType(.float32, shape: [64, 3, 32, 49])),
                               ValueInfo(name: "s", type: TensorType(.float32, shape: [49]))],
                      outputs: [ValueInfo(name: "parts0", type: TensorType(.float32, shape: [64, 3, 49, 49]))])
        g.nodes = [
            Node(name: "qk", op: .matMul, inputs: ["q", "k"], outputs: ["a"]),
            Node(name: "ln", op: .layerNormalization(axis: -1, epsilon: 1e-5), inputs: ["a", "s"], outputs: ["b"]),
            Node(name: "split", op: .split(axis: 0), inputs: ["b"], outputs: ["parts0", "parts1"]),
        ]
        try g.inferTypes()
        try g.verify()
        XCTAssertEqual(g.nodes[0].macs(in: g), 64 * 3 * 49 * 49 * 32)
        XCTAssertEqual(g.nodes[1].macs(in: g), 0)
        XCTAssertEqual(g.nodes[1].elementwiseOps(in: g), 64 * 3 * 49 * 49)
        XCTAssertEqual(g.nodes[2].elementwiseOps(in: g), 0)
        XCTAssertEqual(g.types["parts1"], TensorType(.float32, shape: [32, 3, 49, 49]))
    }
}
