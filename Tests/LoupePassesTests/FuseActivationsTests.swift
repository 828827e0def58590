import LoupeIR
import LoupePasses
import XCTest

/// FuseActivations alone. The fused clamp is applied to the same value before it is stored
/// (clamping and rounding to float commute for bounds that are floats), so outputs match
/// exactly.
final class FuseActivationsTests: XCTestCase {
    private let pass = FuseActivations()

    /// x [1,2,5,5] → Conv 3×3 (3 channels) → c, then `tail` on c.
    private func convThen(seed: UInt64, _ tail: (inout GraphBuilder) -> Void) -> GraphBuilder {
        var b = GraphBuilder(seed: seed)
        b.input("x", [1, 2, 5, 5])
        b.node("c", .conv(convAttrs()), ["x", b.random("w", [3, 2, 3, 3]), b.random("b", [3])])
        tail(&b)
        return b
    }

    private func range(_ op: Op) -> (Float, Float)? {
        if case .conv(let a) = op { return (a.outputMin, a.outputMax) }
        if case .gemm(let a) = op { return (a.outputMin, a.outputMax) }
        return nil
    }

    func testReluFusesIntoConv() throws {
        let b = convThen(seed: 150) { $0.node("y", .unary(.relu), ["c"]) }
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Conv"], tolerance: .exact, seed: 150)
        XCTAssertEqual(o.nodes[0].outputs, ["y"])
        XCTAssertTrue(range(o.nodes[0].op)! == (0, .infinity))
    }

    func testClipFusesIntoGemm() throws {
        var b = GraphBuilder(seed: 151)
        b.input("x", [2, 4])
        b.node("g", .gemm(GemmAttributes(transB: true)), ["x", b.random("w", [3, 4]), b.random("bias", [3])])
        b.node("y", .clip, ["g", b.constant("lo", -0.5), b.constant("hi", 0.5)])
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Gemm"], tolerance: .exact, seed: 151)
        XCTAssertTrue(range(o.nodes[0].op)! == (-0.5, 0.5))
    }

    /// Clip then Relu: both fuse and the ranges intersect.
    func testSuccessiveClampsIntersect() throws {
        let b = convThen(seed: 152) {
            $0.node("clip", .clip, ["c", $0.constant("lo", -1), $0.constant("hi", 3)])
            $0.node("y", .unary(.relu), ["clip"])
        }
        let o = try assertRewrites(pass, try b.finish("y"), into: ["Conv"], tolerance: .exact, seed: 152)
        XCTAssertTrue(range(o.nodes[0].op)! == (0, 3))
    }

    func testNotFusedWhenGuarded() throws {
        let cases: [(String, GraphBuilder, [String])] = [
            ("the conv output is a graph output", convThen(seed: 153) { $0.node("y", .unary(.relu), ["c"]) }, ["y", "c"]),
            ("the conv output has a second reader", convThen(seed: 154) {
                $0.node("r", .unary(.relu), ["c"])
                $0.node("y", .binary(.add), ["r", "c"])
            }, ["y"]),
            ("a Clip bound is not constant", convThen(seed: 155) {
                $0.input("hi", [])
                $0.node("y", .clip, ["c", $0.constant("lo", 0), "hi"])
            }, ["y"]),
            ("the Clip bounds are crossed", convThen(seed: 156) {
                $0.node("y", .clip, ["c", $0.constant("lo", 2), $0.constant("hi", 1)])
            }, ["y"]),
            ("the producer has no output range", convThen(seed: 157) {
                $0.node("a", .binary(.add), ["c", "c"])
                $0.node("y", .unary(.relu), ["a"])
            }, ["y"]),
        ]
        for (why, b, outputs) in cases {
            try assertLeavesAlone(pass, try b.finish(outputs), why)
        }
    }
}
