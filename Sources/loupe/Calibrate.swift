import ArgumentParser
import Foundation
import Loupe
import LoupeCalibration
import LoupeImaging
import LoupeIQA

/// `loupe calibrate`: INT8 post-training quantization of a float model, calibrated on
/// UHD-IQA photos (or a folder of photos), written as a standard QDQ ONNX file.
///
/// Exit codes: 0 written; 3 written, but some chosen photos could not be decoded (they are
/// listed and were skipped); 1 nothing written (model not float, no decodable photo, an
/// empty split or folder, a CSV missing a column, an output that cannot be written); 64
/// usage error. A split or folder with fewer photos than --count is used whole, with a note.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a float model to INT8 (QDQ ONNX), calibrated on photos.",
        discussion: """
            Photos: --uhd-iqa ROOT takes --count photos of the split, stratified over its MOS range \
            (sorted by MOS, cut into --count equal strata, the middle photo of each); ROOT holds \
            uhd-iqa-metadata.csv (or uhd-iqa-training-metadata.csv, or give --metadata) and \
            training/, validation/, test/. --images DIR takes the JPEG and PNG files under DIR \
            (recursively, sorted by path) and keeps --count of them evenly spaced over that order. \
            --count defaults to \(Calibrate.defaultCount); a split or folder with fewer photos is used whole, \
            with a note. The choice is deterministic: the same arguments give the same model.
            Preprocessing: --preset NAME, as `loupe score`; without it, the one preset that makes \
            the model's input shape, or, for one [1,3,H,W] input that no preset makes, the whole \
            photo resized to HxW. Each view of a multi-view preset is one calibration sample.
            --method: mse (the default: the range minimizing rounding plus clipping noise; the best \
            single method on the networks measured in Bench/RESULTS.md), minmax, percentile (99.99th \
            percentile of |x|), entropy (KL divergence, 2048 bins), or auto (tries minmax, percentile 99.99 and 99.999, entropy and mse on the \
            same observations and keeps the one whose INT8 outputs on the calibration photos are \
            closest to FP32). --bias-correction N: N rounds of empirical bias correction after \
            calibrating (default 0: on the challenge baseline it did not help, see Bench/RESULTS.md). --keep-fp32: none; \
            auto[:DB] (mixed precision: each int8 activation's effect on the outputs is measured on up \
            to \(CalibrationOptions().sensitivitySamples) calibration samples, and activations \
            stay float, their producers and consumers running FP32, for the outputs to reach DB dB SQNR \
            against FP32, default \(KeepFP32Argument.defaultTarget); conv/gemm weights are candidates too (kept float, \
            their activations still int8); units are taken by noise removed per MAC moved to float \
            (or by sensitivity, whichever needs fewer float MACs), and the share of the MACs left \
            float is reported; one model build and run per candidate, \
            minutes at 720x1280); or node names of the optimized graph, comma-separated (`loupe inspect`).
            --weight-rounding: nearest (the default: each weight to its nearest int8 code) or adaround \
            (adaptive rounding, Nagel et al., ICML 2020, asymmetric form, greedy coordinate descent: layer by \
            layer in graph order, each weight is rounded up or down so that the conv/gemm output over \
            the calibration photos, fed the int8 model's own input, stays closest to the FP32 output; \
            the scales stay the same and every code is within one of nearest rounding; one int8 model \
            build and run per layer), or adaround-fp32 (the same with the FP32 model's input on both \
            sides: only the weights' own rounding error is reduced; one FP32 pass). It runs after \
            --keep-fp32 auto and before --bias-correction.
            The chosen photos, the method and its parameters, the preset, the weight rounding and the kept-FP32 layers \
            are recorded in the output model's metadata (loupe.calibration.*, loupe.quantization.*).
            Photos that cannot be decoded are listed and skipped; the model is still written if \
            at least one photo was observed, and the exit code is then 3.
            Exit codes: 0 written, 3 written but some photos were skipped, 1 nothing written \
            (model not float, no decodable photo, an empty split or folder, a metadata CSV missing a \
            column, output not writable), 64 usage error.
            """)

    @Argument(help: "The float ONNX model.")
    var model: String

    @Option(name: .customLong("uhd-iqa"), help: ArgumentHelp("UHD-IQA dataset root.", valueName: "ROOT"))
    var root: String?

    @Option(help: "UHD-IQA split to calibrate on: training, validation or test.")
    var split: String?

    @Option(help: ArgumentHelp("UHD-IQA metadata CSV (default: found in ROOT).", valueName: "FILE"))
    var metadata: String?

    @Option(help: ArgumentHelp("Calibrate on the photos of this folder instead of UHD-IQA.", valueName: "DIR"))
    var images: String?

    /// Photos taken when --count is not given.
    static let defaultCount = 256

    @Option(help: ArgumentHelp("Number of calibration photos (default \(Calibrate.defaultCount); fewer when the split or folder has fewer).",
                               valueName: "N"))
    var count: Int = Calibrate.defaultCount

    @Option(help: ArgumentHelp(
        "Preprocessing preset (default: implied by the model's input shape).", valueName: "NAME"))
    var preset: RecipeArgument?

    @OptionGroup var shapes: InputShapeOptions

    @Option(help: ArgumentHelp("Calibration method: \(MethodArgument.names.joined(separator: ", ")).", valueName: "METHOD"))
    var method: String = "mse"

    @Option(name: .customLong("keep-fp32"), help: ArgumentHelp("Layers kept in FP32: none, auto[:DB], or NODE,NODE.", valueName: "WHICH"))
    var keepFP32: String = "none"

    @Option(name: .customLong("bias-correction"), help: ArgumentHelp(
        "Rounds of empirical bias correction: after calibrating, the INT8 model runs on the calibration photos and each conv/gemm bias absorbs the shift of its per-channel output mean from FP32 (0 = off).",
        valueName: "ROUNDS"))
    var biasCorrection: Int = 0

    @Option(name: .customLong("weight-rounding"), help: ArgumentHelp(
        "How int8 weights are rounded: nearest, adaround (each weight up or down so that every conv/gemm output over the calibration photos, fed the int8 model's input, stays closest to FP32), or adaround-fp32 (the same on FP32 inputs).",
        valueName: "HOW"))
    var weightRounding: String = WeightRounding.nearest.rawValue

    @OptionGroup var execution: ExecutionOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Path of the INT8 QDQ ONNX model to write (- for standard output).", valueName: "FILE"))
    var output: String

    func validate() throws {
        guard (0...8).contains(biasCorrection) else { throw ValidationError("--bias-correction must be between 0 and 8 rounds") }
        switch (root, images) {
        case (nil, nil): throw ValidationError("give the calibration photos: --uhd-iqa ROOT or --images DIR")
        case (.some, .some): throw ValidationError("give either --uhd-iqa ROOT or --images DIR, not both")
        case (nil, .some):
            if split != nil { throw ValidationError("--split needs --uhd-iqa ROOT") }
            if metadata != nil { throw ValidationError("--metadata needs --uhd-iqa ROOT") }
        case (.some, nil): break
        }
        if let split { do { _ = try UHDIQA.Split(name: split) } catch { throw ValidationError("\(error)") } }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        _ = try MethodArgument.parse(method)
        _ = try KeepFP32Argument.parse(keepFP32)
        _ = try Self.parseWeightRounding(weightRounding)
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
    }

    static func parseWeightRounding(_ s: String) throws -> WeightRounding {
        guard let r = WeightRounding(rawValue: s.lowercased()) else {
            throw ValidationError("unknown --weight-rounding '\(s)': expected \(WeightRounding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return r
    }

    func run() throws {
        var stderr = StandardError()
        var skipped: [(String, String)] = []
        do {
            // Everything that can be checked before the long part is checked first, so
            // that a bad argument costs nothing and leaves nothing behind.
            let destination = try OutputFile(path: output, notSameAs: model)
            let calibrationMethod = try MethodArgument.parse(method)
            let keep = try KeepFP32Argument.parse(keepFP32)
            let rounding = try Self.parseWeightRounding(weightRounding)
            let loaded = try ModelInputs.load(model, preset: preset, shapes: shapes)
            try ModelInputs.requireFloat(loaded.graph, path: model)

            let photos: [CalibrationPhotos.Photo]
            let source: String
            if let root {
                let s = try UHDIQA.Split(name: split ?? "training")
                photos = try CalibrationPhotos.uhdIQA(root: root, metadata: metadata, split: s, count: count, orFewer: true)
                source = "uhd-iqa \(s.rawValue) split of \(root), stratified over MOS"
            } else {
                photos = try CalibrationPhotos.folder(images!, count: count, orFewer: true)
                source = "\(images!), evenly spaced over the sorted files"
            }
            if photos.count < count {
                print("note: --count \(count), but only \(photos.count) photo(s) are available: calibrating on all of them", to: &stderr)
            }
            print("calibrating \(model) on \(photos.count) photo(s) (\(source)); preset \(loaded.recipe), method \(method)"
                  + (rounding == .nearest ? "" : ", weight rounding \(rounding.rawValue)"), to: &stderr)

            let session = try CalibrationSession(
                graph: loaded.graph, options: CalibrationOptions(method: calibrationMethod, keepFP32: keep, threads: execution.threads,
                                            memoryLimit: execution.memoryLimit,
                                            biasCorrectionRounds: biasCorrection,
                                            methodCandidates: method.lowercased() == "auto" ? MethodArgument.autoCandidates : [],
                                            weightRounding: rounding))
            var used: [CalibrationPhotos.Photo] = []
            var progress = Progress(total: photos.count)
            for photo in photos {
                let views: [[Tensor]]
                do {
                    views = try loaded.recipe.prepare(contentsOf: photo.path)
                } catch {
                    skipped.append((photo.path, BatchScorer.reason(error)))
                    progress.clearLine()
                    print("skipped: \(photo.path): \(BatchScorer.reason(error))", to: &stderr)
                    progress.advance(failed: skipped.count)
                    continue
                }
                for view in views { try session.observe(loaded.feeds(view)) }
                used.append(photo)
                progress.advance(failed: skipped.count)
            }
            progress.clearLine()
            guard !used.isEmpty else {
                throw LoupeError.badInput("none of the \(photos.count) chosen photo(s) could be decoded; nothing written")
            }
            print(String(format: "observed %d photo(s) (%d sample(s)) in %.1f s", used.count, session.observedCount, progress.elapsed),
                  to: &stderr)

            var measuring: Progress? = nil
            var roundingLayers: Progress? = nil
            let result = try session.quantize(metadata: CalibrationMetadata.entries(
                photos: used.map(\.name), skipped: skipped.map(\.0), source: source, recipe: loaded.recipe,
                method: method, keepFP32: keepFP32), progress: { done, total in
                if measuring == nil {
                    print("--keep-fp32 auto: measuring each of \(total) int8 activation(s) and weight(s) alone", to: &stderr)
                    measuring = Progress(total: total, unit: "units")
                }
                if done > 0 { measuring?.advance(failed: 0) }
            }, roundingProgress: { done, total in
                if roundingLayers == nil {
                    measuring?.clearLine()
                    print("--weight-rounding \(rounding.rawValue): rounding the weights of \(total) int8 conv/gemm layer(s), one after the other",
                          to: &stderr)
                    roundingLayers = Progress(total: total, unit: "layers")
                }
                if done > 0 { roundingLayers?.advance(failed: 0) }
            })
            measuring?.clearLine()
            roundingLayers?.clearLine()
            if let r = roundingLayers {
                print(String(format: "rounded the weights of %d layer(s) in %.1f s", r.total, r.elapsed), to: &stderr)
            }
            for w in result.warnings { print("warning: \(w)", to: &stderr) }
            try destination.write { try ONNXExporter.write(result.graph, to: $0) }

            var rows: [[String]] = [
                ["tensors calibrated", String(result.ranges.count)],
                ["method", result.graph.metadata[Quantizer.MetadataKey.method] ?? method],
                ["weight rounding", rounding.rawValue],
                ["photos", "\(used.count) of \(photos.count) (\(source))"],
                ["preset", loaded.recipe.description],
                ["kept FP32", result.keptFP32.isEmpty ? "none" : "\(result.keptFP32.count) node(s), listed below"],
                ["output", output],
            ]
            if !skipped.isEmpty { rows.insert(["skipped", "\(skipped.count) photo(s) not decodable, listed on stderr"], at: 3) }
            let toStdout = output == standardOutputName
            say(formatTable(["calibration", ""], rows), stdoutTaken: toStdout)
            if let mixed = result.graph.metadata[Quantizer.MetadataKey.mixedPrecision] {
                say("", stdoutTaken: toStdout)
                // Samples, target, all-int8 SQNR, what was kept, the float share of the MACs;
                // the trials and the per-unit list stay in the metadata.
                say("mixed precision: " + mixed.split(separator: ";").prefix(5).joined(separator: ";"), stdoutTaken: toStdout)
            }
            if !result.keptFP32.isEmpty {
                say("", stdoutTaken: toStdout)
                say(formatTable(["kept FP32 node", "reason"], result.keptFP32.map { [$0.node, $0.reason] }), stdoutTaken: toStdout)
            }
        } catch {
            fail(error)
        }
        if !skipped.isEmpty {
            print("\(skipped.count) photo(s) could not be decoded and were skipped:", to: &stderr)
            for (path, reason) in skipped { print("  \(path): \(reason)", to: &stderr) }
            throw ExitCode(3)
        }
    }
}

/// `--method`: the calibrator and its parameters.
enum MethodArgument {
    static let names = ["minmax", "percentile", "entropy", "mse", "auto"]

    /// What `auto` tries (each scored by the int8 model's output SQNR on the calibration photos).
    static let autoCandidates: [CalibrationMethod] = [.minMax, .percentile(99.99), .percentile(99.999), .entropy(bins: 2048), .mse]

    static func parse(_ s: String) throws -> CalibrationMethod {
        switch s.lowercased() {
        case "minmax": return .minMax
        case "percentile": return .percentile(99.99)
        case "entropy": return .entropy(bins: 2048)
        case "mse": return .mse
        // The observers are shared by every candidate; entropy's 2048 bins is what they need.
        case "auto": return .entropy(bins: 2048)
        default: throw ValidationError("unknown --method '\(s)': expected \(names.joined(separator: ", "))")
        }
    }
}

/// `--keep-fp32 none|auto[:DB]|NODE,NODE`.
enum KeepFP32Argument {
    /// `auto`'s output SQNR target in dB: noise a tenth of the outputs' spread between
    /// photos in amplitude, a correlation of about 0.995 with FP32 (OutputSQNR).
    static let defaultTarget = 20.0

    static func parse(_ s: String) throws -> KeepFP32 {
        switch s {
        case "none": return .none
        case "auto": return .auto(targetSQNR: defaultTarget)
        case _ where s.hasPrefix("auto:"):
            guard let db = Double(s.dropFirst(5)), db.isFinite, db > 0, db <= 100 else {
                throw ValidationError("bad --keep-fp32 '\(s)': auto:DB takes a target output SQNR in dB, above 0 and at most 100")
            }
            return .auto(targetSQNR: db)
        default:
            let names = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
                throw ValidationError("bad --keep-fp32 '\(s)': expected none, auto, auto:DB, or node names separated by commas")
            }
            return .layers(names)
        }
    }
}

