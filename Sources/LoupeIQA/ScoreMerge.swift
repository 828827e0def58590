import Foundation
import Loupe

/// Joins the score files of the shards of one collection (`loupe merge`): every photo
/// once, with what did not join cleanly spelled out.
///
/// Inputs are `loupe score` outputs, CSV or JSON Lines (each may itself be several files
/// concatenated). For a CSV input `x.csv`, the failures in `x.errors.csv` are read too
/// when it exists. Per photo path (compared as written):
/// - one score: kept;
/// - the same score (same bits) more than once: kept once, listed in ``duplicates``;
/// - different scores: the first (in input order) is kept, all are listed in
///   ``conflicts``;
/// - a failure and a score (a photo retried by `--resume`): the score is kept;
/// - only failures: listed in ``failed`` with the last reason.
/// A final line without its newline (a task killed mid-row) is ignored and its file
/// listed in ``truncated``. With the expected photos (a list or a folder, as given to
/// `loupe score`), the paths in neither ``scored`` nor ``failed`` are ``missing``.
public struct ScoreMerge: Sendable {
    /// One score per photo, sorted by path (UTF-8 byte order).
    public var scored: [ScoreRecord] = []
    /// Photos that only failed, sorted by path, with the reason.
    public var failed: [ScoreRecord] = []
    /// Photos scored more than once with the same score, and the files holding them.
    public var duplicates: [(path: String, files: [String])] = []
    /// Photos scored more than once with different scores: each file and its score.
    public var conflicts: [(path: String, scores: [(file: String, score: Double)])] = []
    /// Expected photos found in no input, sorted; empty when nothing was expected.
    public var missing: [String] = []
    /// Photos in the inputs that were not expected (a list or folder was given).
    public var unexpected: [String] = []
    /// Inputs whose last line was unfinished and ignored.
    public var truncated: [String] = []

    /// True when every photo was scored exactly once: nothing failed, missing, conflicting
    /// or cut off.
    public var isComplete: Bool { failed.isEmpty && missing.isEmpty && conflicts.isEmpty && truncated.isEmpty }

    /// Reads and joins `files`. `expected`, when given, lists the photo paths that should
    /// be there. Throws `LoupeError.io` for an input that cannot be read and
    /// `LoupeError.badInput` for a malformed row.
    public init(files: [String], expected: [String]? = nil) throws {
        var scores: [String: [(file: String, score: Double, ms: Double?)]] = [:]
        var failures: [String: String] = [:]
        var order: [String] = []
        func note(_ path: String) {
            if scores[path] == nil && failures[path] == nil { order.append(path) }
        }
        for file in files {
            var sources = [file]
            if try ScoreFileFormat(path: file) == .csv {
                let errors = ScoreWriter.errorsPath(for: file)
                if errors != file && FileManager.default.fileExists(atPath: errors) && !files.contains(errors) { sources.append(errors) }
            }
            for source in sources {
                let (records, unfinished) = try ScoreFile.readChecked(source)
                if unfinished { truncated.append(source) }
                for r in records {
                    note(r.path)
                    if let s = r.score {
                        scores[r.path, default: []].append((source, s, r.ms))
                    } else {
                        failures[r.path] = r.error ?? "no score"
                    }
                }
            }
        }
        for path in order {
            if let list = scores[path] {
                let first = list[0]
                scored.append(ScoreRecord(path: path, score: first.score, error: nil, ms: first.ms))
                guard list.count > 1 else { continue }
                if list.allSatisfy({ $0.score.bitPattern == first.score.bitPattern }) {
                    duplicates.append((path, list.map(\.file)))
                } else {
                    conflicts.append((path, list.map { ($0.file, $0.score) }))
                }
            } else if let reason = failures[path] {
                failed.append(ScoreRecord(path: path, score: nil, error: reason))
            }
        }
        let byPath: (ScoreRecord, ScoreRecord) -> Bool = { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        scored.sort(by: byPath)
        failed.sort(by: byPath)
        if let expected {
            let expectedSet = Set(expected)
            missing = expected.filter { scores[$0] == nil && failures[$0] == nil }
            unexpected = order.filter { !expectedSet.contains($0) }
        }
    }

    /// The photo paths `loupe score` would print for `source`: the lines of a photo list,
    /// or the photos and failures found in a folder (``PhotoCollection/discover(_:)``).
    public static func expectedPhotos(_ source: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
            throw LoupeError.io("no such photo list or folder: \(source)")
        }
        if !isDir.boolValue { return try PhotoCollection.readList(source) }
        let found = try PhotoCollection.discover([source])
        return found.photos.map(\.path) + found.failed.map(\.path)
    }

    /// Writes the joined scores (and failures) to `path`, a `.csv` (failures in
    /// `<out>.errors.csv`) or `.jsonl` file, as `loupe score -o` does.
    public func write(to path: String) throws {
        let writer = try ScoreWriter(path: path)
        for r in scored { try writer.write(r) }
        for r in failed { try writer.write(r) }
    }
}
