import Loupe
import LoupeTestSupport

/// A MobileNetV3-like block as an imported (ONNX-form) graph with seeded weights:
/// conv 3×3/2 + BatchNorm + Clip(0, 6) → depthwise 3×3 + HardSwish → squeeze-excite
/// (GAP → 1×1 conv → Relu → 1×1 conv → Sigmoid → Mul) → 1×1 conv → residual Add →
/// MaxPool → conv 3×3 + LeakyRelu ("features", an output) → AveragePool → GlobalMaxPool (no
/// int8 kernel: a float island) → Flatten → Gemm ("logits").
enum TinyNet {
    static let inputShape = [1, 3, 32, 32]

    static func graph(seed: UInt64) -> Graph {
        var rng = SeededRandom(seed: seed)
        var inits: [String: Tensor] = [:]
        func weight(_ name: String, _ shape: [Int]) -> String {
            let fanIn = shape.dropFirst().reduce(1, *)
            let a = (3.0 / Float(fanIn)).squareRoot()
            inits[name] = rng.tensor(shape, -a, a)
            return name
        }
        func vector(_ name: String, _ n: Int, _ lo: Float, _ hi: Float) -> String {
            inits[name] = Tensor(shape: [n], floats: rng.floats(n, lo, hi))
            return name
        }
        func conv(_ k: Int, stride: Int = 1, group: Int = 1) -> Op {
            .conv(ConvAttributes(kernelShape: [k, k], strides: [stride, stride], dilations: [1, 1],
                                 pads: Array(repeating: k / 2, count: 4), group: group))
        }
        inits["six"] = Tensor(shape: [], floats: [6])
        inits["zero"] = Tensor(shape: [], floats: [0])
        var nodes: [Node] = []
        func add(_ name: String, _ op: Op, _ inputs: [String], _ output: String) {
            nodes.append(Node(name: name, op: op, inputs: inputs, outputs: [output]))
        }
        add("conv1", conv(3, stride: 2), ["x", weight("w1", [16, 3, 3, 3])], "c1")
        add("bn1", .batchNormalization(epsilon: 1e-5, layout: .nchw),
            ["c1", vector("bn_s", 16, 0.5, 1.5), vector("bn_b", 16, -0.2, 0.3), vector("bn_m", 16, -0.1, 0.1),
             vector("bn_v", 16, 0.5, 1.5)], "b1")
        add("relu6", .clip, ["b1", "zero", "six"], "a1")
        add("dw", conv(3, group: 16), ["a1", weight("wd", [16, 1, 3, 3]), vector("bd", 16, -0.1, 0.1)], "d1")
        add("hs", .unary(.hardSwish), ["d1"], "h1")
        add("se_pool", .globalAveragePool(layout: .nchw), ["h1"], "g1")
        add("se_fc1", conv(1), ["g1", weight("ws1", [4, 16, 1, 1]), vector("bs1", 4, -0.1, 0.1)], "s1")
        add("se_relu", .unary(.relu), ["s1"], "s1r")
        add("se_fc2", conv(1), ["s1r", weight("ws2", [16, 4, 1, 1]), vector("bs2", 16, -0.1, 0.1)], "s2")
        add("se_gate", .unary(.sigmoid), ["s2"], "sg")
        add("se_mul", .binary(.mul), ["h1", "sg"], "m1")
        add("pw", conv(1), ["m1", weight("wp", [16, 16, 1, 1]), vector("bp", 16, -0.1, 0.1)], "p1")
        add("residual", .binary(.add), ["p1", "a1"], "r1")
        add("pool", .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0])), ["r1"], "mp")
        add("conv3", conv(3), ["mp", weight("w3", [24, 16, 3, 3]), vector("b3", 24, -0.1, 0.1)], "c3")
        add("act3", .leakyRelu(alpha: 0.1), ["c3"], "features")
        add("avg", .averagePool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0])), ["features"], "ap")
        add("gap", .globalMaxPool(layout: .nchw), ["ap"], "g2")
        add("flatten", .flatten(axis: 1), ["g2"], "f")
        add("fc", .gemm(GemmAttributes(transB: true)), ["f", weight("wf", [10, 24]), vector("bf", 10, -0.1, 0.1)], "logits")
        return Graph(
            name: "tiny",
            inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: inputShape))],
            outputs: [ValueInfo(name: "features", type: TensorType(.float32, shape: [1, 24, 8, 8])),
                      ValueInfo(name: "logits", type: TensorType(.float32, shape: [1, 10]))],
            nodes: nodes, initializers: inits)
    }
}
