import XCTest
import LoupeIR
@testable import LoupeRuntime

final class ConvTests: XCTestCase {
    func conv(_ k: [Int], strides: [Int] = [1, 1], dilations: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
              autoPad: AutoPad = .notSet, group: Int = 1, min: Float = -.infinity, max: Float = .infinity) -> Op {
        .conv(ConvAttributes(kernelShape: k, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad,
                             group: group, outputMin: min, outputMax: max, layout: .nhwc))
    }

    func testHandComputed1x1Conv() throws {
        var b = G()
        let x = b.input("x", [1, 1, 2, 2])  // NHWC: 2 pixels, 2 channels
        let w = b.constant("w", Tensor(shape: [1, 2, 1, 1], floats: [2, 3]))
        let bias = b.constant("b", Tensor(shape: [1], floats: [0.5]))
        b.node(conv([1, 1]), [x, w, bias], "y")
        let g = try b.finish(["y"])
        let ex = try Executor(graph: g)
        let y = try ex.run(["x": Tensor(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4])])["y"]!
        XCTAssertEqual(y.shape, [1, 1, 2, 1])
        XCTAssertEqual(y.floats, [8.5, 18.5] as [Float])
        XCTAssertEqual(ex.steps.map(\.placement), [.xnnpack("xnn_create_convolution2d_nhwc_f32")])
    }

    func testConvVariantsAgainstReference() throws {
        struct Case { var x: [Int]; var w: [Int]; var op: Op }
        let cases: [Case] = [
            Case(x: [1, 7, 9, 3], w: [4, 3, 3, 3], op: conv([3, 3], pads: [1, 1, 1, 1])),
            Case(x: [2, 8, 8, 4], w: [6, 4, 3, 2], op: conv([3, 2], strides: [2, 1], pads: [0, 1, 2, 0])),
            Case(x: [1, 9, 9, 4], w: [8, 2, 3, 3], op: conv([3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], group: 2)),
            Case(x: [1, 10, 11, 8], w: [8, 1, 3, 3], op: conv([3, 3], strides: [2, 2], autoPad: .sameUpper, group: 8)),
            Case(x: [1, 10, 11, 8], w: [16, 1, 5, 5], op: conv([5, 5], autoPad: .sameLower, group: 8)),
            Case(x: [1, 6, 6, 5], w: [7, 5, 3, 3], op: conv([3, 3], autoPad: .valid, min: 0, max: 6)),
            Case(x: [1, 6, 6, 5], w: [7, 5, 1, 1], op: conv([1, 1], min: -0.5, max: .infinity)),
            Case(x: [1, 12, 13, 6], w: [6, 1, 7, 7], op: conv([7, 7], dilations: [2, 2], pads: [6, 6, 6, 6], group: 6)),
            Case(x: [1, 9, 9, 6], w: [6, 1, 3, 3], op: conv([3, 3], strides: [2, 2], pads: [0, 0, 1, 1], group: 6)),
            Case(x: [1, 9, 9, 5], w: [3, 5, 1, 1], op: conv([1, 1], strides: [2, 2])),
            Case(x: [2, 1, 1, 5], w: [3, 5, 1, 1], op: conv([1, 1])),
            Case(x: [1, 5, 6, 6], w: [9, 2, 3, 3], op: conv([3, 3], pads: [1, 1, 1, 1], group: 3)),
        ]
        for (i, c) in cases.enumerated() {
            var b = G(seed: UInt64(100 + i))
            let x = b.input("x", c.x)
            let w = b.constant("w", c.w)
            let bias = b.constant("b", [c.w[0]])
            b.node(c.op, [x, w, bias], "y")
            let g = try b.finish(["y"])
            try checkAgainstReference(&b, g, .accumulate)
        }
    }

    func testConvTransposeAgainstReference() throws {
        let cases: [([Int], [Int], ConvAttributes)] = [
            ([1, 4, 5, 3], [3, 2, 3, 3], ConvAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], layout: .nhwc)),
            ([1, 4, 5, 4], [4, 3, 3, 3], ConvAttributes(kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1],
                                                        group: 2, outputPadding: [1, 1], layout: .nhwc)),
            ([1, 3, 3, 2], [2, 2, 2, 2], ConvAttributes(kernelShape: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0],
                                                        outputMin: 0, layout: .nhwc)),
        ]
        for (i, (xs, ws, a)) in cases.enumerated() {
            var b = G(seed: UInt64(200 + i))
            let g = try b.convTranspose(input: xs, weights: ws, a)
            try checkAgainstReference(&b, g, .accumulate)
        }
    }

    func testKernelLargerThanPaddedInputIsAnErrorNotACrash() throws {
        var b = G()
        let x = b.input("x", [1, 2, 2, 3])
        let w = b.constant("w", [4, 3, 5, 5])
        b.node(conv([5, 5]), [x, w], "y")
        var g = b.graph
        g.types["y"] = TensorType(.float32, shape: [1, 1, 1, 4])  // shape inference would refuse; force it
        g.outputs = [ValueInfo(name: "y", type: g.types["y"]!)]
        let p = Lowering.placement(of: g.nodes[0], in: g)
        guard case .unsupported(let reason) = p else { return XCTFail("expected unsupported, got \(p)") }
        XCTAssertTrue(reason.contains("larger than the padded input"), reason)
        XCTAssertThrowsError(try Executor(graph: g)) { e in
            guard case LoupeError.unsupportedOp(let ref, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(ref.name, "y")
        }
    }

    func testNCHWConvIsRejectedWithReason() throws {
        var b = G()
        let x = b.input("x", [1, 3, 4, 4])
        let w = b.constant("w", [2, 3, 3, 3])
        b.node(.conv(ConvAttributes(kernelShape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1])), [x, w], "y")
        let g = try b.finish(["y"])
        XCTAssertEqual(Lowering.placement(of: g.nodes[0], in: g), .unsupported("layout NCHW: run ConvertToNHWC first"))
    }

    func testEmptyClampRangeIsRejected() throws {
        var b = G()
        let x = b.input("x", [1, 3, 3, 2])
        let w = b.constant("w", [2, 2, 1, 1])
        b.node(conv([1, 1], min: 1, max: 1), [x, w], "y")
        let g = try b.finish(["y"])
        XCTAssertFalse(Lowering.placement(of: g.nodes[0], in: g).isSupported)
        XCTAssertThrowsError(try Executor(graph: g))
    }
}
