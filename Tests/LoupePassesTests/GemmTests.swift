import LoupeIR
import LoupePasses
import XCTest

final class GemmTests: XCTestCase {
    private func gemmGraph(_ attrs: GemmAttributes, aShape: [Int], bShape: [Int], cShape: [Int]?,
                           bConstant: Bool, seed: UInt64) -> (Graph, [String: Tensor]) {
        var rng = Rng(seed)
        let m = attrs.transA ? aShape[1] : aShape[0]
        let n = attrs.transB ? bShape[0] : bShape[1]
        var inputs = [ValueInfo(name: "a", type: TensorType(.float32, shape: aShape))]
        var feeds = ["a": rng.tensor(aShape)]
        var g = Graph(outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [m, n]))])
        if bConstant {
            g.initializers["b"] = rng.tensor(bShape)
        } else {
            inputs.append(ValueInfo(name: "b", type: TensorType(.float32, shape: bShape)))
            feeds["b"] = rng.tensor(bShape)
        }
        var ins = ["a", "b"]
        if let cShape {
            g.initializers["c"] = rng.tensor(cShape)
            ins.append("c")
        }
        g.inputs = inputs
        g.nodes = [Node(name: "gemm", op: .gemm(attrs), inputs: ins, outputs: ["y"])]
        return (g, feeds)
    }

    func testMatrixBiasAndTransposedABecomeTransposeGemmAdd() throws {
        let (g, feeds) = gemmGraph(GemmAttributes(alpha: 0.5, beta: 2, transA: true, transB: true),
                                   aShape: [6, 3], bShape: [4, 6], cShape: [3, 4], bConstant: true, seed: 30)
        let o = try Pipeline.optimize(g)
        XCTAssertEqual(opNames(o), ["Transpose", "Gemm", "Add"])
        try assertSameOutputs(g, o, inputs: feeds, seed: 30)
    }

    func testNonConstantBBecomesMatMul() throws {
        let (g, feeds) = gemmGraph(GemmAttributes(alpha: 2, transB: true), aShape: [2, 5], bShape: [3, 5],
                                   cShape: [3], bConstant: false, seed: 31)
        let o = try Pipeline.optimize(g)
        XCTAssertEqual(opNames(o), ["Transpose", "MatMul", "Mul", "Add"])
        try assertSameOutputs(g, o, inputs: feeds, seed: 31)
    }

    /// Not rewritten when the Gemm already is a fully-connected layer.
    func testFullyConnectedGemmLeftAlone() throws {
        let (g, feeds) = gemmGraph(GemmAttributes(transB: true), aShape: [1, 8], bShape: [4, 8], cShape: [4],
                                   bConstant: true, seed: 32)
        let o = try Pipeline.optimize(g)
        XCTAssertEqual(opNames(o), ["Gemm"])
        try assertSameOutputs(g, o, inputs: feeds, seed: 32)
    }
}

final class LiftOneDimensionalTests: XCTestCase {
    func testOneDimensionalConvAndPoolRunAsTwoDimensional() throws {
        var rng = Rng(40)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2, 9]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 3, 4]))])
        g.initializers["w"] = rng.tensor([3, 2, 3])
        g.nodes = [
            Node(name: "conv", op: .conv(ConvAttributes(kernelShape: [3], strides: [1], dilations: [1], pads: [1, 1])),
                 inputs: ["x", "w"], outputs: ["c"]),
            Node(name: "pool", op: .maxPool(PoolAttributes(kernelShape: [2], strides: [2], dilations: [1], pads: [0, 0])),
                 inputs: ["c"], outputs: ["y"]),
        ]
        let o = try Pipeline.optimize(g)
        for n in o.nodes {
            if case .conv(let a) = n.op { XCTAssertEqual(a.kernelShape, [1, 3]); XCTAssertEqual(a.layout, .nhwc) }
            if case .maxPool(let a) = n.op { XCTAssertEqual(a.kernelShape, [1, 2]) }
        }
        XCTAssertEqual(o.type(of: "y")?.staticShape, [1, 3, 4])
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 2, 9])], seed: 40)
    }
}
