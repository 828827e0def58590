import LoupeIR
import LoupePasses
import XCTest

final class FusionTests: XCTestCase {
    private func convThen(_ act: [Node], outputs: [String] = ["y"], seed: UInt64) -> Graph {
        var rng = Rng(seed)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2, 5, 5]))],
                      outputs: outputs.map { ValueInfo(name: $0, type: TensorType(.float32, shape: [1, 3, 5, 5])) })
        g.initializers["w"] = rng.tensor([3, 2, 3, 3])
        g.initializers["b"] = rng.tensor([3])
        g.initializers["zero"] = scalar(0)
        g.initializers["six"] = scalar(6)
        g.initializers["three"] = scalar(3)
        g.nodes = [Node(name: "conv", op: .conv(convAttrs()), inputs: ["x", "w", "b"], outputs: ["c"])] + act
        return g
    }

    func testReluFusesIntoConv() throws {
        let g = convThen([Node(name: "relu", op: .unary(.relu), inputs: ["c"], outputs: ["y"])], seed: 10)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(o), ["Conv"])
        guard case .conv(let a) = o.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(a.outputMin, 0)
        XCTAssertEqual(a.outputMax, .infinity)
        var rng = Rng(11)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 2, 5, 5], -3, 3)], seed: 11)
    }

    func testClipFusesIntoConv() throws {
        let g = convThen([Node(name: "clip", op: .clip, inputs: ["c", "zero", "six"], outputs: ["y"])], seed: 12)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(o), ["Conv"])
        guard case .conv(let a) = o.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(a.outputMin, 0)
        XCTAssertEqual(a.outputMax, 6)
    }

    func testNotFusedWhenConvOutputIsGraphOutput() throws {
        let g = convThen([Node(name: "relu", op: .unary(.relu), inputs: ["c"], outputs: ["y"])], outputs: ["y", "c"], seed: 13)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(o), ["Conv", "Relu"])
    }

    func testDecomposedHardSwishRecognised() throws {
        let g = convThen([
            Node(name: "add", op: .binary(.add), inputs: ["c", "three"], outputs: ["a"]),
            Node(name: "clip", op: .clip, inputs: ["a", "zero", "six"], outputs: ["r"]),
            Node(name: "mul", op: .binary(.mul), inputs: ["c", "r"], outputs: ["m"]),
            Node(name: "div", op: .binary(.div), inputs: ["m", "six"], outputs: ["y"]),
        ], seed: 14)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(o), ["Conv", "HardSwish"])
        var rng = Rng(15)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 2, 5, 5], -4, 4)], seed: 15)
    }

    func testDecomposedHardSigmoidRecognised() throws {
        let g = convThen([
            Node(name: "add", op: .binary(.add), inputs: ["c", "three"], outputs: ["a"]),
            Node(name: "clip", op: .clip, inputs: ["a", "zero", "six"], outputs: ["r"]),
            Node(name: "div", op: .binary(.div), inputs: ["r", "six"], outputs: ["y"]),
        ], seed: 16)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(o), ["Conv", "HardSigmoid"])
        var rng = Rng(17)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 2, 5, 5], -4, 4)], seed: 17)
    }

    /// Not recognised when the clipped value is read twice.
    func testHardSwishNotRecognisedWhenIntermediateShared() throws {
        let g = convThen([
            Node(name: "add", op: .binary(.add), inputs: ["c", "three"], outputs: ["a"]),
            Node(name: "clip", op: .clip, inputs: ["a", "zero", "six"], outputs: ["r"]),
            Node(name: "mul", op: .binary(.mul), inputs: ["c", "r"], outputs: ["m"]),
            Node(name: "div", op: .binary(.div), inputs: ["m", "six"], outputs: ["y"]),
        ], outputs: ["y", "r"], seed: 18)
        let o = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertFalse(opNames(o).contains("HardSwish"))
    }
}

final class LayoutTests: XCTestCase {
    /// conv → relu → GAP → flatten → gemm: the classifier-head shape of every challenge model.
    func testNHWCClassifierHead() throws {
        var rng = Rng(20)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 3, 8, 8]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 5]))])
        g.initializers["w"] = rng.tensor([4, 3, 3, 3])
        g.initializers["se"] = rng.tensor([4, 1, 1])
        g.initializers["fw"] = rng.tensor([5, 4])
        g.initializers["fb"] = rng.tensor([5])
        g.nodes = [
            Node(name: "conv", op: .conv(convAttrs(stride: 2)), inputs: ["x", "w"], outputs: ["c"]),
            Node(name: "relu", op: .unary(.relu), inputs: ["c"], outputs: ["r"]),
            Node(name: "scale", op: .binary(.mul), inputs: ["r", "se"], outputs: ["s"]),
            Node(name: "gap", op: .globalAveragePool(layout: .nchw), inputs: ["s"], outputs: ["p"]),
            Node(name: "flat", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
            Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "fw", "fb"], outputs: ["y"]),
        ]
        let o = try Pipeline.optimize(g)
        // One transpose in (the graph input), none out: the pooled map is 1×1, so NHWC→NCHW is a free reshape.
        XCTAssertEqual(opNames(o).filter { $0 == "Transpose" }.count, 1, "\(opNames(o))")
        for n in o.nodes {
            if case .conv(let a) = n.op { XCTAssertEqual(a.layout, .nhwc) }
            if case .globalAveragePool(let l) = n.op { XCTAssertEqual(l, .nhwc) }
        }
        // Relu is fused, so the conv now writes `r`, in NHWC.
        XCTAssertEqual(o.type(of: "r")?.staticShape, [1, 4, 4, 4])
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 3, 8, 8])], seed: 20)
    }

    /// A conv whose output is a graph output comes back in NCHW.
    func testNHWCGraphOutputTransposedBack() throws {
        var rng = Rng(21)
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 2, 5, 5]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 3, 5, 5]))])
        g.initializers["w"] = rng.tensor([3, 2, 3, 3])
        g.initializers["w2"] = rng.tensor([3, 1, 3, 3])
        g.nodes = [
            Node(name: "conv", op: .conv(convAttrs()), inputs: ["x", "w"], outputs: ["c"]),
            Node(name: "dw", op: .conv(convAttrs(group: 3)), inputs: ["c", "w2"], outputs: ["d"]),
            Node(name: "cat", op: .concat(axis: 1), inputs: ["c", "d"], outputs: ["k"]),
            Node(name: "pool", op: .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 1, 1])),
                 inputs: ["k"], outputs: ["m"]),
            Node(name: "conv2", op: .conv(convAttrs(kernel: 1, pad: 0)), inputs: ["m", "w"], outputs: ["y"]),
        ]
        g.initializers["w"] = rng.tensor([3, 6, 1, 1])
        g.initializers["w0"] = rng.tensor([3, 2, 3, 3])
        g.nodes[0].inputs[1] = "w0"
        let o = try Pipeline.optimize(g)
        XCTAssertEqual(o.outputs.map(\.name), ["y"])
        XCTAssertEqual(o.type(of: "y")?.staticShape, [1, 3, 5, 5])
        for n in o.nodes { if case .concat(let axis) = n.op { XCTAssertEqual(axis, 3) } }
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 2, 5, 5])], seed: 21)
    }
}
