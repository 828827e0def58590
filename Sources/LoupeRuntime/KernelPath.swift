import Foundation
import LoupeIR

/// A choice between implementations of one family of operators (Loupe's own kernel variants
/// or XNNPACK) that an environment variable can force, so that tests and benchmarks run every
/// path on one machine; otherwise `automatic` picks the one measured fastest for this CPU.
protocol ForcedKernelPath: RawRepresentable<String>, CaseIterable, Sendable {
    /// The environment variable that forces a path (`LOUPE_INT8_KERNELS`, …).
    static var environmentVariable: String { get }
    /// What the paths choose between, for messages ("int8 kernel").
    static var family: String { get }
    /// The path when nothing is forced.
    static var automatic: Self { get }
    /// True when the running CPU can take this path.
    var isAvailable: Bool { get }
}

extension ForcedKernelPath {
    /// The path in effect now: the environment variable when set (read at each lowering, so a
    /// process can compile one model per path), else `automatic`. A value that names no
    /// path, or a path the CPU cannot run, is an error naming the node being lowered.
    static func current(for node: Node) throws -> Self {
        guard let raw = getenv(environmentVariable), let text = String(validatingCString: raw), !text.isEmpty else {
            return automatic
        }
        guard let path = Self(rawValue: text.lowercased()) else {
            throw LoupeError.backend(node.reference, reason: "\(environmentVariable)=\(text) names no \(family) path (expected one of \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard path.isAvailable else {
            throw LoupeError.backend(node.reference, reason: "\(environmentVariable)=\(text): this CPU lacks the instructions of that path")
        }
        return path
    }
}
