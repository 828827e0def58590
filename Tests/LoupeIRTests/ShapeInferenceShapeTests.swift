import XCTest
@testable import LoupeIR
import LoupeTestSupport

final class ShapeInferenceShapeTests: XCTestCase {
    func testBroadcasting() throws {
        XCTAssertEqual(try infer(.binary(.add), [[2, 1, 4], [3, 1]]).staticShape, [2, 3, 4])
        XCTAssertEqual(try infer(.binary(.mul), [[], [5]]).staticShape, [5])
        assertThrows(["Add node", "'n'", "do not broadcast"]) { _ = try infer(.binary(.add), [[2, 3], [4]]) }
        assertThrows(["dtype"]) { _ = try infer(.binary(.sub), [[2], [2]], dtypes: [.float32, .int64]) }
        XCTAssertEqual(try infer(.prelu, [[1, 3, 4, 4], [3, 1, 1]]).staticShape, [1, 3, 4, 4])
        assertThrows(["slope"]) { _ = try infer(.prelu, [[1, 3, 4, 4], [2, 3, 1, 1]]) }
    }

    func testReshape() throws {
        XCTAssertEqual(try infer(.reshape(allowZero: false), [[2, 3, 4], [3]], constants: [1: ints([0, -1, 2])]).staticShape, [2, 6, 2])
        XCTAssertEqual(try infer(.reshape(allowZero: false), [[2, 3, 4], [2]], constants: [1: ints([-1, 4])]).staticShape, [6, 4])
        XCTAssertEqual(try infer(.reshape(allowZero: true), [[0, 3], [2]], constants: [1: ints([3, 0])]).staticShape, [3, 0])
        assertThrows(["cannot reshape"]) { _ = try infer(.reshape(allowZero: false), [[2, 3, 4], [2]], constants: [1: ints([5, -1])]) }
        assertThrows(["more than one -1"]) { _ = try infer(.reshape(allowZero: false), [[2, 3], [2]], constants: [1: ints([-1, -1])]) }
        assertThrows(["Reshape node", "'n'", "must be constant"]) {
            _ = try infer(.reshape(allowZero: false), [[2, 3], [2]], dtypes: [.float32, .int64])
        }
    }

    func testSqueezeUnsqueezeFlattenTranspose() throws {
        XCTAssertEqual(try infer(.squeeze, [[1, 3, 1, 2]]).staticShape, [3, 2])
        XCTAssertEqual(try infer(.squeeze, [[1, 3, 1, 2], [1]], constants: [1: ints([-2])]).staticShape, [1, 3, 2])
        assertThrows(["cannot squeeze"]) { _ = try infer(.squeeze, [[1, 3], [1]], constants: [1: ints([1])]) }
        XCTAssertEqual(try infer(.unsqueeze, [[3, 4], [2]], constants: [1: ints([0, -1])]).staticShape, [1, 3, 4, 1])
        XCTAssertEqual(try infer(.flatten(axis: 2), [[2, 3, 4, 5]]).staticShape, [6, 20])
        XCTAssertEqual(try infer(.flatten(axis: 0), [[2, 3]]).staticShape, [1, 6])
        XCTAssertEqual(try infer(.transpose(perm: [0, 2, 3, 1]), [[1, 2, 3, 4]]).staticShape, [1, 3, 4, 2])
        XCTAssertEqual(try infer(.transpose(perm: nil), [[1, 2, 3]]).staticShape, [3, 2, 1])
        assertThrows(["perm"]) { _ = try infer(.transpose(perm: [0, 0]), [[1, 2]]) }
    }

