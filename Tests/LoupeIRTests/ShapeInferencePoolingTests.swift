import XCTest
@testable import LoupeIR
import LoupeTestSupport

final class ShapeInferencePoolingTests: XCTestCase {
    func pool(_ k: [Int], s: [Int], p: [Int] = [0, 0, 0, 0], d: [Int] = [], ceil: Bool = false,
              auto: AutoPad = .notSet, layout: Layout = .nchw) -> PoolAttributes {
        PoolAttributes(kernelShape: k, strides: s, dilations: d, pads: p, autoPad: auto, ceilMode: ceil, layout: layout)
    }

    func testCeilMode() throws {
        // floor((6 − 3)/2) + 1 = 2; ceil gives 3.
        XCTAssertEqual(try infer(.maxPool(pool([3, 3], s: [2, 2])), [[1, 1, 6, 6]]).staticShape, [1, 1, 2, 2])
        XCTAssertEqual(try infer(.maxPool(pool([3, 3], s: [2, 2], ceil: true)), [[1, 1, 6, 6]]).staticShape, [1, 1, 3, 3])
        // The last window would start at 2·2 = 4 ≥ 3 + 1 (in + padBegin): dropped, so 2 not 3.
        XCTAssertEqual(try infer(.averagePool(pool([2, 2], s: [2, 2], p: [1, 1, 1, 1], ceil: true)), [[1, 1, 3, 3]]).staticShape,
                       [1, 1, 2, 2])
    }

    func testPadsNotSmallerThanTheKernelAreRejected() throws {
        // A window wholly in the padding has nothing to pool: ONNX requires pads < kernel_shape.
        for p in [[2, 0, 0, 0], [0, 0, 0, 3], [0, 5, 0, 0]] {
            assertThrows(["AveragePool node", "'n'", "pads", "not smaller than the kernel size"]) {
                _ = try infer(.averagePool(pool([2, 3], s: [1, 1], p: p)), [[1, 1, 8, 8]])
            }
            assertThrows(["MaxPool node", "pads", "not smaller than the kernel size"]) {
                _ = try infer(.maxPool(pool([2, 3], s: [1, 1], p: p)), [[1, 1, 8, 8]])
            }
        }
        // The largest legal pads, and SAME padding (computed, may reach the dilated window), pass.
        XCTAssertEqual(try infer(.averagePool(pool([2, 3], s: [1, 1], p: [1, 2, 1, 2])), [[1, 1, 8, 8]]).staticShape, [1, 1, 9, 10])
        XCTAssertEqual(try infer(.maxPool(pool([2, 2], s: [1, 1], d: [3, 3], auto: .sameUpper)), [[1, 1, 8, 8]]).staticShape,
                       [1, 1, 8, 8])
    }

    func testDilationAndAutoPad() throws {
        // Window (3−1)·2 + 1 = 5: (9 − 5)/1 + 1 = 5.
        XCTAssertEqual(try infer(.maxPool(pool([3, 3], s: [1, 1], d: [2, 2])), [[1, 2, 9, 9]]).staticShape, [1, 2, 5, 5])
        XCTAssertEqual(try infer(.averagePool(pool([3, 3], s: [2, 2], auto: .sameUpper)), [[1, 2, 9, 8]]).staticShape, [1, 2, 5, 4])
        XCTAssertEqual(try infer(.averagePool(pool([3, 3], s: [2, 2], layout: .nhwc)), [[1, 9, 7, 2]]).staticShape, [1, 4, 3, 2])
    }

    func testMaxPoolIndicesOutput() throws {
        let t = try inferAll(.maxPool(pool([2, 2], s: [2, 2])), [[1, 1, 4, 4]], outputs: 2)
        XCTAssertEqual(t[1], TensorType(.int64, shape: [1, 1, 2, 2]))
    }

    func testGlobalPoolsAndBatchNorm() throws {
        XCTAssertEqual(try infer(.globalAveragePool(layout: .nchw), [[2, 5, 7, 3]]).staticShape, [2, 5, 1, 1])
        XCTAssertEqual(try infer(.globalMaxPool(layout: .nhwc), [[2, 7, 3, 5]]).staticShape, [2, 1, 1, 5])
        XCTAssertEqual(try infer(.batchNormalization(epsilon: 1e-5, layout: .nhwc), [[1, 4, 4, 3], [3], [3], [3], [3]]).staticShape,
                       [1, 4, 4, 3])
        assertThrows(["BatchNormalization", "one per channel"]) {
            _ = try infer(.batchNormalization(epsilon: 1e-5, layout: .nchw), [[1, 4, 4, 3], [3], [3], [3], [3]])
        }
    }

    func testReduce() throws {
        let x: [Int] = [2, 3, 4]
        XCTAssertEqual(try infer(.reduce(.mean, keepDims: true, noopWithEmptyAxes: false), [x, nil]).staticShape, [1, 1, 1])
        XCTAssertEqual(try infer(.reduce(.sum, keepDims: false, noopWithEmptyAxes: false), [x, [1]], constants: [1: ints([-1, 0])]).staticShape, [3])
        XCTAssertEqual(try infer(.reduce(.max, keepDims: false, noopWithEmptyAxes: true), [x, [0]], constants: [1: ints([])]).staticShape, x)
        assertThrows(["ReduceSum", "must be constant"]) {
            _ = try infer(.reduce(.sum, keepDims: false, noopWithEmptyAxes: false), [x, [1]], dtypes: [.float32, .int64])
        }
        XCTAssertEqual(try infer(.softmax(axis: -1, legacyCoerce2D: false), [x]).staticShape, x)
        assertThrows(["axis"]) { _ = try infer(.softmax(axis: 3, legacyCoerce2D: false), [x]) }
    }
}
