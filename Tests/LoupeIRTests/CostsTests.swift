import XCTest
@testable import LoupeIR
import LoupeTestSupport

final class CostsTests: XCTestCase {
    /// A one-node graph with types inferred; the node's MACs and element ops.
    func costs(_ op: Op, _ shapes: [[Int]]) throws -> (macs: Int, ops: Int) {
        let names = shapes.indices.map { "i\($0)" }
        var g = Graph(inputs: zip(names, shapes).map { ValueInfo(name: $0.0, type: TensorType(.float32, shape: $0.1)) },
                      outputs: [ValueInfo(name: "y", type: TensorType(.float32, [.unknown]))],
                      nodes: [Node(name: "n", op: op, inputs: names, outputs: ["y"])])
        try g.inferTypes()
        return (g.nodes[0].macs(in: g), g.nodes[0].elementwiseOps(in: g))
    }

    func testConvWithGroupsDilationStride() throws {
        // Output [1, 8, 8, 8] (pads 2, dilation 2, stride 2 on 16×16); inC/group = 4; 3×3.
        // 1·8·8·8 · 4 · 9 = 18432.
        let a = conv2d(k: [3, 3], s: [2, 2], d: [2, 2], p: [2, 2, 2, 2], group: 2)
        XCTAssertEqual(try costs(.conv(a), [[1, 8, 16, 16], [8, 4, 3, 3]]).macs, 18432)
    }

    func testDepthwise() throws {
        // 112×112×32 output, 1 input channel per group, 3×3: 3_612_672.
        let a = conv2d(k: [3, 3], p: [1, 1, 1, 1], group: 32)
        XCTAssertEqual(try costs(.conv(a), [[1, 32, 112, 112], [32, 1, 3, 3]]).macs, 3_612_672)
        let nhwc = conv2d(k: [3, 3], p: [1, 1, 1, 1], group: 32, layout: .nhwc)
        XCTAssertEqual(try costs(.conv(nhwc), [[1, 112, 112, 32], [32, 1, 3, 3]]).macs, 3_612_672)
    }

    func testGemmMatMulConvTranspose() throws {
        // M=3, K=4, N=5 → 60, with transposes.
        XCTAssertEqual(try costs(.gemm(GemmAttributes(transA: true, transB: true)), [[4, 3], [5, 4]]).macs, 60)
        // batch 2·5, M=3, K=4, N=6 → 720.
        XCTAssertEqual(try costs(.matMul, [[2, 1, 3, 4], [5, 4, 6]]).macs, 720)
        // N·inH·inW·inC·(outC/group)·kH·kW = 1·5·6·4·3·3·3 = 3240.
        let t = conv2d(k: [3, 3], s: [2, 2], group: 2)
        XCTAssertEqual(try costs(.convTranspose(t), [[1, 4, 5, 6], [4, 3, 3, 3]]).macs, 3240)
    }

    func testElementwiseOps() throws {
        XCTAssertEqual(try costs(.binary(.add), [[2, 3, 4], [4]]).ops, 24)
        XCTAssertEqual(try costs(.binary(.add), [[2, 3, 4], [4]]).macs, 0)
        XCTAssertEqual(try costs(.globalAveragePool(layout: .nchw), [[1, 8, 4, 4]]).ops, 128)
        XCTAssertEqual(try costs(.transpose(perm: nil), [[2, 3]]).ops, 0)
    }
}
