import XCTest
import LoupeIR
@testable import LoupeRuntime

final class GemmTests: XCTestCase {
    func testGemmVariantsAgainstReference() throws {
        let cases: [(a: [Int], b: [Int], c: [Int]?, attrs: GemmAttributes)] = [
            ([3, 5], [5, 4], [4], GemmAttributes()),
            ([3, 5], [4, 5], [1, 4], GemmAttributes(alpha: 0.5, beta: 2, transB: true)),
            ([2, 7], [7, 3], nil, GemmAttributes(outputMin: 0, outputMax: 6)),
            ([6, 1], [6, 3], [1], GemmAttributes(alpha: 1.5, beta: -1, transA: true)),
        ]
        for (i, c) in cases.enumerated() {
            var b = G(seed: UInt64(300 + i))
            let a = b.input("a", c.a)
            let w = b.constant("w", c.b)
            var ins = [a, w]
            if let cs = c.c { ins.append(b.constant("c", cs)) }
            b.node(.gemm(c.attrs), ins, "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .accumulate)
        }
    }

    func testMatMulConstantWeights() throws {
        for (i, (a, w)) in [([2, 3, 5], [5, 4]), ([4, 8], [8]), ([1, 2, 2, 6], [6, 3])].enumerated() {
            var b = G(seed: UInt64(320 + i))
            let x = b.input("a", a)
            let k = b.constant("w", w)
            b.node(.matMul, [x, k], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .accumulate)
        }
    }

    func testBatchedMatMulKernel() throws {
        let cases: [([Int], [Int])] = [([2, 3], [3, 2]), ([2, 4, 5, 6], [2, 4, 6, 7]), ([4, 5, 6], [6, 33]),
                                       ([3, 1, 5, 6], [1, 2, 6, 9]), ([6], [2, 6, 3]), ([2, 4, 6], [6]), ([64, 16], [16, 64])]
        for (i, (sa, sb)) in cases.enumerated() {
            var b = G(seed: UInt64(340 + i))
            let x = b.input("a", sa)
            let y = b.input("b", sb)
            b.node(.matMul, [x, y], "y")
            let g = try b.finish(["y"])
            XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .kernel("loupe_f32_matmul"))
            try checkAgainstReference(&b, g, .accumulate)
        }
        // A batched constant B takes the kernel too.
        var b = G(seed: 350)
        let x = b.input("a", [2, 3, 4])
        b.node(.matMul, [x, b.constant("w", [2, 4, 5])], "y")
        let g = try b.finish(["y"])
        try checkAgainstReference(&b, g, .accumulate)
    }
}

final class ElementwiseTests: XCTestCase {
    func testBinaryOpsWithBroadcastingAndConstants() throws {
        let ops: [BinaryOp] = [.add, .sub, .mul, .div, .max, .min]
        let shapes: [([Int], [Int])] = [([1, 4, 5, 6], [1, 4, 5, 6]), ([1, 4, 5, 6], [6]), ([2, 1, 5, 6], [1, 3, 1, 6]), ([3], [])]
        for (oi, op) in ops.enumerated() {
            for (si, (sa, sb)) in shapes.enumerated() {
                var b = G(seed: UInt64(400 + oi * 10 + si))
                let x = b.input("x", sa)
                let y = si == 1 ? b.constant("k", sb, 0.5, 2) : b.input("z", sb)
                b.node(.binary(op), [x, y], "out")
                let g = try b.finish(["out"])
                try checkAgainstReference(&b, g, .exact)
            }
        }
    }

    func testSameShapeAddSplitAcrossThreads() throws {
        var b = G(seed: 450)
        let x = b.input("x", [1, 64, 64, 24])
        let y = b.input("y", [1, 64, 64, 24])
        b.node(.binary(.add), [x, y], "out")
        let g = try b.finish(["out"])
        let ex = try checkAgainstReference(&b, g, .exact, threads: [1, 2, 3])
        XCTAssertEqual(ex?.steps.first?.placement, .xnnpack("xnn_create_add_nd_f32"))
    }

    func testUnaryFamily() throws {
        let cases: [(Op, Tolerance, [String])] = [
            (.unary(.relu), .exact, []), (.unary(.sigmoid), .transcendental, []),
            (.unary(.tanh), .transcendental, []), (.unary(.hardSwish), .transcendental, []),
            (.unary(.neg), .exact, []), (.unary(.abs), .exact, []), (.unary(.floor), .exact, []),
            (.unary(.ceil), .exact, []), (.leakyRelu(alpha: 0.1), .exact, []),
            (.elu(alpha: 1.0), .transcendental, []), (.hardSigmoid(alpha: 0.2, beta: 0.5), .exact, []),
            (.clip, .exact, ["lo", "hi"]), (.clip, .exact, ["", "hi"]),
        ]
        for (i, (op, tol, extra)) in cases.enumerated() {
            var b = G(seed: UInt64(500 + i))
            let x = b.input("x", [1, 5, 7, 19])
            var ins = [x]
            for e in extra {
                if e.isEmpty { ins.append(""); continue }
                ins.append(b.constant(e, Tensor(shape: [], floats: [e == "lo" ? -0.5 : 1.25])))
            }
            b.node(op, ins, "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, tol)
        }
        // sqrt, log, reciprocal on positive inputs
        var b = G(seed: 599)
        let x = b.input("x", [4, 33])
        b.node(.unary(.abs), [x], "a")
        b.node(.binary(.add), ["a", b.constant("one", Tensor(shape: [], floats: [0.5]))], "p")
        b.node(.unary(.sqrt), ["p"], "y")
        b.node(.unary(.log), ["p"], "l")
        b.node(.unary(.reciprocal), ["p"], "r")
        b.node(.unary(.exp), [x], "e")
        b.node(.unary(.erf), [x], "f")
        let g = try b.finish(["y", "l", "r", "e", "f"])
        try checkAgainstReference(&b, g, .transcendental)
    }

    func testPReluPlacements() throws {
        let cases: [([Int], String)] = [([1], "xnn_create_leaky_relu_nc_f32"), ([1, 1, 6], "xnn_create_prelu_nc_f32"),
                                        ([5, 1], "loupe_f32_prelu"), ([4, 5, 6], "loupe_f32_prelu")]
        for (i, (slope, expected)) in cases.enumerated() {
            var b = G(seed: UInt64(600 + i))
            let x = b.input("x", [2, 4, 5, 6])
            let s = b.constant("s", slope)
            b.node(.prelu, [x, s], "y")
            let g = try b.finish(["y"])
            let p = Lowering.placement(of: g.nodes[0], in: g)
            XCTAssertTrue(p == .xnnpack(expected) || p == .kernel(expected), "\(slope): \(p)")
            try checkAgainstReference(&b, g, .exact)
        }
    }

    func testUnsupportedUnaryHasReason() throws {
        var b = G()
        let x = b.input("x", [3])
        b.node(.binary(.pow), [x, x], "z")
        let g = try b.finish(["z"])
        for n in g.nodes {
            guard case .unsupported(let r) = Lowering.placement(of: n, in: g) else { return XCTFail() }
            XCTAssertFalse(r.isEmpty)
        }
        XCTAssertThrowsError(try Executor(graph: g))
    }
}
