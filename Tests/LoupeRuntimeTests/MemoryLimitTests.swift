import XCTest
import LoupeIR
import LoupePasses
@testable import LoupeRuntime

/// Tiny graphs that ask for huge activations are refused with `LoupeError.memoryLimit`,
/// naming the value and the bytes it needed, before anything is allocated (allocating
/// would abort the process).
final class MemoryLimitTests: XCTestCase {
    func assertMemoryLimit(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a memory-limit error containing \(fragments)", file: file, line: line)
        } catch let e as LoupeError {
            guard case .memoryLimit = e else { return XCTFail("expected .memoryLimit, got \(e)", file: file, line: line) }
            for f in fragments where !e.description.contains(f) {
                XCTFail("'\(e)' does not mention '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    /// One node on a float input `x`, optimized as `Model` would before compiling.
    func optimized(_ shape: [Int], _ op: Op, _ extra: [String: Tensor] = [:], inputs: [String]) throws -> Graph {
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: shape))],
                      nodes: [Node(name: "big", op: op, inputs: inputs, outputs: ["y"])], initializers: extra)
        try g.inferTypes()
        g.outputs = [ValueInfo(name: "y", type: g.types["y"]!)]
        return try Pipeline.optimize(g)
    }

    func testDeclaredInputOfFourTebibytesIsRefusedByTheDefaultCeiling() throws {
        let g = try optimized([1, 1, 1 << 20, 1 << 20], .unary(.relu), inputs: ["x"])
        XCTAssertLessThan(MemoryCeiling.defaultBytes, 1 << 42, "the test needs a machine with less than 8 TiB")
        assertMemoryLimit(["graph input 'x'", "needs 4398046511104 bytes (4.0 TiB)", "over the memory limit of"]) {
            _ = try Executor(graph: g)
        }
    }

    func testHugeInferredOutputsNameTheirNode() throws {
        let limit = 1 << 30
        let resize = try optimized([1, 1, 2, 2], .resize(ResizeAttributes()), ["scales": Tensor(shape: [4], floats: [1, 1, 10000, 10000])],
                                   inputs: ["x", "", "scales"])
        assertMemoryLimit(["Resize node", "needs 1600000000 bytes", "over the memory limit of 1073741824 bytes"]) {
            _ = try Executor(graph: resize, memoryLimit: limit)
        }
        let pad = try optimized([1, 1, 2, 2], .pad(.constant),
                                ["pads": Tensor(shape: [8], ints: [0, 0, 100_000, 100_000, 0, 0, 100_000, 100_000])],
                                inputs: ["x", "pads"])
        assertMemoryLimit(["Pad node", "needs 160003200016 bytes"]) { _ = try Executor(graph: pad, memoryLimit: limit) }
        let p = 1 << 20
        let conv = try optimized([1, 1, 2, 2], .conv(ConvAttributes(kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1],
                                                                    pads: [p, p, p, p], group: 1)),
                                 ["w": Tensor(shape: [1, 1, 1, 1], floats: [1])], inputs: ["x", "w"])
        assertMemoryLimit(["Conv node", "needs 17592219598864 bytes"]) { _ = try Executor(graph: conv, memoryLimit: limit) }
    }

    func testArenaOverTheLimitIsRefusedThoughEachValueFits() throws {
        // Three 256-byte values, two of them live at once: each fits 500 bytes, the arena does not.
        var g = Graph(inputs: [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 8, 8, 1]))],
                      nodes: [Node(name: "r1", op: .unary(.relu), inputs: ["x"], outputs: ["a"]),
                              Node(name: "r2", op: .unary(.relu), inputs: ["a"], outputs: ["y"])])
        try g.inferTypes()
        g.outputs = [ValueInfo(name: "y", type: g.types["y"]!)]
        assertMemoryLimit(["the activation arena needs", "over the memory limit of 500 bytes", "largest buffer holds"]) {
            _ = try Executor(graph: g, memoryLimit: 500)
        }
        let ex = try Executor(graph: g, memoryLimit: 1 << 20)
        XCTAssertLessThanOrEqual(ex.arenaBytes, 1 << 20)
        XCTAssertEqual(ex.memoryLimit, 1 << 20)
    }
}