/// The metadata `loupe calibrate` adds to the quantized model (the library adds the method,
/// its parameters, the sample count and the kept-FP32 layers under `loupe.calibration.*`
/// and `loupe.quantization.*`).
enum CalibrationMetadata {
    static let photos = "loupe.calibration.photos"
    static let skipped = "loupe.calibration.skipped"
    static let source = "loupe.calibration.source"
    static let preset = "loupe.calibration.preset"
    static let normalization = "loupe.calibration.normalization"
    static let methodArgument = "loupe.calibration.method_argument"
    static let keepFP32 = "loupe.calibration.keep_fp32"

    static func entries(photos: [String], skipped: [String], source: String, recipe: InputRecipe,
                        method: String, keepFP32: String) -> [String: String] {
        var m = [
            Self.photos: jsonArray(photos),
            Self.source: source,
            Self.preset: recipe.description,
            Self.normalization: "imagenet",
            Self.methodArgument: method,
            Self.keepFP32: keepFP32,
        ]
        if !skipped.isEmpty { m[Self.skipped] = jsonArray(skipped) }
        return m
    }

    /// Names as a JSON array: file names may hold commas.
    static func jsonArray(_ names: [String]) -> String { "[" + names.map(jsonString).joined(separator: ",") + "]" }
}

/// A model's graph with static input shapes and the recipe that makes its inputs.
struct ModelInputs {
    var graph: Graph
    var recipe: InputRecipe

