import ArgumentParser
import Foundation
import Loupe
import LoupeProfile

/// `loupe`: compile, inspect, run and benchmark photo-quality models on XNNPACK.
///
/// Exit codes: 0 success; 1 the model or an input was rejected (the message names the
/// node or file; `calibrate` then writes nothing); 2 `profile --budget`: over budget; 3
/// partly done (`score`/`eval`/`quant-report`: some photos failed and are listed, the
/// others were scored; when none could be, the exit code is 1;
/// `calibrate`: the model was written but some photos could not be decoded and were
/// skipped; `profile --budget`: the MAC count is only a lower bound); 64 bad command-line
/// usage.
@main
struct LoupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Run photo-quality ONNX models on XNNPACK.",
        discussion: """
            Exit codes: 0 success; 1 model or input rejected (the message names the node or file; \
            calibrate writes nothing); 2 profile --budget: over budget; 3 partly done (score/eval/quant-report: \
            some photos failed and are listed, the others done; none done is 1; calibrate: model written, undecodable photos skipped and listed; \
            profile --budget: MACs only a lower bound); 64 usage error.
            """,
        subcommands: [Inspect.self, RunModel.self, Bench.self, Profile.self, Score.self, Eval.self, Rank.self,
                      Calibrate.self, QuantReport.self, Merge.self])

    @Flag(help: "Print Loupe's version, the XNNPACK library and package it runs on, the CPU and the instruction sets in use.")
    var version = false

    func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        print("loupe \(LoupeVersion.current)")
        // Which of Debian's two XNNPACK operator APIs this binary was compiled for (from the
        // installed xnnpack.h): a 2022 build needs the 2022 library, a 2024 build the 2024 one.
        print("Built for the XNNPACK \(XNNPACKVersion.api) operator API")
        for line in MachineInfo.current().lines { print(line) }
    }
}

/// Prints a library error and exits with code 1: the only place errors become exit codes.
func fail(_ error: Error) -> Never {
    var stderr = StandardError()
    if let e = error as? LoupeError {
        print("error: \(e)", to: &stderr)
    } else {
        print("error: \(error)", to: &stderr)
    }
    LoupeCommand.exit(withError: ExitCode(1))
}

/// The output-file name that means standard output, for every option that writes a file.
let standardOutputName = "-"

/// Prints a line meant for people: on stdout, or on stderr when the verb's output file is
/// standard output (`-`), so that what is piped stays exactly the file.
func say(_ line: String, stdoutTaken: Bool) {
    if stdoutTaken {
        var stderr = StandardError()
        print(line, to: &stderr)
    } else {
        print(line)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(string.data(using: .utf8)!)
    }
}

/// Formats rows as an aligned text table.
func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    // Padded and trimmed in Swift, not with Foundation's NSString bridges: a table of a
    // 100,000-node model spent a fifth of `profile` in them.
    func line(_ cells: [String]) -> String {
        let s = cells.enumerated().map { i, c in
            i < widths.count ? c + String(repeating: " ", count: max(0, widths[i] - c.count)) : c
        }.joined(separator: "  ")
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = s.firstIndex(where: { !blank($0) }), let last = s.lastIndex(where: { !blank($0) }) else { return "" }
        return String(s[first...last])
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        + rows.map(line)).joined(separator: "\n")
}
