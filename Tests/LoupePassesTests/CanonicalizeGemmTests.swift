import LoupeIR
import LoupePasses
import XCTest

/// CanonicalizeGemm alone. The rewritten forms round the product before adding `β·C`
/// (the Gemm rounds once), so outputs differ by an ulp or two: relative 1e-6.
final class CanonicalizeGemmTests: XCTestCase {
    private let pass = CanonicalizeGemm()
    private let tolerance = Tolerance.relative(1e-6)

    /// y = Gemm(a, b, c) with a [aShape] input, b [bShape] constant unless `bIsInput`, and an
    /// optional constant c.
    private func gemm(_ attrs: GemmAttributes, a: [Int], b bShape: [Int], c: [Int]?, bIsInput: Bool = false,
                      seed: UInt64) throws -> Graph {
        var g = GraphBuilder(seed: seed)
        g.input("a", a)
        let bv = bIsInput ? g.input("b", bShape) : g.random("b", bShape)
        g.node("y", .gemm(attrs), ["a", bv] + (c.map { [g.random("c", $0)] } ?? []))
        return try g.finish("y")
    }

    func testTransposedAAndMatrixCBecomeTransposeGemmAdd() throws {
        let g = try gemm(GemmAttributes(alpha: 0.5, beta: 2, transA: true, transB: true), a: [6, 3], b: [4, 6], c: [3, 4], seed: 170)
        let o = try assertRewrites(pass, g, into: ["Transpose", "Gemm", "Add"], tolerance: tolerance, seed: 170)
        guard case .gemm(let attrs) = o.nodes[1].op else { return XCTFail("\(o.nodes[1].op)") }
        XCTAssertFalse(attrs.transA)
        XCTAssertEqual(o.nodes[1].inputs.count, 2, "C moved to the Add")
    }

    func testNonConstantBBecomesMatMul() throws {
        let g = try gemm(GemmAttributes(alpha: 2, beta: 0.5, transB: true), a: [2, 5], b: [3, 5], c: [3], bIsInput: true, seed: 171)
        try assertRewrites(pass, g, into: ["Transpose", "MatMul", "Mul", "Add"], tolerance: tolerance, seed: 171)
    }

    func testNotRewrittenWhenAlreadyFullyConnected() throws {
        let cases: [(String, Graph)] = [
            ("B is constant and C per column", try gemm(GemmAttributes(transB: true), a: [2, 8], b: [4, 8], c: [4], seed: 172)),
            ("C is absent", try gemm(GemmAttributes(), a: [2, 8], b: [8, 4], c: nil, seed: 173)),
            ("the transposed A is a vector", try gemm(GemmAttributes(transA: true), a: [8, 1], b: [8, 4], c: [1, 4], seed: 174)),
            ("an output clamp is already fused", try gemm(GemmAttributes(transB: true, outputMin: 0), a: [2, 5], b: [3, 5],
                                                          c: nil, bIsInput: true, seed: 175)),
        ]
        for (why, g) in cases { try assertLeavesAlone(pass, g, why) }
    }
}
