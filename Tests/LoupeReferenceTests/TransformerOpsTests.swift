import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

/// Hand-computed cases for the ops that timm's NF-RegNet (training-mode BatchNormalization
/// over its weights) and Swin (LayerNormalization, Split, Mod, Gelu) need.
final class TransformerOpsTests: XCTestCase {
    // MARK: training-mode BatchNormalization

    /// X [2, 2, 2]: channel 0 holds 1, 3 | 5, 7 (mean 4, population variance 5), channel 1
    /// holds 0, 0 | 2, 2 (mean 1, variance 1). The running-statistics inputs hold values
    /// (including a negative variance) that would show if they were read.
    func testBatchNormalizationTrainingUsesBatchStatistics() throws {
        let x = f([2, 2, 2], [1, 3, 0, 0, 5, 7, 2, 2])
        let y = try run1(.batchNormalizationTraining(epsilon: 0),
                         [x, f([2], [2, 1]), f([2], [1, 0]), f([2], [100, 100]), f([2], [-5, -5])])
        assertClose(y, [2, 2, 2], [-1.6832816, 0.1055728, -1, -1, 1.8944272, 3.6832816, 1, 1])
    }

    func testBatchNormalizationTrainingEpsilonAndConstantChannel() throws {
        // A constant channel has variance 0: Y = B (X − mean = 0), finite thanks to epsilon.
        let y = try run1(.batchNormalizationTraining(epsilon: 1e-5),
                         [f([1, 1, 3], [4, 4, 4]), f([1], [3]), f([1], [0.5]), f([1], [0]), f([1], [1])])
        assertClose(y, [1, 1, 3], [0.5, 0.5, 0.5])
    }

    /// timm's ScaledStdConv2d: weight [out, in, kh, kw] viewed as [1, out, in·kh·kw] and
    /// normalised per output channel; each row of the result has mean 0 and variance
    /// gain² (up to epsilon).
    func testWeightStandardizationRows() throws {
        var rng = SeededRandom(seed: 7)
        let w = rng.tensor53([1, 4, 27])
        let gain = f([4], [1, 2, 0.5, 3])
        let y = try run1(.batchNormalizationTraining(epsilon: 1e-6), [w, gain, f([4], [0, 0, 0, 0]), f([4], [0, 0, 0, 0]), f([4], [1, 1, 1, 1])])
        for o in 0..<4 {
            let row = y.floats[(o * 27)..<((o + 1) * 27)].map(Double.init)
            let mean = row.reduce(0, +) / 27
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 27
            XCTAssertEqual(mean, 0, accuracy: 1e-5, "row \(o) (seed 7)")
            XCTAssertEqual(variance, Double(gain.floats[o] * gain.floats[o]), accuracy: 1e-3, "row \(o) (seed 7)")
        }
    }

    func testBatchNormalizationTrainingRejectsBadShapes() {
        assertThrows(["expected [2]"]) {
            _ = try run1(.batchNormalizationTraining(epsilon: 0),
                         [f([1, 2, 2], [1, 2, 3, 4]), f([3], [1, 1, 1]), f([2], [0, 0]), f([2], [0, 0]), f([2], [1, 1])])
        }
        assertThrows(["rank ≥ 2"]) {
            _ = try run1(.batchNormalizationTraining(epsilon: 0),
                         [f([2], [1, 2]), f([2], [1, 1]), f([2], [0, 0]), f([2], [0, 0]), f([2], [1, 1])])
        }
    }

    // MARK: LayerNormalization

    func testLayerNormalizationLastAxisWithStatistics() throws {
        let x = f([2, 3], [1, 2, 3, 2, 4, 6])
        let out = try evalNode(.layerNormalization(axis: -1, epsilon: 0),
                               [x, f([3], [1, 2, 1]), f([3], [0, 0, 1])], outputs: 3)
        XCTAssertEqual(out.count, 3)
        assertClose(out[0], [2, 3], [-1.2247449, 0, 2.2247449, -1.2247449, 0, 2.2247449])
        assertClose(out[1], [2, 1], [2, 4])
        assertClose(out[2], [2, 1], [1.2247449, 0.6123724])
    }

    /// axis 1 of [1, 2, 2] normalises the last two axes together; a [2] Scale broadcasts
    /// over them and B is absent.
    func testLayerNormalizationSeveralAxesBroadcastScaleNoBias() throws {
        let y = try run1(.layerNormalization(axis: 1, epsilon: 0), [f([1, 2, 2], [1, 2, 3, 4]), f([2], [1, -1]), nil])
        assertClose(y, [1, 2, 2], [-1.3416408, 0.4472136, 0.4472136, -1.3416408])
    }

