import ArgumentParser
import Foundation
import Loupe
import LoupeProfile

/// `loupe bench`: median/min/max ms per inference after warm-up, like onnxruntime_perf_test
/// and LiteRT's benchmark_model.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time inference on seeded random inputs: median, min and max ms after warm-up.")

    @OptionGroup var options: ModelOptions

    @OptionGroup var sizing: SizingPresetOptions

    @Option(help: "Timed runs.")
    var runs: Int = 50

    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 5

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be non-negative") }
    }

    func run() throws {
        do {
            let graph = try ONNXImporter.load(contentsOf: options.model)
            let start = DispatchTime.now().uptimeNanoseconds
            let model = try Model(graph: graph, options: try options.compileOptions(graph: graph, preset: sizing.preset))
            let compileMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let feeds = Profiler.benchmarkInputs(for: model.imported, seed: 0)
            for _ in 0..<warmup { _ = try model.run(feeds) }
            var ms: [Double] = []
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try model.run(feeds)
                ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let sorted = ms.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            if json {
                let obj: [String: Any] = [
                    "model": options.model, "threads": options.threads, "runs": runs, "warmup": warmup,
                    "median_ms": median, "min_ms": sorted.first!, "max_ms": sorted.last!,
                    "compile_ms": compileMs, "arena_bytes": model.executor.arenaBytes,
                ]
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("model: \(options.model)")
                print("threads: \(options.threads), warm-up: \(warmup), runs: \(runs)")
                print(String(format: "ms per inference: median %.2f, min %.2f, max %.2f", median, sorted.first!, sorted.last!))
                print(String(format: "compile: %.1f ms, activation arena: %@", compileMs, formatCount(model.executor.arenaBytes) + "B"))
            }
        } catch {
            fail(error)
        }
    }
}
