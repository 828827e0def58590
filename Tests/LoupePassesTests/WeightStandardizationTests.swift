import LoupeIR
import LoupePasses
import LoupeReference
import XCTest

/// timm's ScaledStdConv2d (NF-RegNet, NFNet) exports weight standardization as
/// training-mode BatchNormalization over the constant weight viewed as [1, out, in·kh·kw];
/// constant folding must turn it into plain conv weights.
final class WeightStandardizationTests: XCTestCase {
    /// The exported pattern: running statistics from ReduceMean over the weight (unused by
    /// Y), BatchNormalization(training_mode=1), Reshape back to OIHW, Conv.
    func standardizedConv(seed: UInt64, weightIsInput: Bool = false) -> Graph {
        var rng = Rng(seed)
        let out = 4, inC = 3
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, inC, 6, 6]))],
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, out, 6, 6]))])
        if weightIsInput {
            g.inputs.append(ValueInfo(name: "w", type: TensorType(.float32, shape: [1, out, inC * 9])))
        } else {
            g.initializers["w"] = rng.tensor([1, out, inC * 9])
        }
        g.initializers["gain"] = Tensor(shape: [out], floats: rng.uniform(out, 0.5, 2))
        g.initializers["zeros"] = Tensor(shape: [out], floats: Array(repeating: 0, count: out))
        g.initializers["axes"] = Tensor(shape: [2], ints: [0, 2])
        g.initializers["oihw"] = Tensor(shape: [4], ints: [Int64(out), Int64(inC), 3, 3])
        g.initializers["bias"] = Tensor(shape: [out], floats: rng.uniform(out))
        g.nodes = [
            Node(name: "mean", op: .reduce(.mean, keepDims: false, noopWithEmptyAxes: false), inputs: ["w", "axes"], outputs: ["m"]),
            Node(name: "sq", op: .binary(.mul), inputs: ["w", "w"], outputs: ["w2"]),
            Node(name: "meansq", op: .reduce(.mean, keepDims: false, noopWithEmptyAxes: false), inputs: ["w2", "axes"], outputs: ["v"]),
            Node(name: "bn", op: .batchNormalizationTraining(epsilon: 1e-5), inputs: ["w", "gain", "zeros", "m", "v"], outputs: ["ws"]),
            Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["ws", "oihw"], outputs: ["w4"]),
            Node(name: "conv", op: .conv(convAttrs()), inputs: ["x", "w4", "bias"], outputs: ["y"]),
        ]
        return g
    }

    func testFoldsIntoPlainConvWeights() throws {
        let g = standardizedConv(seed: 11)
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertEqual(opNames(optimized), ["Conv"])
        let conv = optimized.nodes[0]
        let w = try XCTUnwrap(optimized.constant(conv.inputs[1]), "the standardized weight is a constant")
        XCTAssertEqual(w.shape, [4, 3, 3, 3])
        // Each output channel has mean 0 and standard deviation gain (epsilon aside).
        let gain = g.initializers["gain"]!.floats
        for o in 0..<4 {
            let row = w.floats[(o * 27)..<((o + 1) * 27)].map(Double.init)
            let mean = row.reduce(0, +) / 27
            let sd = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 27).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 1e-5, "channel \(o) (seed 11)")
            XCTAssertEqual(sd, Double(gain[o]), accuracy: 1e-3 * Double(gain[o]), "channel \(o) (seed 11)")
        }
        var typed = optimized
        try typed.inferTypes()
        XCTAssertEqual(typed.nodes[0].macs(in: typed), 4 * 36 * 27, "MACs of a plain 3×3 conv")
        var rng = Rng(12)
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 3, 6, 6])], seed: 12)
    }

    func testFoldsBeforeNHWCConversion() throws {
        let g = standardizedConv(seed: 13)
        let optimized = try Pipeline.optimize(g)
        XCTAssertEqual(optimized.nodes.filter { if case .conv = $0.op { return true } else { return false } }.count, 1)
        XCTAssertFalse(opNames(optimized).contains("BatchNormalization"))
        var rng = Rng(14)
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 3, 6, 6])], seed: 14)
    }

    /// Not folded when the weight is not constant: the node stays (and the runtime says why).
    func testNotFoldedWhenWeightIsNotConstant() throws {
        let g = standardizedConv(seed: 15, weightIsInput: true)
        let optimized = try Pipeline.optimize(g, options: .init(convertToNHWC: false))
        XCTAssertTrue(optimized.nodes.contains { $0.op == .batchNormalizationTraining(epsilon: 1e-5) })
        var rng = Rng(16)
        try assertSameOutputs(g, optimized, inputs: ["x": rng.tensor([1, 3, 6, 6]), "w": rng.tensor([1, 4, 27])], seed: 16)
    }
}
