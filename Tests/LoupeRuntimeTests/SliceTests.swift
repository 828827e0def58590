import XCTest
import LoupeIR
import LoupePasses
import LoupeReference
@testable import LoupeRuntime

/// Slice on the runtime against the reference interpreter: strided rows on XNNPACK's copy,
/// every other view on `loupe_strided_copy`, and the layout pass keeping a channel slice in
/// NHWC (GhostNet's `cat(...)[:, :oup]` with an odd `oup`).
final class SliceTests: XCTestCase {
    struct Case {
        var shape: [Int]
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        /// The placement the geometry must choose.
        var xnnpack: Bool
    }

    static let cases: [Case] = [
        // Last axis: rows of 5 at stride 7.
        Case(shape: [1, 4, 6, 7], starts: [0], ends: [5], axes: [3], steps: nil, xnnpack: true),
        // Axis 1 of NCHW: two rows (batch) of 2·6·7 contiguous elements at stride 3·6·7.
        Case(shape: [2, 3, 6, 7], starts: [1], ends: [3], axes: [1], steps: nil, xnnpack: true),
        // Default axes (0, 1), end past the dim (clamped), negative start: one contiguous block.
        Case(shape: [3, 4, 5], starts: [-2, 0], ends: [Int(Int64.max), 9], axes: nil, steps: nil, xnnpack: true),
        // A spatial crop of H and W: not one stride.
        Case(shape: [1, 3, 9, 8], starts: [2, 1], ends: [7, -1], axes: [2, 3], steps: nil, xnnpack: false),
        // Steps of 2 on H and W (space-to-depth style) and on channels in NHWC.
        Case(shape: [1, 8, 10, 6], starts: [0, 1, 0], ends: [8, 10, 6], axes: [1, 2, 3], steps: [2, 2, 3], xnnpack: false),
        // Reversal (negative step from the end) and a negative axis.
        Case(shape: [2, 5, 4], starts: [-1], ends: [Int(Int64.min)], axes: [-2], steps: [-1], xnnpack: false),
        // One element per sliced axis: a strided gather of single elements, then a contiguous one.
        Case(shape: [4, 1, 6], starts: [2, 3], ends: [3, 4], axes: [0, 2], steps: nil, xnnpack: true),
        Case(shape: [4, 3, 6], starts: [1, 3], ends: [2, 4], axes: [1, 2], steps: nil, xnnpack: false),
        // Large enough to be split across two threads (rows of the kernel, batch of the copy).
        Case(shape: [1, 64, 40, 40], starts: [3, 2, 2], ends: [60, 38, 38], axes: [1, 2, 3], steps: nil, xnnpack: false),
        Case(shape: [1, 40, 40, 64], starts: [3], ends: [60], axes: [3], steps: nil, xnnpack: true),
    ]

    func testSlicesMatchReferenceAndPickTheirPlacement() throws {
        for (i, c) in Self.cases.enumerated() {
            var b = G(seed: UInt64(900 + i))
            let x = b.input("x", c.shape)
            let starts = b.ints("starts", c.starts), ends = b.ints("ends", c.ends)
            let axes = c.axes.map { b.ints("axes", $0) } ?? ""
            let steps = c.steps.map { b.ints("steps", $0) } ?? ""
            var ins = [x, starts, ends, axes, steps]
            while ins.last == "" { ins.removeLast() }
            b.node(.slice, ins, "s")
            // A consumer after the slice, so the slice writes into the arena, not an output.
            b.node(.unary(.relu), ["s"], "y")
            let g = try b.finish(["y", "s"])
            let ex = try XCTUnwrap(try checkAgainstReference(&b, g, .exact), "case \(i)")
            let want: Placement = c.xnnpack ? .xnnpack("xnn_create_copy_nc_x32") : .kernel("loupe_strided_copy")
            XCTAssertEqual(ex.steps.first { $0.op == "Slice" }?.placement, want, "case \(i) \(c.shape)")
        }
    }

    func testGeometryMergesAxesThatStayAdjacent() throws {
        var b = G()
        let x = b.input("x", [2, 3, 4, 5])
        b.node(.slice, [x, b.ints("s", [1, 0]), b.ints("e", [3, 5]), b.ints("a", [1, 3])], "y")
        let g = try b.finish(["y"])
        let geo = try Lowering.sliceGeometry(g.nodes[0], g, input: [2, 3, 4, 5])
        // Channels 1..<3 with all of H·W: per batch one block of 2·20 at stride 60.
        XCTAssertEqual(geo, SliceGeometry(outputShape: [2, 2, 4, 5], shape: [2, 40], strides: [60, 1], offset: 20))
    }

    func testNonConstantBoundsAreRefusedWithTheReason() throws {
        var b = G()
        let x = b.input("x", [1, 3, 4, 4])
        b.node(.slice, [x, b.ints("s0", [0]), "computed", b.ints("a", [1])], "s", name: "cut")
        var g = b.graph
        g.types["computed"] = TensorType(.int64, shape: [1])
        g.types["s"] = TensorType(.float32, shape: [1, 2, 4, 4])
        guard case .unsupported(let reason) = Lowering.placement(of: g.nodes[0], in: g) else {
            return XCTFail("a Slice with computed ends was accepted")
        }
        XCTAssertTrue(reason.contains("ends (input 2) must be constant"), reason)
    }

