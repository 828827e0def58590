import ArgumentParser
import Foundation
import Loupe
import LoupeIQA

/// `loupe merge`: join the score files of the shards of one collection.
///
/// Exit codes: 0 every photo scored exactly once; 3 incomplete (photos failed, missing,
/// scored with conflicting scores, or an input cut off mid-row: each listed); 1 an input
/// unreadable or malformed, or the output not writable; 64 usage error.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the score files of the shards of a collection: every photo once.",
        discussion: """
            Inputs are loupe score outputs (.csv, with their .errors.csv beside them when present, or .jsonl). \
            Photos are matched by path as written. A photo scored twice with the same score is kept once and \
            reported as a duplicate; with different scores the first input's is kept and the conflict reported; \
            a failure followed by a score (a retried photo) keeps the score. A last line without its newline (a task \
            killed mid-row) is ignored and reported. --expect LIST|DIR: the photo list or folder given to \
            loupe score; the photos in none of the inputs are listed as missing.
            Output rows are sorted by path: .csv (path,score,ms; failures in OUT.errors.csv) or .jsonl.
            Exit codes: 0 complete, 3 incomplete (failed, missing, conflicting or cut-off rows; listed on stderr), \
            1 unreadable or malformed input, 64 usage error.
            """)

    @Argument(help: "Score files (.csv, .jsonl) of the shards.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the joined scores to a .csv or .jsonl file (- for CSV on standard output).", valueName: "FILE"))
    var output: String?

    @Option(help: ArgumentHelp("The photo list or folder that was scored: list the photos in no input.", valueName: "LIST|DIR"))
    var expect: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one score file") }
        guard !inputs.contains("-") else { throw ValidationError("score files are read from paths; - means standard output only for -o") }
        for path in inputs + [output].compactMap({ $0 }) {
            do { _ = try ScoreFileFormat(path: path) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        var stderr = StandardError()
        let merged: ScoreMerge
        do {
            let expected = try expect.map { try ScoreMerge.expectedPhotos($0) }
            merged = try ScoreMerge(files: inputs, expected: expected)
            if let output { try merged.write(to: output) }
        } catch {
            fail(error)
        }
        for (path, files) in merged.duplicates { print("duplicate: \(path) (same score in \(files.joined(separator: ", ")))", to: &stderr) }
        for (path, scores) in merged.conflicts {
            print("conflict: \(path): \(scores.map { "\($0.score) in \($0.file)" }.joined(separator: ", "))", to: &stderr)
        }
        for file in merged.truncated { print("truncated: \(file): its last row is unfinished and was ignored", to: &stderr) }
        for r in merged.failed { print("failed: \(r.path): \(r.error ?? "")", to: &stderr) }
        for path in merged.missing { print("missing: \(path)", to: &stderr) }
        if !merged.unexpected.isEmpty {
            print("\(merged.unexpected.count) scored photo(s) are not in \(expect ?? ""), e.g. \(merged.unexpected[0])", to: &stderr)
        }
        var summary = "merged \(inputs.count) file(s): \(merged.scored.count) scored, \(merged.failed.count) failed"
        if expect != nil { summary += ", \(merged.missing.count) missing" }
        summary += ", \(merged.duplicates.count) duplicate(s), \(merged.conflicts.count) conflict(s), \(merged.truncated.count) truncated file(s)"
        print(summary, to: &stderr)
        if !merged.isComplete { throw ExitCode(3) }
    }
}
