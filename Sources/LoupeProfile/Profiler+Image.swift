import Foundation
import Loupe
import LoupeImaging

extension ProfileReport {
    /// Milliseconds per photo, split into the three stages of scoring one photo file (what
    /// `loupe profile --image photo.jpg --preset NAME` measures; JSON key `image`).
    ///
    /// Each timed run decodes the file, preprocesses it with the preset and runs the model
    /// on every view; `decode_ms`, `preprocess_ms`, `inference_ms` and `total_ms` each give
    /// the median, minimum and maximum over the runs (`total_ms` is the statistics of the
    /// per-run sums, so its median need not equal the sum of the stage medians).
    /// - decode: `ImageDecoder.decode(contentsOf:for:options:)` — reading the file (from the
    ///   OS cache after the first run) and decoding at the smallest size the preset needs
    ///   (JPEG DCT scaling), EXIF orientation applied.
    /// - preprocess: `Preset.prepare(_:normalization:seed:)` — crops, resizes, normalization
    ///   into the model's input tensors.
    /// - inference: `Model.run` on every view of the photo: for a multi-view preset
    ///   (clip-iqa: 11 views) it is the time of all views together, not of one view.
    public struct ImageTiming: Codable, Sendable, Equatable {
        /// The photo as given.
        public var path: String
        /// The preset's name (`baseline`, `clip-iqa`, …).
        public var preset: String
        /// Views per photo the inference time covers.
        public var views: Int
        /// Decoded size (after the preset's DCT scaling and EXIF orientation).
        public var decodedWidth: Int
        public var decodedHeight: Int
        /// Timed runs and untimed warm-up runs.
        public var runs: Int
        public var warmup: Int
        public var decodeMs: Timing
        public var preprocessMs: Timing
        public var inferenceMs: Timing
        public var totalMs: Timing

        enum CodingKeys: String, CodingKey {
            case path, preset, views, runs, warmup
            case decodedWidth = "decoded_width", decodedHeight = "decoded_height"
            case decodeMs = "decode_ms", preprocessMs = "preprocess_ms", inferenceMs = "inference_ms", totalMs = "total_ms"
        }
    }
}

extension Profiler {
    /// Static shapes for the inputs of `graph` that `preset` fills
    /// (``LoupeImaging/Preset/inputShapes(filling:)``): each input whose shape is not fully
    /// static and whose rank matches takes the preset's tensor shape (matched by input
    /// position), keeping the dimensions the model fixes. Inputs already static are left
    /// out (they are checked when timing).
    public static func presetInputShapes(_ graph: Graph, preset: Preset) -> [String: [Int]] {
        preset.inputShapes(filling: graph)
    }

    /// Times decoding, preprocessing and inference of the photo at `imagePath` with `preset`
    /// (see `ProfileReport.ImageTiming`): `options.warmup` untimed runs, then `options.runs`
    /// timed ones, each the whole decode → prepare → run-every-view chain. Inputs the model
    /// leaves symbolic take the preset's sizes; `options.inputShapes` override them. Throws
    /// `LoupeError.badInput` when the model's inputs do not take the preset's tensors, and
    /// the decoder's error when the photo cannot be decoded.
    public static func profileImage(graph: Graph, imagePath: String, preset: Preset, options: Options = Options(),
                                    normalization: Normalization = .imagenet,
                                    decodeOptions: DecodeOptions = .init()) throws -> ProfileReport.ImageTiming {
        let shapes = preset.inputShapes(filling: graph).merging(options.inputShapes) { _, given in given }
        options.progress?(Progress(stage: "compiling for the photo"))
        let model = try Model(graph: graph, options: CompileOptions(threads: options.threads, inputShapes: shapes,
                                                                 memoryLimit: options.memoryLimit))
        let expected = preset.inputShapes
        let inputs = model.inputs
        guard inputs.count == expected.count else {
            throw LoupeError.badInput(
                "preset \(preset.rawValue) makes \(expected.count) tensor(s) per view, but the model has \(inputs.count) input(s) "
                    + "(\(inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))")
        }
        for (input, shape) in zip(inputs, expected) where input.type.staticShape != shape {
            throw LoupeError.badInput(
                "model input '\(input.name)' has shape \(input.type), but preset \(preset.rawValue) makes "
                    + shape.map(String.init).joined(separator: "x") + "; choose the preset the model was trained with")
        }
        let names = inputs.map(\.name)
        var decode: [Double] = [], prep: [Double] = [], infer: [Double] = [], total: [Double] = []
        var size = (0, 0)
        let runs = max(options.runs, 1)
        for i in 0..<(max(options.warmup, 0) + runs) {
            if i < options.warmup {
                options.progress?(Progress(stage: "photo warm-up", done: i, total: options.warmup))
            } else {
                options.progress?(Progress(stage: "photo runs", done: i - options.warmup, total: runs))
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let image = try ImageDecoder.decode(contentsOf: imagePath, for: preset, options: decodeOptions)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let views = try preset.prepare(image, normalization: normalization, seed: options.seed)
            let t2 = DispatchTime.now().uptimeNanoseconds
            for tensors in views {
                var feeds: [String: Tensor] = [:]
                for (name, t) in zip(names, tensors) { feeds[name] = t }
                _ = try model.run(feeds)
            }
            let t3 = DispatchTime.now().uptimeNanoseconds
            size = (image.width, image.height)
            guard i >= options.warmup else { continue }
            decode.append(ms(t0, t1))
            prep.append(ms(t1, t2))
            infer.append(ms(t2, t3))
            total.append(ms(t0, t3))
        }
        return ProfileReport.ImageTiming(
            path: imagePath, preset: preset.rawValue, views: preset.viewCount, decodedWidth: size.0, decodedHeight: size.1,
            runs: runs, warmup: max(options.warmup, 0),
            decodeMs: ProfileReport.Timing(decode)!, preprocessMs: ProfileReport.Timing(prep)!,
            inferenceMs: ProfileReport.Timing(infer)!, totalMs: ProfileReport.Timing(total)!)
    }

    private static func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b &- a) / 1e6 }
}
