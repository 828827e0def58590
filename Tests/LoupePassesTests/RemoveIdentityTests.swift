import LoupeIR
import LoupePasses
import XCTest

/// RemoveIdentity alone: pass-through nodes disappear, exactly (nothing is computed).
final class RemoveIdentityTests: XCTestCase {
    private let pass = RemoveIdentity()

    func testIdentityAndDropoutBetweenNodesAreRemoved() throws {
        var b = GraphBuilder(seed: 100)
        b.input("x", [2, 3])
        b.node("relu", .unary(.relu), ["x"])
        b.node("id", .identity, ["relu"])
        b.node("drop", .dropout, ["id"])
        b.node("y", .unary(.sigmoid), ["drop"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Relu", "Sigmoid"], tolerance: .exact, seed: 100)
        XCTAssertEqual(o.nodes[1].inputs, ["relu"])
    }

    /// An Identity that writes a graph output: its producer writes the output instead.
    func testIdentityIntoGraphOutputRenamesItsProducer() throws {
        var b = GraphBuilder(seed: 101)
        b.input("x", [2, 3])
        b.node("relu", .unary(.relu), ["x"])
        b.node("y", .identity, ["relu"])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Relu"], tolerance: .exact, seed: 101)
        XCTAssertEqual(o.nodes[0].outputs, ["y"])
    }

    func testWholeTensorSliceIsRemoved() throws {
        var b = GraphBuilder(seed: 102)
        b.input("x", [1, 3, 4, 4])
        b.node("relu", .unary(.relu), ["x"])
        let bounds = [b.ints("starts", [0]), b.ints("ends", [3]), b.ints("axes", [1])]
        b.node("slice", .slice, ["relu"] + bounds)
        b.node("y", .unary(.sigmoid), ["slice"])
        try assertRewrites(pass, try b.finish("y"), into: ["Relu", "Sigmoid"], tolerance: .exact, seed: 102)
    }

    func testNotRemovedWhenBothEndsAreGraphInterface() throws {
        // Input to output: no node to rename, so the copy stays.
        var b = GraphBuilder(seed: 103)
        b.input("x", [2, 3])
        b.node("y", .identity, ["x"])
        try assertLeavesAlone(pass, try b.finish("y"), "the identity copies a graph input to a graph output")
        // Output to output: renaming the producer would lose the first output.
        var c = GraphBuilder(seed: 104)
        c.input("x", [2, 3])
        c.node("relu", .unary(.relu), ["x"])
        c.node("y", .identity, ["relu"])
        try assertLeavesAlone(pass, try c.finish("relu", "y"), "the identity copies one graph output to another")
    }

    func testNotRemovedWhenDropoutMaskIsRead() throws {
        var b = GraphBuilder(seed: 105)
        b.input("x", [2, 3])
        let d = b.node("drop", .dropout, ["x"], outputs: 2)
        b.node("y", .unary(.relu), [d[0]])
        try assertLeavesAlone(pass, try b.finish("y", d[1]), "the dropout mask is a graph output")
    }

    func testNotRemovedWhenSliceDropsOrReordersElements() throws {
        for (what, starts, ends, steps): (String, Int64, Int64, Int64) in [("partial", 0, 2, 1), ("reversed", -1, Int64.min, -1)] {
            var b = GraphBuilder(seed: 106)
            b.input("x", [1, 3, 4, 4])
            let bounds = [b.ints("starts", [starts]), b.ints("ends", [ends]), b.ints("axes", [1]), b.ints("steps", [steps])]
            b.node("slice", .slice, ["x"] + bounds)
            b.node("y", .unary(.relu), ["slice"])
            try assertLeavesAlone(pass, try b.finish("y"), "the slice is \(what)")
        }
    }
}
