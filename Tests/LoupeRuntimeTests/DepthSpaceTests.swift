import XCTest
import LoupeIR
import LoupePasses
import LoupeReference
@testable import LoupeRuntime

/// SpaceToDepth / DepthToSpace on the runtime against the reference interpreter (which
/// computes them element by element from the ONNX formulas, not from the runtime's 6-D view).
final class DepthSpaceTests: XCTestCase {
    func testEveryDirectionLayoutAndBlockSize() throws {
        var seed: UInt64 = 960
        for direction in [DepthSpaceAttributes.Direction.spaceToDepth, .depthToSpaceDCR, .depthToSpaceCRD] {
            for layout in [Layout.nchw, .nhwc] {
                for block in [1, 2, 3] {
                    seed += 1
                    var b = G(seed: seed)
                    // Logical (C, H, W): divisible both ways; large enough for two threads.
                    let (c, h, w) = direction == .spaceToDepth ? (5, 12 * block, 10 * block) : (5 * block * block, 24, 20)
                    let x = b.input("x", layout == .nchw ? [2, c, h, w] : [2, h, w, c])
                    let a = DepthSpaceAttributes(direction: direction, blockSize: block, layout: layout)
                    b.node(.depthSpace(a), [x], "y")
                    let g = try b.finish(["y"])
                    let what = "\(direction) \(layout) block \(block)"
                    let ex = try XCTUnwrap(try checkAgainstReference(&b, g, .exact), what)
                    let xnnpack = direction == .depthToSpaceDCR && layout == .nhwc && block > 1
                    XCTAssertEqual(ex.steps.first?.placement,
                                   xnnpack ? .xnnpack("xnn_create_depth_to_space_nhwc_x32") : .kernel("loupe_x32_transpose"), what)
                }
            }
        }
    }

    /// A Focus/space-to-depth stem as ORT's optimizer leaves it: Conv → SpaceToDepth → Conv →
    /// DepthToSpace (a pixel-shuffle head). After the pipeline both run in NHWC with no
    /// transposes but the graph input's and output's.
    func testPipelineKeepsThemNHWC() throws {
        var b = G(seed: 990)
        let x = b.input("x", [1, 3, 8, 12])
        let conv = ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0])
        b.node(.conv(conv), [x, b.constant("w1", [4, 3, 1, 1])], "c1")
        b.node(.depthSpace(DepthSpaceAttributes(direction: .spaceToDepth, blockSize: 2)), ["c1"], "s2d")
        b.node(.conv(conv), ["s2d", b.constant("w2", [8, 16, 1, 1])], "c2")
        b.node(.depthSpace(DepthSpaceAttributes(direction: .depthToSpaceCRD, blockSize: 2)), ["c2"], "y")
        let plain = try b.finish(["y"])
        let optimized = try Pipeline.optimize(plain)
        XCTAssertEqual(optimized.nodes.filter { $0.op.onnxName == "Transpose" }.count, 2)
        for node in optimized.nodes {
            if case .depthSpace(let a) = node.op { XCTAssertEqual(a.layout, .nhwc, node.name) }
        }
        let inputs = b.inputs(for: plain)
        let want = try ReferenceInterpreter.run(plain, inputs: inputs)
        let ex = try Executor(graph: optimized, threads: 2)
        compare(try ex.run(inputs)["y"]!, want["y"]!, .accumulate, "s2d/d2s pipeline")
    }
}
