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

    /// The format of `path`, from its extension; CSV for ``ScoreWriter/standardOutput``.
    public init(path: String) throws {
        if path == ScoreWriter.standardOutput {
            self = .csv
            return
        }
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
    /// The failure's reason (JSONL error rows, `.errors.csv` rows).
    public var error: String?
    /// Milliseconds spent on the photo, when the file says.
    public var ms: Double? = nil
}

/// Reads score files (`loupe score` output, or scores made elsewhere in the same format).
public enum ScoreFile {
    /// The rows of the file at `path`, in file order. A final line without its newline (a
    /// run killed mid-write) is ignored. CSV needs the columns `path` and `score`; a row
    /// with an empty score counts as a failure. Throws `LoupeError.io` when the file cannot
    /// be read, `LoupeError.badInput` for a malformed row (naming the line).
    public static func read(_ path: String, format: ScoreFileFormat? = nil) throws -> [ScoreRecord] {
        try readChecked(path, format: format).records
    }

    /// ``read(_:format:)``, also saying whether a final unfinished line was ignored.
    public static func readChecked(_ path: String, format: ScoreFileFormat? = nil) throws -> (records: [ScoreRecord], unfinishedLine: Bool) {
        let format = try format ?? ScoreFileFormat(path: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw LoupeError.io("cannot read \(path)") }
        return try parse(data, source: path, format: format)
    }

    /// The rows of a score file's bytes, as ``readChecked(_:format:)`` reads them; `source`
    /// names the file in messages.
    public static func parse(_ data: Data, source path: String, format: ScoreFileFormat) throws -> (records: [ScoreRecord], unfinishedLine: Bool) {
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let unfinished = keep < data.count
        let text = String(decoding: data.prefix(keep), as: UTF8.self)
        switch format {
        case .csv:
            if text.isEmpty { return ([], unfinished) }
            let table = try CSVTable(text: text, source: path)
            if table.header == ["path", "error"] {
                let p = try table.column("path"), e = try table.column("error")
                return (table.rows.map { ScoreRecord(path: $0.fields[p], score: nil, error: $0.fields[e]) }, unfinished)
            }
            let p = try table.column("path"), s = try table.column("score")
            let m = table.header.firstIndex(of: "ms")
            let records = try table.rows.map { row in
                if row.fields[s].isEmpty { return ScoreRecord(path: row.fields[p], score: nil, error: nil) }
                let ms = m.flatMap { row.fields[$0].isEmpty ? nil : Double(row.fields[$0]) }
                return ScoreRecord(path: row.fields[p], score: try table.number(row, s), error: nil, ms: ms)
            }
            return (records, unfinished)
        case .jsonl:
            // JSONDecoder, not JSONSerialization: the latter can round a double's last bit,
            // and merged shard scores must equal a single run's to the bit.
            struct Row: Decodable { var path: String; var score: Double?; var error: String?; var ms: Double? }
            let decoder = JSONDecoder()
            var records: [ScoreRecord] = []
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let row = try? decoder.decode(Row.self, from: Data(line.utf8)) else {
                    throw LoupeError.badInput("\(path): line \(i + 1) is not a JSON object with a \"path\" and a numeric \"score\" or an \"error\"")
                }
                if let error = row.error {
                    records.append(ScoreRecord(path: row.path, score: nil, error: error))
                } else if let score = row.score {
                    records.append(ScoreRecord(path: row.path, score: score, error: nil, ms: row.ms))
                } else {
                    throw LoupeError.badInput("\(path): line \(i + 1) has neither a numeric \"score\" nor an \"error\"")
                }
            }
            return (records, unfinished)
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

    /// The path that means standard output: rows go down the pipe as they are made, a CSV
    /// gets no `.errors.csv` beside it (failures are for the caller to list), and there is
    /// nothing to resume.
    public static let standardOutput = "-"

    /// Whether rows go to standard output.
    public var isStandardOutput: Bool { path == Self.standardOutput }

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
        if path == Self.standardOutput {
            guard !resume else { throw LoupeError.badInput("cannot resume standard output: give -o FILE") }
            alreadyScored = []
            handle = FileHandle.standardOutput
            if self.format == .csv { try append("path,score,ms\n") }
            return
        }
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

    deinit {
        if !isStandardOutput { try? handle.close() }
        try? errorHandle?.close()
    }

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

    /// Appends a row read from another score file (``ScoreMerge`` output): a score, with
    /// its milliseconds when known, or a failure.
    public func write(_ record: ScoreRecord) throws {
        guard let score = record.score else {
            try writeFailure(path: record.path, reason: record.error ?? "not scored")
            return
        }
        switch format {
        case .csv:
            try append("\(CSVTable.quote(record.path)),\(score),\(record.ms.map(Self.ms) ?? "")\n")
        case .jsonl:
            try append("{\"path\":\(Self.json(record.path)),\"score\":\(score)\(record.ms.map { ",\"ms\":\(Self.ms($0))" } ?? "")}\n")
        }
    }

    /// Appends one failed photo (JSONL: an error row; CSV: a row of `<out>.errors.csv`).
    public func writeFailure(path photo: String, reason: String) throws {
        switch format {
        case .jsonl:
            try append("{\"path\":\(Self.json(photo)),\"error\":\(Self.json(reason))}\n")
        case .csv:
            if isStandardOutput { return }
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
