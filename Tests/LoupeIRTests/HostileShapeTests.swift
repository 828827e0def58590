import XCTest
@testable import LoupeIR
import LoupeTestSupport

/// Shapes and attributes from untrusted files must throw, never trap on overflow.
final class HostileShapeTests: XCTestCase {
    func testHugeValuesThrow() throws {
        assertThrows(["too large"]) { _ = try infer(.reshape(allowZero: false), [[4], [2]], constants: [1: ints([1 << 62, 1 << 62])]) }
        assertThrows(["too large"]) { _ = try infer(.constantOfShape(value: floats([0])), [[2]], constants: [0: ints([1 << 40, 1 << 40])]) }
        assertThrows(["too large"]) { _ = try infer(.expand, [[1], [2]], constants: [1: ints([1 << 62, 4])]) }
        assertThrows(["out of range"]) { _ = try infer(.pad(.constant), [[4], [2]], constants: [1: ints([Int64.max, 1])]) }
        assertThrows(["scale"]) {
            _ = try infer(.resize(ResizeAttributes()), [[1, 1, 2, 2], nil, [4]], constants: [2: floats([1, 1, 1e30, 1])])
        }
        assertThrows(["group"]) { _ = try infer(.conv(conv2d(k: [1, 1], group: Int.max)), [[1, 2, 2, 2], [2, 1, 1, 1]]) }
        assertThrows(["2³¹"]) { _ = try infer(.conv(conv2d(k: [1, 1], p: [Int.max, 0, 0, 0])), [[1, 1, 2, 2], [1, 1, 1, 1]]) }
        // Found by libFuzzer (scripts/fuzz/run.sh onnx): a pad of Int64.min trapped in abs().
        assertThrows(["out of range"]) { _ = try infer(.pad(.reflect), [[4], [2]], constants: [1: ints([Int64.min, 0])]) }
        // Declared sizes near Int.max still have a byte count (int8), but their sums do not fit.
        let huge = Int.max - 8
        assertThrows(["padded axis 0", "overflows a 64-bit size"]) {
            _ = try infer(.pad(.constant), [[huge], [2]], dtypes: [.int8, .int64], constants: [1: ints([1 << 40, 0])])
        }
        assertThrows(["concatenated length along axis 0", "overflows a 64-bit size"]) {
            _ = try infer(.concat(axis: 0), [[huge], [huge]], dtypes: [.int8, .int8])
        }
        // Extreme steps and bounds are legal and clamp.
        XCTAssertEqual(try infer(.slice, [[10], [1], [1], [1], [1]],
                                 constants: [1: ints([Int64.max]), 2: ints([Int64.min]), 3: ints([0]), 4: ints([Int64.min])]).staticShape, [1])
        XCTAssertEqual(try infer(.slice, [[10], [1], [1], [1], [1]],
                                 constants: [1: ints([0]), 2: ints([Int64.max]), 3: ints([0]), 4: ints([Int64.max])]).staticShape, [1])
    }
}

/// Sizes that overflow a 64-bit byte count are refused while types are inferred, for the
/// graph inputs and for every node output, so no later stage multiplies them.
final class OverflowingSizeTests: XCTestCase {
    func testGraphInputWhoseSizeOverflowsIsRefused() {
        let big = 1 << 31
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [big, big, big]))],
                      nodes: [Node(name: "relu", op: .unary(.relu), inputs: ["x"], outputs: ["y"])])
        assertThrows(["graph input 'x'", "overflows a 64-bit byte count"]) { try g.inferTypes() }
    }

    func testNodeOutputWhoseSizeOverflowsIsRefused() {
        // Both inputs fit (2⁴⁰ elements each); their product does not.
        let big = 1 << 40
        var g = Graph(inputs: [ValueInfo(name: "a", type: TensorType(.float32, shape: [big, 1])),
                               ValueInfo(name: "b", type: TensorType(.float32, shape: [1, big]))],
                      nodes: [Node(name: "mm", op: .matMul, inputs: ["a", "b"], outputs: ["y"])])
        assertThrows(["MatMul node", "'mm'", "output 'y'", "overflows a 64-bit byte count"]) { try g.inferTypes() }
    }

    func testByteCount() {
        XCTAssertEqual(TensorType(.float32, shape: [2, 3]).byteCount, 24)
        XCTAssertEqual(TensorType(.int8, shape: []).byteCount, 1)
        XCTAssertNil(TensorType(.float32, shape: [1 << 62]).byteCount, "bytes overflow though elements fit")
        XCTAssertNil(TensorType(.float32, shape: [1 << 32, 1 << 32]).byteCount)
        XCTAssertNil(TensorType(.float32, [.value(2), .param("n")]).byteCount)
        XCTAssertEqual(formatByteCount(3 << 30), "3221225472 bytes (3.0 GiB)")
        XCTAssertEqual(formatByteCount(100), "100 bytes")
    }
}