    /// GhostNet's ghost module: conv → (cheap depthwise conv) → concat on channels → keep
    /// the first `oup` channels. With an odd `oup` the Slice really cuts; after the layout
    /// pass it must slice the NHWC channel axis, with no transposes around it.
    func testGhostModuleSliceStaysNHWC() throws {
        var b = G(seed: 950)
        let x = b.input("x", [1, 4, 9, 11])
        let conv = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0])
        let dw = ConvAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 4)
        b.node(.conv(conv), [x, b.constant("w1", [4, 4, 1, 1])], "primary")
        b.node(.unary(.relu), ["primary"], "p")
        b.node(.conv(dw), ["p", b.constant("w2", [4, 1, 3, 3])], "cheap")
        b.node(.concat(axis: 1), ["p", "cheap"], "cat")
        b.node(.slice, ["cat", b.ints("st", [0]), b.ints("en", [7]), b.ints("ax", [1])], "ghost")
        b.node(.conv(conv), ["ghost", b.constant("w3", [3, 7, 1, 1])], "y")
        let plain = try b.finish(["y"])
        let optimized = try Pipeline.optimize(plain)
        let slice = try XCTUnwrap(optimized.nodes.first { $0.op.onnxName == "Slice" })
        XCTAssertEqual(optimized.initializers[slice.inputs[3]]?.ints, [3], "the channel axis of NHWC")
        XCTAssertEqual(optimized.nodes.filter { $0.op.onnxName == "Transpose" }.count, 2,
                       "only the graph input's and output's layout transposes")
        let inputs = b.inputs(for: plain)
        let want = try ReferenceInterpreter.run(plain, inputs: inputs)
        for threads in [1, 2] {
            let ex = try Executor(graph: optimized, threads: threads)
            XCTAssertEqual(ex.steps.first { $0.op == "Slice" }?.placement, .xnnpack("xnn_create_copy_nc_x32"))
            compare(try ex.run(inputs)["y"]!, want["y"]!, .accumulate, "ghost module threads=\(threads)")
        }
    }
}

/// Gather of activations with constant indices: runs of consecutive indices copied as
/// strided rows, against the reference interpreter.
final class GatherTests: XCTestCase {
    func testRunsOfIndicesOnEveryAxisMatchReference() throws {
        let cases: [(shape: [Int], axis: Int, indices: Tensor, runs: Int)] = [
            // ORT's SpaceToDepth fusion: a channel permutation in blocks of 3.
            ([1, 12, 5, 4], 1, Tensor(shape: [12], ints: [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11]), 4),
            // NHWC channels, with repeats and a negative index.
            ([2, 3, 4, 7], -1, Tensor(shape: [5], ints: [6, -1, 0, 1, 2]), 3),
            // A class token: scalar index, the axis disappears.
            ([2, 9, 16], 1, Tensor(shape: [], ints: [0]), 1),
            // 2-D indices on the first axis.
            ([6, 5], 0, Tensor(shape: [2, 2], ints: [5, 4, 1, 2]), 3),
        ]
        for (i, c) in cases.enumerated() {
            var b = G(seed: UInt64(970 + i))
            let x = b.input("x", c.shape)
            b.graph.initializers["idx"] = c.indices
            b.node(.gather(axis: c.axis), [x, "idx"], "g")
            b.node(.unary(.relu), ["g"], "y")
            let g = try b.finish(["y", "g"])
            let ex = try XCTUnwrap(try checkAgainstReference(&b, g, .exact), "case \(i)")
            XCTAssertEqual(ex.steps.first { $0.op == "Gather" }?.placement, .xnnpack("xnn_create_copy_nc_x32"), "case \(i)")
            let runs = try Lowering.gatherRuns(g.nodes[0], g, input: c.shape, axis: c.axis)
            XCTAssertEqual(runs.runs.count, c.runs, "case \(i)")
        }
    }

    /// Constant indices out of range are refused when compiling; indices computed at run time
    /// (token ids) run on `loupe_gather`, which checks them on every run.
    func testOutOfRangeConstantIndicesAreRefusedAndComputedOnesChecked() throws {
        var b = G()
        let x = b.input("x", [1, 4, 3])
        b.graph.initializers["idx"] = Tensor(shape: [2], ints: [0, 4])
        b.node(.gather(axis: 1), [x, "idx"], "g")
        var g = b.graph
        g.types["g"] = TensorType(.float32, shape: [1, 2, 3])
        guard case .unsupported(let reason) = Lowering.placement(of: g.nodes[0], in: g) else { return XCTFail("accepted") }
        XCTAssertTrue(reason.contains("index 4 is out of range for axis 1 of size 4"), reason)
        g.initializers["idx"] = nil
        g.types["idx"] = TensorType(.int64, shape: [2])
        XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .kernel("loupe_gather"))
    }

    /// After the layout pass a channel gather of an NHWC map stays NHWC (axis 3).
    func testChannelGatherStaysNHWC() throws {
        var b = G(seed: 980)
        let x = b.input("x", [1, 4, 6, 5])
        let conv = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0])
        b.node(.conv(conv), [x, b.constant("w1", [6, 4, 1, 1])], "c1")
        b.graph.initializers["idx"] = Tensor(shape: [6], ints: [3, 4, 5, 0, 1, 2])
        b.node(.gather(axis: 1), ["c1", "idx"], "perm")
        b.node(.conv(conv), ["perm", b.constant("w2", [3, 6, 1, 1])], "y")
        let plain = try b.finish(["y"])
        let optimized = try Pipeline.optimize(plain)
        XCTAssertEqual(optimized.nodes.first { $0.op.onnxName == "Gather" }?.op, .gather(axis: 3))
        XCTAssertEqual(optimized.nodes.filter { $0.op.onnxName == "Transpose" }.count, 2)
        let inputs = b.inputs(for: plain)
        let want = try ReferenceInterpreter.run(plain, inputs: inputs)
        compare(try Executor(graph: optimized, threads: 2).run(inputs)["y"]!, want["y"]!, .accumulate, "channel gather")
    }
}
