import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

final class ShapeOpsTests: XCTestCase {
    func testPadModes() throws {
        let x = f([3], [1, 2, 3])
        let pads = i64([2, 2])
        assertClose(try run1(.pad(.constant), [x, pads, f([], [9])]), [7], [9, 9, 1, 2, 3, 9, 9])
        assertClose(try run1(.pad(.edge), [x, pads]), [7], [1, 1, 1, 2, 3, 3, 3])
        assertClose(try run1(.pad(.reflect), [x, pads]), [7], [3, 2, 1, 2, 3, 2, 1])
        assertClose(try run1(.pad(.wrap), [x, pads]), [7], [2, 3, 1, 2, 3, 1, 2])
        // Negative pads crop first: [2, 3, 4] then reflect one at the end.
        assertClose(try run1(.pad(.reflect), [f([4], [1, 2, 3, 4]), i64([-1, 1])]), [4], [2, 3, 4, 3])
        // axes input: pad only the last axis of [2, 2].
        assertClose(try run1(.pad(.constant), [f([2, 2], [1, 2, 3, 4]), i64([1, 0]), nil, i64([-1])]), [2, 3], [0, 1, 2, 0, 3, 4])
    }

    func testShapeComputationChain() throws {
        let s = try run1(.shape(start: 1, end: nil), [f([2, 3, 4], Array(repeating: 0, count: 24))])
        XCTAssertEqual(s.ints, [3, 4])
        XCTAssertEqual(s.dtype, .int64)
        XCTAssertEqual(try run1(.gather(axis: 0), [s, i64([], [-1])]).ints, [4])
        XCTAssertEqual(try run1(.gather(axis: 1), [i64([2, 3], [1, 2, 3, 4, 5, 6]), i64([2], [2, 0])]).ints, [3, 1, 6, 4])
        assertThrows(["Gather node", "out of range"]) { _ = try run1(.gather(axis: 0), [s, i64([], [2])]) }
        XCTAssertEqual(try run1(.concat(axis: 0), [i64([1]), i64([-1, 7])]).ints, [1, -1, 7])
        XCTAssertEqual(try run1(.unsqueeze, [i64([], [5]), i64([0])]).shape, [1])
        XCTAssertEqual(try run1(.squeeze, [i64([1, 2], [5, 6]), nil]).shape, [2])
        let r = try run1(.reshape(allowZero: false), [iota([2, 3, 2]), i64([0, -1])])
        XCTAssertEqual(r.shape, [2, 6])
        XCTAssertEqual(try run1(.constantOfShape(value: i64([1], [7])), [i64([2])]).ints, [7, 7])
        XCTAssertEqual(try run1(.expand, [i64([2, 1], [1, 2]), i64([2, 3])]).ints, [1, 1, 1, 2, 2, 2])
    }

    func testSlice() throws {
        let x = iota([3, 4])
        // Rows 2,0 (step −2 from the end), columns 1..<3.
        assertClose(try run1(.slice, [x, i64([-1, 1]), i64([Int64.min, 3]), i64([0, 1]), i64([-2, 1])]), [2, 2], [9, 10, 1, 2])
        assertClose(try run1(.slice, [x, i64([1]), i64([100]), nil, nil]), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11])
    }

    func testCastAndTranspose() throws {
        let c = try run1(.cast(to: .int32), [f([4], [-1.7, 2.9, .nan, 3e10])])
        XCTAssertEqual(c.dtype, .int32)
        XCTAssertEqual(c.ints, [-1, 2, 0, Int64(Int32(truncatingIfNeeded: Int64(Float(3e10))))])
        XCTAssertEqual(try run1(.cast(to: .bool), [f([2], [0, -0.5])]).ints, [0, 1])
        assertClose(try run1(.cast(to: .float32), [i64([2])]), [1], [2])
        // float16 keeps 11 significant bits: 1 + 2⁻¹¹ rounds to 1 (tie to even), 1 + 3·2⁻¹¹ to 1 + 2⁻⁹.
        let h = try run1(.cast(to: .float16), [f([3], [1 + 1.0 / 2048, 1 + 3.0 / 2048, 70000])])
        XCTAssertEqual(h.floats, [1, 1 + 1.0 / 512, .infinity])
        XCTAssertEqual(h.dtype, .float16)
        assertClose(try run1(.transpose(perm: nil), [iota([2, 3])]), [3, 2], [0, 3, 1, 4, 2, 5])
        assertClose(try run1(.flatten(axis: 1), [iota([2, 1, 2])]), [2, 2], [0, 1, 2, 3])
    }

    func testUnsupportedAndBadInputs() throws {
        assertThrows(["unsupported", "'n'", "TopK"]) { _ = try run1(.unsupported(opType: "TopK", domain: "", reason: "x"), [f([1], [1])]) }
        assertThrows(["Add node", "'n'", "broadcast"]) { _ = try run1(.binary(.add), [f([2], [1, 2]), f([3], [1, 2, 3])]) }
        assertThrows(["Conv node", "'n'"]) { _ = try run1(.conv(conv2d(k: [3, 3])), [f([1, 1, 2, 2], [1, 2, 3, 4]), f([1, 1, 3, 3], Array(repeating: 1, count: 9))]) }
        assertThrows(["Conv node", "required input"]) { _ = try run1(.conv(conv2d(k: [1, 1])), [f([1, 1, 1, 1], [1])]) }
    }

    func testRunGraph() throws {
        let g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 2]))],
                      nodes: [Node(name: "add", op: .binary(.add), inputs: ["x", "b"], outputs: ["t"]),
                              Node(name: "relu", op: .unary(.relu), inputs: ["t"], outputs: ["y"])],
                      initializers: ["b": f([2], [1, -5])])
        let out = try ReferenceInterpreter.run(g, inputs: ["x": f([1, 2], [1, 2])])
        assertClose(out["y"]!, [1, 2], [2, 0])
        assertThrows(["bad input", "'x'"]) { _ = try ReferenceInterpreter.run(g, inputs: [:]) }
        assertThrows(["bad input", "'x'"]) { _ = try ReferenceInterpreter.run(g, inputs: ["x": f([2], [1, 2])]) }
    }
}