    func testConcatPadSliceGather() throws {
        XCTAssertEqual(try infer(.concat(axis: -1), [[2, 3], [2, 5], [2, 1]]).staticShape, [2, 9])
        assertThrows(["outside axis"]) { _ = try infer(.concat(axis: 1), [[2, 3], [3, 5]]) }
        XCTAssertEqual(try infer(.pad(.constant), [[1, 3, 4, 4], [8]], constants: [1: ints([0, 0, 1, -1, 0, 0, 2, 0])]).staticShape,
                       [1, 3, 7, 3])
        XCTAssertEqual(try infer(.pad(.reflect), [[1, 3, 4, 4], [4], nil, [2]], constants: [1: ints([1, 2, 1, 2]), 3: ints([-2, -1])]).staticShape,
                       [1, 3, 6, 8])
        XCTAssertEqual(try infer(.slice, [[10, 8], [2], [2], [2], [2]],
                                 constants: [1: ints([1, -1]), 2: ints([Int64.max, -9]), 3: ints([0, 1]), 4: ints([3, -2])]).staticShape,
                       [3, 4])
        XCTAssertEqual(try infer(.gather(axis: 1), [[2, 5, 3], [4, 2]], dtypes: [.float32, .int64]).staticShape, [2, 4, 2, 3])
        XCTAssertEqual(try infer(.gather(axis: 0), [[4], []], dtypes: [.int64, .int64]).staticShape, [])
    }

    func testShapeCastConstantOfShapeExpand() throws {
        XCTAssertEqual(try infer(.shape(start: 1, end: -1), [[2, 3, 4, 5]]), TensorType(.int64, shape: [2]))
        XCTAssertEqual(try infer(.shape(start: -10, end: nil), [[2, 3]]), TensorType(.int64, shape: [2]))
        XCTAssertEqual(try infer(.cast(to: .int32), [[2, 3]]), TensorType(.int32, shape: [2, 3]))
        let value = Tensor(shape: [1], floats: [0.5])
        XCTAssertEqual(try infer(.constantOfShape(value: value), [[2]], constants: [0: ints([3, 2])]), TensorType(.float32, shape: [3, 2]))
        XCTAssertEqual(try infer(.expand, [[3, 1], [3]], constants: [1: ints([2, 1, 4])]).staticShape, [2, 3, 4])
        assertThrows(["Expand", "must be constant"]) { _ = try infer(.expand, [[3, 1], [3]], dtypes: [.float32, .int64]) }
    }

    func testResize() throws {
        let nearest = ResizeAttributes()
        XCTAssertEqual(try infer(.resize(nearest), [[1, 3, 5, 7], nil, [4]], constants: [2: floats([1, 1, 1.5, 0.5])]).staticShape,
                       [1, 3, 7, 3])
        XCTAssertEqual(try infer(.resize(nearest), [[1, 3, 5, 7], nil, nil, [4]], constants: [3: ints([1, 3, 10, 9])]).staticShape,
                       [1, 3, 10, 9])
        // not_larger: scale = min(10/5, 9/7) = 9/7 → round(5·9/7 = 6.43) = 6, 9.
        let keep = ResizeAttributes(axes: [2, 3], keepAspectRatioPolicy: .notLarger)
        XCTAssertEqual(try infer(.resize(keep), [[1, 3, 5, 7], nil, nil, [2]], constants: [3: ints([10, 9])]).staticShape, [1, 3, 6, 9])
        let smaller = ResizeAttributes(axes: [2, 3], keepAspectRatioPolicy: .notSmaller)
        XCTAssertEqual(try infer(.resize(smaller), [[1, 3, 5, 7], nil, nil, [2]], constants: [3: ints([10, 9])]).staticShape, [1, 3, 10, 14])
        let nhwc = ResizeAttributes(layout: .nhwc)
        XCTAssertEqual(try infer(.resize(nhwc), [[1, 5, 7, 3], nil, [4]], constants: [2: floats([1, 1, 2, 2])]).staticShape, [1, 10, 14, 3])
        assertThrows(["Resize", "must be constant"]) { _ = try infer(.resize(nearest), [[1, 3, 5, 7], nil, [4]]) }
    }

    func testUnsupportedOpNamesNode() {
        assertThrows(["unsupported", "'n'", "NonMaxSuppression"]) {
            _ = try infer(.unsupported(opType: "NonMaxSuppression", domain: "", reason: "not an image-quality op"), [[1]])
        }
    }
}
