import XCTest
@testable import LoupeIR
import LoupeTestSupport

final class ShapeInferenceConvTests: XCTestCase {
    func testConvExplicitPadsStrideDilationGroups() throws {
        // H: (32 + 1 + 2 - 2·(3−1) − 1)/2 + 1 = 16; W: (20 + 0 + 0 − 3·(3−1) − 1)/1 + 1 = 14.
        let a = conv2d(k: [3, 3], s: [2, 1], d: [2, 3], p: [1, 0, 2, 0], group: 4)
        let t = try infer(.conv(a), [[2, 8, 32, 20], [12, 2, 3, 3], [12]])
        XCTAssertEqual(t, TensorType(.float32, shape: [2, 12, 16, 14]))
    }

    func testConvAutoPad() throws {
        for auto in [AutoPad.sameUpper, .sameLower] {
            XCTAssertEqual(try infer(.conv(conv2d(k: [3, 3], s: [2, 2], auto: auto)), [[1, 3, 7, 8], [4, 3, 3, 3]]).staticShape,
                           [1, 4, 4, 4])
        }
        // VALID: (7 − 3)/2 + 1 = 3; (8 − 3)/2 + 1 = 3 (floor).
        XCTAssertEqual(try infer(.conv(conv2d(k: [3, 3], s: [2, 2], auto: .valid)), [[1, 3, 7, 8], [4, 3, 3, 3]]).staticShape,
                       [1, 4, 3, 3])
        let g = try WindowGeometry.forward(node: NodeReference(index: nil, name: "c", opType: "Conv", opset: nil),
                                           input: [7, 8], kernel: [4, 4], strides: [2, 2], dilations: [1, 1],
                                           pads: [], autoPad: .sameLower, ceilMode: false)
        // Total pad: (4−1)·2 + 4 − 7 = 3 → lower puts 2 first; (4−1)·2 + 4 − 8 = 2 → 1 and 1.
        XCTAssertEqual(g.padBegin, [2, 1])
        XCTAssertEqual(g.padEnd, [1, 1])
    }

    func testConvKernelShapeFromWeights() throws {
        XCTAssertEqual(try infer(.conv(conv2d(k: [])), [[1, 3, 5, 5], [2, 3, 3, 1]]).staticShape, [1, 2, 3, 5])
    }

    func testConvNHWCIsPhysical() throws {
        let a = conv2d(k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], layout: .nhwc)
        XCTAssertEqual(try infer(.conv(a), [[1, 10, 12, 3], [8, 3, 3, 3]]).staticShape, [1, 5, 6, 8])
    }

    func testConv1D() throws {
        let a = ConvAttributes(kernelShape: [3], strides: [1], dilations: [1], pads: [1, 1])
        XCTAssertEqual(try infer(.conv(a), [[1, 2, 9], [4, 2, 3]]).staticShape, [1, 4, 9])
    }

    func testConvChannelMismatchThrows() {
        assertThrows(["Conv node", "'n'", "input channels"]) {
            _ = try infer(.conv(conv2d(k: [3, 3], group: 2)), [[1, 8, 5, 5], [4, 3, 3, 3]])
        }
        assertThrows(["bias"]) { _ = try infer(.conv(conv2d(k: [1, 1])), [[1, 3, 5, 5], [4, 3, 1, 1], [3]]) }
        assertThrows(["does not fit"]) { _ = try infer(.conv(conv2d(k: [7, 7])), [[1, 3, 5, 5], [4, 3, 7, 7]]) }
    }

    func testConvTranspose() throws {
        // stride·(in−1) + output_padding + (k−1)·d + 1 − pads = 2·4 + 1 + 3 − 2 = 10 and 2·5 + 0 + 3 - 1 = 12.
        let a = conv2d(k: [3, 3], s: [2, 2], p: [1, 0, 1, 1], group: 2, outputPadding: [1, 0])
        XCTAssertEqual(try infer(.convTranspose(a), [[1, 4, 5, 6], [4, 3, 3, 3]]).staticShape, [1, 6, 10, 12])
        let same = conv2d(k: [3, 3], s: [2, 2], auto: .sameUpper)
        XCTAssertEqual(try infer(.convTranspose(same), [[1, 4, 5, 6], [4, 3, 3, 3]]).staticShape, [1, 3, 10, 12])
        let shaped = conv2d(k: [3, 3], s: [2, 2], outputShape: [10, 11])
        XCTAssertEqual(try infer(.convTranspose(shaped), [[1, 4, 5, 6], [4, 3, 3, 3]]).staticShape, [1, 3, 10, 11])
        let g = try shaped.geometry(node: NodeReference(index: nil, name: "t", opType: "ConvTranspose", opset: nil),
                                    input: [1, 4, 5, 6], weight: [4, 3, 3, 3], transposed: true)
        // Full sizes 11 and 13: totals 1 and 2; not SAME_UPPER → begin gets the larger half.
        XCTAssertEqual(g.padBegin, [1, 1])
        XCTAssertEqual(g.padEnd, [0, 1])
    }

    func testGemm() throws {
        XCTAssertEqual(try infer(.gemm(GemmAttributes(transA: true, transB: true)), [[4, 3], [5, 4], [5]]).staticShape, [3, 5])
        XCTAssertEqual(try infer(.gemm(GemmAttributes()), [[3, 4], [4, 5], [3, 1]]).staticShape, [3, 5])
        assertThrows(["Gemm node", "inner dimensions"]) { _ = try infer(.gemm(GemmAttributes()), [[3, 4], [5, 4]]) }
        assertThrows(["C shape"]) { _ = try infer(.gemm(GemmAttributes()), [[3, 4], [4, 5], [4]]) }
    }

    func testMatMulNumpySemantics() throws {
        XCTAssertEqual(try infer(.matMul, [[4], [4]]).staticShape, [])
        XCTAssertEqual(try infer(.matMul, [[4], [2, 4, 5]]).staticShape, [2, 5])
        XCTAssertEqual(try infer(.matMul, [[2, 3, 4], [4]]).staticShape, [2, 3])
        XCTAssertEqual(try infer(.matMul, [[2, 1, 3, 4], [5, 4, 6]]).staticShape, [2, 5, 3, 6])
        assertThrows(["MatMul"]) { _ = try infer(.matMul, [[2, 3, 4], [3, 4, 5]]) }
    }
}
