import ArgumentParser
import Foundation
import Loupe
import LoupeImaging
import LoupeIQA

/// `loupe score`: score photos and folders of photos.
///
/// Exit codes: 0 every photo scored; 3 some photos could not be decoded (they are listed,
/// the others are scored and written); 1 fatal (model rejected, output not writable, an
/// argument that does not exist, no photos found, none of the photos could be scored);
/// 64 usage error.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score photos (JPEG, PNG) and folders of photos with a quality model.",
        discussion: """
            Folders are walked recursively in sorted order; files are recognised by their first bytes \
            (or a .jpg/.jpeg/.png name, so that a broken photo is reported rather than skipped). Images in \
            other formats (WebP, TIFF, HEIF, AVIF, GIF, BMP, JPEG XL, camera raw) are listed as skipped with the reason.
            Output: without -o a table ranked by score on stdout; -o scores.csv writes rows path,score,ms \
            (failures in scores.errors.csv); -o scores.jsonl adds decode_ms, preprocess_ms, inference_ms \
            and writes failures as {"path","error"} rows. Each row is flushed when its photo is done.
            Links are followed, but each folder is walked once and each file scored once (same device and inode); \
            the extra paths are listed as skipped. A subfolder that cannot be listed, a dangling link named as a photo \
            and a name that is not UTF-8 are listed as failed and the rest is scored.
            --list FILE scores the paths in FILE, one per line (- reads stdin), without walking folders.
            --resume skips photos already scored in the output file.
            Shards: --shard K/N scores the photos whose hash of their key modulo N is K-1, where the key is the path \
            relative to its folder argument (or the file argument, or the --list line as written) and the hash is \
            FNV-1a 64 of its UTF-8 bytes followed by the SplitMix64 finalizer. N processes split a collection without \
            overlap, and adding photos does not move the others between shards. --shards N takes the index from the \
            environment instead: the first set of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX (Kubernetes Indexed Job), \
            AWS_BATCH_JOB_ARRAY_INDEX, counting from 0 (task i is shard i+1 of N). An explicit --shard K/N ignores the \
            environment; with GNU parallel pass the job number: parallel -j4 loupe score DIR --shard {#}/4 -o out/{#}.csv ::: 1 2 3 4 \
            (there {%}, the slot, is the same as {#}). Join the outputs with loupe merge.
            --threads N: the model runs on N threads; with N > 1 the next photo is decoded meanwhile on \
            CPU time the model leaves idle (SCHED_IDLE), with N = 1 between photos.
            Exit codes: 0 all photos scored, 3 some photos failed (listed on stderr), 1 fatal error (also when none \
            could be scored), 64 usage error.
            """)

    @Argument(help: "Photos and folders of photos (or --list).")
    var photos: [String] = []

    @OptionGroup var scoring: ScoringOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Write scores to a .csv or .jsonl file (- for CSV on standard output).", valueName: "FILE"))
    var output: String?

    @Flag(help: "Keep the output file and skip photos already scored in it.")
    var resume = false

    @Option(help: ArgumentHelp("Score only shard K of N (1 ≤ K ≤ N).", valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Score one of N shards, the index from the job array's environment (see below).", valueName: "N"))
    var shards: Int?

    @Option(help: ArgumentHelp("Score the photos listed in FILE, one path per line (- for stdin), instead of arguments.", valueName: "FILE"))
    var list: String?

    func validate() throws {
        guard photos.isEmpty != (list == nil) else { throw ValidationError("give photos and folders, or --list FILE (one of the two)") }
        if shard != nil && shards != nil { throw ValidationError("give --shard K/N or --shards N, not both") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if resume && (output == nil || output == ScoreWriter.standardOutput) { throw ValidationError("--resume needs -o FILE") }
        if let output { do { _ = try ScoreFileFormat(path: output) } catch { throw ValidationError("\(error)") } }
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        var stderr = StandardError()
        var failures: [(String, String)] = []
        var results: [ScoreResult] = []
        // Photos with a score: this run's and, with --resume, those already in the output.
        var scoredCount = 0
        do {
            var shardChoice = try shard.map { try Shard(parsing: $0) }
            if let shards {
                let (s, variable) = try Shard.fromEnvironment(count: shards)
                print("shard \(s) from \(variable)", to: &stderr)
                shardChoice = s
            }
            var found: PhotoDiscovery
            if let list {
                var lines = try PhotoCollection.readList(list)
                guard !lines.isEmpty else { throw LoupeError.io("the photo list \(list) is empty") }
                let total = lines.count
                if let s = shardChoice { lines = lines.filter { s.contains(key: $0) } }
                found = PhotoCollection.listed(lines)
                if let s = shardChoice { print("shard \(s): \(lines.count) of \(total) listed photos", to: &stderr) }
            } else {
                found = try PhotoCollection.discover(photos)
                guard !found.photos.isEmpty || !found.failed.isEmpty else {
                    for entry in found.skipped { print("skipped: \(entry.path): \(entry.reason)", to: &stderr) }
                    throw LoupeError.io("no JPEG or PNG photos found in \(photos.joined(separator: " "))")
                }
                if let s = shardChoice {
                    let total = found.photos.count
                    found = found.filtered(s)
                    print("shard \(s): \(found.photos.count) of \(total) photos", to: &stderr)
                }
            }
            for entry in found.skipped { print("skipped: \(entry.path): \(entry.reason)", to: &stderr) }
            var inputs = found.photos
            let writer = try output.map { try ScoreWriter(path: $0, resume: resume) }
            if let writer, resume {
                let before = inputs.count
                inputs = inputs.filter { !writer.alreadyScored.contains($0.path) }
                scoredCount = before - inputs.count
                print("resume: \(before - inputs.count) photos already scored in \(writer.path), \(inputs.count) to go", to: &stderr)
            }
            for entry in found.failed {
                failures.append((entry.path, entry.reason))
                try writer?.writeFailure(path: entry.path, reason: entry.reason)
                print("failed: \(entry.path): \(entry.reason)", to: &stderr)
            }
            let scorer = try scoring.makeScorer()
            let listedFailures = failures.count
            var progress = Progress(total: inputs.count)
            try BatchScorer(scorer: scorer).run(inputs.map(\.path)) { event in
                switch event {
                case .scored(let r):
                    scoredCount += 1
                    try writer?.write(r)
                    if writer == nil { results.append(r) }
                case .failed(let path, let reason):
                    failures.append((path, reason))
                    try writer?.writeFailure(path: path, reason: reason)
                    progress.clearLine()
                    print("failed: \(path): \(reason)", to: &stderr)
                }
                progress.advance(failed: failures.count - listedFailures)
            }
            progress.finish(failed: failures.count - listedFailures)
        } catch {
            fail(error)
        }
        if output == nil && !results.isEmpty {
            let ranked = results.sorted { $0.score != $1.score ? $0.score > $1.score : $0.path < $1.path }
            print(formatTable(["rank", "score", "ms", "path"], ranked.enumerated().map { i, r in
                [String(i + 1), String(format: "%.4f", r.score), String(format: "%.1f", r.timings.totalMs), r.path]
            }))
        }
        if !failures.isEmpty {
            print("\(failures.count) photo(s) could not be scored:", to: &stderr)
            for (path, reason) in failures { print("  \(path): \(reason)", to: &stderr) }
            if let output, output != ScoreWriter.standardOutput, (try? ScoreFileFormat(path: output)) == .csv {
                print("(also listed in \(ScoreWriter.errorsPath(for: output)))", to: &stderr)
            }
            // Nothing done is a failure, not a partial success.
            if scoredCount == 0 {
                print("error: none of the \(failures.count) photo(s) could be scored", to: &stderr)
                throw ExitCode(1)
            }
            throw ExitCode(3)
        }
    }
}

/// Model, preset, input shapes, threads and memory limit: shared by `score` and `eval`.
struct ScoringOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "ONNX scoring model (default: $\(DefaultModel.environmentVariable) if set, else <prefix>/\(DefaultModel.installedPath) for <prefix>/bin/loupe, else \(DefaultModel.relativePath) of the checkout holding the loupe executable, else of the current folder).",
        valueName: "FILE"))
    var model: String?

    @Option(help: ArgumentHelp("Preprocessing preset.", valueName: "NAME"))
    var preset: Preset = DefaultModel.preset

    @OptionGroup var shapes: InputShapeOptions

    @OptionGroup var execution: ExecutionOptions

    func makeScorer() throws -> Scorer {
        guard let path = model ?? DefaultModel.path() else {
            throw LoupeError.io(DefaultModel.notFoundMessage())
        }
        let graph: Graph
        do {
            graph = try ONNXImporter.load(contentsOf: path)
        } catch LoupeError.malformedModel(let reason) where model == nil {
            // The user did not name this file: say that it is the default one (the
            // reason starts with its path).
            throw LoupeError.malformedModel("default model \(reason)")
        }
        return try Scorer(graph: graph, preset: preset, threads: execution.threads, inputShapes: try shapes.shapes(for: graph),
                          memoryLimit: execution.memoryLimit)
    }
}

