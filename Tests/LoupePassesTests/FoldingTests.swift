import LoupeIR
import LoupePasses
import XCTest

final class FoldingTests: XCTestCase {
    /// torch's exporter computes `x.view(x.size(0), -1)` as a Shape chain.
    func testShapeChainFoldsIntoConstantReshape() throws {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 4, 2, 2]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 16]))])
        g.initializers["zero"] = Tensor(shape: [], ints: [0])
        g.initializers["axes0"] = Tensor(shape: [1], ints: [0])
        g.initializers["minus1"] = Tensor(shape: [1], ints: [-1])
        g.nodes = [
            Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["x"], outputs: ["s"]),
            Node(name: "gather", op: .gather(axis: 0), inputs: ["s", "zero"], outputs: ["n"]),
            Node(name: "unsq", op: .unsqueeze, inputs: ["n", "axes0"], outputs: ["n1"]),
            Node(name: "cat", op: .concat(axis: 0), inputs: ["n1", "minus1"], outputs: ["target"]),
            Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["x", "target"], outputs: ["y"]),
        ]
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(optimized), ["Reshape"])
        let target = try XCTUnwrap(optimized.initializers[optimized.nodes[0].inputs[1]])
        XCTAssertEqual(target.ints, [1, -1])
        var rng = Rng(1)
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 4, 2, 2])], seed: 1)
    }

    func testIdentityAndDropoutRemoved() throws {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [2, 3]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [2, 3]))])
        g.nodes = [
            Node(name: "relu", op: .unary(.relu), inputs: ["x"], outputs: ["a"]),
            Node(name: "id", op: .identity, inputs: ["a"], outputs: ["b"]),
            Node(name: "drop", op: .dropout, inputs: ["b"], outputs: ["y"]),
        ]
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(optimized), ["Relu"])
        XCTAssertEqual(optimized.nodes[0].outputs, ["y"])
        var rng = Rng(2)
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([2, 3])], seed: 2)
    }

    func testBatchNormFoldsIntoConv() throws {
        var rng = Rng(3)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 3, 6, 6]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 4, 6, 6]))])
        g.initializers["w"] = rng.tensor([4, 3, 3, 3])
        g.initializers["b"] = rng.tensor([4])
        g.initializers["s"] = rng.tensor([4], 0.5, 2)
        g.initializers["t"] = rng.tensor([4])
        g.initializers["m"] = rng.tensor([4])
        g.initializers["v"] = rng.tensor([4], 0.1, 3)
        g.nodes = [
            Node(name: "conv", op: .conv(convAttrs()), inputs: ["x", "w", "b"], outputs: ["c"]),
            Node(name: "bn", op: .batchNormalization(epsilon: 1e-5, layout: .nchw), inputs: ["c", "s", "t", "m", "v"], outputs: ["y"]),
        ]
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(optimized), ["Conv"])
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 3, 6, 6])], tolerance: 1e-5, seed: 3)
    }

    /// Not folded when the conv output is read elsewhere: the BN becomes a scale and shift.
    func testBatchNormNotFoldedWhenConvOutputShared() throws {
        var rng = Rng(4)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2, 4, 4]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 2, 4, 4])),
                                ValueInfo(name: "c", type: TensorType(.float32, shape: [1, 2, 4, 4]))])
        g.initializers["w"] = rng.tensor([2, 2, 3, 3])
        for p in ["s", "t", "m"] { g.initializers[p] = rng.tensor([2]) }
        g.initializers["v"] = rng.tensor([2], 0.5, 1)
        g.nodes = [
            Node(name: "conv", op: .conv(convAttrs()), inputs: ["x", "w"], outputs: ["c"]),
            Node(name: "bn", op: .batchNormalization(epsilon: 1e-5, layout: .nchw), inputs: ["c", "s", "t", "m", "v"], outputs: ["y"]),
        ]
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(optimized), ["Conv", "Mul", "Add"])
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 2, 4, 4])], seed: 4)
    }
}