    /// Imports `path` and gives its inputs the `--input-shape` sizes; `preset` (or the one
    /// the input shapes imply) fixes the dimensions still symbolic; fixed ones must match
    /// what the recipe makes.
    static func load(_ path: String, preset: RecipeArgument?, shapes: InputShapeOptions) throws -> ModelInputs {
        let graph = try imported(path, shapes: shapes)
        let recipe: InputRecipe
        switch preset {
        case .resize:
            // The whole photo resized to the model's one [1,3,H,W] input, without the views a
            // preset of the same size would add (clip-iqa is also 224×224).
            // The batch may be symbolic (it is fed as 1); the image size must be known.
            let d = graph.inputs.first?.type.dims.map(\.known) ?? []
            guard graph.inputs.count == 1, d.count == 4, d[0] ?? 1 == 1, d[1] == 3, let h = d[2], let w = d[3] else {
                throw LoupeError.badInput("--preset \(RecipeArgument.resizeName) needs one [1,3,H,W] input with known H and W; the model has \(graph.inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", "))")
            }
            recipe = .resize(width: w, height: h)
        case .preset(let p):
            recipe = .preset(p)
        case nil:
            recipe = try InputRecipe.implied(byInputShapes: graph.inputs.map { $0.type.dims.map(\.known) })
        }
        return ModelInputs(graph: try apply(recipe, to: graph), recipe: recipe)
    }

