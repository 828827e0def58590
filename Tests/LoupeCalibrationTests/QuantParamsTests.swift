import XCTest
@testable import LoupeCalibration
import LoupeIR
import LoupeTestSupport

/// SplitMix64: replicable streams whose seed goes into failure messages.
final class QuantParamsTests: XCTestCase {
    func testRangeAlwaysIncludesZeroAndZeroIsExact() throws {
        for (lo, hi) in [(Float(0.5), Float(3)), (-4, -1), (-1, 2), (0, 6), (-7.3, 0.01)] {
            let p = try Quantization.activationParams(min: lo, max: hi)
            XCTAssertEqual(p.dequantize(p.quantize(0)), 0, "[\(lo), \(hi)]")
            XCTAssertEqual(p.quantize(0), Int8(p.zeroPoint))
            let rmin = min(lo, 0), rmax = max(hi, 0)
            XCTAssertEqual(p.scale, (rmax - rmin) / 255, accuracy: 1e-7, "[\(lo), \(hi)]")
        }
        XCTAssertEqual(try Quantization.activationParams(min: 0.5, max: 3).zeroPoint, -128)
        XCTAssertEqual(try Quantization.activationParams(min: -4, max: -1).zeroPoint, 127)
        XCTAssertEqual(try Quantization.activationParams(min: 0, max: 0), ValueQuantization.perTensor(scale: 1, zeroPoint: 0))
        XCTAssertThrowsError(try Quantization.activationParams(min: .nan, max: 1))
        XCTAssertThrowsError(try Quantization.activationParams(min: 2, max: 1))
    }

    func testRoundTripWithinHalfStepAndSaturation() throws {
        let seed: UInt64 = 0xC0FFEE
        var rng = SeededRandom(seed: seed)
        for _ in 0..<50 {
            let lo = rng.randomFloat(in: -10..<1), hi = rng.randomFloat(in: 0.1..<10)
            let p = try Quantization.activationParams(min: lo, max: hi)
            let rmin = min(lo, 0), rmax = max(hi, 0)
            for _ in 0..<200 {
                let x = rng.randomFloat(in: rmin..<rmax)
                let err = abs(p.dequantize(p.quantize(x)) - x)
                XCTAssertLessThanOrEqual(err, p.scale / 2 * 1.0001, "seed \(seed) x \(x) range [\(lo), \(hi)]")
            }
            XCTAssertEqual(p.quantize(rmax + 100 * p.scale), 127, "seed \(seed)")
            XCTAssertEqual(p.quantize(rmin - 100 * p.scale), -128, "seed \(seed)")
        }
        let p = ValueQuantization.perTensor(scale: 1, zeroPoint: 0)
        XCTAssertEqual(p.quantize(.infinity), 127)
        XCTAssertEqual(p.quantize(-.infinity), -128)
        XCTAssertEqual(p.quantize(.nan), 0)
    }

    func testRoundHalfToEvenLikeQuantizeLinear() {
        let p = ValueQuantization.perTensor(scale: 1, zeroPoint: 0)
        XCTAssertEqual(p.quantize([0.5, 1.5, 2.5, -0.5, -1.5, -2.5]), [0, 2, 2, 0, -2, -2])
        let z = ValueQuantization.perTensor(scale: 0.5, zeroPoint: 3)
        XCTAssertEqual(z.quantize(0.25), 3)   // 0.5 → 0, + 3
        XCTAssertEqual(z.quantize(0.75), 5)   // 1.5 → 2, + 3
        XCTAssertEqual(z.dequantize(5), 1)
    }

    func testPerChannelWeightScales() throws {
        // 3 output channels × 4: max|w| = 2.54, 0 (all zero), 127.
        let w: [Float] = [1, -2.54, 0.5, 0,   0, 0, 0, 0,   -127, 3, 64, 0.4]
        let s = try Quantization.weightScales(w, outputChannels: 3)
        XCTAssertEqual(s[0], 0.02, accuracy: 1e-7)
        XCTAssertEqual(s[1], 1)
        XCTAssertEqual(s[2], 1)
        let q = try Quantization.quantizeWeights(w, scales: s)
        XCTAssertEqual(q, [50, -127, 25, 0,   0, 0, 0, 0,   -127, 3, 64, 0])
        XCTAssertThrowsError(try Quantization.weightScales(w, outputChannels: 5))
        XCTAssertThrowsError(try Quantization.weightScales([1, .nan], outputChannels: 1))
    }

    func testBiasScaleIsInputTimesWeightScale() throws {
        let ws: [Float] = [0.02, 0.5]
        XCTAssertEqual(Quantization.biasScales(inputScale: 0.1, weightScales: ws)[0], 0.002, accuracy: 1e-9)
        XCTAssertEqual(Quantization.biasScales(inputScale: 0.1, weightScales: ws)[1], 0.05, accuracy: 1e-9)
        let b = try Quantization.quantizeBias([1.0, -0.125], inputScale: 0.1, weightScales: ws)
        XCTAssertEqual(b, [500, -2])   // -0.125 / 0.05 = -2.5 → -2 (half to even)
        XCTAssertEqual(try Quantization.quantizeBias([1e30], inputScale: 1e-3, weightScales: [1e-3]), [Int32.max])
        XCTAssertThrowsError(try Quantization.quantizeBias([1], inputScale: 1, weightScales: [1, 2]))
    }

    func testSigmoidOutputParamsAreXNNPACKs() {
        let p = ValueQuantization.xnnpackSigmoidOutput
        XCTAssertEqual(p.scale, 1.0 / 256.0)
        XCTAssertEqual(p.zeroPoint, -128)
        XCTAssertEqual(p.quantize(0), -128)
        XCTAssertEqual(p.quantize(1), 127)   // saturates just below 1
        XCTAssertEqual(p.dequantize(127), 255.0 / 256.0)
    }
}
