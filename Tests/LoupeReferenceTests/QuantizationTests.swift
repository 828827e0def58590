import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

/// QuantizeLinear / DequantizeLinear in the reference interpreter: codes are compared
/// exactly (they are integers), dequantized values exactly too (one float32 rounding of an
/// exact product, as in the ONNX reference).
final class QuantizationTests: XCTestCase {
    func codes(_ dtype: DType, _ v: [Int64], shape: [Int]? = nil) -> Tensor {
        Tensor(shape: shape ?? [v.count], ints: v, dtype: dtype)
    }

    func quantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int = 1) throws -> Tensor {
        try run1(.quantizeLinear(axis: axis, saturate: true), [x, scale, zeroPoint])
    }

    func testTiesRoundHalfToEven() throws {
        // x / scale = 2.5 → 2, 3.5 → 4, −2.5 → −2, −3.5 → −4, 0.5 → 0, 1.5 → 2.
        let y = try quantize(f([6], [2.5, 3.5, -2.5, -3.5, 0.5, 1.5]), scale: f([], [1]), zeroPoint: codes(.int8, [0], shape: []))
        XCTAssertEqual(y.dtype, .int8)
        XCTAssertEqual(y.shape, [6])
        XCTAssertEqual(y.ints, [2, 4, -2, -4, 0, 2])
        // The same ties through a scale: 1.25 / 0.5 = 2.5, 1.75 / 0.5 = 3.5; then + zero point.
        let z = try quantize(f([2], [1.25, 1.75]), scale: f([], [0.5]), zeroPoint: codes(.uint8, [10], shape: []))
        XCTAssertEqual(z.ints, [12, 14])
    }

    func testDivisionIsFloat32() throws {
        // 29.75 / 0.1f is 297.4999955… exactly but 297.5 once rounded to float32, which the
        // ONNX reference (numpy float32 division) then rounds to the even 298; a double
        // division would give 297. Likewise 29.45 / 0.1f → 294.5 → 294 (double: 295).
        let y = try quantize(f([2], [29.75, 29.45]), scale: f([], [0.1]), zeroPoint: codes(.int16, [0], shape: []))
        XCTAssertEqual(y.ints, [298, 294])
        XCTAssertEqual(y.dtype, .int16)
    }

    func testDefaultIsUint8AndSaturates() throws {
        let x = f([9], [-1, 300, 255.4, 255.6, .infinity, -.infinity, .nan, 1e30, -1e30])
        let y = try quantize(x, scale: f([], [1]), zeroPoint: nil)
        XCTAssertEqual(y.dtype, .uint8)
        // NaN gives the lowest code, as ONNX Runtime and the ONNX reference (x86) do.
        XCTAssertEqual(y.ints, [0, 255, 255, 255, 255, 0, 0, 255, 0])
        let s8 = try quantize(x, scale: f([], [1]), zeroPoint: codes(.int8, [10], shape: []))
        XCTAssertEqual(s8.ints, [9, 127, 127, 127, 127, -128, -128, 127, -128])
        let u16 = try quantize(f([3], [70000, -3, 1.5]), scale: f([], [1]), zeroPoint: codes(.uint16, [1], shape: []))
        XCTAssertEqual(u16.ints, [65535, 0, 3])
        let s16 = try quantize(f([3], [-70000, 70000, 2.5]), scale: f([], [1]), zeroPoint: codes(.int16, [-1], shape: []))
        XCTAssertEqual(s16.ints, [-32768, 32767, 1])
    }

    func testPerAxisQuantize() throws {
        // x [2, 3, 2]; three scales and zero points along axis 1 (written 1 and −2).
        let x = f([2, 3, 2], [0.5, -1, 2, 3, -4, 10, 1, 1, 1, 1, 1, 1])
        let scale = f([3], [0.5, 1, 2])
        let zp = codes(.int8, [0, 5, -3])
        let expected: [Int64] = [1, -2, 7, 8, -5, 2, 2, 2, 6, 6, -3, -3]
        for axis in [1, -2] {
            let y = try quantize(x, scale: scale, zeroPoint: zp, axis: axis)
            XCTAssertEqual(y.ints, expected, "axis \(axis)")
        }
        // A 1-D scale of one element is per tensor whatever the axis.
        let one = try quantize(x, scale: f([1], [2]), zeroPoint: codes(.uint8, [1]), axis: 0)
        XCTAssertEqual(one.ints, [1, 1, 2, 3, 0, 6, 1, 1, 1, 1, 1, 1])
    }

    func testDequantize() throws {
        let y = try run1(.dequantizeLinear(axis: 1), [codes(.uint8, [0, 3, 128, 255]), f([], [0.5]), codes(.uint8, [128], shape: [])])
        XCTAssertEqual(y.dtype, .float32)
        XCTAssertEqual(y.floats, [-64, -62.5, 0, 63.5])
        // Without a zero point the codes are taken as they are.
        let s8 = try run1(.dequantizeLinear(axis: 1), [codes(.int8, [-128, 127]), f([], [0.25]), nil])
        XCTAssertEqual(s8.floats, [-32, 31.75])
        // Per axis 0 of a [2, 2] weight.
        let w = try run1(.dequantizeLinear(axis: 0), [codes(.int8, [1, -1, 2, -2], shape: [2, 2]), f([2], [0.5, 0.125]),
                                                       codes(.int8, [0, 1])])
        XCTAssertEqual(w.floats, [0.5, -0.5, 0.125, -0.375])
        // int32 bias codes: (x − zp) rounded to float32 (123456789 → 123456792), then a
        // float32 product, as in ONNX Runtime.
        let scale: Float = 0.0013
        let b = try run1(.dequantizeLinear(axis: 1), [codes(.int32, [123_456_789, -5]), f([], [scale]),
                                                       codes(.int32, [-3], shape: [])])
        XCTAssertEqual(b.floats, [Float(123_456_792) * scale, -2 * scale])
    }

    func testRoundTripIsWithinHalfAStep() throws {
        var rng = SeededRandom(seed: 7)
        let x = rng.tensor53([4, 16])
        let scale: Float = 2.0 / 255, zp: Int64 = -3
        let q = try quantize(x, scale: f([], [scale]), zeroPoint: codes(.int8, [zp], shape: []))
        let back = try run1(.dequantizeLinear(axis: 1), [q, f([], [scale]), codes(.int8, [zp], shape: [])])
        for (a, b) in zip(x.floats, back.floats) {
            XCTAssertLessThanOrEqual(abs(a - b), scale / 2 * 1.0001, "seed 7: \(a) → \(b)")
        }
    }

    func testBadParametersThrowNamingTheNode() {
        let x = f([2, 3], [1, 2, 3, 4, 5, 6])
        assertThrows(["QuantizeLinear node", "positive and finite"]) {
            _ = try self.quantize(x, scale: f([], [0]), zeroPoint: nil)
        }
        assertThrows(["QuantizeLinear node", "positive and finite"]) {
            _ = try self.quantize(x, scale: f([3], [1, -1, 1]), zeroPoint: nil)
        }
        assertThrows(["2 scales for axis 1 of size 3"]) {
            _ = try self.quantize(x, scale: f([2], [1, 1]), zeroPoint: codes(.int8, [0, 0]))
        }
        assertThrows(["zero point shape"]) {
            _ = try self.quantize(x, scale: f([3], [1, 1, 1]), zeroPoint: codes(.int8, [0, 0]))
        }
        assertThrows(["DequantizeLinear node", "zero point type int8 differs from the codes' uint8"]) {
            _ = try run1(.dequantizeLinear(axis: 1), [self.codes(.uint8, [1]), f([], [1]), self.codes(.int8, [0], shape: [])])
        }
        assertThrows(["DequantizeLinear node", "expected integer codes"]) {
            _ = try run1(.dequantizeLinear(axis: 1), [x, f([], [1]), nil])
        }
        assertThrows(["zero point element 0 is 300"]) {
            _ = try self.quantize(x, scale: f([], [1]), zeroPoint: self.codes(.uint8, [300], shape: []))
        }
    }
}
