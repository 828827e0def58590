import Foundation
import Loupe

/// One of N disjoint parts of a photo collection: `--shard K/N`.
///
/// A photo belongs to shard `(mix(FNV-1a-64(key)) mod N) + 1`, where `key` is its path
/// relative to the folder argument, or its line in a photo list (``PhotoInput/key``), and
/// `mix` is SplitMix64's finalizer (FNV-1a's low bits depend only on the low bits of each
/// byte, so without it `mod 2` would split by a parity of the name's bytes). The hash depends on nothing but
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

    public func contains(_ photo: PhotoInput) -> Bool { contains(key: photo.key) }

    /// Whether the photo or entry whose ``PhotoInput/key`` is `key` belongs to this shard.
    public func contains(key: String) -> Bool {
        Int(Shard.hash(key) % UInt64(count)) + 1 == index
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

extension Shard {
    /// The environment variables that give a job-array task its index, in the order they
    /// are looked up (the first one set wins): Slurm job arrays, Kubernetes Indexed Jobs,
    /// AWS Batch array jobs. Each counts from 0, so task `i` is shard `i + 1`.
    public static let indexVariables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]

    /// Shard `i + 1` of `count`, where `i` is the value of the first of ``indexVariables``
    /// set in `environment`; also returns that variable's name. The task indices must be
    /// 0 ..< count (a Slurm array `--array=0-(N-1)`), so that a task resubmitted alone
    /// keeps its shard. Throws `LoupeError.badInput` when none is set, or the value is not
    /// an index below `count`.
    public static func fromEnvironment(count: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (shard: Shard, variable: String) {
        guard let variable = indexVariables.first(where: { environment[$0] != nil }), let text = environment[variable] else {
            throw LoupeError.badInput("--shards \(count) takes the task index from \(indexVariables.joined(separator: ", ")), and none is set; give --shard K/N instead")
        }
        guard let i = Int(text.trimmingCharacters(in: .whitespaces)), (0..<count).contains(i) else {
            throw LoupeError.badInput("\(variable)=\(text) is not a task index 0...\(max(count - 1, 0)) for --shards \(count) (an array of \(count) tasks counts 0 to \(count - 1))")
        }
        return (try Shard(index: i + 1, count: count), variable)
    }
}
