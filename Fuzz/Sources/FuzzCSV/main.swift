import Foundation
import Loupe
import LoupeIQA

// Every input is a candidate CSV (or JSON-lines score) file: the table parser and each reader built on it (UHD-IQA
// metadata, label tables, challenge results, score files) must give a value or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    // Score files, as read from a path (they may end in an unfinished line, which is cut).
    // Parsed from the bytes: writing each input to a file cost more than the rest (ext4
    // flushes a file truncated and rewritten when it is closed).
    _ = try? ScoreFile.parse(data, source: "fuzz.csv", format: .csv)
    _ = try? ScoreFile.parse(data, source: "fuzz.jsonl", format: .jsonl)
    guard let text = String(data: data, encoding: .utf8), let table = try? CSVTable(text: text, source: "fuzz") else {
        return 0
    }
    _ = try? UHDIQA(root: "/nonexistent", table: table)
    _ = try? LabelTable.photos(table, images: "/nonexistent")
    _ = try? ChallengeRank.entries(table)
    for row in table.rows {
        for column in table.header.indices { _ = try? table.number(row, column) }
    }
    return 0
}

