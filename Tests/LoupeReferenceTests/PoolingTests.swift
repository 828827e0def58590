import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

final class PoolingTests: XCTestCase {
    func pool(_ k: [Int], s: [Int], p: [Int] = [0, 0, 0, 0], d: [Int] = [], ceil: Bool = false,
              include: Bool = false, auto: AutoPad = .notSet, layout: Layout = .nchw) -> PoolAttributes {
        PoolAttributes(kernelShape: k, strides: s, dilations: d, pads: p, autoPad: auto, ceilMode: ceil,
                       countIncludePad: include, layout: layout)
    }

    func testAveragePoolCountIncludePad() throws {
        let ones = f([1, 1, 3, 3], Array(repeating: 1, count: 9))
        // Typed constants: Swift 6.0 reads a quotient like `4.0 / 9` in a [Float] literal as Double.
        let (corner, edge): (Float, Float) = (4.0 / 9, 6.0 / 9)
        assertClose(try run1(.averagePool(pool([3, 3], s: [1, 1], p: [1, 1, 1, 1], include: true)), [ones]), [1, 1, 3, 3],
                    [corner, edge, corner, edge, 1, edge, corner, edge, corner])
        assertClose(try run1(.averagePool(pool([3, 3], s: [1, 1], p: [1, 1, 1, 1])), [ones]), [1, 1, 3, 3], Array(repeating: 1, count: 9))
    }

    func testAveragePoolCeilModeIgnoresExtraWindow() throws {
        let x = iota([1, 1, 3, 3], from: 1)
        for include in [false, true] {
            assertClose(try run1(.averagePool(pool([2, 2], s: [2, 2], ceil: true, include: include)), [x]), [1, 1, 2, 2],
                        [3, 4.5, 7.5, 9], "include=\(include)")
        }
    }

    func testMaxPoolDilationsAndIndices() throws {
        let x = iota([1, 1, 4, 4])
        let out = try evalNode(.maxPool(pool([2, 2], s: [1, 1], d: [2, 2])), [x], outputs: 2)
        assertClose(out[0], [1, 1, 2, 2], [10, 11, 14, 15])
        XCTAssertEqual(out[1].ints, [10, 11, 14, 15])
        // ceil_mode with a SAME-size remainder: [0..4] k2 s2 → windows {0,1},{2,3},{4}.
        assertClose(try run1(.maxPool(pool([2], s: [2], p: [0, 0], ceil: true)), [iota([1, 1, 5])]), [1, 1, 3], [1, 3, 4])
    }

    func testPoolNHWC() throws {
        var rng = SeededRandom(seed: 11)
        let x = rng.tensor53([1, 3, 5, 6])
        let a = pool([3, 2], s: [2, 2], p: [1, 0, 1, 1], ceil: true, include: true)
        var b = a
        b.layout = .nhwc
        let ref = try run1(.averagePool(a), [x])
        let y = try run1(.averagePool(b), [try run1(.transpose(perm: [0, 2, 3, 1]), [x])])
        let back = try run1(.transpose(perm: [0, 3, 1, 2]), [y])
        assertClose(back, ref.shape, ref.floats, "seed 11")
    }

    func testGlobalPools() throws {
        let x = f([1, 2, 1, 2], [1, 3, -1, 5])
        assertClose(try run1(.globalAveragePool(layout: .nchw), [x]), [1, 2, 1, 1], [2, 2])
        assertClose(try run1(.globalMaxPool(layout: .nchw), [x]), [1, 2, 1, 1], [3, 5])
        assertClose(try run1(.globalAveragePool(layout: .nhwc), [f([1, 1, 2, 2], [1, 3, -1, 5])]), [1, 1, 1, 2], [0, 4])
    }

    func testReduce() throws {
        let x = f([2, 2], [1, 2, 3, 4])
        assertClose(try run1(.reduce(.mean, keepDims: false, noopWithEmptyAxes: false), [x, i64([1])]), [2], [1.5, 3.5])
        assertClose(try run1(.reduce(.sum, keepDims: true, noopWithEmptyAxes: false), [x, nil]), [1, 1], [10])
        assertClose(try run1(.reduce(.l2, keepDims: false, noopWithEmptyAxes: false), [x, i64([-2])]), [2], [3.1622777, 4.472136])
        assertClose(try run1(.reduce(.max, keepDims: true, noopWithEmptyAxes: true), [x, i64([])]), [2, 2], [1, 2, 3, 4])
        assertClose(try run1(.reduce(.sumSquare, keepDims: false, noopWithEmptyAxes: false), [x, i64([0])]), [2], [10, 20])
        XCTAssertEqual(try run1(.reduce(.prod, keepDims: false, noopWithEmptyAxes: false), [i64([2, 3, 4]), nil]).ints, [24])
    }

    func testBatchNormAndSoftmax() throws {
        let x = f([1, 2, 1, 1], [1, 2])
        let y = try run1(.batchNormalization(epsilon: 0, layout: .nchw),
                         [x, f([2], [2, 3]), f([2], [1, 1]), f([2], [0, 1]), f([2], [4, 1])])
        assertClose(y, [1, 2, 1, 1], [2, 4])
        assertClose(try run1(.softmax(axis: -1, legacyCoerce2D: false), [f([1, 3], [1, 2, 3])]), [1, 3],
                    [0.09003057, 0.24472847, 0.66524096])
        // Axis 0 of [2, 2]: per column.
        assertClose(try run1(.softmax(axis: 0, legacyCoerce2D: false), [f([2, 2], [0, 0, 1, 0])]), [2, 2],
                    [0.26894142, 0.5, 0.73105858, 0.5])
        // Legacy: flatten from axis 0 → all four together.
        assertClose(try run1(.softmax(axis: 0, legacyCoerce2D: true), [f([2, 2], [0, 0, 0, 0])]), [2, 2], [0.25, 0.25, 0.25, 0.25])
    }
}
