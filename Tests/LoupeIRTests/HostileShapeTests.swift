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
        // Extreme steps and bounds are legal and clamp.
        XCTAssertEqual(try infer(.slice, [[10], [1], [1], [1], [1]],
                                 constants: [1: ints([Int64.max]), 2: ints([Int64.min]), 3: ints([0]), 4: ints([Int64.min])]).staticShape, [1])
        XCTAssertEqual(try infer(.slice, [[10], [1], [1], [1], [1]],
                                 constants: [1: ints([0]), 2: ints([Int64.max]), 3: ints([0]), 4: ints([Int64.max])]).staticShape, [1])
    }
}
