import ArgumentParser
import Foundation
import Loupe
import LoupeImaging
import LoupeProfile

/// `loupe profile`: MACs, parameters, memory and ms per inference, per layer and in total,
/// checked against a GMAC budget (the AIM 2024 UHD-IQA challenge allows 50).
struct Profile: ParsableCommand {
    /// Exit code when the model's MACs exceed `--budget` (or no resolution fits it).
    static let overBudgetExitCode: Int32 = 2
    /// Exit code when `--budget` cannot be decided: shape inference stopped, so the MACs
    /// counted are only a lower bound (and they fit).
    static let incompleteExitCode: Int32 = 3

    static let configuration = CommandConfiguration(
        abstract: "Profile a model: MACs, parameters, memory and ms per inference, per layer and in total.",
        discussion: """
        MACs count Conv, ConvTranspose, Gemm and MatMul multiply-accumulates (the challenge, fvcore \
        and torch.utils.flop_counter/2 convention); other arithmetic is counted apart. Costs come \
        from the optimized graph (folded BatchNorm and fused activations keep the conv's MACs). \
        A model that cannot compile gets a static profile (MACs and parameters, no timing) and \
        exit code 0. --budget decides from the MAC count alone (no compilation, no timing; add \
        --timed for both). Shapes are NCHW as in ONNX (the runtime's NHWC is output_shape_physical \
        in the JSON); ms are median, p90, p99, min and max; the JSON and HTML record the machine \
        (CPU, ISA, XNNPACK package) and Loupe's version.

        --image PATH --preset NAME also times one photo end to end, each of --runs runs (after \
        --warmup) decoding the file, preprocessing it with the preset and running the model on \
        every view: ms per image split into decode, preprocess and inference (median, min, max; \
        for a multi-view preset such as clip-iqa, inference covers all views of the photo), \
        and the JSON key "image" {path, preset, views, decoded_width, decoded_height, runs, \
        warmup, decode_ms, preprocess_ms, inference_ms, total_ms}, each *_ms {median, min, max}. \
        Inputs the model leaves symbolic take the preset's sizes (--input-shape overrides).

        Exit codes: 0 success (within budget); 1 model or input rejected (including inputs \
        without a static shape: give --input-shape; a photo that cannot be decoded; a model \
        whose inputs do not take the preset's tensors); 2 over budget: the model's MACs exceed \
        --budget (the five largest layers are named), or with --max-resolution no input size fits; \
        3 budget undecided: shape inference stopped at an op Loupe cannot represent, so the MACs \
        counted (within budget) are only a lower bound; 64 usage error.
        """)

    @OptionGroup var options: ModelOptions

    // Each timed run runs the model end to end and once more with per-layer timers.
    @OptionGroup var timing: TimingOptions
    var runs: Int { timing.runs ?? 20 }
    var warmup: Int { timing.warmup ?? 3 }

    @Option(help: "MAC budget in GMACs (e.g. 50): exit with code 2 when the model exceeds it. Decided from the static MAC count: the model is not compiled or timed unless --timed is given.")
    var budget: Double?

    @Flag(name: .customLong("timed"), help: "With --budget: also compile and time the model.")
    var timedWithBudget = false

    @OptionGroup var progressOptions: ProgressOptions

    /// Whether the model is compiled and timed: not with --static, and with --budget only
    /// when --timed (or --image) asks for it, since the verdict needs only the MAC count.
    var timed: Bool { !staticOnly && (budget == nil || timedWithBudget || image != nil) }

    @Option(help: "Write the report as JSON to this path (- for standard output).")
    var json: String?

    @Option(help: "Write the per-layer table as CSV to this path (- for standard output).")
    var csv: String?

    @Option(help: "Write a self-contained HTML report with charts to this path (- for standard output).")
    var html: String?

    /// A report written to standard output (`-`) keeps it clean: the human tables go to stderr.
    var machineOutputOnStdout: Bool { [json, csv, html].contains("-") }

    /// Prints a line for people: stdout, or stderr when a report goes to stdout.
    func say(_ line: String) {
        if machineOutputOnStdout {
            var stderr = StandardError()
            print(line, to: &stderr)
        } else {
            print(line)
        }
    }

    @Flag(name: .customLong("max-resolution"), help: "With --budget: the largest input (same aspect ratio, sides multiples of 32) whose MACs fit. Static only.")
    var maxResolution = false

    @Option(help: ArgumentHelp("Also time this photo: ms per image split into decode, preprocess and inference.", valueName: "PATH"))
    var image: String?

    @Option(help: ArgumentHelp("Preprocessing preset for --image (default baseline).", valueName: "NAME"))
    var preset: Preset?

    @Flag(name: .customLong("static"), help: "Costs only: do not compile or time the model.")
    var staticOnly = false

