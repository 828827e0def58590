import Foundation
import Loupe
import LoupeImaging

/// A photo found by ``PhotoCollection/discover(_:)``.
public struct PhotoInput: Sendable, Hashable {
    /// The path to open and to print: the argument, or the argument joined with the path
    /// found under it.
    public var path: String
    /// The path relative to the folder argument it was found under (the argument itself
    /// for a file argument): what ``Shard`` hashes, so that shards do not depend on where
    /// the collection is mounted.
    public var key: String
}

/// Turns command-line arguments (photos and folders) into the list of photos to score.
public enum PhotoCollection {
    /// Extensions that mark a file as meant to be a photo even when its bytes say
    /// otherwise (it is then listed as a failure, not skipped).
    public static let photoExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png"]

    /// Files given directly are always taken. Folders are walked recursively, sorted by
    /// path (byte order of the UTF-8 names, independent of locale and file system order);
    /// hidden files and folders (name starting with `.`) are skipped. Inside folders a
    /// file is taken when its first bytes are a JPEG or PNG signature, or when its
    /// extension is jpg/jpeg/jpe/png (a misnamed or corrupt photo is then reported by the
    /// decoder rather than silently skipped); other files (READMEs, sidecars) are
    /// skipped. The result keeps the argument order and removes repeated paths.
    /// Throws `LoupeError.io` for an argument that does not exist.
    public static func discover(_ arguments: [String]) throws -> [PhotoInput] {
        let fm = FileManager.default
        var out: [PhotoInput] = []
        var seen = Set<String>()
        for arg in arguments {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: arg, isDirectory: &isDir) else {
                throw LoupeError.io("no such file or folder: \(arg)")
            }
            if !isDir.boolValue {
                if seen.insert(arg).inserted { out.append(PhotoInput(path: arg, key: arg)) }
                continue
            }
            for rel in try walk(arg) {
                let path = arg.hasSuffix("/") ? arg + rel : arg + "/" + rel
                if seen.insert(path).inserted, isCandidate(path) { out.append(PhotoInput(path: path, key: rel)) }
            }
        }
        return out
    }

    /// Relative paths of the regular files under `root`, sorted by their UTF-8 bytes.
    static func walk(_ root: String) throws -> [String] {
        let fm = FileManager.default
        var files: [String] = []
        var stack = [""]
        while let rel = stack.popLast() {
            let dir = rel.isEmpty ? root : root + "/" + rel
            let names: [String]
            do { names = try fm.contentsOfDirectory(atPath: dir) } catch {
                throw LoupeError.io("cannot list folder \(dir): \(error.localizedDescription)")
            }
            for name in names where !name.hasPrefix(".") {
                let child = rel.isEmpty ? name : rel + "/" + name
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: dir + "/" + name, isDirectory: &isDir) else { continue }
                if isDir.boolValue { stack.append(child) } else { files.append(child) }
            }
        }
        return files.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func isCandidate(_ path: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        if photoExtensions.contains(ext) { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 8))
        return head.starts(with: [0xFF, 0xD8, 0xFF]) || head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}

/// One of N disjoint parts of a photo collection: `--shard K/N`.
///
/// A photo belongs to shard `(mix(FNV-1a-64(key)) mod N) + 1`, where `key` is its path
/// relative to the folder argument (``PhotoInput/key``) and `mix` is SplitMix64's
/// finalizer (FNV-1a's low bits depend only on the low bits of each byte, so without it
/// `mod 2` would split by a parity of the name's bytes). The hash depends on nothing but
/// the key, so N processes on N machines, given the same folders (mounted anywhere),
/// split the collection without overlap and without coordination, and adding photos
/// later does not move the others between shards. Shards are balanced in expectation,
/// not exactly.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 1-based shard index, 1...count.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw LoupeError.badInput("bad shard \(index)/\(count): expected K/N with 1 ≤ K ≤ N")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`, e.g. `2/8`. Task arrays counting from 0 write `$((TASK_ID + 1))/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw LoupeError.badInput("bad shard '\(text)': expected K/N, e.g. 1/4")
        }
        try self.init(index: k, count: n)
    }

    public func contains(_ photo: PhotoInput) -> Bool {
        Int(Shard.hash(photo.key) % UInt64(count)) + 1 == index
    }

    /// The shard hash of `key`: FNV-1a (64-bit) over its UTF-8 bytes, then SplitMix64's
    /// finalizer. Stable across runs, machines and Swift versions (unlike `Hasher`).
    public static func hash(_ key: String) -> UInt64 {
        var z = fnv1a(key)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func fnv1a(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public var description: String { "\(index)/\(count)" }
}

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