    /// Imports `path` with the `--input-shape` sizes on its inputs; the inputs they leave
    /// symbolic stay so, for a recipe to fill (``apply(_:to:)``).
    static func imported(_ path: String, shapes: InputShapeOptions) throws -> Graph {
        var graph = try ONNXImporter.load(contentsOf: path)
        for (name, shape) in try shapes.shapes(for: graph) {
            guard let i = graph.inputs.firstIndex(where: { $0.name == name }) else {
                throw LoupeError.badInput("--input-shape names '\(name)', but the inputs of \(path) are: \(graph.inputs.map(\.name).joined(separator: ", "))")
            }
            graph.inputs[i].type = TensorType(graph.inputs[i].type.dtype, shape: shape)
        }
        return graph
    }

    /// `graph` with the recipe's tensor shapes on its inputs (symbolic dimensions take
    /// them; fixed ones must agree).
    static func apply(_ recipe: InputRecipe, to graph: Graph) throws -> Graph {
        let shapes = recipe.inputShapes
        guard graph.inputs.count == shapes.count else {
            throw LoupeError.badInput(
                "preset \(recipe) makes \(shapes.count) tensor(s) per view, but the model has \(graph.inputs.count) input(s) (\(graph.inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))")
        }
        for (input, shape) in zip(graph.inputs, shapes) {
            let fits = input.type.rank == shape.count && zip(input.type.dims, shape).allSatisfy { $0.known == nil || $0.known == $1 }
            guard fits else {
                throw LoupeError.badInput(
                    "model input '\(input.name)' has shape \(input.type), but preset \(recipe) makes [\(shape.map(String.init).joined(separator: "x"))]: choose the preset the model was trained with")
            }
        }
        return try Model.applyInputShapes(graph, Preset.fillingSymbolicDimensions(of: graph.inputs, with: shapes))
    }

