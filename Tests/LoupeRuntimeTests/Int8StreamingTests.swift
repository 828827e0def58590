import XCTest
import LoupeIR
@testable import LoupeRuntime
import LoupeTestSupport

/// An expansion (1×1 int8 convolution, activation fused) computed row group by row group
/// inside the depthwise convolution that reads it (`Lowering.emitStreamedDwConv`): the same
/// codes as the two steps apart, on every own kernel path, at 1 to 3 threads, for windows,
/// strides and paddings whose row groups overlap differently.
final class Int8StreamingTests: XCTestCase {
    func conv(_ k: Int, stride: Int = 1, pad: Int = 0, group: Int = 1, min: Float = -.infinity) -> Op {
        .conv(ConvAttributes(kernelShape: [k, k], strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad],
                             group: group, outputMin: min, layout: .nhwc))
    }

    /// x → 1×1 expand (ReLU clamp, or HardSwish as a table) → depthwise k×k → 1×1 project,
    /// three blocks of different windows on one input.
    func makeGraph() -> Int8Builder {
        var b = Int8Builder(seed: 140)
        let (h, w, c, e) = (29, 21, 8, 24)
        let x = b.input("x", [1, h, w, c], b.params(-1, 1))
        for (i, (k, stride, pad, table)) in [(3, 2, 1, false), (5, 1, 2, true), (3, 1, 0, true)].enumerated() {
            let ws = b.weights("we\(i)", [e, c, 1, 1], axis: 0)
            b.bias("be\(i)", e, inputScale: b.graph.quantization[x]!.scale, weightScales: ws)
            var expanded = b.node(conv(1, min: table ? -.infinity : 0), [x, "we\(i)", "be\(i)"], "e\(i)", [1, h, w, e],
                                  b.params(table ? -3 : 0, 3))
            if table {
                expanded = b.node(.unary(.hardSwish), [expanded], "a\(i)", [1, h, w, e], b.params(-0.4, 3))
            }
            let oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1
            let wd = b.weights("wd\(i)", [e, 1, k, k], axis: 0)
            b.bias("bd\(i)", e, inputScale: b.graph.quantization[expanded]!.scale, weightScales: wd)
            let d = b.node(conv(k, stride: stride, pad: pad, group: e), [expanded, "wd\(i)", "bd\(i)"], "d\(i)",
                           [1, oh, ow, e], b.params(-2, 2))
            let wp = b.weights("wp\(i)", [c, e, 1, 1], axis: 0)
            b.bias("bp\(i)", c, inputScale: b.graph.quantization[d]!.scale, weightScales: wp)
            b.node(conv(1), [d, "wp\(i)", "bp\(i)"], "p\(i)", [1, oh, ow, c], b.params(-6, 6))
            b.output("p\(i)")
        }
        return b
    }

    func codes(streamingFrom minimum: Int, path: Int8KernelPath, threads: Int, _ b: Int8Builder) throws
        -> (codes: [String: [Int64]], steps: [StepInfo]) {
        let saved = Lowering.streamedMinimumBytes
        Lowering.streamedMinimumBytes = minimum
        defer { Lowering.streamedMinimumBytes = saved }
        let (codes, ex) = try withInt8Path(path.rawValue) { try runtimeCodes(b.graph, b.feeds, threads: threads) }
        return (codes, ex.steps)
    }

    func testStreamedExpansionGivesTheCodesOfTheStepsApart() throws {
        let b = makeGraph()
        let paths = availableInt8Paths.filter { $0 != .xnnpack }
        for path in paths {
            let apart = try codes(streamingFrom: Int.max, path: path, threads: 1, b)
            XCTAssertFalse(apart.steps.contains { $0.placement.description.contains("rows streamed") })
            for threads in [1, 2, 3] {
                let streamed = try codes(streamingFrom: 0, path: path, threads: threads, b)
                let placements = Dictionary(uniqueKeysWithValues: streamed.steps.map { ($0.node, $0.placement.description) })
                for i in 0..<3 {
                    XCTAssertTrue(placements["d\(i)"]!.contains("rows streamed"), "\(path) d\(i): \(placements["d\(i)"]!)")
                    XCTAssertTrue(placements["e\(i)"]!.contains("fused into 'd\(i)'"), "\(path) e\(i): \(placements["e\(i)"]!)")
                }
                for (v, c) in apart.codes {
                    let differing = zip(c, streamed.codes[v]!).filter { $0 != $1 }.count
                    XCTAssertEqual(differing, 0, "\(path) threads=\(threads) '\(v)': \(differing) codes differ when streamed")
                }
            }
        }
        if paths.isEmpty { throw XCTSkip("no own int8 kernel path on this CPU") }
    }

    /// Streamed or not, the codes stay within one of the reference interpreter's.
    func testStreamedBlocksStayWithinOneCodeOfTheReference() throws {
        let saved = Lowering.streamedMinimumBytes
        Lowering.streamedMinimumBytes = 0
        defer { Lowering.streamedMinimumBytes = saved }
        try checkInt8(makeGraph(), tolerance: 1, "streamed inverted-residual blocks")
    }
}
