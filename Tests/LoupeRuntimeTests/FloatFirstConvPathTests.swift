import Foundation
import XCTest
import LoupeIR
@testable import LoupeRuntime

/// Runs `body` with `LOUPE_F32_FIRST_CONV` set to `path` (nil: unset), then restores it.
func withFloatFirstConvPath<T>(_ path: String?, _ body: () throws -> T) rethrows -> T {
    try withForcedPath(FloatFirstConvPath.self, path, body)
}

/// A float network's first convolution read straight from the NCHW input
/// (`Lowering.fusableFirstConv`), on every path `LOUPE_F32_FIRST_CONV` can force: each
/// against the reference interpreter, the transpose and a sole HardSwish reader run in the
/// convolution's step, the own paths equal to one another bit for bit at 1, 2 and 4 threads,
/// and the cases that must keep the transpose (a second reader, too many channels).
final class FloatFirstConvPathTests: XCTestCase {
    func conv(_ k: [Int], strides: [Int] = [1, 1], pads: [Int], dilations: [Int] = [1, 1],
              min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads,
                             outputMin: min, outputMax: max, layout: .nhwc))
    }

    var availablePaths: [FloatFirstConvPath] { FloatFirstConvPath.allCases.filter(\.isAvailable) }

    /// Three graphs as the layout pass leaves them (input NCHW, transpose to NHWC): a photo's
    /// stem (3→20, 3×3 stride 2, HardSwish, then a 1×1), one grey channel with a 5×5 window,
    /// uneven pads and a ReLU6 clamp, and 4 channels with a dilated 3×2 window, stride 3.
    func makeGraph(_ variant: Int) throws -> (G, Graph) {
        var b = G(seed: UInt64(40 + variant))
        switch variant {
        case 0:
            let x = b.input("x", [2, 3, 13, 17])
            b.node(.transpose(perm: [0, 2, 3, 1]), [x], "t")
            b.node(conv([3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), ["t", b.constant("w", [20, 3, 3, 3]), b.constant("b", [20])], "c")
            b.node(.unary(.hardSwish), ["c"], "h")
            let p = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], layout: .nhwc)
            b.node(.conv(p), ["h", b.constant("wp", [8, 20, 1, 1])], "p")
            return (b, try b.finish(["p"]))
        case 1:
            let x = b.input("x", [1, 1, 10, 9])
            b.node(.transpose(perm: [0, 2, 3, 1]), [x], "t")
            b.node(conv([5, 5], pads: [2, 1, 1, 2], min: 0, max: 6), ["t", b.constant("w", [16, 1, 5, 5]), b.constant("b", [16])], "c")
            return (b, try b.finish(["c"]))
        default:
            let x = b.input("x", [1, 4, 14, 19])
            b.node(.transpose(perm: [0, 2, 3, 1]), [x], "t")
            b.node(conv([3, 2], strides: [3, 3], pads: [2, 1, 0, 1], dilations: [2, 3]), ["t", b.constant("w", [33, 4, 3, 2])], "c")
            b.node(.unary(.hardSwish), ["c"], "h")
            return (b, try b.finish(["h"]))
        }
    }

    func testEveryPathAgainstReferenceAndOwnPathsBitIdentical() throws {
        for variant in 0..<3 {
            var own: [String: [Float]]?
            for path in availablePaths {
                try withFloatFirstConvPath(path.rawValue) {
                    var (b, g) = try makeGraph(variant)
                    let ex = try checkAgainstReference(&b, g, .accumulate)!
                    let placements = ex.steps.map { "\($0.node): \($0.placement)" }
                    let c = ex.steps.first { $0.node == "c" }!.placement.description
                    XCTAssertEqual(c.contains("loupe_f32_conv_nchw_nhwc__\(path.rawValue)"), path != .xnnpack, "\(path): \(placements)")
                    let t = ex.steps.first { $0.node == "t" }!.placement.description
                    XCTAssertEqual(t.contains("fused into 'c'"), path != .xnnpack, "\(path): \(placements)")
                    if variant != 1, path != .xnnpack {
                        let h = ex.steps.first { $0.node == "h" }!.placement.description
                        XCTAssertTrue(h.contains("fused into 'c'"), "\(path): \(placements)")
                    }
                    guard path != .xnnpack else { return }
                    var (b2, _) = try makeGraph(variant)
                    let inputs = b2.inputs(for: g)
                    var outs: [String: [Float]] = [:]
                    for threads in [1, 2, 4] {
                        let now = try Executor(graph: g, threads: threads, minimumParallelWork: 0).run(inputs).mapValues(\.floats)
                        if threads == 1 { outs = now } else {
                            for (n, v) in now { XCTAssertEqual(v.map(\.bitPattern), outs[n]!.map(\.bitPattern), "\(n) \(path) threads \(threads)") }
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

    /// The transpose stays a step of its own when another node reads its output too, or when
    /// the input has more channels than the own kernel takes.
    func testTransposeKeptWhenNotTheConvolutionsAlone() throws {
        var b = G(seed: 9)
        let x = b.input("x", [1, 3, 8, 8])
        b.node(.transpose(perm: [0, 2, 3, 1]), [x], "t")
        b.node(conv([3, 3], pads: [1, 1, 1, 1]), ["t", b.constant("w", [16, 3, 3, 3])], "c")
        b.node(.unary(.relu), ["t"], "r")
        let g = try b.finish(["c", "r"])
        var b2 = G(seed: 10)
        let x2 = b2.input("x", [1, 8, 8, 8])
        b2.node(.transpose(perm: [0, 2, 3, 1]), [x2], "t")
        b2.node(conv([3, 3], pads: [1, 1, 1, 1]), ["t", b2.constant("w", [16, 8, 3, 3])], "c")
        let g2 = try b2.finish(["c"])
        for path in availablePaths {
            try withFloatFirstConvPath(path.rawValue) {
                for (builder, graph) in [(b, g), (b2, g2)] {
                    var bb = builder
                    let ex = try checkAgainstReference(&bb, graph, .accumulate)!
                    let t = ex.steps.first { $0.node == "t" }!.placement.description
                    XCTAssertTrue(t.contains("transpose"), "\(path): \(t)")
                    XCTAssertFalse(ex.steps.first { $0.node == "c" }!.placement.description.contains("conv_nchw"))
                }
            }
        }
    }

    func testUnknownPathIsAnErrorNamingTheNode() throws {
        var (_, g) = try makeGraph(0)
        g.nodes[1].name = "the_stem"
        try withFloatFirstConvPath("sse9") {
            XCTAssertThrowsError(try Executor(graph: g)) { e in
                XCTAssertTrue("\(e)".contains("LOUPE_F32_FIRST_CONV=sse9"), "\(e)")
                XCTAssertTrue("\(e)".contains("the_stem"), "\(e)")
            }
        }
    }
}