    func validate() throws {
        guard [json, csv, html].filter({ $0 == "-" }).count <= 1 else {
            throw ValidationError("only one of --json, --csv and --html can write to standard output (-)")
        }
        if let budget, !(budget > 0) { throw ValidationError("--budget must be a positive number of GMACs") }
        if maxResolution && budget == nil { throw ValidationError("--max-resolution needs --budget G") }
        if timedWithBudget && budget == nil { throw ValidationError("--timed goes with --budget (without --budget the profile is timed anyway)") }
        if timedWithBudget && staticOnly { throw ValidationError("--timed and --static contradict each other") }
        if preset != nil && image == nil { throw ValidationError("--preset needs --image PATH") }
        if image != nil && (staticOnly || maxResolution) {
            throw ValidationError("--image times the model: it cannot go with --static or --max-resolution")
        }
    }

    func run() throws {
        let graph: Graph
        let compile: CompileOptions
        let photoPreset = image.map { _ in preset ?? .baseline }
        do {
            graph = try ONNXImporter.load(contentsOf: options.model)
            compile = try options.compileOptions(graph: graph, preset: photoPreset)
        } catch let e as ValidationError {
            throw e
        } catch {
            fail(error)
        }
        if maxResolution {
            try runMaxResolution(graph, compile)
            return
        }
        let report: ProfileReport
        do {
            let progress = progressOptions.make("profile")
            defer { progress.finish() }
            var r = try Profiler.profile(graph: graph, options: Profiler.Options(
                threads: compile.threads, runs: runs, warmup: warmup, inputShapes: compile.inputShapes,
                memoryLimit: compile.memoryLimit,
                timed: timed,
                staticReason: staticOnly ? "static profile (--static): not compiled, not timed"
                    : "--budget decides from the MAC count: not compiled, not timed (add --timed to time it)",
                progress: progress.callback))
            r.model = options.model
            r.budgetGMACs = budget
            if let image, let photoPreset {
                r.image = try Profiler.profileImage(graph: graph, imagePath: image, preset: photoPreset, options: Profiler.Options(
                    threads: compile.threads, runs: runs, warmup: warmup, inputShapes: compile.inputShapes,
                    memoryLimit: compile.memoryLimit,
                    progress: progress.callback))
            }
            progress.finish()
            report = r
            if let json { try write(try report.jsonData(), to: json) }
            if let csv { try write(Data(report.csv().utf8), to: csv) }
            if let html { try write(Data(report.html().utf8), to: html) }
        } catch {
            fail(error)
        }
        say(Self.text(report))
        if let budget {
            let limit = Int((budget * 1e9).rounded())
            if report.macs > limit {
                var stderr = StandardError()
                print("\nOVER BUDGET: \(formatCount(report.macs)) MACs > \(budget) G (exit code \(Self.overBudgetExitCode)). Largest layers:",
                      to: &stderr)
                for l in report.largestLayers(5) {
                    print("  \(l.op) '\(l.name)': \(formatCount(l.macs)) MACs (\(String(format: "%.1f", Double(l.macs) / Double(report.macs) * 100))%)",
                          to: &stderr)
                }
                throw ExitCode(Self.overBudgetExitCode)
            }
            if !report.untyped.isEmpty {
                var stderr = StandardError()
                print("\nBUDGET UNDECIDED: shape inference stopped, so \(formatCount(report.macs)) MACs is a lower bound (exit code \(Self.incompleteExitCode))",
                      to: &stderr)
                throw ExitCode(Self.incompleteExitCode)
            }
            say("\nwithin budget: \(formatCount(report.macs)) MACs <= \(budget) G")
        }
    }

