import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

final class ElementwiseTests: XCTestCase {
    func testIntegerArithmetic() throws {
        let d = try run1(.binary(.div), [i64([-7, 7, 9]), i64([2, -2, 3])])
        XCTAssertEqual(d.ints, [-3, -3, 3])
        XCTAssertEqual(d.dtype, .int64)
        XCTAssertEqual(try run1(.binary(.add), [i64([2, 2], [1, 2, 3, 4]), i64([10])]).ints, [11, 12, 13, 14])
        XCTAssertEqual(try run1(.binary(.mul), [i64([3]), i64([-4])]).ints, [-12])
        XCTAssertEqual(try run1(.binary(.max), [i64([3, -1]), i64([1])]).ints, [3, 1])
        assertThrows(["Div node", "division by zero"]) { _ = try run1(.binary(.div), [i64([1]), i64([0])]) }
    }

    func testFloatBroadcast() throws {
        assertClose(try run1(.binary(.sub), [f([2, 1], [1, 2]), f([3], [1, 2, 3])]), [2, 3], [0, -1, -2, 1, 0, -1])
        assertClose(try run1(.binary(.pow), [f([2], [2, 3]), f([], [2])]), [2], [4, 9])
    }

    func testActivations() throws {
        assertClose(try run1(.hardSigmoid(alpha: 0.2, beta: 0.5), [f([4], [-5, 0, 1, 5])]), [4], [0, 0.5, 0.7, 1])
        let third: Float = 1.0 / 3  // typed: Swift 6.0 reads `1.0 / 3` in a [Float] literal as Double
        assertClose(try run1(.unary(.hardSwish), [f([5], [-4, -1, 0, 1, 4])]), [5], [0, -third, 0, 2 * third, 4])
        assertClose(try run1(.elu(alpha: 1), [f([2], [-1, 2])]), [2], [-0.63212056, 2])
        assertClose(try run1(.leakyRelu(alpha: 0.1), [f([2], [-2, 3])]), [2], [-0.2, 3])
        assertClose(try run1(.unary(.erf), [f([2], [0.5, -1])]), [2], [0.52049988, -0.84270079])
        assertClose(try run1(.unary(.sigmoid), [f([1], [0])]), [1], [0.5])
        assertClose(try run1(.prelu, [f([1, 2, 1, 2], [-1, 1, -1, -2]), f([2, 1, 1], [0.1, 0.2])]), [1, 2, 1, 2], [-0.1, 1, -0.2, -0.4])
    }

    func testClip() throws {
        let x = f([3], [-2, 0.5, 3])
        assertClose(try run1(.clip, [x, f([], [0]), nil]), [3], [0, 0.5, 3])
        assertClose(try run1(.clip, [x, nil, f([], [1])]), [3], [-2, 0.5, 1])
        assertClose(try run1(.clip, [x]), [3], [-2, 0.5, 3])
        // min > max: everything becomes max.
        assertClose(try run1(.clip, [x, f([], [1]), f([], [0])]), [3], [0, 0, 0])
        XCTAssertEqual(try run1(.clip, [i64([-5, 5, 50]), i64([], [0]), i64([], [10])]).ints, [0, 5, 10])
    }

    func testIntegerOnlyOpRejectsInts() {
        assertThrows(["Sigmoid node", "floating-point"]) { _ = try run1(.unary(.sigmoid), [i64([1])]) }
    }
}
