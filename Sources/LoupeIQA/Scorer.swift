import Foundation
import Loupe
import LoupeImaging

/// Milliseconds spent on each stage of scoring one photo.
public struct StageTimings: Sendable, Hashable, Codable {
    /// Reading and decoding the file (JPEG DCT scaling included).
    public var decodeMs: Double
    /// The preset's crops, resizes and normalization.
    public var preprocessMs: Double
    /// Running the model on every view.
    public var inferenceMs: Double
    /// The sum of the three stages.
    public var totalMs: Double { decodeMs + preprocessMs + inferenceMs }

    public init(decodeMs: Double = 0, preprocessMs: Double = 0, inferenceMs: Double = 0) {
        self.decodeMs = decodeMs
        self.preprocessMs = preprocessMs
        self.inferenceMs = inferenceMs
    }
}

/// The score of one photo file.
public struct ScoreResult: Sendable, Hashable {
    /// The path as given.
    public var path: String
    /// The model's output, averaged over the preset's views.
    public var score: Double
    public var timings: StageTimings

    public init(path: String, score: Double, timings: StageTimings) {
        self.path = path
        self.score = score
        self.timings = timings
    }
}

/// A photo decoded and preprocessed, ready for inference: what the batch pipeline's
/// decode thread hands to the inference thread.
public struct PreparedPhoto: Sendable {
    public var path: String
    /// Views × model inputs, as ``LoupeImaging/Preset/prepare(_:normalization:seed:)`` makes them.
    public var views: [[Tensor]]
    public var decodeMs: Double
    public var preprocessMs: Double
}

/// Scores photos with a compiled model and one of the challenge's presets.
///
/// ```swift
/// let model = try Model(contentsOf: DefaultModel.path()!)
/// let scorer = try Scorer(model: model, preset: .baseline)
/// let result = try scorer.score(contentsOf: "photo.jpg")   // result.score, result.timings
/// ```
///
/// Every view of the preset is run through the model and the views' scores are averaged;
/// a multi-input model gets one tensor per input, in the model's input order. The model's
/// inputs are checked against the preset's tensor shapes once, here.
///
/// Not thread-safe for inference (the model owns one arena); ``prepare(contentsOf:)`` and
/// ``prepare(image:)`` touch no shared state and may run on another thread.
public final class Scorer {
    public let model: Model
    public let preset: Preset
    public let normalization: Normalization
    /// Seed of the presets that sample at random (sjtu, gs-piqa, clip-iqa).
    public let seed: UInt64
    /// Pixel cap and orientation handling for decoding.
    public let decodeOptions: DecodeOptions
    private let inputNames: [String]
    private let outputName: String

    /// Checks that `model` takes exactly the tensors `preset` makes: one float32 input per
    /// preset tensor, in order, of the same static shape, and that its first output holds
    /// one value. Throws `LoupeError.badInput` naming the input and both shapes otherwise.
    public init(model: Model, preset: Preset = .baseline, normalization: Normalization = .imagenet,
                seed: UInt64 = 0, decodeOptions: DecodeOptions = .init()) throws {
        let shapes = preset.inputShapes
        let inputs = model.inputs
        guard inputs.count == shapes.count else {
            throw LoupeError.badInput(
                "preset \(preset.rawValue) makes \(shapes.count) tensor(s) per view (\(shapes.map(Self.format).joined(separator: ", "))), "
                    + "but the model has \(inputs.count) input(s) (\(inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))")
        }
        for (i, (input, shape)) in zip(inputs, shapes).enumerated() {
            guard input.type.dtype == .float32 else {
                throw LoupeError.badInput("model input \(i) '\(input.name)' is \(input.type.dtype); preset \(preset.rawValue) makes float32")
            }
            guard input.type.staticShape == shape else {
                throw LoupeError.badInput(
                    "model input \(i) '\(input.name)' has shape \(input.type), but preset \(preset.rawValue) makes \(Self.format(shape)); "
                        + "choose the preset the model was trained with, or compile it with --input-shape \(input.name)=\(shape.map(String.init).joined(separator: "x"))")
            }
        }
        guard let output = model.outputs.first else { throw LoupeError.badInput("the model has no outputs") }
        if let s = output.type.staticShape, s.reduce(1, *) != 1 {
            throw LoupeError.badInput("model output '\(output.name)' has shape \(output.type); a scorer needs one value per photo")
        }
        self.model = model
        self.preset = preset
        self.normalization = normalization
        self.seed = seed
        self.decodeOptions = decodeOptions
        self.inputNames = inputs.map(\.name)
        self.outputName = output.name
    }

