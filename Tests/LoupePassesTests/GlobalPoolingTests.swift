import LoupeIR
import LoupePasses
import XCTest

/// RecognizeGlobalPooling (timm's squeeze-excite means) and RemoveIdentity's whole-tensor
/// Slice (timm's GhostNet), through the pipeline, checked against the reference interpreter.
final class GlobalPoolingTests: XCTestCase {
    private let nchw = Pipeline.Options(convertToNHWC: false)

    /// x [1,6,5,4] → Reduce(op, axes) → y.
    private func reduceGraph(_ op: ReduceOp, axes: [Int64], keepDims: Bool, outShape: [Int]) -> Graph {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 6, 5, 4]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: outShape))])
        g.initializers["axes"] = Tensor(shape: [axes.count], ints: axes)
        g.nodes = [Node(name: "reduce", op: .reduce(op, keepDims: keepDims, noopWithEmptyAxes: false),
                        inputs: ["x", "axes"], outputs: ["y"])]
        return g
    }

    func testSpatialReduceMeanBecomesGlobalAveragePool() throws {
        let g = reduceGraph(.mean, axes: [2, 3], keepDims: true, outShape: [1, 6, 1, 1])
        let o = try Pipeline.optimize(g, options: nchw)
        XCTAssertEqual(opNames(o), ["GlobalAveragePool"])
        var rng = Rng(41)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 6, 5, 4])], seed: 41)
        // And in NHWC, where XNNPACK's global average pool runs it.
        let nhwc = try Pipeline.optimize(g)
        XCTAssertTrue(opNames(nhwc).contains("GlobalAveragePool"), "\(opNames(nhwc))")
        try assertSameOutputs(g, nhwc, inputs: ["x": rng.tensor([1, 6, 5, 4])], seed: 41)
    }

    func testSpatialReduceMaxWithoutKeepDimsBecomesGlobalMaxPoolAndFlatten() throws {
        let g = reduceGraph(.max, axes: [-1, -2], keepDims: false, outShape: [1, 6])
        let o = try Pipeline.optimize(g, options: nchw)
        XCTAssertEqual(opNames(o), ["GlobalMaxPool", "Flatten"])
        XCTAssertEqual(o.type(of: "y")?.staticShape, [1, 6])
        var rng = Rng(42)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 6, 5, 4])], seed: 42)
    }

    func testOtherReductionsStay() throws {
        // Over channels, over one spatial axis, over all axes, and a sum: no global-pool form.
        let cases: [(ReduceOp, [Int64], [Int])] = [(.mean, [1], [1, 1, 5, 4]), (.mean, [3], [1, 6, 5, 1]),
                                                   (.mean, [0, 1, 2, 3], [1, 1, 1, 1]), (.sum, [2, 3], [1, 6, 1, 1])]
        for (op, axes, shape) in cases {
            let o = try Pipeline.optimize(reduceGraph(op, axes: axes, keepDims: true, outShape: shape), options: nchw)
            XCTAssertEqual(opNames(o), [op == .sum ? "ReduceSum" : "ReduceMean"], "\(op) over \(axes)")
        }
    }

    /// DQ → ReduceMean → Q (ONNX Runtime's QDQ of a timm squeeze-excite) folds into an int8
    /// global average pool instead of staying a float island.
    func testQuantizedSpatialMeanFoldsIntoInt8Pool() throws {
        var b = QDQBuilder(shape: [1, 8, 4, 4], seed: 43)
        let x = b.qdq("x", scale: 0.02, zeroPoint: 3)
        let axes = b.constant("axes", Tensor(shape: [2], ints: [2, 3]))
        let mean = b.node("mean", .reduce(.mean, keepDims: true, noopWithEmptyAxes: false), [x, axes])
        let y = b.qdq(mean, scale: 0.01, zeroPoint: 0, name: "y")
        b.output(y, [1, 8, 1, 1])
        let o = try Pipeline.optimize(b.graph, options: nchw)
        XCTAssertEqual(opNames(o), ["QuantizeLinear", "GlobalAveragePool", "DequantizeLinear"])
        XCTAssertEqual(o.type(of: o.nodes[1].outputs[0])?.dtype, .int8)
        XCTAssertTrue(o.floatIslands.isEmpty, "\(o.floatIslands)")
        var rng = Rng(44)
        try assertSameQuantizedOutputs(b.graph, o, inputs: ["x": rng.tensor([1, 8, 4, 4], -2, 2)], step: 0.01, seed: 44)
    }

    /// x [1,3,4,4] and z [1,3,4,4] → Concat(axis 1) → Slice(starts, ends, axes, steps) → y.
    private func concatSlice(starts: [Int64], ends: [Int64], steps: [Int64], outChannels: Int) -> Graph {
        let shape = [1, 3, 4, 4]
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: shape)),
                               ValueInfo(name: "z", type: TensorType(.float32, shape: shape))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, outChannels, 4, 4]))])
        g.initializers["starts"] = Tensor(shape: [1], ints: starts)
        g.initializers["ends"] = Tensor(shape: [1], ints: ends)
        g.initializers["axes"] = Tensor(shape: [1], ints: [1])
        g.initializers["steps"] = Tensor(shape: [1], ints: steps)
        g.nodes = [
            Node(name: "cat", op: .concat(axis: 1), inputs: ["x", "z"], outputs: ["c"]),
            Node(name: "slice", op: .slice, inputs: ["c", "starts", "ends", "axes", "steps"], outputs: ["y"]),
        ]
        return g
    }

    /// GhostNet's `torch.cat([x1, x2], 1)[:, :oup]` with exactly `oup` channels.
    func testWholeTensorSliceIsRemoved() throws {
        let g = concatSlice(starts: [0], ends: [6], steps: [1], outChannels: 6)
        let o = try Pipeline.optimize(g, options: nchw)
        XCTAssertEqual(opNames(o), ["Concat"])
        XCTAssertEqual(o.nodes[0].outputs, ["y"])
        var rng = Rng(45)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 3, 4, 4]), "z": rng.tensor([1, 3, 4, 4])], seed: 45)
        // ends past the end (torch's `[:, :oup]` with a larger bound) is the whole tensor too.
        let past = try Pipeline.optimize(concatSlice(starts: [0], ends: [Int64.max], steps: [1], outChannels: 6), options: nchw)
        XCTAssertEqual(opNames(past), ["Concat"])
    }

    /// `x[:, :x.size(1)]` exports its bound as a Shape computation: the Slice is seen to take
    /// the whole tensor only after constant folding.
    func testSliceWithComputedBoundIsRemovedAfterFolding() throws {
        var g = concatSlice(starts: [0], ends: [6], steps: [1], outChannels: 6)
        g.initializers["one"] = Tensor(shape: [], ints: [1])
        g.initializers["axis0"] = Tensor(shape: [1], ints: [0])
        g.nodes.insert(contentsOf: [
            Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["c"], outputs: ["s"]),
            Node(name: "gather", op: .gather(axis: 0), inputs: ["s", "one"], outputs: ["n"]),
            Node(name: "unsq", op: .unsqueeze, inputs: ["n", "axis0"], outputs: ["computed_ends"]),
        ], at: 1)
        g.nodes[4].inputs[2] = "computed_ends"
        let o = try Pipeline.optimize(g, options: nchw)
        XCTAssertEqual(opNames(o), ["Concat"])
        var rng = Rng(46)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 3, 4, 4]), "z": rng.tensor([1, 3, 4, 4])], seed: 46)
    }

    func testPartialOrReversedSliceStays() throws {
        let partial = try Pipeline.optimize(concatSlice(starts: [0], ends: [5], steps: [1], outChannels: 5), options: nchw)
        XCTAssertEqual(opNames(partial), ["Concat", "Slice"])
        // Same length, but reversed: not a pass-through.
        let reversed = try Pipeline.optimize(concatSlice(starts: [-1], ends: [Int64.min], steps: [-1], outChannels: 6),
                                             options: nchw)
        XCTAssertEqual(opNames(reversed), ["Concat", "Slice"])
        let shifted = try Pipeline.optimize(concatSlice(starts: [1], ends: [6], steps: [1], outChannels: 5), options: nchw)
        XCTAssertEqual(opNames(shifted), ["Concat", "Slice"])
    }
}
