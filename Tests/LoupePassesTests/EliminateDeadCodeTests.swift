import LoupeIR
import LoupePasses
import XCTest

/// EliminateDeadCode alone: unread nodes and constants go; the rest is untouched.
final class EliminateDeadCodeTests: XCTestCase {
    private let pass = EliminateDeadCode()

    func testUnreadNodesAndTheirConstantsAreRemoved() throws {
        var b = GraphBuilder(seed: 110)
        b.input("x", [2, 3])
        b.node("relu", .unary(.relu), ["x"])
        b.node("shifted", .binary(.add), ["relu", b.random("bias", [3])])
        b.node("y", .unary(.sigmoid), ["x"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Sigmoid"], tolerance: .exact, seed: 110)
        XCTAssertTrue(o.initializers.isEmpty, "\(o.initializers.keys)")
    }

    func testUnreadConstantAloneCountsAsAChange() throws {
        var b = GraphBuilder(seed: 111)
        b.input("x", [2, 3])
        b.random("unused", [3])
        b.node("y", .unary(.relu), ["x"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Relu"], tolerance: .exact, seed: 111)
        XCTAssertNil(o.initializers["unused"])
    }

    func testLiveGraphIsLeftAlone() throws {
        // An intermediate graph output and a multi-output node with one output unread stay.
        var b = GraphBuilder(seed: 112)
        b.input("x", [2, 4])
        let halves = b.node("split", .split(axis: 1), ["x", b.ints("sizes", [2, 2])], outputs: 2)
        b.node("relu", .unary(.relu), [halves[0]])
        b.node("y", .binary(.mul), ["relu", b.random("w", [2])])
        try assertLeavesAlone(pass, try b.finish("relu", "y"), "every node feeds a graph output")
    }
}
