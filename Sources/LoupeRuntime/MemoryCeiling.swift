import Foundation
import LoupeIR

/// The most memory a compiled model may take, checked before anything is allocated: a tiny
/// file can declare a tensor of terabytes, and allocating it would abort the process.
public enum MemoryCeiling {
    /// The machine's physical memory: the arena is zero-filled when it is allocated, so one
    /// larger than the memory can never be resident, while a smaller one may fit (capturing
    /// every activation for calibration takes gigabytes). Callers that share the machine
    /// set a lower `CompileOptions.memoryLimit`.
    public static var defaultBytes: Int {
        Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// Throws `LoupeError.memoryLimit` naming the first graph input or node output that alone
    /// needs more than `limit` bytes (or whose size overflows), so that no later stage
    /// multiplies an unchecked shape. Values without a static shape are left to the stages
    /// that require one.
    public static func checkValues(of graph: Graph, limit: Int) throws {
        func check(_ name: String, _ type: TensorType, _ node: NodeReference?, _ what: String) throws {
            guard type.staticShape != nil else { return }
            guard let bytes = type.byteCount else {
                throw LoupeError.memoryLimit(node, reason: "\(what) '\(name)' of type \(type) has a size that overflows a 64-bit byte count")
            }
            if bytes > limit {
                throw LoupeError.memoryLimit(
                    node, reason: "\(what) '\(name)' of type \(type) needs \(formatByteCount(bytes)), "
                        + "over the memory limit of \(formatByteCount(limit))")
            }
        }
        for input in graph.inputs where graph.constant(input.name) == nil {
            try check(input.name, input.type, nil, "graph input")
        }
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty {
                if let t = graph.type(of: output) { try check(output, t, node.reference, "output") }
            }
        }
    }
}
