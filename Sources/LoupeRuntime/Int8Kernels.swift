import Foundation
import LoupeIR
import LoupeKernels

/// Which implementation runs the int8 convolutions (pointwise, depthwise, one-group with a
/// window) and int8 GEMMs: Loupe's own kernels (`Kernels/src/gemm/`, `Kernels/src/conv/`) or
/// XNNPACK's QC8 convolution. All give the same codes (XNNPACK's requantization).
///
/// By default the own kernels where they are faster than XNNPACK 2022: on CPUs with AVX-512
/// VNNI (the Debian XNNPACK has no VNNI kernels); elsewhere XNNPACK. The environment
/// variable `LOUPE_INT8_KERNELS` forces one path (`vnni512`, `avx2`, `scalar` or
/// `xnnpack`), so that tests and benchmarks can run each of them on one machine.
enum Int8KernelPath: String, ForcedKernelPath {
    case vnni512
    case avx2
    case scalar
    case xnnpack

    static let environmentVariable = "LOUPE_INT8_KERNELS"
    static let family = "int8 kernel"

    /// The own kernel variant of a path; nil for XNNPACK.
    var gemmISA: loupe_s8_gemm_qc8w_isa? {
        switch self {
        case .vnni512: return loupe_s8_gemm_qc8w_avx512vnni
        case .avx2: return loupe_s8_gemm_qc8w_avx2
        case .scalar: return loupe_s8_gemm_qc8w_scalar
        case .xnnpack: return nil
        }
    }

    /// True when the running CPU can take this path.
    var isAvailable: Bool {
        guard let isa = gemmISA else { return true }
        return loupe_s8_gemm_qc8w_isa_available(isa) != 0
    }

    /// Suffix of the kernel's name (`loupe_s8_gemm_qc8w__avx512vnni`).
    var kernelSuffix: String {
        switch self {
        case .vnni512: return "avx512vnni"
        case .avx2: return "avx2"
        case .scalar: return "scalar"
        case .xnnpack: return "xnnpack"
        }
    }

    /// The path when nothing is forced: own kernels only where measured faster than XNNPACK.
    static var automatic: Int8KernelPath {
        Int8KernelPath.vnni512.isAvailable ? .vnni512 : .xnnpack
    }
}