/// Progress on stderr: a redrawn line with a bar, photos/s and ETA on a terminal; a plain
/// line every 10 seconds otherwise (logs, CI, batch jobs).
struct Progress {
    let total: Int
    let isTerminal = isatty(2) != 0
    let start = DispatchTime.now().uptimeNanoseconds
    var done = 0
    var lastPrint: UInt64 = 0
    var lineShown = false

    /// What is counted: "photos", "layers".
    let unit: String

    init(total: Int, unit: String = "photos") { self.total = total; self.unit = unit }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    mutating func advance(failed: Int) {
        done += 1
        let now = DispatchTime.now().uptimeNanoseconds
        let interval: UInt64 = isTerminal ? 100_000_000 : 10_000_000_000
        guard now - lastPrint >= interval || (isTerminal && done == total) else { return }
        lastPrint = now
        var stderr = StandardError()
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let failedText = failed > 0 ? ", \(failed) failed" : ""
        if isTerminal {
            let width = 24
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            print("\r\u{1B}[K[\(bar)] \(done)/\(total)  \(String(format: "%.2f", rate)) \(unit)/s  ETA \(Self.duration(eta))\(failedText)", terminator: "", to: &stderr)
            lineShown = true
        } else {
            print("\(done)/\(total) \(unit), \(String(format: "%.2f", rate)) \(unit)/s, ETA \(Self.duration(eta))\(failedText)", to: &stderr)
        }
    }

    mutating func clearLine() {
        guard isTerminal && lineShown else { return }
        var stderr = StandardError()
        print("\r\u{1B}[K", terminator: "", to: &stderr)
        lineShown = false
    }

    mutating func finish(failed: Int) {
        clearLine()
        var stderr = StandardError()
        let rate = Double(done) / max(elapsed, 1e-9)
        print("scored \(done - failed) of \(done) photos in \(String(format: "%.1f", elapsed)) s (\(String(format: "%.2f", rate)) photos/s)", to: &stderr)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