    /// Imports and compiles the ONNX model at `path` for `preset`, as
    /// ``init(graph:preset:normalization:threads:inputShapes:memoryLimit:seed:decodeOptions:)`` does.
    public convenience init(contentsOf path: String, preset: Preset = .baseline, normalization: Normalization = .imagenet,
                            threads: Int = 1, inputShapes: [String: [Int]] = [:],
                            memoryLimit: Int = MemoryCeiling.defaultBytes, seed: UInt64 = 0,
                            decodeOptions: DecodeOptions = .init()) throws {
        try self.init(graph: try ONNXImporter.load(contentsOf: path), preset: preset, normalization: normalization,
                      threads: threads, inputShapes: inputShapes, memoryLimit: memoryLimit, seed: seed,
                      decodeOptions: decodeOptions)
    }

    /// Compiles an imported model for `preset`: input dimensions the model leaves symbolic
    /// (a dynamic batch axis, free height and width) take the sizes of the preset's tensors,
    /// matched by input position (``LoupeImaging/Preset/inputShapes(filling:)``), unless
    /// `inputShapes` gives an input's shape by name; fixed dimensions are checked as in
    /// ``init(model:preset:normalization:seed:decodeOptions:)``. A model that needs more than
    /// `memoryLimit` bytes throws `LoupeError.memoryLimit` (see `CompileOptions.memoryLimit`).
    public convenience init(graph: Graph, preset: Preset = .baseline, normalization: Normalization = .imagenet,
                            threads: Int = 1, inputShapes: [String: [Int]] = [:],
                            memoryLimit: Int = MemoryCeiling.defaultBytes, seed: UInt64 = 0,
                            decodeOptions: DecodeOptions = .init()) throws {
        let shapes = preset.inputShapes(filling: graph).merging(inputShapes) { _, given in given }
        let model = try Model(graph: graph, options: CompileOptions(threads: threads, inputShapes: shapes,
                                                                    memoryLimit: memoryLimit))
        try self.init(model: model, preset: preset, normalization: normalization, seed: seed, decodeOptions: decodeOptions)
    }

    /// Decodes, preprocesses and scores the photo at `path`, timing each stage.
    /// Undecodable photos throw `LoupeError.badImage`.
    public func score(contentsOf path: String) throws -> ScoreResult {
        try infer(try prepare(contentsOf: path))
    }

    /// Scores an already decoded image.
    public func score(image: RGBImage) throws -> Double {
        try score(views: try preset.prepare(image, normalization: normalization, seed: seed))
    }

    /// Decodes (at the smallest size the preset needs) and preprocesses the photo at
    /// `path`. Thread-safe.
    public func prepare(contentsOf path: String) throws -> PreparedPhoto {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let image = try ImageDecoder.decode(contentsOf: path, for: preset, options: decodeOptions)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let views = try preset.prepare(image, normalization: normalization, seed: seed)
        let t2 = DispatchTime.now().uptimeNanoseconds
        return PreparedPhoto(path: path, views: views, decodeMs: Self.ms(t0, t1), preprocessMs: Self.ms(t1, t2))
    }

    /// Runs the model on a prepared photo.
    public func infer(_ photo: PreparedPhoto) throws -> ScoreResult {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let score = try score(views: photo.views)
        let t1 = DispatchTime.now().uptimeNanoseconds
        return ScoreResult(path: photo.path, score: score, timings: StageTimings(
            decodeMs: photo.decodeMs, preprocessMs: photo.preprocessMs, inferenceMs: Self.ms(t0, t1)))
    }

