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
    /// ``init(graph:preset:normalization:threads:inputShapes:seed:decodeOptions:)`` does.
    public convenience init(contentsOf path: String, preset: Preset = .baseline, normalization: Normalization = .imagenet,
                            threads: Int = 1, inputShapes: [String: [Int]] = [:], seed: UInt64 = 0,
                            decodeOptions: DecodeOptions = .init()) throws {
        try self.init(graph: try ONNXImporter.load(contentsOf: path), preset: preset, normalization: normalization,
                      threads: threads, inputShapes: inputShapes, seed: seed, decodeOptions: decodeOptions)
    }

    /// Compiles an imported model for `preset`: input dimensions the model leaves symbolic
    /// (a dynamic batch axis, free height and width) take the sizes of the preset's tensors,
    /// matched by input position (``LoupeImaging/Preset/inputShapes(filling:)``), unless
    /// `inputShapes` gives an input's shape by name; fixed dimensions are checked as in
    /// ``init(model:preset:normalization:seed:decodeOptions:)``.
    public convenience init(graph: Graph, preset: Preset = .baseline, normalization: Normalization = .imagenet,
                            threads: Int = 1, inputShapes: [String: [Int]] = [:], seed: UInt64 = 0,
                            decodeOptions: DecodeOptions = .init()) throws {
        let shapes = preset.inputShapes(filling: graph).merging(inputShapes) { _, given in given }
        let model = try Model(graph: graph, options: CompileOptions(threads: threads, inputShapes: shapes))
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
/// The default is ``relativePath`` (`tools/models/loupe_iqa.onnx`, the challenge-baseline
/// architecture trained by synthetic-distortion learning, input [1,3,720,1280], preset
/// `baseline`; its INT8 twin `loupe_iqa.int8.onnx` lies beside it; see
/// tools/models/MODEL_CARD.md), looked up relative to the running executable and its
/// parent folders (so a `swift build` product in `.build/<config>/` finds the repository's
/// copy, and an install can put the file next to the binary under the same relative path,
/// or under ``installedPath`` of the prefix, as the Debian package does), then relative to
/// the current directory.
public enum DefaultModel {
    /// The one place the default model's location is written.
    public static let relativePath = "tools/models/loupe_iqa.onnx"
    /// Where a package installs it, relative to the prefix that holds the binary's folder:
    /// `/usr/bin/loupe` finds `/usr/share/loupe/models/loupe_iqa.onnx`.
    public static let installedPath = "share/loupe/models/loupe_iqa.onnx"
    /// The preset the default model expects.
    public static let preset = Preset.baseline

    /// The running program's file: /proc/self/exe where there is one (a program started
    /// from the PATH has only its bare name in argv[0]), else argv[0].
    public static var runningExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }

    /// The first existing copy of ``relativePath`` (or ``installedPath``) next to `executable`
    /// or one of its parent folders, else in the current directory; nil when there is none.
    public static func path(executable: String = runningExecutable) -> String? {
        let fm = FileManager.default
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            for relative in [relativePath, installedPath] {
                let candidate = dir.appendingPathComponent(relative).path
                if fm.fileExists(atPath: candidate) { return candidate }
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        let local = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent(relativePath).path
        return fm.fileExists(atPath: local) ? local : nil
    }
}
