import ArgumentParser
import Foundation
import Loupe
import LoupeIQA

/// `loupe eval`: the challenge metrics of a model, or of scores made elsewhere, on a
/// UHD-IQA split or on any set labelled by a CSV.
///
/// Exit codes: 0 success; 3 some photos could not be scored (metrics are over the rest,
/// and n says how many); 1 fatal (including: the photos' folder is missing, or no photo
/// could be scored); 64 usage.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SRCC, PLCC, KRCC, MAE, RMSE of a model (or of a predictions file) on a UHD-IQA split or a labelled CSV.",
        discussion: """
            UHD-IQA: ROOT holds uhd-iqa-metadata.csv (or uhd-iqa-training-metadata.csv, or give --metadata) and the \
            folders training/, validation/, test/.
            Any other set (KonIQ-10k, SPAQ, your own): --labels scores.csv --images DIR, where the CSV has a file-name \
            column (--name-column; default the first of image_name, image, filename, file_name, file, name, path) and a \
            score column (--score-column; default the first of mos, quality_mos, score, dmos), names relative to DIR.
            The photos' folder is checked before the model is compiled: a missing folder, or one holding none of the \
            photos, is an error (exit 1) rather than one failure per photo.
            With --predictions, scores from a `loupe score` output (.csv or .jsonl, shards concatenated) are joined on \
            the photo's file name; photos without a prediction are counted and left out (n says how many were evaluated).
            Exit codes: 0 success, 3 some photos could not be scored, 1 fatal error (also when no photo could be scored), \
            64 usage error.
            """)

    @Option(name: .customLong("uhd-iqa"), help: ArgumentHelp("UHD-IQA dataset root.", valueName: "ROOT"))
    var root: String?

    @Option(help: "Split: validation, test or training.")
    var split: String?

    @Flag(help: "Only the photos of the exclusive subset (subset == exclusive).")
    var exclusive = false

    @Option(help: ArgumentHelp("Metadata CSV (default: found in ROOT).", valueName: "FILE"))
    var metadata: String?

    @Option(help: ArgumentHelp("CSV of file names and scores of any labelled set (instead of --uhd-iqa).", valueName: "FILE"))
    var labels: String?

    @Option(help: ArgumentHelp("Folder the --labels file names are relative to.", valueName: "DIR"))
    var images: String?

    @Option(name: .customLong("name-column"), help: ArgumentHelp("Column of --labels holding the file name.", valueName: "NAME"))
    var nameColumn: String?

    @Option(name: .customLong("score-column"), help: ArgumentHelp("Column of --labels holding the score (MOS).", valueName: "NAME"))
    var scoreColumn: String?

    @Option(help: ArgumentHelp("Evaluate these scores instead of running a model.", valueName: "FILE"))
    var predictions: String?

    @OptionGroup var scoring: ScoringOptions

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        switch (root, labels) {
        case (nil, nil): throw ValidationError("give the photos' labels: --uhd-iqa ROOT or --labels FILE --images DIR")
        case (.some, .some): throw ValidationError("give --uhd-iqa ROOT or --labels FILE, not both")
        case (.some, nil):
            if images != nil || nameColumn != nil || scoreColumn != nil {
                throw ValidationError("--images, --name-column and --score-column go with --labels")
            }
        case (nil, .some):
            if split != nil || exclusive || metadata != nil { throw ValidationError("--split, --exclusive and --metadata go with --uhd-iqa") }
            if images == nil && predictions == nil { throw ValidationError("--labels needs --images DIR (the folder of the photos)") }
        }
        if let split { do { _ = try UHDIQA.Split(name: split) } catch { throw ValidationError("\(error)") } }
    }

    /// The photos to evaluate on, what they are (for messages) and their folder.
    func labelledPhotos() throws -> (photos: [LabeledPhoto], what: String, folder: String) {
        if let labels {
            let folder = images ?? "."
            let photos = try LabelTable.photos(try CSVTable(contentsOf: labels), images: folder,
                                               nameColumn: nameColumn, scoreColumn: scoreColumn)
            guard !photos.isEmpty else { throw LoupeError.badInput("\(labels) lists no photos") }
            return (photos, labels, folder)
        }
        let splitName = split ?? "validation"
        let s = try UHDIQA.Split(name: splitName)
        let db = try UHDIQA(root: root!, metadata: metadata)
        let photos = db.photos(in: s, exclusive: exclusive)
        let what = "the \(splitName) split\(exclusive ? " (exclusive)" : "")"
        guard !photos.isEmpty else { throw LoupeError.badInput("\(what) has no photos") }
        return (photos.map(\.labeled), what, URL(fileURLWithPath: root!).appendingPathComponent(s.rawValue).path)
    }

    func run() throws {
        var stderr = StandardError()
        var failed = 0
        let metrics: Metrics
        do {
            let (photos, what, folder) = try labelledPhotos()
            var predicted: [Double] = []
            var truth: [Double] = []
            if let predictions {
                var byName: [String: Double] = [:]
                for r in try ScoreFile.read(predictions) {
                    if let s = r.score { byName[(r.path as NSString).lastPathComponent] = s }
                }
                for p in photos {
                    if let s = byName[(p.name as NSString).lastPathComponent] { predicted.append(s); truth.append(p.mos) }
                }
                let missing = photos.count - predicted.count
                if missing > 0 {
                    print("warning: \(missing) of \(photos.count) photos of \(what) have no prediction in \(predictions); evaluating \(predicted.count)", to: &stderr)
                }
            } else {
                // Before the model is compiled: a missing folder is one clear error, not a failure per photo.
                let missing = try LabelTable.checkPresent(photos, in: folder, what: what)
                if !missing.isEmpty {
                    print("warning: \(missing.count) of \(photos.count) photos of \(what) are not in \(folder); they are listed as failed", to: &stderr)
                }
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
                if predicted.isEmpty {
                    throw LoupeError.badInput("none of the \(photos.count) photos of \(what) could be scored (the reasons are above)")
                }
            }
            metrics = try Metrics(predicted: predicted, truth: truth)
        } catch {
            fail(error)
        }
        if json {
            print("{\"split\":\(labels == nil ? jsonString(split ?? "validation") : "null"),\"labels\":\(labels.map(jsonString) ?? "null"),"
                + "\"exclusive\":\(exclusive),\"n\":\(metrics.n),\"srcc\":\(jsonNumber(metrics.srcc)),"
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
