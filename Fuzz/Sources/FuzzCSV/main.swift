import Foundation
import Loupe
import LoupeIQA

// Every input is a candidate CSV (or JSON-lines score) file: the table parser and each reader built on it (UHD-IQA
// metadata, label tables, challenge results, score files) must give a value or a typed error.
let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("loupe-fuzz-csv-\(ProcessInfo.processInfo.processIdentifier).csv").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    // Score files are read from a path (they may end in an unfinished line, which is cut).
    if FileManager.default.createFile(atPath: scratch, contents: data) {
        _ = try? ScoreFile.readChecked(scratch, format: .csv)
        _ = try? ScoreFile.readChecked(scratch, format: .jsonl)
    }
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
