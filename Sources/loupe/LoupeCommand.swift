import ArgumentParser
import Foundation
import Loupe

/// `loupe`: compile, inspect, run and benchmark photo-quality models on XNNPACK.
///
/// Exit codes: 0 success; 1 the model or an input was rejected (the message names the
/// node or file; `calibrate` then writes nothing); 2 `profile --budget`: over budget; 3
/// partly done (`score`/`eval`/`quant-report`: some photos failed and are listed;
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
            some photos failed and are listed; calibrate: model written, undecodable photos skipped and listed; \
            profile --budget: MACs only a lower bound); 64 usage error.
            """,
        subcommands: [Inspect.self, RunModel.self, Bench.self, Profile.self, Score.self, Eval.self, Rank.self,
                      Calibrate.self, QuantReport.self, Merge.self])
}

/// Options shared by commands that compile a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "Path of the ONNX model.")
    var model: String

    @Option(name: .customLong("input-shape"), help: ArgumentHelp(
        "Static shape for an input, NAME=1x3x720x1280 (or just 1x3x720x1280 for a single input). Repeatable.",
        valueName: "NAME=SHAPE"))
    var inputShapes: [String] = []

    @Option(help: "Worker threads.")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        for s in inputShapes { _ = try ShapeArgument.parse(s) }
    }

    /// The compile options these flags describe; a bare shape applies to the only input.
    func compileOptions(graph: Graph) throws -> CompileOptions {
        var shapes: [String: [Int]] = [:]
        for s in inputShapes {
            let (name, shape) = try ShapeArgument.parse(s)
            if let name {
                shapes[name] = shape
            } else {
                guard graph.inputs.count == 1 else {
                    throw ValidationError("the model has \(graph.inputs.count) inputs; write --input-shape NAME=SHAPE")
                }
                shapes[graph.inputs[0].name] = shape
            }
        }
        return CompileOptions(threads: threads, inputShapes: shapes)
    }
}

enum ShapeArgument {
    /// Parses `NAME=1x3x224x224` or `1x3x224x224`.
    static func parse(_ s: String) throws -> (String?, [Int]) {
        var name: String?
        var dims = Substring(s)
        if let eq = s.lastIndex(of: "=") {
            name = String(s[..<eq])
            dims = s[s.index(after: eq)...]
        }
        let parts = dims.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("bad shape '\(s)': expected NAME=1x3x224x224 with positive sizes")
        }
        return (name, parts.map { $0! })
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

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(string.data(using: .utf8)!)
    }
}

/// Formats rows as an aligned text table.
func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        + rows.map(line)).joined(separator: "\n")
}
