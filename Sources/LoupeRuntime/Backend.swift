import CXNNPACK
import Foundation
import LoupeIR

/// XNNPACK is initialised once per process; Swift globals are initialised lazily and
/// thread-safely, which gives the once semantics.
private let xnnInitStatus: xnn_status = xnn_initialize(nil)

/// The XNNPACK this build runs on: its operator API is chosen at build time from the
/// installed xnnpack.h (Sources/CXNNPACK).
public enum XNNPACKVersion {
    /// "2022" (Debian bookworm's 0.0~git20220216) or "2024" (Debian trixie's 0.0~git20241108).
    public static var api: String { String(cString: loupe_xnn_api_name()) }
}

enum Backend {
    /// Initialises XNNPACK (once) or throws.
    static func initialize() throws {
        if xnnInitStatus != xnn_status_success {
            throw LoupeError.backend(nil, reason: "xnn_initialize returned \(statusName(xnnInitStatus)) (unsupported CPU?)")
        }
    }

    static func statusName(_ s: xnn_status) -> String {
        switch s {
        case xnn_status_success: return "xnn_status_success"
        case xnn_status_uninitialized: return "xnn_status_uninitialized"
        case xnn_status_invalid_parameter: return "xnn_status_invalid_parameter"
        case xnn_status_invalid_state: return "xnn_status_invalid_state"
        case xnn_status_unsupported_parameter: return "xnn_status_unsupported_parameter"
        case xnn_status_unsupported_hardware: return "xnn_status_unsupported_hardware"
        case xnn_status_out_of_memory: return "xnn_status_out_of_memory"
        default: return "xnn_status(\(s.rawValue))"
        }
    }

    /// Turns a non-success status into an error naming the node and the call.
    static func check(_ s: xnn_status, _ call: String, _ node: Node) throws {
        if s != xnn_status_success {
            throw LoupeError.backend(node.reference, reason: "\(call) returned \(statusName(s))")
        }
    }
}

/// Owns one XNNPACK operator; deletes it when the plan goes away.
final class XNNOperator {
    let op: loupe_xnn_operator_t
    init(_ op: loupe_xnn_operator_t) { self.op = op }
    deinit { loupe_xnn_delete_operator(op) }

    /// Runs `create` (which writes the operator through its last argument) and wraps the result.
    static func create(_ call: String, _ node: Node,
                       _ create: (UnsafeMutablePointer<loupe_xnn_operator_t?>) -> xnn_status) throws -> XNNOperator {
        var op: loupe_xnn_operator_t?
        let s = create(&op)
        try Backend.check(s, call, node)
        guard let op else { throw LoupeError.backend(node.reference, reason: "\(call) returned no operator") }
        return XNNOperator(op)
    }
}

/// The one pthreadpool shared by XNNPACK operators and Loupe kernels. `nil` pool = caller's thread.
final class ThreadPool {
    let pool: pthreadpool_t?
    let threads: Int
    init(threads: Int) {
        self.threads = max(threads, 1)
        pool = self.threads > 1 ? pthreadpool_create(self.threads) : nil
    }
    deinit { if let pool { pthreadpool_destroy(pool) } }
}

/// A task run on the pool: `body(i)` for i in 0..<count. Built once at setup, run per step.
final class ParallelTask {
    let count: Int
    let body: (Int) -> Void
    init(count: Int, body: @escaping (Int) -> Void) {
        self.count = count
        self.body = body
    }

    func run(_ pool: pthreadpool_t?) {
        if pool == nil || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withExtendedLifetime(self) {
            let token = Unmanaged.passUnretained(self).toOpaque()
            // The pool's fork and join for ThreadSanitizer (no-ops in other builds).
            loupe_pool_sync_release(token)
            pthreadpool_parallelize_1d(pool, { ctx, i in
                loupe_pool_sync_acquire(ctx)
                Unmanaged<ParallelTask>.fromOpaque(ctx!).takeUnretainedValue().body(i)
                loupe_pool_sync_release(ctx)
            }, token, count, 0)
            loupe_pool_sync_acquire(token)
        }
    }
}

/// 64-byte aligned memory, freed on deinit.
final class AlignedBuffer {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    init(bytes: Int) {
        self.bytes = max(bytes, 64)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.bytes, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: self.bytes)
    }
    deinit { pointer.deallocate() }
}

/// XNNPACK may read (never write) up to this many bytes past any tensor.
let xnnExtraBytes = Int(XNN_EXTRA_BYTES)
