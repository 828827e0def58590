import XCTest
import LoupeIR
import LoupeReference
import LoupeTestSupport

final class ConvTests: XCTestCase {
    func testConvValidPadsStride() throws {
        let x = iota([1, 1, 3, 3], from: 1)
        let w = f([1, 1, 2, 2], [1, 1, 1, 1])
        assertClose(try run1(.conv(conv2d(k: [2, 2])), [x, w]), [1, 1, 2, 2], [12, 16, 24, 28])
        // Pad 1, stride 2, 2×2 ones: windows at (-1,-1), (-1,1), (1,-1), (1,1).
        assertClose(try run1(.conv(conv2d(k: [2, 2], s: [2, 2], p: [1, 1, 1, 1])), [x, w]), [1, 1, 2, 2], [1, 5, 11, 28])
    }

    func testConvDilationGroupsBiasClamp() throws {
        let x = iota([1, 1, 5, 5])
        let w = f([1, 1, 2, 2], [1, 1, 1, 1])
        // Dilation 2: x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2] = 4·(5i + j) + 24.
        assertClose(try run1(.conv(conv2d(k: [2, 2], d: [2, 2])), [x, w]), [1, 1, 3, 3], [24, 28, 32, 44, 48, 52, 64, 68, 72])
        // Groups: channel 0 × 1 + 10, channel 1 × 2 − 1 (1×1 kernels).
        let x2 = f([1, 2, 1, 2], [1, 2, 3, 4])
        let w2 = f([2, 1, 1, 1], [1, 2])
        assertClose(try run1(.conv(conv2d(k: [1, 1], group: 2)), [x2, w2, f([2], [10, -1])]), [1, 2, 1, 2], [11, 12, 5, 7])
        var clamped = conv2d(k: [1, 1], group: 2)
        clamped.outputMin = 0
        clamped.outputMax = 6
        assertClose(try run1(.conv(clamped), [x2, w2, f([2], [10, -7])]), [1, 2, 1, 2], [6, 6, 0, 1])
    }

    func testConvNHWCMatchesNCHW() throws {
        let seed: UInt64 = 7
        var rng = SeededRandom(seed: seed)
        let x = rng.tensor53([2, 4, 7, 6]), w = rng.tensor53([6, 2, 3, 3]), b = rng.tensor53([6])
        let a = conv2d(k: [3, 3], s: [2, 1], d: [1, 2], p: [1, 2, 0, 1], group: 2)
        var nhwc = a
        nhwc.layout = .nhwc
        let ref = try run1(.conv(a), [x, w, b])
        let y = try run1(.conv(nhwc), [iotaTranspose(x, [0, 2, 3, 1]), w, b])
        let back = try run1(.transpose(perm: [0, 3, 1, 2]), [y])
        assertClose(back, ref.shape, ref.floats, "seed \(seed)")
    }

    func testConvTranspose() throws {
        let x = f([1, 1, 2, 2], [1, 2, 3, 4])
        let w = f([1, 1, 2, 2], [1, 1, 1, 1])
        assertClose(try run1(.convTranspose(conv2d(k: [2, 2])), [x, w]), [1, 1, 3, 3], [1, 3, 2, 4, 10, 6, 3, 7, 4])
        assertClose(try run1(.convTranspose(conv2d(k: [2, 2], s: [2, 2])), [x, w]), [1, 1, 4, 4],
                    [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // Pads crop the full result; output_padding adds a zero row/column at the end.
        assertClose(try run1(.convTranspose(conv2d(k: [2, 2], p: [1, 1, 0, 0], outputPadding: [1, 0])), [x, w]),
                    [1, 1, 3, 2], [10, 6, 7, 4, 0, 0])
    }

    func testGemm() throws {
        let a = f([2, 2], [1, 2, 3, 4]), b = f([2, 2], [5, 6, 7, 8])
        assertClose(try run1(.gemm(GemmAttributes(alpha: 2, beta: 0.5)), [a, b, f([2], [1, 2])]), [2, 2], [38.5, 45, 86.5, 101])
        // Aᵀ·Bᵀ = (B·A)ᵀ: B·A = [[23, 34], [31, 46]].
        assertClose(try run1(.gemm(GemmAttributes(transA: true, transB: true)), [a, b, nil]), [2, 2], [23, 31, 34, 46])
        assertClose(try run1(.gemm(GemmAttributes(beta: 1, outputMin: 0, outputMax: 40)), [a, b, f([2, 1], [-100, 0])]),
                    [2, 2], [0, 0, 40, 40])
    }

    func testMatMul() throws {
        assertClose(try run1(.matMul, [f([3], [1, 2, 3]), f([3], [4, 5, 6])]), [], [32])
        // Batched with broadcast: [2,1,2] · [2,1] → [2,1,1].
        assertClose(try run1(.matMul, [f([2, 1, 2], [1, 2, 3, 4]), f([2, 1], [1, 1])]), [2, 1, 1], [3, 7])
        assertThrows(["MatMul node", "'n'"]) { _ = try run1(.matMul, [f([2, 3], [1, 2, 3, 4, 5, 6]), f([2], [1, 1])]) }
    }
}

func iotaTranspose(_ t: Tensor, _ perm: [Int]) throws -> Tensor { try run1(.transpose(perm: perm), [t]) }
