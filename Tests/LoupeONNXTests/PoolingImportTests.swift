import XCTest
import LoupeIR
@testable import LoupeONNX

final class PoolingImportTests: ONNXTestCase {
    func testPoolDefaultsAndAttributes() throws {
        try python("""
        save('avg', [N('AveragePool', ['x'], ['y'], kernel_shape=[2, 2])], [vi('x', [1, 1, 4, 4])], [vi('y', None)])
        save('avg_attrs', [N('AveragePool', ['x'], ['y'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                             ceil_mode=1, count_include_pad=1)], [vi('x', [1, 1, 4, 4])], [vi('y', None)], opset=11)
        save('max1d', [N('MaxPool', ['x'], ['y'], kernel_shape=[3], dilations=[2])], [vi('x', [1, 1, 9])], [vi('y', None)], opset=12)
        save('max_unused_idx', [N('MaxPool', ['x'], ['y', 'idx'], kernel_shape=[2, 2])], [vi('x', [1, 1, 4, 4])], [vi('y', None)])
        save('max_used_idx', [N('MaxPool', ['x'], ['y', 'idx'], kernel_shape=[2, 2])], [vi('x', [1, 1, 4, 4])],
             [vi('y', None), vi('idx', None, TP.INT64)])
        save('no_kernel', [N('MaxPool', ['x'], ['y'])], [vi('x', [1, 1, 4, 4])], [vi('y', None)])
        save('bad_strides', [N('AveragePool', ['x'], ['y'], kernel_shape=[2, 2], strides=[0, 1])], [vi('x', [1, 1, 4, 4])], [vi('y', None)])
        save('bad_ceil', [N('AveragePool', ['x'], ['y'], kernel_shape=[2, 2], ceil_mode=3)], [vi('x', [1, 1, 4, 4])], [vi('y', None)])
        """)
        XCTAssertEqual(try single("avg").op, .averagePool(PoolAttributes(
            kernelShape: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0])))
        XCTAssertEqual(try single("avg_attrs").op, .averagePool(PoolAttributes(
            kernelShape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], ceilMode: true,
            countIncludePad: true)))
        XCTAssertEqual(try single("max1d").op, .maxPool(PoolAttributes(
            kernelShape: [3], strides: [1], dilations: [2], pads: [0, 0])))
        let unused = try single("max_unused_idx")
        XCTAssertEqual(unused.outputs, ["y"], "an unused Indices output is dropped")
        guard case .maxPool = unused.op else { return XCTFail("\(unused.op)") }
        XCTAssertTrue(try single("max_used_idx").unsupportedReason?.contains("Indices") ?? false)
        assertLoupeError(try load("no_kernel"), contains: "invalid attribute 'kernel_shape' of MaxPool node 0 'MaxPool_0' (opset 17): is required")
        assertLoupeError(try load("bad_strides"), contains: "'strides'")
        assertLoupeError(try load("bad_ceil"), contains: "'ceil_mode'")
    }

    func testReduceAxesAttributeBecomesInput() throws {
        try python("""
        x = [vi('x', [2, 3, 4])]
        save('mean11', [N('ReduceMean', ['x'], ['y'], name='r', axes=[1, -1], keepdims=0)], x, [vi('y', None)], opset=11)
        save('mean11_all', [N('ReduceMean', ['x'], ['y'])], x, [vi('y', None)], opset=11)
        save('mean18', [N('ReduceMean', ['x', 'ax'], ['y'], noop_with_empty_axes=1)], x, [vi('y', None)],
             [init('ax', np.array([1], np.int64))], opset=18)
        save('sum11', [N('ReduceSum', ['x'], ['y'], name='r', axes=[0])], x, [vi('y', None)], opset=11)
        save('mean18_attr', [N('ReduceMean', ['x'], ['y'], axes=[1])], x, [vi('y', None)], opset=18)
        save('sum13_attr', [N('ReduceSum', ['x'], ['y'], axes=[1])], x, [vi('y', None)], opset=13)
        save('sum13', [N('ReduceSum', ['x', 'ax'], ['y'])], x, [vi('y', None)], [init('ax', np.array([1], np.int64))], opset=13)
        for op in ['ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL2']:
            save(op + '13', [N(op, ['x'], ['y'], name='r', axes=[2])], x, [vi('y', None)], opset=13)
            save(op + '18', [N(op, ['x'], ['y'])], x, [vi('y', None)], opset=18)
        """)
        let g = try load("mean11")
        XCTAssertEqual(g.nodes[0].op, .reduce(.mean, keepDims: false, noopWithEmptyAxes: false))
        XCTAssertEqual(g.nodes[0].inputs, ["x", "r::axes"])
        XCTAssertEqual(g.initializers["r::axes"], Tensor(shape: [2], ints: [1, -1]))
        XCTAssertEqual(try single("mean11_all").inputs, ["x"])
        let m18 = try single("mean18")
        XCTAssertEqual(m18.op, .reduce(.mean, keepDims: true, noopWithEmptyAxes: true))
        XCTAssertEqual(m18.inputs, ["x", "ax"])
        XCTAssertEqual(try load("sum11").initializers["r::axes"]?.ints, [0])
        XCTAssertEqual(try single("sum13").inputs, ["x", "ax"])
        assertLoupeError(try load("mean18_attr"), contains: "is an input from opset 18")
        assertLoupeError(try load("sum13_attr"), contains: "is an input from opset 13")
        let ops: [(String, ReduceOp)] = [("ReduceMax", .max), ("ReduceMin", .min), ("ReduceProd", .prod),
                                         ("ReduceSumSquare", .sumSquare), ("ReduceL2", .l2)]
        for (name, r) in ops {
            let old = try load(name + "13")
            XCTAssertEqual(old.nodes[0].op, .reduce(r, keepDims: true, noopWithEmptyAxes: false), name)
            XCTAssertEqual(old.initializers[old.nodes[0].inputs[1]]?.ints, [2], name)
            XCTAssertEqual(try single(name + "18").inputs, ["x"], name)
        }
    }
}
