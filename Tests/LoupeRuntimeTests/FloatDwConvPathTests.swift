import Foundation
import XCTest
import LoupeIR
@testable import LoupeRuntime

/// Runs `body` with `LOUPE_F32_DWCONV` set to `path` (nil: unset), then restores it.
func withFloatDwPath<T>(_ path: String?, _ body: () throws -> T) rethrows -> T {
    try withForcedPath(FloatDwConvPath.self, path, body)
}

/// Float depthwise convolutions on every path `LOUPE_F32_DWCONV` can force: each against the
/// reference interpreter, the own kernel's paths equal to one another bit for bit and at 1,
/// 2 and 4 threads, and a HardSwish that is a convolution's sole reader run in its step.
final class FloatDwConvPathTests: XCTestCase {
    func dw(_ k: [Int], strides: [Int] = [1, 1], pads: [Int], group: Int, dilations: [Int] = [1, 1],
            min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads, group: group,
                             outputMin: min, outputMax: max, layout: .nhwc))
    }

    var availablePaths: [FloatDwConvPath] { FloatDwConvPath.allCases.filter(\.isAvailable) }

    /// Depthwise 3×3 (HardSwish fused), 5×5 stride 2 with uneven pads and a ReLU6 clamp,
    /// 3×3 dilated, 7×5, one read by a HardSwish and by an Add (not fused), and one whose
    /// HardSwish output is a graph output; channel counts around the 16-channel blocks.
    func makeGraph(seed: UInt64, channels c: Int) throws -> (G, Graph) {
        var b = G(seed: seed)
        let x = b.input("x", [2, 9, 11, c])
        b.node(dw([3, 3], pads: [1, 1, 1, 1], group: c), [x, b.constant("w1", [c, 1, 3, 3]), b.constant("b1", [c])], "d1")
        b.node(.unary(.hardSwish), ["d1"], "h1")
        b.node(dw([5, 5], strides: [2, 2], pads: [2, 1, 1, 2], group: c, min: 0, max: 6),
               ["h1", b.constant("w2", [c, 1, 5, 5]), b.constant("b2", [c])], "d2")
        b.node(dw([3, 3], pads: [2, 2, 2, 2], group: c, dilations: [2, 2]), [x, b.constant("w3", [c, 1, 3, 3])], "d3")
        b.node(.unary(.hardSwish), ["d3"], "h3")
        b.node(.binary(.add), ["h3", "d3"], "a3")
        b.node(dw([7, 5], pads: [3, 2, 3, 2], group: c), ["a3", b.constant("w4", [c, 1, 7, 5]), b.constant("b4", [c])], "d4")
        b.node(.unary(.hardSwish), ["d4"], "h4")
        return (b, try b.finish(["d2", "h4"]))
    }

    func testEveryPathAgainstReferenceAndOwnPathsBitIdentical() throws {
        for (k, c) in [1, 7, 16, 17, 40].enumerated() {
            var own: [String: [Float]]?
            for path in availablePaths {
                try withFloatDwPath(path.rawValue) {
                    var (b, g) = try makeGraph(seed: UInt64(300 + k), channels: c)
                    let ex = try checkAgainstReference(&b, g, .accumulate)!
                    let placements = ex.steps.map { "\($0.node): \($0.placement)" }
                    for conv in ["d1", "d2", "d3", "d4"] {
                        let p = ex.steps.first { $0.node == conv }!.placement
                        XCTAssertEqual(p.description.contains("loupe_f32_dwconv_nhwc__\(path.rawValue)"), path != .xnnpack,
                                       "\(conv) on \(path): \(placements)")
                    }
                    guard path != .xnnpack else { return }
                    // h1 and h4 run in their convolutions' steps; h3 has a second reader.
                    for (act, fused) in [("h1", true), ("h3", false), ("h4", true)] {
                        let p = ex.steps.first { $0.node == act }!.placement.description
                        XCTAssertEqual(p.contains("fused into"), fused, "\(act) on \(path): \(p)")
                    }
                    var (b2, _) = try makeGraph(seed: UInt64(300 + k), channels: c)
                    let inputs = b2.inputs(for: g)
                    var outs: [String: [Float]] = [:]
                    for t in [1, 2, 4] {
                        let r = try Executor(graph: g, threads: t, minimumParallelWork: 0).run(inputs)
                        let now = r.mapValues(\.floats)
                        if t == 1 { outs = now } else {
                            for (n, v) in now { XCTAssertEqual(v.map(\.bitPattern), outs[n]!.map(\.bitPattern), "\(n) \(path) threads \(t)") }
                        }
                    }
                    if let own {
                        for (n, v) in outs { XCTAssertEqual(v.map(\.bitPattern), own[n]!.map(\.bitPattern), "\(n): \(path) vs first own path") }
                    } else {
                        own = outs
                    }
                }
            }
        }
    }

    func testUnknownOrUnavailablePathIsAnErrorNamingTheNode() throws {
        var (_, g) = try makeGraph(seed: 1, channels: 4)
        g.nodes[0].name = "the_depthwise"
        try withFloatDwPath("sse9") {
            XCTAssertThrowsError(try Executor(graph: g)) { e in
                XCTAssertTrue("\(e)".contains("LOUPE_F32_DWCONV=sse9"), "\(e)")
                XCTAssertTrue("\(e)".contains("the_depthwise"), "\(e)")
            }
        }
        if let missing = FloatDwConvPath.allCases.first(where: { !$0.isAvailable }) {
            try withFloatDwPath(missing.rawValue) {
                XCTAssertThrowsError(try Executor(graph: g)) { e in XCTAssertTrue("\(e)".contains("lacks the instructions"), "\(e)") }
            }
        }
    }

    /// x → 1×1 expansion (ReLU clamp, or HardSwish after it) → depthwise k×k → HardSwish →
    /// 1×1 projection, four blocks whose row groups overlap differently (3×3 stride 2, 5×5,
    /// 3×3 unpadded, 3×3 stride 2 after a HardSwish).
    func makeStreamingGraph() throws -> (G, Graph) {
        var b = G(seed: 77)
        let (h, w, c, e) = (29, 21, 8, 24)
        let x = b.input("x", [1, h, w, c])
        var outs: [String] = []
        for (i, (k, stride, pad, hardSwish)) in [(3, 2, 1, false), (5, 1, 2, false), (3, 1, 0, false), (3, 2, 1, true)].enumerated() {
            let expand = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0],
                                        outputMin: hardSwish ? -.infinity : 0, layout: .nhwc)
            var expanded = b.node(.conv(expand), [x, b.constant("we\(i)", [e, c, 1, 1]), b.constant("be\(i)", [e])], "e\(i)")
            if hardSwish { expanded = b.node(.unary(.hardSwish), [expanded], "a\(i)") }
            b.node(dw([k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: e),
                   [expanded, b.constant("wd\(i)", [e, 1, k, k]), b.constant("bd\(i)", [e])], "d\(i)")
            b.node(.unary(.hardSwish), ["d\(i)"], "h\(i)")
            let project = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], layout: .nhwc)
            outs.append(b.node(.conv(project), ["h\(i)", b.constant("wp\(i)", [c, e, 1, 1])], "p\(i)"))
        }
        return (b, try b.finish(outs))
    }

    /// The expansion computed row group by row group inside the depthwise step
    /// (`Lowering.emitStreamedDwConv` with XNNPACK's fully-connected operator per part): the
    /// same bits as the steps apart on every own path at 1 to 3 threads (XNNPACK 2022; 2024:
    /// the same values to float rounding), and the reference's values.
    func testStreamedFloatExpansionGivesTheValuesOfTheStepsApart() throws {
        let saved = Lowering.streamedMinimumBytes
        defer { Lowering.streamedMinimumBytes = saved }
        for path in availablePaths where path != .xnnpack {
            try withFloatDwPath(path.rawValue) {
                var (b, g) = try makeStreamingGraph()
                let inputs = b.inputs(for: g)
                Lowering.streamedMinimumBytes = Int.max
                let apartEx = try Executor(graph: g, threads: 1)
                XCTAssertFalse(apartEx.steps.contains { $0.placement.description.contains("rows streamed") })
                let apart = try apartEx.run(inputs).mapValues(\.floats)
                Lowering.streamedMinimumBytes = 0
                for threads in [1, 2, 3] {
                    let ex = try Executor(graph: g, threads: threads, minimumParallelWork: 0)
                    for i in 0..<4 {
                        let p = ex.steps.first { $0.node == "d\(i)" }!.placement.description
                        let producer = "xnn_create_fully_connected_nc_f32" + (i == 3 ? " + HardSwish" : "")
                        XCTAssertTrue(p.contains("\(producer) → loupe_f32_dwconv_nhwc__\(path.rawValue) + HardSwish (rows streamed)"),
                                      "\(path) threads \(threads): d\(i) \(p)")
                        for fused in ["e\(i)"] + (i == 3 ? ["a\(i)"] : []) {
                            XCTAssertTrue(ex.steps.first { $0.node == fused }!.placement.description.contains("fused into 'd\(i)'"), fused)
                        }
                    }
                    let got = try ex.run(inputs).mapValues(\.floats)
                    for (n, v) in got {
                        // XNNPACK 2022 runs a 1×1 convolution and a fully-connected operator on
                        // the same GEMM micro-kernel: the same bits. The 2024 library may pick
                        // different micro-kernels for the two (another summation order), so
                        // there the values agree to float rounding: 1e-5 relative, against
                        // differences of order 1 when a row is wrong.
                        let exact = XNNPACKVersion.api == "2022"
                        func differs(_ a: Float, _ b: Float) -> Bool {
                            if exact { return a.bitPattern != b.bitPattern }
                            let bound: Float = 1e-5 * Swift.max(1, abs(b))
                            return !(abs(a - b) <= bound)
                        }
                        let differing = zip(v, apart[n]!).filter { differs($0.0, $0.1) }.count
                        XCTAssertEqual(differing, 0, "\(n): \(path) threads \(threads): values differing from the steps apart (XNNPACK \(XNNPACKVersion.api))")
                    }
                }
                try checkAgainstReference(&b, g, .accumulate, threads: [1, 2])
            }
        }
    }
}
