import LoupeIR
import LoupePasses
import XCTest

/// CancelTransposes alone: transpose pairs cancel or merge, exactly (data movement only).
final class CancelTransposesTests: XCTestCase {
    private let pass = CancelTransposes()

    /// x [1,2,3,4] → Transpose(first) → Transpose(second) → Relu → y, with the middle value
    /// optionally also a graph output.
    private func pair(_ first: [Int], _ second: [Int], seed: UInt64, secondIsOutput: Bool = false) throws -> Graph {
        var b = GraphBuilder(seed: seed)
        b.input("x", [1, 2, 3, 4])
        b.node("t1", .transpose(perm: first), ["x"])
        b.node("t2", .transpose(perm: second), ["t1"])
        if secondIsOutput { return try b.finish("t2") }
        b.node("y", .unary(.relu), ["t2"])
        return try b.finish("y")
    }

    func testInversePairIsRemoved() throws {
        let o = try assertRewrites(pass, try pair([0, 2, 3, 1], [0, 3, 1, 2], seed: 120), into: ["Relu"],
                                   tolerance: .exact, seed: 120)
        XCTAssertEqual(o.nodes[0].inputs, ["x"])
    }

    func testOtherPairIsMergedIntoOneTranspose() throws {
        let o = try assertRewrites(pass, try pair([0, 2, 3, 1], [0, 2, 1, 3], seed: 121), into: ["Transpose", "Relu"],
                                   tolerance: .exact, seed: 121)
        XCTAssertEqual(o.nodes[0].inputs, ["x"])
    }

    /// An inverse pair that writes a graph output becomes one identity transpose: the output
    /// must still be produced by a node.
    func testInversePairIntoGraphOutputBecomesOneTranspose() throws {
        let o = try assertRewrites(pass, try pair([0, 2, 3, 1], [0, 3, 1, 2], seed: 122, secondIsOutput: true),
                                   into: ["Transpose"], tolerance: .exact, seed: 122)
        guard case .transpose(let perm) = o.nodes[0].op else { return XCTFail("\(o.nodes[0].op)") }
        XCTAssertEqual(perm, [0, 1, 2, 3])
    }

    /// The first transpose stays for its other reader; the second one goes.
    func testSharedFirstTransposeStaysForItsOtherReader() throws {
        var b = GraphBuilder(seed: 123)
        b.input("x", [1, 2, 3, 4])
        b.node("t1", .transpose(perm: [0, 2, 3, 1]), ["x"])
        b.node("relu", .unary(.relu), ["t1"])
        b.node("t2", .transpose(perm: [0, 3, 1, 2]), ["t1"])
        b.node("y", .unary(.sigmoid), ["t2"])
        try assertRewrites(pass, try b.finish("relu", "y"), into: ["Transpose", "Relu", "Sigmoid"], tolerance: .exact, seed: 123)
    }

    func testNotRewrittenWithoutATransposeBeforeATranspose() throws {
        var b = GraphBuilder(seed: 124)
        b.input("x", [1, 2, 3, 4])
        b.node("t1", .transpose(perm: [0, 2, 3, 1]), ["x"])
        b.node("relu", .unary(.relu), ["t1"])
        b.node("y", .transpose(perm: [0, 3, 1, 2]), ["relu"])
        try assertLeavesAlone(pass, try b.finish("y"), "a Relu separates the transposes")
    }
}
