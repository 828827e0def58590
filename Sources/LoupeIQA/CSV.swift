import Foundation
import LoupeIR

/// A comma-separated table as RFC 4180 writes it: fields optionally in double quotes,
/// `""` for a quote inside one, commas and line breaks allowed inside quotes, LF or CRLF
/// line ends. The first row is the header.
public struct CSVTable: Sendable {
    /// Column names of the header row, trimmed of surrounding spaces.
    public var header: [String]
    /// Data rows with their 1-based line number in the file (for messages).
    public var rows: [(line: Int, fields: [String])]
    /// Where the table came from, for messages.
    public var source: String

    /// Parses `text`. Blank lines are skipped, and so are rows equal to the header (the
    /// header repeated where files were concatenated, e.g. merged shard outputs).
    /// Throws `LoupeError.badInput` for an unterminated quote or a row whose field count
    /// differs from the header's.
    public init(text: String, source: String) throws {
        self.source = source
        var records: [(Int, [String])] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var fieldWasQuoted = false
        // Whether `field` holds anything but white space: a quote opens a quoted field only
        // then. Kept as scalars are appended, not found by trimming the field at each quote,
        // which made a row of many quotes quadratic.
        var fieldHasText = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        func append(_ c: Unicode.Scalar) {
            field.unicodeScalars.append(c)
            if !fieldHasText && !Self.isBlank(c) { fieldHasText = true }
        }
        func endRecord() {
            record.append(fieldWasQuoted ? field : Self.trimmed(field))
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) { records.append((recordLine, record)) }
            record = []
            field = ""
            fieldWasQuoted = false
            fieldHasText = false
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let d = next() {
                        if d == "\"" { append("\"") } else { inQuotes = false; pending = d }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    append(c)
                }
                continue
            }
            switch c {
            case "\"" where !fieldHasText:
                field = ""
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                record.append(fieldWasQuoted ? field : Self.trimmed(field))
                field = ""
                fieldWasQuoted = false
                fieldHasText = false
            case "\r":
                break
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                append(c)
            }
        }
        if inQuotes {
            throw LoupeError.badInput("\(source): line \(recordLine): a quoted field is not closed")
        }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        guard let first = records.first else {
            throw LoupeError.badInput("\(source): empty file, expected a header row")
        }
        header = first.1
        var data: [(line: Int, fields: [String])] = []
        for (l, r) in records.dropFirst() where r != first.1 {
            guard r.count == header.count else {
                throw LoupeError.badInput("\(source): line \(l) has \(r.count) fields, the header has \(header.count)")
            }
            data.append((l, r))
        }
        rows = data
    }

    /// White space as `CharacterSet.whitespaces` has it on Linux: tab, the space separators
    /// (general category Zs) and U+200B ZERO WIDTH SPACE, which Foundation's set still holds
    /// (a Zs before Unicode 4.0.1); compared over every scalar, these are the only ones.
    static func isBlank(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? (c == " " || c == "\t") : (c.properties.generalCategory == .spaceSeparator || c == "\u{200B}")
    }

    /// `s` without leading and trailing white space (``isBlank(_:)``). The same as
    /// Foundation's `trimmingCharacters(in: .whitespaces)`, without its bridge through
    /// NSString, which cost a microsecond or more per field.
    static func trimmed(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isBlank(first) || isBlank(last) else { return s }
        guard let start = scalars.firstIndex(where: { !isBlank($0) }), let end = scalars.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(scalars[start...end])
    }

    /// Reads and parses the file at `path`; `LoupeError.io` when it cannot be read.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoupeError.io("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoupeError.badInput("\(path): not UTF-8 text")
        }
        try self.init(text: text, source: path)
    }

    /// Index of the column named `name` (case-insensitive); `LoupeError.badInput` naming
    /// the columns present when there is none.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw LoupeError.badInput("\(source): missing column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    /// The number in column `column` of a row; `LoupeError.badInput` naming the line,
    /// column and text when it is not a finite number.
    public func number(_ row: (line: Int, fields: [String]), _ column: Int) throws -> Double {
        let text = row.fields[column]
        guard let v = Double(text), v.isFinite else {
            throw LoupeError.badInput("\(source): line \(row.line), column '\(header[column])': '\(text)' is not a number")
        }
        return v
    }

    /// The whole, non-negative number in column `column` of a row (a count or a size in
    /// pixels); `LoupeError.badInput` naming the line, column and text when it is not one
    /// or does not fit an `Int` (a file's number must never trap a conversion).
    public func count(_ row: (line: Int, fields: [String]), _ column: Int) throws -> Int {
        let v = try number(row, column)
        guard v >= 0, v.rounded() == v, v < Double(Int.max) else {
            throw LoupeError.badInput(
                "\(source): line \(row.line), column '\(header[column])': '\(row.fields[column])' is not a whole number from 0 to \(Int.max)")
        }
        return Int(v)
    }

    /// `field` quoted for a CSV file when it holds a comma, quote or line break.
    public static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || field != field.trimmingCharacters(in: .whitespaces) else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension ChallengeRank {
    /// Column names taken as the entry's name, in this order (case-insensitive): `name`,
    /// or `method` and `team` as the challenge report's tables have it.
    public static let nameColumns = ["name", "method", "team"]

    /// Reads a results table with columns `name,srcc,plcc,krcc,mae,rmse` (any order, any
    /// case; the name column may be called `method` or `team`; an optional `n` column;
    /// other columns ignored).
    public static func entries(_ table: CSVTable) throws -> [Entry] {
        guard let name = nameColumns.lazy.compactMap({ c in
            table.header.firstIndex { $0.caseInsensitiveCompare(c) == .orderedSame }
        }).first else {
            throw LoupeError.badInput("\(table.source): missing column 'name' (or 'method', 'team'; columns: \(table.header.joined(separator: ", ")))")
        }
        let cols = try ["srcc", "plcc", "krcc", "mae", "rmse"].map { try table.column($0) }
        let nCol = table.header.firstIndex { $0.caseInsensitiveCompare("n") == .orderedSame }
        return try table.rows.map { row in
            let v = try cols.map { try table.number(row, $0) }
            let n = try nCol.map { try table.count(row, $0) } ?? 0
            return Entry(name: row.fields[name], metrics: Metrics(n: n, srcc: v[0], plcc: v[1], krcc: v[2], mae: v[3], rmse: v[4]))
        }
    }
}