    /// Runs the model on each view (one tensor per model input) and averages the scores.
    public func score(views: [[Tensor]]) throws -> Double {
        guard !views.isEmpty else { throw LoupeError.badInput("preset \(preset.rawValue) made no views") }
        var sum = 0.0
        for (v, tensors) in views.enumerated() {
            guard tensors.count == inputNames.count else {
                throw LoupeError.badInput("view \(v) has \(tensors.count) tensor(s); the model has \(inputNames.count) input(s)")
            }
            var feeds: [String: Tensor] = [:]
            for (name, t) in zip(inputNames, tensors) { feeds[name] = t }
            let outputs = try model.run(feeds)
            guard let out = outputs[outputName], out.count == 1 else {
                throw LoupeError.badInput("model output '\(outputName)' does not hold one value")
            }
            sum += Double(out.floats[0])
        }
        return sum / Double(views.count)
    }

    private static func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b &- a) / 1e6 }
    private static func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: "x") + "]" }
}

/// Where the default scoring model lives.
///
/// The default is `loupe_iqa.onnx` (the challenge-baseline architecture trained by
/// synthetic-distortion learning, input [1,3,720,1280], preset `baseline`; its INT8 twin
/// `loupe_iqa.int8.onnx` lies beside it; see tools/models/MODEL_CARD.md). It is looked up,
/// first found wins:
/// 1. the file named by the environment variable ``environmentVariable``
///    (`LOUPE_DEFAULT_MODEL`), which overrides the rest (and fails when it names nothing);
/// 2. ``installedPath`` under the prefix of the running executable's real path (links
///    resolved): `<prefix>/bin/loupe` finds `<prefix>/share/loupe/models/loupe_iqa.onnx`,
///    where an install puts it;
/// 3. ``relativePath`` (`tools/models/loupe_iqa.onnx`) in the folder of the executable's
///    real path and its parent folders: a `swift build` product in `.build/<config>/`, or a
///    link to it anywhere, finds the checkout's copy;
/// 4. ``relativePath`` in the current folder.
public enum DefaultModel {
    /// The model's place in a source checkout.
    public static let relativePath = "tools/models/loupe_iqa.onnx"
    /// The model's place under an install prefix (`/usr`, `/usr/local`, `~/.local`).
    public static let installedPath = "share/loupe/models/loupe_iqa.onnx"
    /// The environment variable naming a model file that replaces the default.
    public static let environmentVariable = "LOUPE_DEFAULT_MODEL"
    /// The preset the default model expects.
    public static let preset = Preset.baseline

    /// The running executable's path with links resolved (/proc/self/exe on Linux, where
    /// `argv[0]` may be a bare name found on the PATH or a link).
    public static func executablePath() -> String {
        let proc = "/proc/self/exe"
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(proc, &buffer, buffer.count - 1)
        if n > 0 {
            return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return Bundle.main.executablePath ?? CommandLine.arguments.first ?? ""
    }

    /// The places looked at, in order: the environment variable's file alone when it is
    /// set, otherwise the install prefix, the checkout folders and the current folder.
    public static func candidates(executable: String = executablePath(),
                                  environment: [String: String] = ProcessInfo.processInfo.environment,
                                  currentDirectory: String = FileManager.default.currentDirectoryPath) -> [String] {
        if let given = environment[environmentVariable], !given.isEmpty { return [given] }
        let exeDir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        var out = [exeDir.deletingLastPathComponent().appendingPathComponent(installedPath).path]
        var dir = exeDir
        for _ in 0..<8 {
            out.append(dir.appendingPathComponent(relativePath).path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        out.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent(relativePath).path)
        return out
    }

    /// The first existing file among ``candidates(executable:environment:currentDirectory:)``;
    /// nil when there is none.
    public static func path(executable: String = executablePath(),
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        candidates(executable: executable, environment: environment, currentDirectory: currentDirectory)
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Why no default model was found, naming where it was looked for: for an error message.
    public static func notFoundMessage(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let given = environment[environmentVariable], !given.isEmpty {
            return "\(environmentVariable)=\(given) names no file; give --model FILE or unset it"
        }
        return "the default model was not found (looked for \(installedPath) under the loupe executable's prefix, "
            + "\(relativePath) next to it and in its parent folders and in the current folder; "
            + "or set \(environmentVariable)=FILE); give --model FILE"
    }
}
