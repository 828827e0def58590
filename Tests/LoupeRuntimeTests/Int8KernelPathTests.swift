import Foundation
import XCTest
import LoupeIR
@testable import LoupeRuntime
import LoupeTestSupport

/// Runs `body` with `LOUPE_INT8_KERNELS` set to `path` (nil: unset), then restores it.
func withInt8Path<T>(_ path: String?, _ body: () throws -> T) rethrows -> T {
    try withForcedPath(Int8KernelPath.self, path, body)
}

/// The paths this CPU can run, XNNPACK first (the one the others must equal).
var availableInt8Paths: [Int8KernelPath] {
    [.xnnpack] + Int8KernelPath.allCases.filter { $0 != .xnnpack && $0.isAvailable }
}

/// The int8 convolution (pointwise, depthwise, windowed one-group) and GEMM paths forced by `LOUPE_INT8_KERNELS`: each own
/// kernel gives XNNPACK's codes exactly (same requantization), at 1 and 2 threads, and
/// stays within one code of the reference interpreter's int8 semantics.
final class Int8KernelPathTests: XCTestCase {
    func conv1x1(min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1,
                             outputMin: min, outputMax: max, layout: .nhwc))
    }

    func dw(_ k: [Int], strides: [Int], pads: [Int], group: Int, dilations: [Int] = [1, 1],
            min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads, group: group,
                             outputMin: min, outputMax: max, layout: .nhwc))
    }

    /// Pointwise convolutions with odd channel counts and pixel counts around the kernels'
    /// tiles, a clamped one, one without bias, and Gemm / MatMul lowered to the same kernel.
    func makeGraph(seed: UInt64) -> Int8Builder {
        var b = Int8Builder(seed: seed)
        let qx = b.params(-2, 3)
        let x = b.input("x", [2, 5, 7, 19], qx)
        let s1 = b.weights("w1", [37, 19, 1, 1], axis: 0)
        b.bias("b1", 37, inputScale: qx.scale, weightScales: s1)
        let q1 = b.params(-4, 5)
        b.node(conv1x1(), [x, "w1", "b1"], "c1", [2, 5, 7, 37], q1)
        let s2 = b.weights("w2", [16, 37, 1, 1], axis: 0)
        b.bias("b2", 16, inputScale: q1.scale, weightScales: s2)
        b.node(conv1x1(min: 0, max: 6), ["c1", "w2", "b2"], "c2", [2, 5, 7, 16], b.params(0, 6))
        b.weights("w3", [5, 16, 1, 1], axis: nil)
        b.node(conv1x1(min: 0), ["c2", "w3"], "c3", [2, 5, 7, 5], b.params(0, 2))
        // Depthwise: 3×3 stride 1, 5×5 stride 2 with uneven padding and a clamp, 3×3 dilated.
        let sd1 = b.weights("wd1", [37, 1, 3, 3], axis: 0)
        b.bias("bd1", 37, inputScale: q1.scale, weightScales: sd1)
        let qd1 = b.params(-3, 4)
        b.node(dw([3, 3], strides: [1, 1], pads: [1, 1, 1, 1], group: 37), ["c1", "wd1", "bd1"], "d1", [2, 5, 7, 37], qd1)
        let sd2 = b.weights("wd2", [37, 1, 5, 5], axis: 0)
        b.bias("bd2", 37, inputScale: qd1.scale, weightScales: sd2)
        b.node(dw([5, 5], strides: [2, 2], pads: [2, 1, 1, 2], group: 37, min: 0, max: 6), ["d1", "wd2", "bd2"], "d2",
               [2, 2, 3, 37], b.params(0, 6))
        b.weights("wd3", [19, 1, 3, 3], axis: 0)
        b.node(dw([3, 3], strides: [1, 1], pads: [2, 2, 2, 2], group: 19, dilations: [2, 2]), [x, "wd3"], "d3",
               [2, 5, 7, 19], b.params(-2, 2))
        // Depthwise convolutions whose sole reader is a table activation: the activation runs
        // in the convolution's step (HardSwish after a 3×3, HardSigmoid after a 5×5 stride 2).
        let sd4 = b.weights("wd4", [19, 1, 3, 3], axis: 0)
        b.bias("bd4", 19, inputScale: qx.scale, weightScales: sd4)
        b.node(dw([3, 3], strides: [1, 1], pads: [1, 1, 1, 1], group: 19), [x, "wd4", "bd4"], "d4", [2, 5, 7, 19], b.params(-3, 3))
        b.node(.unary(.hardSwish), ["d4"], "h4", [2, 5, 7, 19], b.params(-0.4, 3))
        b.weights("wd5", [37, 1, 5, 5], axis: 0)
        b.node(dw([5, 5], strides: [2, 2], pads: [2, 2, 2, 2], group: 37), ["c1", "wd5"], "d5", [2, 3, 4, 37], b.params(-2, 2))
        b.node(.hardSigmoid(alpha: 0.2, beta: 0.5), ["d5"], "h5", [2, 3, 4, 37], b.params(0, 1))
        // A pointwise convolution feeding HardSwish: fused into the GEMM's step the same way.
        let sp6 = b.weights("wp6", [24, 19, 1, 1], axis: 0)
        b.bias("bp6", 24, inputScale: qx.scale, weightScales: sp6)
        b.node(conv1x1(), [x, "wp6", "bp6"], "p6", [2, 5, 7, 24], b.params(-3, 4))
        b.node(.unary(.hardSwish), ["p6"], "h6", [2, 5, 7, 24], b.params(-0.4, 4))
        // One-group convolutions with a window: a first layer (3 channels, 3×3 stride 2), an
        // uneven 3×3 on 19 channels, a 1×1 with stride 2.
        let qi = b.params(-2, 2)
        let img = b.input("img", [1, 9, 12, 3], qi)
        let sf = b.weights("wf", [16, 3, 3, 3], axis: 0)
        b.bias("bf", 16, inputScale: qi.scale, weightScales: sf)
        b.node(dw([3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 1, min: 0), [img, "wf", "bf"], "f1", [1, 5, 6, 16],
               b.params(0, 3))
        let sf2 = b.weights("wf2", [10, 19, 3, 3], axis: 0)
        b.bias("bf2", 10, inputScale: qx.scale, weightScales: sf2)
        b.node(dw([3, 3], strides: [1, 2], pads: [0, 1, 2, 0], group: 1), [x, "wf2", "bf2"], "f2", [2, 5, 3, 10], b.params(-3, 3))
        b.weights("wf3", [8, 19, 1, 1], axis: 0)
        b.node(dw([1, 1], strides: [2, 2], pads: [0, 0, 0, 0], group: 1), [x, "wf3"], "f3", [2, 3, 4, 8], b.params(-2, 2))
        let qa = b.params(-1, 1.5)
        let a = b.input("a", [3, 67], qa)
        let sg = b.weights("wg", [21, 67], axis: 0)
        b.bias("bg", 21, inputScale: qa.scale, weightScales: sg)
        b.node(.gemm(GemmAttributes(transB: true)), [a, "wg", "bg"], "g", [3, 21], b.params(-3, 3))
        b.weights("wm", [67, 9], axis: 1)
        b.node(.matMul, [a, "wm"], "m", [3, 9], b.params(-2, 2))
        for v in ["c1", "c2", "c3", "d1", "d2", "d3", "h4", "h5", "h6", "f1", "f2", "f3", "g", "m"] { b.output(v) }
        return b
    }

    func testEveryPathGivesXNNPACKsCodesAtOneAndTwoThreads() throws {
        let b = makeGraph(seed: 71)
        var baseline: [String: [Int64]]?
        for path in availableInt8Paths {
            for threads in [1, 2] {
                let (codes, ex) = try withInt8Path(path.rawValue) { try runtimeCodes(b.graph, b.feeds, threads: threads) }
                let placements = Dictionary(uniqueKeysWithValues: ex.steps.map { ($0.node, $0.placement) })
                for v in ["c1", "c2", "c3", "d1", "d2", "d3", "f1", "f2", "f3", "g", "m"] {
                    let own = v.hasPrefix("d") ? Lowering.dwconvKernelName(path)
                        : v.hasPrefix("f") ? Lowering.convKernelName(path) : Lowering.gemmKernelName(path)
                    let want: Placement = path == .xnnpack ? .xnnpack("xnn_create_convolution2d_nhwc_qc8") : .kernel(own)
                    XCTAssertEqual(placements[v], want, "\(path) \(v)")
                }
                for (conv, act, label) in [("d4", "h4", "HardSwish"), ("d5", "h5", "HardSigmoid"), ("p6", "h6", "HardSwish")] {
                    if path == .xnnpack {
                        XCTAssertEqual(placements[conv], .xnnpack("xnn_create_convolution2d_nhwc_qc8"), conv)
                        XCTAssertEqual(placements[act], .kernel("loupe_x8_lut (\(label))"), act)
                    } else {
                        let fused = conv.hasPrefix("p") ? Lowering.gemmKernelName(path, fused: label)
                            : Lowering.dwconvKernelName(path, fused: label)
                        XCTAssertEqual(placements[conv], .kernel(fused), "\(path) \(conv)")
                        XCTAssertEqual(placements[act], .kernel("fused into '\(conv)': \(fused)"), "\(path) \(act)")
                    }
                }
                if let baseline {
                    for (v, c) in codes {
                        let differing = zip(c, baseline[v]!).filter { $0 != $1 }.count
                        XCTAssertEqual(differing, 0, "\(path) threads=\(threads) '\(v)': \(differing) codes differ from XNNPACK's")
                    }
                } else {
                    baseline = codes
                }
            }
        }
    }

    func testOwnKernelsStayWithinOneCodeOfTheReference() throws {
        // One code, as for XNNPACK (Int8OpTests): float requantization against the
        // reference's double-precision real value.
        for path in availableInt8Paths where path != .xnnpack {
            let b = makeGraph(seed: 72)
            try withInt8Path(path.rawValue) { _ = try checkInt8(b, tolerance: 1, "1×1 conv / Gemm / MatMul on \(path)") }
        }
    }

    func testAutomaticPathAndRefusals() throws {
        let b = makeGraph(seed: 73)
        let auto = try withInt8Path(nil) { try Executor(graph: b.graph, threads: 1) }
        let want: Placement = Int8KernelPath.automatic == .xnnpack ? .xnnpack("xnn_create_convolution2d_nhwc_qc8")
            : .kernel(Lowering.gemmKernelName(Int8KernelPath.automatic))
        XCTAssertEqual(auto.steps.first { $0.node == "c1" }?.placement, want)
        XCTAssertThrowsError(try withInt8Path("sse9") { try Executor(graph: b.graph, threads: 1) }) { error in
            XCTAssertTrue("\(error)".contains("LOUPE_INT8_KERNELS=sse9"), "\(error)")
        }
        for path in Int8KernelPath.allCases where !path.isAvailable {
            XCTAssertThrowsError(try withInt8Path(path.rawValue) { try Executor(graph: b.graph, threads: 1) }, "\(path)")
        }
    }
}
