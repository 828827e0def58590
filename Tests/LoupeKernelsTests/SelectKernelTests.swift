import XCTest
import LoupeKernels

/// Where, the comparisons, Cast and the run-time Gather against direct Swift statements of
/// their contracts, with broadcast (stride 0) axes and split row ranges.
final class SelectKernelTests: XCTestCase {
    /// Row-major strides of `shape` read as `out` (0 where the input's extent is 1).
    func strides(_ shape: [Int], _ out: [Int]) -> [Int] {
        var s = [Int](repeating: 0, count: out.count), step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = out.count - shape.count + d
            s[o] = shape[d] == 1 ? 0 : step
            step *= shape[d]
        }
        return s
    }

    /// The element of an input of `shape` that output index `i` of `out` reads.
    func source(_ i: Int, _ shape: [Int], _ out: [Int]) -> Int {
        let s = strides(shape, out)
        var rest = i, offset = 0
        for d in stride(from: out.count - 1, through: 0, by: -1) {
            offset += (rest % out[d]) * s[d]
            rest /= out[d]
        }
        return offset
    }

    func testWhereBroadcastsEveryOperandAndSplitsRows() {
        let out = [2, 3, 4], sc = [3, 1], sx = [2, 1, 4], sy = [1]
        let count = out.reduce(1, *)
        let cond: [UInt8] = [1, 0, 1]
        let x: [Int64] = (0..<8).map { Int64($0) * 1_000_000_007 }
        let y: [Int64] = [-5]
        var got = [Int64](repeating: 0, count: count)
        let rows = 6
        for (lo, hi) in [(0, 2), (2, 5), (5, rows)] {
            got.withUnsafeMutableBytes { o in
                loupe_where__scalar(8, out.count, out, cond, strides(sc, out), x, strides(sx, out), y, strides(sy, out),
                                    o.baseAddress!, lo, hi)
            }
        }
        for i in 0..<count {
            let want = cond[source(i, sc, out)] != 0 ? x[source(i, sx, out)] : y[source(i, sy, out)]
            XCTAssertEqual(got[i], want, "element \(i)")
        }
    }

    func testComparisonsOnEachTypeWithNaNFalse() {
        let out = [3, 2], sa = [3, 2], sb = [2]
        let a: [Float] = [1, .nan, 2, 3, -1, 0], b: [Float] = [2, 0]
        let ops: [(loupe_compare, (Float, Float) -> Bool)] = [
            (loupe_compare_equal, { $0 == $1 }), (loupe_compare_less, { $0 < $1 }),
            (loupe_compare_less_or_equal, { $0 <= $1 }), (loupe_compare_greater, { $0 > $1 }),
            (loupe_compare_greater_or_equal, { $0 >= $1 }),
        ]
        for (op, f) in ops {
            var got = [UInt8](repeating: 9, count: 6)
            loupe_compare__scalar(op, loupe_compare_f32, 2, out, a, strides(sa, out), b, strides(sb, out), &got, 0, 3)
            let want = (0..<6).map { f(a[$0], b[source($0, sb, out)]) ? UInt8(1) : 0 }
            XCTAssertEqual(got, want, "\(op)")
            // The same comparison on int64 values (NaN aside).
            let ai: [Int64] = [1, 7, 2, 3, -1, 0], bi: [Int64] = [2, 0]
            loupe_compare__scalar(op, loupe_compare_s64, 2, out, ai, strides(sa, out), bi, strides(sb, out), &got, 0, 3)
            XCTAssertEqual(got, (0..<6).map { f(Float(ai[$0]), Float(bi[source($0, sb, out)])) ? UInt8(1) : 0 }, "\(op) s64")
        }
    }

    func testConvertTruncatesSaturatesAndMapsNaNToZero() {
        let x: [Float] = [1.9, -1.9, 3e9, -3e9, .nan, 0]
        var s32 = [Int32](repeating: 7, count: x.count)
        loupe_convert(loupe_element_f32, loupe_element_s32, x.count, x, &s32)
        XCTAssertEqual(s32, [1, -1, Int32.max, Int32.min, 0, 0])
        var b = [UInt8](repeating: 7, count: x.count)
        loupe_convert(loupe_element_f32, loupe_element_bool, x.count, x, &b)
        XCTAssertEqual(b, [1, 1, 1, 1, 1, 0], "NaN is not zero: true")
        let ids: [Int64] = [Int64(1) << 40, -3]
        var f = [Float](repeating: 0, count: 2)
        loupe_convert(loupe_element_s64, loupe_element_f32, 2, ids, &f)
        XCTAssertEqual(f, [Float(Int64(1) << 40), -3])
    }

    func testGatherCountsOutOfRangeIdsAndZeroesTheirSlabs() {
        // data [outer 2, axis 4, inner 3] of int32; ids with a negative and an out-of-range one.
        let data: [Int32] = (0..<24).map { Int32($0) }
        let ids: [Int64] = [3, -1, 4, 0]
        var out = [Int32](repeating: -7, count: 2 * ids.count * 3)
        let bad = loupe_gather(4, 2, 4, 3, data, ids, 1, ids.count, &out)
        XCTAssertEqual(bad, 1)
        for o in 0..<2 {
            for (k, id) in ids.enumerated() {
                for c in 0..<3 {
                    let want: Int32 = id == 4 ? 0 : data[(o * 4 + Int(id < 0 ? id + 4 : id)) * 3 + c]
                    XCTAssertEqual(out[(o * ids.count + k) * 3 + c], want, "outer \(o) id \(id)")
                }
            }
        }
    }
}