    private func runMaxResolution(_ graph: Graph, _ compile: CompileOptions) throws {
        guard let budget else { return }
        let result: Profiler.Resolution?
        let reference: [Int]
        do {
            let shaped = try Model.applyInputShapes(graph, compile.inputShapes)
            reference = shaped.inputs.first?.type.staticShape ?? []
            result = try Profiler.maxResolution(graph: shaped, referenceShape: reference,
                                                budgetMACs: Int((budget * 1e9).rounded()))
        } catch {
            fail(error)
        }
        if let json {
            let obj: [String: Any] = [
                "budget_gmacs": budget, "reference_shape": reference,
                "height": result.map { $0.height } as Any, "width": result.map { $0.width } as Any,
                "macs": result.map { $0.macs } as Any,
            ]
            do {
                try write(try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .prettyPrinted]), to: json)
            } catch {
                fail(error)
            }
        }
        guard let result else {
            var stderr = StandardError()
            print("no input of aspect ratio \(reference.count == 4 ? "\(reference[2]):\(reference[3])" : "?") with sides multiple of 32 fits \(budget) GMACs",
                  to: &stderr)
            throw ExitCode(Self.overBudgetExitCode)
        }
        say("largest input within \(budget) GMACs (aspect ratio of \(reference[2])x\(reference[3]), sides multiples of 32): "
              + "\(reference[0])x\(reference[1])x\(result.height)x\(result.width), \(formatCount(result.macs)) MACs")
    }

    private func write(_ data: Data, to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(data)
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw LoupeError.io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func text(_ r: ProfileReport) -> String {
        var lines: [String] = []
        lines.append("model: \(r.model ?? "?")  inputs: " + r.inputShapes.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", "))
        var rows: [[String]] = []
        for (i, l) in r.layers.enumerated() {
            rows.append([String(i), l.name, l.op, l.outputShape.map(String.init).joined(separator: "x"),
                         l.macs > 0 ? formatCount(l.macs) : "", l.params > 0 ? formatCount(l.params) : "",
                         l.ms.map { String(format: "%.3f", $0) } ?? "", l.share.map { String(format: "%.1f%%", $0 * 100) } ?? "",
                         l.gmacPerSecond.map { String(format: "%.1f", $0) } ?? "", l.placement])
        }
        lines.append("")
        lines.append(formatTable(["#", "node", "op", "output (NCHW)", "MACs", "params", "ms", "share", "GMAC/s", "runs on"], rows))
        if r.layers.contains(where: { $0.physicalShape != nil }) {
            lines.append("(output shapes NCHW as in ONNX; the transposes the layout pass adds, named with '::', show the runtime's NHWC)")
        }
        lines.append("")
        lines.append("costs from the \(r.graph) graph")
        lines.append("MACs (conv, convtranspose, gemm, matmul): \(formatCount(r.macs))  (\(r.macs))")
        lines.append("other ops, apart (elements of element-wise ops, activations, pools, reductions): \(formatCount(r.macsOther))")
        var p = "parameters (float weight elements in the file): \(r.params)"
        if let bn = r.paramsBatchNorm, let t = r.paramsTrainable {
            p += "; \(bn) of them in BatchNormalization nodes; \(t) without BN running mean/var constants (PyTorch's count for an inference-mode BatchNorm export)"
        }
        lines.append(p)
        if let rt = r.paramsRuntime, rt != r.params {
            lines.append("parameters the optimized graph holds (after folding, dead code removed): \(rt)")
        }
        lines.append("weights: \(ProfileReport.bytes(r.weightsBytes))")
        if let a = r.arenaBytes { lines.append("activation arena (planner): \(ProfileReport.bytes(a))") }
        if let pl = r.peakLiveBytes { lines.append("peak live activations (liveness): \(ProfileReport.bytes(pl))") }
        if let rss = r.peakRSSBytes { lines.append("peak RSS (process, VmHWM): \(ProfileReport.bytes(rss))") }
        if let ms = r.ms {
            lines.append(String(format: "ms per inference (%d runs after %d warm-up, %d thread(s)): median %.2f, p90 %.2f, p99 %.2f, min %.2f, max %.2f",
                                r.runs ?? 0, r.warmup ?? 0, r.threads ?? 1, ms.median, ms.p90 ?? ms.max, ms.p99 ?? ms.max, ms.min, ms.max))
            if let s = r.layersMsSum {
                lines.append(String(format: "sum of per-layer medians: %.2f ms (%.1f%% of the end-to-end median)", s, s / ms.median * 100))
            }
            if let st = r.stepsMs {
                lines.append(String(format: "all steps per run (timers summed within a run): median %.2f ms (%.1f%% of the end-to-end median)",
                                    st.median, st.median / ms.median * 100))
            }
        }
        if let n = r.notTimed { lines.append("not timed: \(n)") }
        if let m = r.machine {
            lines.append("machine: loupe \(m.loupeVersion); CPU \(m.cpu ?? "unknown"), \(m.logicalCPUs) logical CPU(s); kernels \(m.kernelISA); "
                         + "XNNPACK \(m.xnnpackPackage ?? "package version unknown")")
        }
        if let im = r.image {
            func t(_ x: ProfileReport.Timing) -> String { String(format: "median %.2f, min %.2f, max %.2f", x.median, x.min, x.max) }
            lines.append("ms per image: \(im.path), preset \(im.preset) (\(im.views) view(s)), decoded \(im.decodedWidth)x\(im.decodedHeight), "
                         + "\(im.runs) runs after \(im.warmup) warm-up, \(r.threads ?? 1) thread(s):")
            lines.append("  decode:     " + t(im.decodeMs))
            lines.append("  preprocess: " + t(im.preprocessMs))
            lines.append("  inference:  " + t(im.inferenceMs) + (im.views > 1 ? " (all \(im.views) views of the photo)" : ""))
            lines.append("  total:      " + t(im.totalMs) + " (per-run sums)")
        }
        if !r.unsupported.isEmpty {
            lines.append("\n\(r.unsupported.count) node(s) cannot run:")
            lines += r.unsupported.map { "  \($0)" }
        }
        if !r.untyped.isEmpty {
            lines.append("\nshape inference failed (MACs of these nodes and those they feed are not counted):")
            lines += r.untyped.map { "  \($0)" }
        }
        lines.append("\nconventions:")
        lines += r.conventions.map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}