    func testLayerNormalizationShapes() throws {
        var rng = SeededRandom(seed: 3)
        let out = try evalNode(.layerNormalization(axis: 2, epsilon: 1e-5),
                               [rng.tensor53([2, 3, 4, 5]), f([4, 5], Array(repeating: 1, count: 20))], outputs: 3)
        XCTAssertEqual(out.map(\.shape), [[2, 3, 4, 5], [2, 3, 1, 1], [2, 3, 1, 1]])
        assertThrows(["does not broadcast to the normalised shape [5]"]) {
            _ = try run1(.layerNormalization(axis: -1, epsilon: 0), [f([2, 5], Array(repeating: 0, count: 10)), f([4], [1, 1, 1, 1])])
        }
        assertThrows(["out of range"]) {
            _ = try run1(.layerNormalization(axis: 2, epsilon: 0), [f([2, 5], Array(repeating: 0, count: 10)), f([5], [1, 1, 1, 1, 1])])
        }
    }

    // MARK: Split

    func testSplitWithSizes() throws {
        let out = try evalNode(.split(axis: 1), [iota([2, 5]), i64([2, 3])], outputs: 2)
        assertClose(out[0], [2, 2], [0, 1, 5, 6], tol: 0)
        assertClose(out[1], [2, 3], [2, 3, 4, 7, 8, 9], tol: 0)
    }

    /// Without sizes: parts of ceil(7 / 3) = 3, the last one shorter (opset 18).
    func testSplitEqualPartsAndShorterLast() throws {
        let out = try evalNode(.split(axis: 0), [iota([7])], outputs: 3)
        XCTAssertEqual(out.map(\.shape), [[3], [3], [1]])
        XCTAssertEqual(out[2].floats, [6])
        let ints = try evalNode(.split(axis: -1), [i64([2, 2], [1, 2, 3, 4])], outputs: 2)
        XCTAssertEqual(ints.map(\.ints), [[1, 3], [2, 4]])
        XCTAssertEqual(ints[0].dtype, .int64)
    }

    func testSplitRejectsBadSizes() {
        assertThrows(["sum to the axis length 5"]) { _ = try evalNode(.split(axis: 1), [iota([2, 5]), i64([2, 2])], outputs: 2) }
        assertThrows(["2 entries for 3 outputs"]) { _ = try evalNode(.split(axis: 1), [iota([2, 5]), i64([2, 3])], outputs: 3) }
        assertThrows(["cannot split an axis of length 4 into 3 parts"]) { _ = try evalNode(.split(axis: 0), [iota([4])], outputs: 3) }
    }

    // MARK: Mod

    func testIntegerModFollowsDivisorOrDividendSign() throws {
        let a = i64([-7, 7, -7, 7]), b = i64([3, 3, -3, -3])
        XCTAssertEqual(try run1(.mod(fmod: false), [a, b]).ints, [2, 1, -1, -2])  // Python %
        XCTAssertEqual(try run1(.mod(fmod: true), [a, b]).ints, [-1, 1, -1, 1])  // C fmod
        XCTAssertEqual(try run1(.mod(fmod: false), [i64([6, 7, 8]), i64([1], [7])]).ints, [6, 0, 1])
    }

    func testFloatModAndErrors() throws {
        let y = try run1(.mod(fmod: true), [f([3], [5.5, -5.5, 5.5]), f([3], [2, 2, -2])])
        assertClose(y, [3], [1.5, -1.5, 1.5], tol: 0)
        assertThrows(["fmod", "must be 1"]) { _ = try run1(.mod(fmod: false), [f([1], [1]), f([1], [2])]) }
        assertThrows(["modulo by zero"]) { _ = try run1(.mod(fmod: false), [i64([1]), i64([0])]) }
        assertThrows(["differs"]) { _ = try run1(.mod(fmod: true), [f([1], [1]), i64([2])]) }
    }

    // MARK: Gelu

    func testGeluExactAndTanh() throws {
        let x = f([4], [0, 1, -1, 2])
        assertClose(try run1(.gelu(tanhApproximation: false), [x]), [4], [0, 0.8413447, -0.1586553, 1.9544997], tol: 1e-6)
        assertClose(try run1(.gelu(tanhApproximation: true), [x]), [4], [0, 0.8411920, -0.1588080, 1.9545977], tol: 1e-6)
        assertThrows(["floating-point"]) { _ = try run1(.gelu(tanhApproximation: false), [i64([1])]) }
    }
}
