import Foundation
import LoupeIR
import LoupePasses
import XCTest

/// Passes are linear in the graph: a pass that rebuilt graph-wide maps per node took
/// minutes on a chain of 20,000 nodes. The bounds are generous (a shared, loaded machine);
/// a quadratic pass misses them by far.
final class LongGraphTests: XCTestCase {
    /// `x → Conv → Relu × count → y`.
    func convThenReluChain(_ count: Int) -> Graph {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 1, 2, 2]))],
                      outputs: [ValueInfo(name: "r\(count - 1)", type: TensorType(.float32, shape: [1, 1, 2, 2]))])
        g.initializers["w"] = Tensor(shape: [1, 1, 1, 1], floats: [2])
        g.nodes = [Node(name: "conv", op: .conv(convAttrs(kernel: 1, pad: 0)), inputs: ["x", "w"], outputs: ["c"])]
        for i in 0..<count {
            g.nodes.append(Node(name: "relu\(i)", op: .unary(.relu), inputs: [i == 0 ? "c" : "r\(i - 1)"], outputs: ["r\(i)"]))
        }
        return g
    }

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    func testFuseActivationsOnALongChainIsLinear() throws {
        let count = 20_000
        var g = convThenReluChain(count)
        try g.inferTypes()
        var changed = false
        let t = try seconds { changed = try FuseActivations().run(on: &g) }
        XCTAssertLessThan(t, 20, "FuseActivations took \(t) s on \(count) nodes")
        // Every Relu folds into the conv, one after another: the maps stay right as it rewrites.
        XCTAssertTrue(changed)
        XCTAssertEqual(opNames(g), ["Conv"])
        XCTAssertEqual(g.nodes[0].outputs, ["r\(count - 1)"])
        guard case .conv(let a) = g.nodes[0].op else { return XCTFail("\(g.nodes[0].op)") }
        XCTAssertEqual(a.outputMin, 0)
        try g.verify()
    }

    func testRemoveIdentityOnALongChainIsLinear() throws {
        // x → Identity × count → Relu → %r → Identity → y (a graph output), and %r read again
        // after that Identity: the Relu is renamed to write y, and the later reader follows.
        let count = 50_000
        let shape = TensorType(.float32, shape: [1, 4])
        var g = Graph(inputs: [ValueInfo(name: "x", type: shape)],
                      outputs: [ValueInfo(name: "y", type: shape), ValueInfo(name: "z", type: shape)])
        for i in 0..<count {
            g.nodes.append(Node(name: "id\(i)", op: .identity, inputs: [i == 0 ? "x" : "i\(i - 1)"], outputs: ["i\(i)"]))
        }
        g.nodes += [Node(name: "relu", op: .unary(.relu), inputs: ["i\(count - 1)"], outputs: ["r"]),
                    Node(name: "out", op: .identity, inputs: ["r"], outputs: ["y"]),
                    Node(name: "neg", op: .unary(.neg), inputs: ["r"], outputs: ["z"])]
        try g.inferTypes()
        var o = g
        let t = try seconds { _ = try RemoveIdentity().run(on: &o) }
        XCTAssertLessThan(t, 20, "RemoveIdentity took \(t) s on \(count) nodes")
        XCTAssertEqual(o.nodes.map(\.name), ["relu", "neg"])
        XCTAssertEqual(o.nodes.map(\.inputs), [["x"], ["y"]])
        XCTAssertEqual(o.nodes.map(\.outputs), [["y"], ["z"]])
        try o.verify()
        var rng = Rng(6)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 4])], seed: 6)
    }

    func testFoldBatchNormOnALongChainIsLinear() throws {
        // x → Conv → BN → BN → … (all fold into the conv, one after another), then BNs
        // with no conv before them (they become Mul + Add).
        let folded = 5_000, loose = 5_000
        let shape = TensorType(.float32, shape: [1, 1, 2, 2])
        var g = Graph(inputs: [ValueInfo(name: "x", type: shape)])
        g.initializers["w"] = Tensor(shape: [1, 1, 1, 1], floats: [2])
        for (k, v) in [("s", 1.5), ("t", 0.25), ("m", 0.5), ("v", 4)] as [(String, Float)] {
            g.initializers[k] = Tensor(shape: [1], floats: [v])
        }
        g.nodes = [Node(name: "conv", op: .conv(convAttrs(kernel: 1, pad: 0)), inputs: ["x", "w"], outputs: ["b0"])]
        for i in 0..<folded {
            g.nodes.append(Node(name: "bn\(i)", op: .batchNormalization(epsilon: 0, layout: .nchw),
                                inputs: ["b\(i)", "s", "t", "m", "v"], outputs: ["b\(i + 1)"]))
        }
        g.nodes.append(Node(name: "sig", op: .unary(.sigmoid), inputs: ["b\(folded)"], outputs: ["l0"]))
        for i in 0..<loose {
            g.nodes.append(Node(name: "lbn\(i)", op: .batchNormalization(epsilon: 0, layout: .nchw),
                                inputs: ["l\(i)", "s", "t", "m", "v"], outputs: ["l\(i + 1)"]))
        }
        g.outputs = [ValueInfo(name: "l\(loose)", type: shape)]
        try g.inferTypes()
        var o = g
        let t = try seconds { _ = try FoldBatchNorm().run(on: &o) }
        XCTAssertLessThan(t, 20, "FoldBatchNorm took \(t) s on \(folded + loose) nodes")
        XCTAssertEqual(o.nodes.count, 2 + 2 * loose)
        XCTAssertEqual(o.nodes[0].outputs, ["b\(folded)"])
        XCTAssertEqual(Set(opNames(o).dropFirst(2)), ["Mul", "Add"])
        try o.verify()
    }

    func testRecognizeHardActivationsOnALongChainIsLinear() throws {
        // x → HardSwish written out (Add, Clip, Mul, Div) × count.
        let count = 5_000
        let shape = TensorType(.float32, shape: [1, 4])
        var g = Graph(inputs: [ValueInfo(name: "x", type: shape)],
                      outputs: [ValueInfo(name: "h\(count)", type: shape)])
        g.initializers["three"] = scalar(3)
        g.initializers["zero"] = scalar(0)
        g.initializers["six"] = scalar(6)
        for i in 0..<count {
            let x = i == 0 ? "x" : "h\(i)"
            g.nodes += [Node(name: "a\(i)", op: .binary(.add), inputs: [x, "three"], outputs: ["a\(i)"]),
                        Node(name: "c\(i)", op: .clip, inputs: ["a\(i)", "zero", "six"], outputs: ["c\(i)"]),
                        Node(name: "m\(i)", op: .binary(.mul), inputs: [x, "c\(i)"], outputs: ["m\(i)"]),
                        Node(name: "d\(i)", op: .binary(.div), inputs: ["m\(i)", "six"], outputs: ["h\(i + 1)"])]
        }
        try g.inferTypes()
        var o = g
        let t = try seconds { _ = try RecognizeHardActivations().run(on: &o) }
        XCTAssertLessThan(t, 20, "RecognizeHardActivations took \(t) s on \(4 * count) nodes")
        XCTAssertEqual(opNames(o), [String](repeating: "HardSwish", count: count))
        try o.verify()
        var rng = Rng(7)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 4], -5, 5)], seed: 7)
    }

    func testPipelineOnALongReluChain() throws {
        let count = 20_000
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 4]))],
                      outputs: [ValueInfo(name: "r\(count - 1)", type: TensorType(.float32, shape: [1, 4]))])
        for i in 0..<count {
            g.nodes.append(Node(name: "relu\(i)", op: .unary(.relu), inputs: [i == 0 ? "x" : "r\(i - 1)"], outputs: ["r\(i)"]))
        }
        var o = Graph()
        let t = try seconds { o = try Pipeline.optimize(g) }
        XCTAssertLessThan(t, 60, "the pipeline took \(t) s on \(count) nodes")
        XCTAssertEqual(o.nodes.count, count)
        var rng = Rng(5)
        try assertSameOutputs(g, o, inputs: ["x": rng.tensor([1, 4])], seed: 5)
    }
}
