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
enum Int8KernelPath: String, CaseIterable, Sendable {
    case vnni512
    case avx2
    case scalar
    case xnnpack

    static let environmentVariable = "LOUPE_INT8_KERNELS"

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

    /// The path in effect now: `LOUPE_INT8_KERNELS` when set (read at each lowering, so a
    /// process can compile one model per path), else `automatic`. A value that names no
    /// path, or a path the CPU cannot run, is an error naming the node being lowered.
    static func current(for node: Node) throws -> Int8KernelPath {
        guard let raw = getenv(environmentVariable), let text = String(validatingCString: raw), !text.isEmpty else {
            return automatic
        }
        guard let path = Int8KernelPath(rawValue: text.lowercased()) else {
            throw LoupeError.backend(node.reference, reason: "\(environmentVariable)=\(text) names no int8 kernel path (expected one of \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard path.isAvailable else {
            throw LoupeError.backend(node.reference, reason: "\(environmentVariable)=\(text): this CPU lacks the instructions of that path")
        }
        return path
    }
}
