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

    @OptionGroup var timing: TimingOptions
    var runs: Int { timing.runs ?? 50 }
    var warmup: Int { timing.warmup ?? 5 }

    @Flag(help: "Print one JSON object instead of text (with p90/p99, the machine and Loupe's version).")
    var json = false

    @OptionGroup var progressOptions: ProgressOptions

    func run() throws {
        do {
            let progress = progressOptions.make("bench")
            defer { progress.finish() }
            let graph = try ONNXImporter.load(contentsOf: options.model)
            progress.update(.init(stage: "compiling"))
            let start = DispatchTime.now().uptimeNanoseconds
            let model = try Model(graph: graph, options: try options.compileOptions(graph: graph, preset: sizing.preset))
            let compileMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let feeds = Profiler.benchmarkInputs(for: model.imported, seed: 0)
            for i in 0..<warmup {
                progress.update(.init(stage: "warm-up", done: i, total: warmup))
                _ = try model.run(feeds)
            }
            var ms: [Double] = []
            for i in 0..<runs {
                progress.update(.init(stage: "timed runs", done: i, total: runs))
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try model.run(feeds)
                ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            progress.finish()
            let t = ProfileReport.Timing(ms)!
            let machine = MachineInfo.current()
            if json {
                let machineObject = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(machine))
                let obj: [String: Any] = [
                    "model": options.model, "threads": options.threads, "runs": runs, "warmup": warmup,
                    "median_ms": t.median, "min_ms": t.min, "max_ms": t.max, "p90_ms": t.p90!, "p99_ms": t.p99!,
                    "compile_ms": compileMs, "arena_bytes": model.executor.arenaBytes,
                    "runs_without_pool": model.executor.runsWithoutPool,
                    "loupe_version": LoupeVersion.current, "machine": machineObject,
                ]
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("model: \(options.model)")
                print("threads: \(options.threads), warm-up: \(warmup), runs: \(runs)")
                print(String(format: "ms per inference: median %.2f, p90 %.2f, p99 %.2f, min %.2f, max %.2f",
                             t.median, t.p90!, t.p99!, t.min, t.max))
                print(String(format: "compile: %.1f ms, activation arena: %@", compileMs, formatCount(model.executor.arenaBytes) + "B"))
                if model.executor.runsWithoutPool > 0 {
                    print("runs on the calling thread alone (tries of it, and runs while it was faster than the pool: "
                        + "other processes on the workers' cores): \(model.executor.runsWithoutPool) of \(warmup + runs)")
                }
                print("loupe \(LoupeVersion.current); CPU: \(machine.cpu ?? "unknown"); kernels: \(machine.kernelISA); XNNPACK: \(machine.xnnpackPackage ?? "package version unknown")")
            }
        } catch {
            fail(error)
        }
    }
}
