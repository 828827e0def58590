import Foundation
import Loupe

/// The two output formats of `loupe score -o`.
///
/// - CSV (`.csv`): header `path,score,ms`, one row per scored photo, `ms` the total of the
///   three stages. Photos that failed go to a separate `<out>.errors.csv` (header
///   `path,error`), so the scores file stays a clean numeric table; it is created at the
///   first failure and removed at the start of each run (with `--resume` the failures of
///   the earlier run are retried and listed again).
/// - JSON Lines (`.jsonl`, `.ndjson`): one object per photo,
///   `{"path":…,"score":…,"ms":…,"decode_ms":…,"preprocess_ms":…,"inference_ms":…}`, and
///   `{"path":…,"error":…}` for a failure, in the same file.
///
/// Every row is written with one `write(2)` as soon as its photo is done, so a killed run
/// keeps every finished row. Shard outputs merge by concatenation (`cat`); readers skip
/// repeated CSV header lines.
public enum ScoreFileFormat: String, Sendable, CaseIterable {
    case csv, jsonl

    /// The format of `path`, from its extension.
    public init(path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": self = .csv
        case "jsonl", "ndjson": self = .jsonl
        default: throw LoupeError.badInput("output \(path): expected a .csv or .jsonl file")
        }
    }
}

/// One row of a score file.
public struct ScoreRecord: Sendable, Hashable {
    public var path: String
    /// Nil for a failure row.
    public var score: Double?
    /// The failure's reason (JSONL error rows).
    public var error: String?
}

/// Reads score files (`loupe score` output, or scores made elsewhere in the same format).
public enum ScoreFile {
    /// The rows of the file at `path`, in file order. A final line without its newline (a
    /// run killed mid-write) is ignored. CSV needs the columns `path` and `score`; a row
    /// with an empty score counts as a failure. Throws `LoupeError.io` when the file cannot
    /// be read, `LoupeError.badInput` for a malformed row (naming the line).
    public static func read(_ path: String, format: ScoreFileFormat? = nil) throws -> [ScoreRecord] {
        let format = try format ?? ScoreFileFormat(path: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw LoupeError.io("cannot read \(path)") }
        var text = String(decoding: data, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") {
            text = String(text[...lastNewline])
        } else {
            text = ""
        }
        switch format {
        case .csv:
            if text.isEmpty { return [] }
            let table = try CSVTable(text: text, source: path)
            let p = try table.column("path"), s = try table.column("score")
            return try table.rows.map { row in
                if row.fields[s].isEmpty { return ScoreRecord(path: row.fields[p], score: nil, error: nil) }
                return ScoreRecord(path: row.fields[p], score: try table.number(row, s), error: nil)
            }
        case .jsonl:
            var records: [ScoreRecord] = []
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let photo = object["path"] as? String else {
                    throw LoupeError.badInput("\(path): line \(i + 1) is not a JSON object with a \"path\"")
                }
                if let error = object["error"] as? String {
                    records.append(ScoreRecord(path: photo, score: nil, error: error))
                } else if let score = object["score"] as? NSNumber {
                    records.append(ScoreRecord(path: photo, score: score.doubleValue, error: nil))
                } else {
                    throw LoupeError.badInput("\(path): line \(i + 1) has neither a numeric \"score\" nor an \"error\"")
                }
            }
            return records
        }
    }
}

/// Writes `loupe score` output, one flushed row per photo (see ``ScoreFileFormat``).
public final class ScoreWriter {
    public let path: String
    public let format: ScoreFileFormat
    /// Paths already scored in the file when it was opened with `resume`.
    public let alreadyScored: Set<String>
    private let handle: FileHandle
    private var errorHandle: FileHandle?

    /// `<out>.errors.csv` for a CSV output `<out>.csv`.
    public static func errorsPath(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".errors.csv"
    }

    /// Opens `path` for writing. Without `resume` the file is replaced; with `resume` an
    /// existing file is kept (an unfinished last line is cut off) and its scored paths
    /// are in ``alreadyScored``. Throws `LoupeError.io` when the file cannot be created.
    public init(path: String, format: ScoreFileFormat? = nil, resume: Bool = false) throws {
        self.path = path
        self.format = try format ?? ScoreFileFormat(path: path)
        let fm = FileManager.default
        var done = Set<String>()
        var needsHeader = true
        if resume, fm.fileExists(atPath: path) {
            let records = try ScoreFile.read(path, format: self.format)
            for r in records where r.score != nil { done.insert(r.path) }
            let data = fm.contents(atPath: path) ?? Data()
            let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if keep < data.count { try Self.truncate(path, to: keep) }
            needsHeader = keep == 0
        } else {
            guard fm.createFile(atPath: path, contents: nil) else { throw LoupeError.io("cannot create \(path)") }
        }
        alreadyScored = done
        guard let h = FileHandle(forWritingAtPath: path) else { throw LoupeError.io("cannot open \(path) for writing") }
        handle = h
        handle.seekToEndOfFile()
        if self.format == .csv {
            let errors = Self.errorsPath(for: path)
            if fm.fileExists(atPath: errors) { try? fm.removeItem(atPath: errors) }
            if needsHeader { try append("path,score,ms\n") }
        }
    }

    deinit { try? handle.close(); try? errorHandle?.close() }

    /// Appends one scored photo.
    public func write(_ r: ScoreResult) throws {
        switch format {
        case .csv:
            try append("\(CSVTable.quote(r.path)),\(r.score),\(Self.ms(r.timings.totalMs))\n")
        case .jsonl:
            let t = r.timings
            try append("{\"path\":\(Self.json(r.path)),\"score\":\(r.score),\"ms\":\(Self.ms(t.totalMs)),"
                + "\"decode_ms\":\(Self.ms(t.decodeMs)),\"preprocess_ms\":\(Self.ms(t.preprocessMs)),\"inference_ms\":\(Self.ms(t.inferenceMs))}\n")
        }
    }

    /// Appends one failed photo (JSONL: an error row; CSV: a row of `<out>.errors.csv`).
    public func writeFailure(path photo: String, reason: String) throws {
        switch format {
        case .jsonl:
            try append("{\"path\":\(Self.json(photo)),\"error\":\(Self.json(reason))}\n")
        case .csv:
            if errorHandle == nil {
                let errors = Self.errorsPath(for: path)
                guard FileManager.default.createFile(atPath: errors, contents: Data("path,error\n".utf8)),
                      let h = FileHandle(forWritingAtPath: errors) else { throw LoupeError.io("cannot create \(errors)") }
                h.seekToEndOfFile()
                errorHandle = h
            }
            try Self.write("\(CSVTable.quote(photo)),\(CSVTable.quote(reason))\n", to: errorHandle!, path: Self.errorsPath(for: path))
        }
    }

    private func append(_ s: String) throws { try Self.write(s, to: handle, path: path) }

    private static func write(_ s: String, to handle: FileHandle, path: String) throws {
        do { try handle.write(contentsOf: Data(s.utf8)) } catch {
            throw LoupeError.io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    private static func truncate(_ path: String, to length: Int) throws {
        guard let h = FileHandle(forWritingAtPath: path) else { throw LoupeError.io("cannot open \(path)") }
        defer { try? h.close() }
        do { try h.truncate(atOffset: UInt64(length)) } catch { throw LoupeError.io("cannot truncate \(path): \(error)") }
    }

    static func ms(_ v: Double) -> String { String(format: "%.2f", v) }

    /// A JSON string literal.
    static func json(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
