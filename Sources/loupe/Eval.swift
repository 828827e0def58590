import ArgumentParser
import Foundation
import Loupe
import LoupeIQA

/// `loupe eval`: the challenge metrics of a model, or of scores made elsewhere, on a
/// UHD-IQA split.
///
/// Exit codes: 0 success; 3 some photos could not be scored (metrics are over the rest,
/// and n says how many); 1 fatal; 64 usage.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SRCC, PLCC, KRCC, MAE, RMSE of a model (or of a predictions file) on a UHD-IQA split.",
        discussion: """
            ROOT holds uhd-iqa-metadata.csv (or uhd-iqa-training-metadata.csv, or give --metadata) and the \
            folders training/, validation/, test/. With --predictions, scores from a `loupe score` output \
            (.csv or .jsonl, shards concatenated) are joined on the photo's file name; photos of the split \
            without a prediction are counted and left out (n says how many were evaluated).
            Exit codes: 0 success, 3 some photos could not be scored, 1 fatal error, 64 usage error.
            """)

    @Option(name: .customLong("uhd-iqa"), help: ArgumentHelp("UHD-IQA dataset root.", valueName: "ROOT"))
    var root: String

    @Option(help: "Split: validation, test or training.")
    var split: String = "validation"

    @Flag(help: "Only the photos of the exclusive subset (subset == exclusive).")
    var exclusive = false

    @Option(help: ArgumentHelp("Metadata CSV (default: found in ROOT).", valueName: "FILE"))
    var metadata: String?

    @Option(help: ArgumentHelp("Evaluate these scores instead of running a model.", valueName: "FILE"))
    var predictions: String?

    @OptionGroup var scoring: ScoringOptions

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        do { _ = try UHDIQA.Split(name: split) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        var stderr = StandardError()
        var failed = 0
        let metrics: Metrics
        do {
            let db = try UHDIQA(root: root, metadata: metadata)
            let photos = db.photos(in: try UHDIQA.Split(name: split), exclusive: exclusive)
            guard !photos.isEmpty else { throw LoupeError.badInput("the \(split) split\(exclusive ? " (exclusive)" : "") has no photos") }
            var predicted: [Double] = []
            var truth: [Double] = []
            if let predictions {
                var byName: [String: Double] = [:]
                for r in try ScoreFile.read(predictions) {
                    if let s = r.score { byName[(r.path as NSString).lastPathComponent] = s }
                }
                for p in photos { if let s = byName[p.name] { predicted.append(s); truth.append(p.mos) } }
                let missing = photos.count - predicted.count
                if missing > 0 {
                    print("warning: \(missing) of \(photos.count) photos of the split have no prediction in \(predictions); evaluating \(predicted.count)", to: &stderr)
                }
            } else {
                let scorer = try scoring.makeScorer()
                let mos = Dictionary(photos.map { ($0.path, $0.mos) }, uniquingKeysWith: { a, _ in a })
                var progress = Progress(total: photos.count)
                try BatchScorer(scorer: scorer).run(photos.map(\.path)) { event in
                    switch event {
                    case .scored(let r):
                        predicted.append(r.score)
                        truth.append(mos[r.path]!)
                    case .failed(let path, let reason):
                        failed += 1
                        progress.clearLine()
                        print("failed: \(path): \(reason)", to: &stderr)
                    }
                    progress.advance(failed: failed)
                }
                progress.finish(failed: failed)
            }
            metrics = try Metrics(predicted: predicted, truth: truth)
        } catch {
            fail(error)
        }
        if json {
            print("{\"split\":\(jsonString(split)),\"exclusive\":\(exclusive),\"n\":\(metrics.n),\"srcc\":\(jsonNumber(metrics.srcc)),"
                + "\"plcc\":\(jsonNumber(metrics.plcc)),\"krcc\":\(jsonNumber(metrics.krcc)),\"mae\":\(jsonNumber(metrics.mae)),"
                + "\"rmse\":\(jsonNumber(metrics.rmse)),\"failed\":\(failed)}")
        } else {
            print(formatTable(["metric", "value"], [
                ["SRCC", String(format: "%.4f", metrics.srcc)], ["PLCC", String(format: "%.4f", metrics.plcc)],
                ["KRCC", String(format: "%.4f", metrics.krcc)], ["MAE", String(format: "%.4f", metrics.mae)],
                ["RMSE", String(format: "%.4f", metrics.rmse)], ["n", String(metrics.n)],
            ]))
        }
        if failed > 0 {
            print("\(failed) photo(s) could not be scored and are not in n", to: &stderr)
            throw ExitCode(3)
        }
    }
}
