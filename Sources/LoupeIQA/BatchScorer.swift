import Foundation
import Loupe
import LoupeImaging

/// What happened to one photo of a batch.
public enum BatchEvent: Sendable {
    case scored(ScoreResult)
    /// The photo could not be decoded or preprocessed; `reason` says why.
    case failed(path: String, reason: String)
}

/// Scores a list of photos with one ``Scorer``, decoding and preprocessing photo i+1 on
/// a background thread while the model runs on photo i.
///
/// One thread budget: the model's pool has `CompileOptions.threads` threads and decoding
/// does not add a competing one. With one thread, photos are decoded on the calling thread
/// between inferences. With more, the decode thread runs under Linux's `SCHED_IDLE` policy:
/// it only gets CPU time the model's threads leave unused (the gaps between operators and
/// the single-threaded steps), so it overlaps inference without slowing it; when the queue
/// runs dry the model's threads wait, which frees the CPU for decoding. It hands over
/// through a queue of ``queueDepth`` prepared photos, so memory stays bounded. Events arrive in input order on the calling thread. Decode and preprocessing
/// errors are per-photo failures (``BatchEvent/failed(path:reason:)``) and the batch goes
/// on; an inference error, or an error thrown by the event handler, stops the batch and is
/// rethrown. Scores do not depend on the pipelining: the same model runs the same tensors.
public final class BatchScorer {
    public let scorer: Scorer
    /// Prepared photos waiting for the model, at most.
    public let queueDepth: Int
    /// False decodes on the calling thread, between inferences.
    public let overlapDecoding: Bool

    /// `overlapDecoding` nil (the default) overlaps when the model has more than one thread
    /// (see the type's documentation); true or false forces the choice.
    public init(scorer: Scorer, queueDepth: Int = 2, overlapDecoding: Bool? = nil) {
        self.scorer = scorer
        self.queueDepth = max(1, queueDepth)
        self.overlapDecoding = overlapDecoding ?? (scorer.model.executor.threads > 1)
    }

    /// Scores `paths` in order, calling `handler` once per photo.
    public func run(_ paths: [String], handler: (BatchEvent) throws -> Void) throws {
        guard overlapDecoding, paths.count > 1 else {
            for path in paths {
                let prepared: PreparedPhoto
                do { prepared = try scorer.prepare(contentsOf: path) } catch {
                    try handler(.failed(path: path, reason: Self.reason(error)))
                    continue
                }
                try handler(.scored(try scorer.infer(prepared)))
            }
            return
        }
        let queue = HandOff(capacity: queueDepth)
        let scorer = self.scorer
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            Self.yieldToModel()
            for path in paths {
                let item: Result<PreparedPhoto, Error>
                do { item = .success(try scorer.prepare(contentsOf: path)) } catch { item = .failure(error) }
                if !queue.put((path, item)) { break }
            }
            done.signal()
        }
        thread.name = "loupe-decode"
        thread.stackSize = 8 << 20
        thread.start()
        defer {
            queue.cancel()
            done.wait()
        }
        for _ in paths {
            guard let (path, item) = queue.take() else { break }
            switch item {
            case .success(let prepared): try handler(.scored(try scorer.infer(prepared)))
            case .failure(let error): try handler(.failed(path: path, reason: Self.reason(error)))
            }
        }
    }

    /// Puts the calling thread under `SCHED_IDLE` so that it runs only on CPU time no
    /// normal thread wants. Failure (another OS, a seccomp policy) leaves the thread at
    /// normal priority, which only costs the overlap's share of the budget.
    private static func yieldToModel() {
        #if os(Linux)
        var param = sched_param()
        param.sched_priority = 0
        // SCHED_IDLE is 5 in <linux/sched.h>; Glibc's Swift overlay hides it (_GNU_SOURCE).
        let schedIdle: Int32 = 5
        _ = pthread_setschedparam(pthread_self(), schedIdle, &param)
        #endif
    }

    /// The reason printed for a photo that failed: the decoder's words without the path
    /// (which the listing already shows).
    public static func reason(_ error: Error) -> String {
        if let e = error as? LoupeError, case .badImage(_, let reason) = e { return reason }
        return "\(error)"
    }
}

/// A bounded FIFO between one producer and one consumer, with cancellation.
private final class HandOff: @unchecked Sendable {
    typealias Item = (String, Result<PreparedPhoto, Error>)
    private let condition = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; false once cancelled.
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil once cancelled.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !cancelled { condition.wait() }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
