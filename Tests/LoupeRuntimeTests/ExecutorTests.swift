import Foundation
import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime
import LoupeTestSupport

final class ExecutorTests: XCTestCase {
    func chain(_ n: Int, shape: [Int]) throws -> Graph {
        var b = G(seed: 900)
        var v = b.input("x", shape)
        for i in 0..<n {
            v = b.node(i % 2 == 0 ? .unary(.relu) : .unary(.neg), [v], "v\(i)")
        }
        return try b.finish([v])
    }

    func testArenaReusesMemoryByLiveness() throws {
        let shape = [1, 16, 16, 16]
        let bytes = shape.reduce(1, *) * 4
        let ex = try Executor(graph: try chain(8, shape: shape))
        // Input, 7 intermediates and the output: a chain needs only two live buffers at a time.
        XCTAssertLessThanOrEqual(ex.arenaBytes, 3 * (bytes + 64 + 16))
        XCTAssertGreaterThanOrEqual(ex.arenaBytes, 2 * bytes)
        let x = Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float($0 % 7) - 3 })
        let y = try ex.run(["x": x])["v7"]!
        // relu, neg, relu, neg, ... 8 times → -relu(x) after the first pair, then relu(-relu) = 0, neg → 0
        XCTAssertEqual(y.floats.max(), 0)
    }

    func testPlannerNeverOverlapsLiveBuffers() {
        var rng = SeededRandom(seed: 910)
        for trial in 0..<50 {
            let n = 12
            let sizes = (0..<n).map { _ in Int(rng.next() % 1000) + 1 }
            let lifetimes: [MemoryPlanner.Interval?] = (0..<n).map { _ in
                let a = Int(rng.next() % 20), b = Int(rng.next() % 20)
                return .init(first: min(a, b), last: max(a, b))
            }
            let (offsets, total) = MemoryPlanner.plan(sizes: sizes, lifetimes: lifetimes)
            for i in 0..<n {
                XCTAssertEqual(offsets[i] % 64, 0)
                XCTAssertLessThanOrEqual(offsets[i] + sizes[i], total)
                for j in 0..<n where i < j && lifetimes[i]!.overlaps(lifetimes[j]!) {
                    let disjoint = offsets[i] + sizes[i] <= offsets[j] || offsets[j] + sizes[j] <= offsets[i]
                    XCTAssertTrue(disjoint, "trial \(trial) seed 910: buffers \(i) and \(j) overlap while live")
                }
            }
        }
    }

    func testPlannerIndexMatchesPairwiseSearch() {
        var rng = SeededRandom(seed: 911)
        for trial in 0..<50 {
            let n = 40
            let sizes = (0..<n).map { _ in Int(rng.next() % 1000) + 1 }
            let lifetimes: [MemoryPlanner.Interval?] = (0..<n).map { _ in
                if rng.next() % 8 == 0 { return nil }
                let a = Int(rng.next() % 30), b = Int(rng.next() % 30)
                return .init(first: min(a, b), last: max(a, b))
            }
            let indexed = MemoryPlanner.plan(sizes: sizes, lifetimes: lifetimes)
            let pairwise = MemoryPlanner.plan(sizes: sizes, lifetimes: lifetimes, indexBudget: 0)
            XCTAssertEqual(indexed.offsets, pairwise.offsets, "trial \(trial) seed 911")
            XCTAssertEqual(indexed.total, pairwise.total, "trial \(trial) seed 911")
        }
    }

    func testPlannerIsLinearOnALongChain() {
        // 100,000 values each live for two steps: comparing every pair took minutes.
        let n = 100_000
        let start = Date()
        let (offsets, total) = MemoryPlanner.plan(sizes: [Int](repeating: 100, count: n),
                                                  lifetimes: (0..<n).map { .init(first: $0, last: $0 + 1) })
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 20, "planning \(n) buffers took \(seconds) s")
        XCTAssertEqual(total, 2 * 128, "two buffers of 128 aligned bytes alternate")
        XCTAssertEqual(Set(offsets), [0, 128])
    }

    func testInputsAreValidated() throws {
        let ex = try Executor(graph: try chain(1, shape: [1, 2, 2, 3]))
        let good = Tensor(shape: [1, 2, 2, 3], floats: [Float](repeating: 1, count: 12))
        XCTAssertNoThrow(try ex.run(["x": good]))
        let cases: [[String: Tensor]] = [
            [:],
            ["x": good, "extra": good],
            ["x": Tensor(shape: [1, 2, 3, 2], floats: [Float](repeating: 1, count: 12))],
            ["x": Tensor(shape: [1, 2, 2, 3], ints: [Int64](repeating: 1, count: 12))],
        ]
        for c in cases {
            XCTAssertThrowsError(try ex.run(c)) { e in
                guard case LoupeError.badInput = e else { return XCTFail("expected badInput, got \(e)") }
            }
        }
    }

    /// A float input read only by steps that take it where it lies (the NCHW → NHWC
    /// transpose, QuantizeLinear) has no place in the arena; each run reads the tensor it is
    /// given, not a copy left over from the previous run.
    func testFloatInputIsReadInPlace() throws {
        let shape = [1, 3, 5, 7], n = 105
        func graph(alsoRelu: Bool) throws -> Graph {
            var b = G(seed: 920)
            let x = b.input("x", shape)
            let t = b.node(.transpose(perm: [0, 2, 3, 1]), [x], "t")
            let y = b.node(.unary(.relu), [t], "y")
            return try b.finish(alsoRelu ? [y, b.node(.unary(.relu), [x], "direct")] : [y])
        }
        let inPlace = try Executor(graph: graph(alsoRelu: false), threads: 2)
        let copied = try Executor(graph: graph(alsoRelu: true), threads: 2)
        // In place: the transpose's and the ReLU's outputs; copied: the input besides.
        XCTAssertLessThan(inPlace.arenaBytes, 2 * n * 4 + 2 * 128)
        XCTAssertGreaterThanOrEqual(copied.arenaBytes, 3 * n * 4)
        var rng = SeededRandom(seed: 921)
        for _ in 0..<3 {
            let x = rng.tensor(shape, -1, 1)
            let expected = try ReferenceInterpreter.run(graph(alsoRelu: false), inputs: ["x": x])["y"]!
            for ex in [inPlace, copied] {
                XCTAssertEqual(try ex.run(["x": x])["y"]!.floats, expected.floats)
                var timings: [Double] = []
                XCTAssertEqual(try ex.run(["x": x], timings: &timings)["y"]!.floats, expected.floats)
            }
        }
        XCTAssertThrowsError(try inPlace.run(["x": Tensor(shape: shape, ints: [Int64](repeating: 1, count: n))]))
        XCTAssertThrowsError(try inPlace.run(["x": Tensor(shape: [1, 3, 7, 5], floats: [Float](repeating: 1, count: n))]))

        // QuantizeLinear of a float input: converted from the caller's tensor, run after run.
        var q = Int8Builder(seed: 922)
        let params = q.params(-2, 2)
        q.input("x", [2, 3, 50], params)
        q.output("x")
        let ex = try Executor(graph: q.graph, threads: 2)
        XCTAssertLessThan(ex.arenaBytes, 2 * 300 * 4, "the float input has no place in the arena")
        for _ in 0..<3 {
            let x = rng.tensor([2, 3, 50], -2.5, 2.5)
            let got = try ex.run(["x.f": x])["x.out"]!.floats
            // XNNPACK's convert multiplies by 1/scale where ONNX divides: a half code may round
            // one code apart.
            for (g, v) in zip(got, x.floats) {
                let code = Int8Reference.quantize(v, params)
                XCTAssertLessThanOrEqual(abs(g - Float(code - Int64(params.zeroPoint)) * params.scale), params.scale * 1.001)
            }
        }
    }

    func testTimingsAndStepInfo() throws {
        let g = try chain(3, shape: [1, 4, 4, 8])
        let ex = try Executor(graph: g, threads: 2)
        var timings: [Double] = []
        _ = try ex.run(["x": Tensor(shape: [1, 4, 4, 8], floats: [Float](repeating: -1, count: 128))], timings: &timings)
        XCTAssertEqual(timings.count, ex.executedSteps.count)
        XCTAssertTrue(timings.allSatisfy { $0 >= 0 })
        XCTAssertEqual(ex.steps.map(\.node), ["v0", "v1", "v2"])
        XCTAssertEqual(ex.steps[1].placement, .xnnpack("xnn_create_negate_nc_f32"))
        XCTAssertEqual(ex.steps[1].outputShape, [1, 4, 4, 8])
    }

    func testUnsupportedNodesReportReasonsAndExecutorNamesTheNode() throws {
        var b = G()
        let x = b.input("x", [1, 3])
        b.node(.unsupported(opType: "FancyOp", domain: "com.example", reason: "unknown op"), [x], "y", name: "fancy")
        var g = b.graph
        g.types["y"] = TensorType(.float32, shape: [1, 3])
        g.outputs = [ValueInfo(name: "y", type: g.types["y"]!)]
        guard case .unsupported(let r) = Lowering.placement(of: g.nodes[0], in: g) else { return XCTFail() }
        XCTAssertTrue(r.contains("FancyOp"), r)
        XCTAssertThrowsError(try Executor(graph: g)) { e in
            guard case LoupeError.unsupportedOp(let ref, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(ref.name, "fancy")
        }
        // Shape computations must have folded; float16 values do not exist at run time.
        for (op, dtype): (Op, DType) in [(.shape(start: 0, end: nil), .int64), (.cast(to: .float16), .float16)] {
            let n = Node(name: "n", op: op, inputs: [x], outputs: ["z"])
            var g2 = g
            g2.types["z"] = TensorType(dtype, shape: [1, 3])
            XCTAssertFalse(Lowering.placement(of: n, in: g2).isSupported, "\(op)")
        }
        // Identity/Dropout that the pipeline could not remove (input straight to output) copy.
        for op: Op in [.identity, .dropout] {
            let n = Node(name: "n", op: op, inputs: [x], outputs: ["z"])
            var g2 = g
            g2.types["z"] = TensorType(.float32, shape: [1, 3])
            XCTAssertEqual(Lowering.placement(of: n, in: g2), .xnnpack("xnn_create_copy_nc_x32"), "\(op)")
        }
    }

    func testFoldedConstantNodeIsElided() throws {
        var b = G()
        let x = b.input("x", [2])
        let k = b.constant("k", [2])
        b.node(.unary(.neg), [k], "nk")
        b.node(.binary(.add), [x, "nk"], "y")
        var g = try b.finish(["y"])
        g.initializers["nk"] = Tensor(shape: [2], floats: g.initializers["k"]!.floats.map { -$0 })
        XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .constant)
        try checkAgainstReference(&b, g, .exact)
    }

    func testAwkwardButValidParametersDoNotAbort() throws {
        // Each of these sits at an edge XNNPACK asserts on; they must run or be refused cleanly.
        let cases: [(String, [Int], Op, [String: Tensor])] = [
            ("avgpool stride > kernel", [1, 7, 7, 2],
             .averagePool(PoolAttributes(kernelShape: [2, 2], strides: [3, 3], dilations: [], pads: [0, 0, 0, 0], layout: .nhwc)), [:]),
            ("maxpool kernel = input", [1, 3, 3, 2],
             .maxPool(PoolAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [], pads: [0, 0, 0, 0], layout: .nhwc)), [:]),
            ("maxpool stride > kernel", [1, 8, 8, 3],
             .maxPool(PoolAttributes(kernelShape: [2, 1], strides: [3, 3], dilations: [], pads: [0, 0, 0, 0], layout: .nhwc)), [:]),
            ("avgpool 1x3 with padding", [1, 4, 6, 3],
             .averagePool(PoolAttributes(kernelShape: [1, 3], strides: [1, 2], dilations: [], pads: [0, 1, 0, 1], layout: .nhwc)), [:]),
            ("maxpool 1x1 identity", [1, 4, 4, 3],
             .maxPool(PoolAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [], pads: [0, 0, 0, 0], layout: .nhwc)), [:]),
            ("gap over one pixel", [1, 1, 1, 5], .globalAveragePool(layout: .nhwc), [:]),
            ("softmax of one", [4, 1], .softmax(axis: -1, legacyCoerce2D: false), [:]),
            ("concat of one", [2, 3], .concat(axis: 1), [:]),
            ("resize identity", [1, 3, 3, 2], .resize(ResizeAttributes(mode: .linear, layout: .nhwc)),
             ["sizes": Tensor(shape: [4], ints: [1, 2, 3, 3])]),
        ]
        for (name, shape, op, consts) in cases {
            var b = G(seed: 950)
            let x = b.input("x", shape)
            var ins = [x]
            for (k, v) in consts { ins += ["", "", b.constant(k, v)] }
            b.node(op, ins, "y")
            let g = try b.finish(["y"])
            do {
                try checkAgainstReference(&b, g, .elementwise(abs: 1e-6, rel: 1e-5))
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
    }
}
