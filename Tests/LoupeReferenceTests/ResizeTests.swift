import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

final class ResizeTests: XCTestCase {
    let x = f([1, 1, 1, 2], [1, 2])
    let up = f([4], [1, 1, 1, 2])

    func testNearest() throws {
        let a = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .floor)
        assertClose(try run1(.resize(a), [x, nil, up]), [1, 1, 1, 4], [1, 1, 2, 2])
        // half_pixel, 3 → 2 sizes: x_ori = 0.25, 1.75 → round_prefer_floor 0, 2.
        let b = ResizeAttributes(mode: .nearest)
        assertClose(try run1(.resize(b), [f([1, 1, 1, 3], [1, 2, 3]), nil, nil, i64([1, 1, 1, 2])]), [1, 1, 1, 2], [1, 3])
        // round_prefer_ceil vs floor at exactly .5: asymmetric scale 2 upsampling, x_ori = 0.5.
        let c = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .roundPreferCeil)
        assertClose(try run1(.resize(c), [x, nil, up]), [1, 1, 1, 4], [1, 2, 2, 2])
        let d = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .roundPreferFloor)
        assertClose(try run1(.resize(d), [x, nil, up]), [1, 1, 1, 4], [1, 1, 2, 2])
    }

    func testLinear() throws {
        let a = ResizeAttributes(mode: .linear)
        assertClose(try run1(.resize(a), [x, nil, up]), [1, 1, 1, 4], [1, 1.25, 1.75, 2])
        let b = ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners)
        assertClose(try run1(.resize(b), [x, nil, nil, i64([1, 1, 1, 3])]), [1, 1, 1, 3], [1, 1.5, 2])
        // tf_crop_and_resize over roi [0.5, 1] of the last axis, 3 outputs: x_ori = 0.5, 0.75, 1.
        let c = ResizeAttributes(mode: .linear, coordinateTransformation: .tfCropAndResize, extrapolationValue: -1)
        let roi = f([8], [0, 0, 0, 0.5, 1, 1, 1, 1])
        assertClose(try run1(.resize(c), [x, roi, nil, i64([1, 1, 1, 3])]), [1, 1, 1, 3], [1.5, 1.75, 2])
        // roi beyond the input: extrapolation value.
        let roi2 = f([8], [0, 0, 0, 0.5, 1, 1, 1, 2])
        assertClose(try run1(.resize(c), [x, roi2, nil, i64([1, 1, 1, 3])]), [1, 1, 1, 3], [1.5, -1, -1])
    }

    func testNHWCMatchesNCHW() throws {
        var rng = SeededRandom(seed: 5)
        let x = rng.tensor53([1, 3, 4, 5])
        let a = ResizeAttributes(mode: .cubic, coordinateTransformation: .halfPixel, excludeOutside: true)
        var b = a
        b.layout = .nhwc
        let scales = f([4], [1, 1, 1.5, 0.6])
        let ref = try run1(.resize(a), [x, nil, scales])
        let y = try run1(.resize(b), [try run1(.transpose(perm: [0, 2, 3, 1]), [x]), nil, scales])
        assertClose(try run1(.transpose(perm: [0, 3, 1, 2]), [y]), ref.shape, ref.floats, "seed 5")
    }
}