    /// Model inputs of one view, by input name.
    func feeds(_ view: [Tensor]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: zip(graph.inputs.map(\.name), view))
    }

    /// Refuses a model that is not a float model: non-float inputs, or quantized operators
    /// already in it (calibrate the float model it came from instead).
    static func requireFloat(_ graph: Graph, path: String) throws {
        for input in graph.inputs where input.type.dtype != .float32 {
            throw LoupeError.badInput("\(path) is not a float model: input '\(input.name)' is \(input.type.dtype), calibration needs float32 inputs")
        }
        let quantizedOps: Set<String> = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv",
                                         "QLinearMatMul", "ConvInteger", "MatMulInteger"]
        for node in graph.nodes {
            if let type = node.origin?.opType, quantizedOps.contains(type) {
                throw LoupeError.badInput(
                    "\(path) is already quantized (\(node.reference) is \(type)): calibrate the float model it was made from")
            }
        }
    }
}

/// An output file written all at once: checked for writability before the work starts,
/// written to a temporary file in the same folder and renamed over the destination only
/// when complete, so that a failure leaves nothing behind (and an older file untouched).
struct OutputFile {
    let path: String

    /// Throws `LoupeError.io` when the folder is missing or not writable, when `path` is a
    /// folder or an unwritable file, or when it is the input `notSameAs`.
    init(path: String, notSameAs input: String) throws {
        let fm = FileManager.default
        if path == standardOutputName {
            self.path = path
            return
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw LoupeError.io("cannot write \(path): no such folder \(folder)")
        }
        guard fm.isWritableFile(atPath: folder) else { throw LoupeError.io("cannot write \(path): folder \(folder) is not writable") }
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            guard !isDir.boolValue else { throw LoupeError.io("cannot write \(path): it is a folder") }
            guard fm.isWritableFile(atPath: path) else { throw LoupeError.io("cannot write \(path): the file is not writable") }
            let a = url.resolvingSymlinksInPath().path, b = URL(fileURLWithPath: input).resolvingSymlinksInPath().path
            guard a != b else { throw LoupeError.io("refusing to overwrite the input model \(input) with its quantized version: give another -o") }
        }
        self.path = path
    }

    /// Calls `body` with a temporary path next to the destination, then renames it into
    /// place; removes the temporary file when anything fails.
    func write(_ body: (String) throws -> Void) throws {
        if path == standardOutputName {
            // Written whole to a temporary file first, so that a failure sends nothing down the pipe.
            let temp = FileManager.default.temporaryDirectory
                .appendingPathComponent("loupe-output-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: temp) }
            try body(temp)
            guard let data = FileManager.default.contents(atPath: temp) else { throw LoupeError.io("cannot read back \(temp)") }
            FileHandle.standardOutput.write(data)
            return
        }
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
        do {
            try body(temp)
            guard rename(temp, path) == 0 else {
                throw LoupeError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }
}
