import Foundation
import LoupeImaging
import LoupeIR

/// Chooses the photos an INT8 calibration observes: deterministically, so that the same
/// arguments always give the same quantized model, and spread over the data so that the
/// activation ranges see its whole variety.
///
/// ```swift
/// let photos = try CalibrationPhotos.uhdIQA(root: "/data/uhd-iqa", split: .training, count: 256)
/// let photos = try CalibrationPhotos.folder("photos/", count: 64)
/// ```
public enum CalibrationPhotos {
    /// One chosen photo.
    public struct Photo: Sendable, Hashable {
        /// The path to open.
        public var path: String
        /// The name recorded in the quantized model's metadata: the UHD-IQA `image_name`, or
        /// the path relative to the folder.
        public var name: String
        /// The photo's MOS (UHD-IQA only).
        public var mos: Double?
    }

    /// `count` of the photos of a UHD-IQA split, stratified over its MOS range
    /// (``UHDIQA/select(_:count:)``: the middle photo of each of `count` equal strata of the
    /// MOS-sorted split). `metadata` defaults to the CSV found in `root`.
    /// Throws `LoupeError.badInput` for a metadata CSV missing a column, and when the split
    /// holds fewer than `count` photos (unless `orFewer`: then all of them, at least one);
    /// `LoupeError.io` when no metadata is found.
    public static func uhdIQA(root: String, metadata: String? = nil, split: UHDIQA.Split, count: Int,
                              orFewer: Bool = false) throws -> [Photo] {
        try checkCount(count)
        let db = try UHDIQA(root: root, metadata: metadata)
        let available = db.photos(in: split)
        let count = orFewer && !available.isEmpty ? min(count, available.count) : count
        guard available.count >= count else {
            throw LoupeError.badInput(
                "the \(split.rawValue) split of \(root) has \(available.count) photo(s), fewer than the \(count) asked for; give --count \(available.count) or less")
        }
        return try UHDIQA.select(available, count: count).map { Photo(path: $0.path, name: $0.name, mos: $0.mos) }
    }

    /// `count` of the JPEG and PNG files under `folder` (walked recursively, hidden files
    /// skipped, files recognised as ``PhotoCollection/discover(_:)`` does), sorted by path
    /// and taken evenly spaced (``evenlySpaced(_:count:)``); nil `count` takes them all.
    /// Whether a file decodes is only known when it is decoded; the calibration lists and
    /// skips those that do not.
    /// Throws `LoupeError.io` when `folder` is missing or holds no photo, and
    /// `LoupeError.badInput` when it holds fewer than `count` (unless `orFewer`: then all
    /// of them).
    public static func folder(_ folder: String, count: Int?, orFewer: Bool = false) throws -> [Photo] {
        if let count { try checkCount(count) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw LoupeError.io("no such folder: \(folder)")
        }
        let found = try PhotoCollection.discover([folder]).photos
        guard !found.isEmpty else { throw LoupeError.io("no JPEG or PNG photos in \(folder)") }
        let count = min(count ?? found.count, orFewer ? found.count : .max)
        guard found.count >= count else {
            throw LoupeError.badInput("\(folder) holds \(found.count) photo(s), fewer than the \(count) asked for; give --count \(found.count) or less")
        }
        return try evenlySpaced(found, count: count).map { Photo(path: $0.path, name: $0.key, mos: nil) }
    }

    /// `count` items evenly spaced over `items`: the middle item of each of `count` equal
    /// runs (index `(2i + 1) · n / (2 · count)`, the rule ``UHDIQA/select(_:count:)`` applies
    /// to MOS order), in the items' order. `count == items.count` takes them all.
    public static func evenlySpaced<T>(_ items: [T], count: Int) throws -> [T] {
        try checkCount(count)
        guard count <= items.count else {
            throw LoupeError.badInput("asked for \(count) items, only \(items.count) available")
        }
        let n = items.count
        return (0..<count).map { items[(2 * $0 + 1) * n / (2 * count)] }
    }

    private static func checkCount(_ count: Int) throws {
        guard count > 0 else { throw LoupeError.badInput("the photo count must be positive, got \(count)") }
    }
}

/// How a photo becomes a model's input tensors for calibration and quantization reports:
/// one of the challenge's ``LoupeImaging/Preset``s, or, for a model whose inputs no preset
/// makes (a classifier at 64×64, a backbone at 512×512), the whole photo resized to the
/// input's size.
public enum InputRecipe: Sendable, Hashable, CustomStringConvertible {
    /// The preset's views and inputs, as `loupe score` makes them.
    case preset(Preset)
    /// One input [1,3,height,width]: the whole photo resized (Pillow bilinear with
    /// antialiasing, aspect not kept), one view.
    case resize(width: Int, height: Int)

    /// The recipe for a model whose inputs have `shapes` (nil entries for unknown
    /// dimensions): the only preset whose tensor shapes fit them (symbolic dimensions fit
    /// any size), else, for one fully static input [1,3,H,W] that no preset makes,
    /// ``resize(width:height:)``. Throws `LoupeError.badInput` when several presets fit
    /// (the message lists them: choose one) or nothing does.
    public static func implied(byInputShapes shapes: [[Int?]]) throws -> InputRecipe {
        // One shape at a time: Swift 6.0 cannot type-check the nested closures in one expression.
        func fits(_ made: [Int], _ declared: [Int?]) -> Bool {
            made.count == declared.count && zip(made, declared).allSatisfy { $1 == nil || $0 == $1 }
        }
        let fitting = Preset.allCases.filter { (preset: Preset) -> Bool in
            preset.inputShapes.count == shapes.count && zip(preset.inputShapes, shapes).allSatisfy(fits)
        }
        let shown = shapes.map { "[" + $0.map { $0.map(String.init) ?? "?" }.joined(separator: "x") + "]" }.joined(separator: ", ")
        if fitting.count == 1 { return .preset(fitting[0]) }
        if fitting.count > 1 {
            throw LoupeError.badInput(
                "the model's input shape \(shown) fits several presets (\(fitting.map(\.rawValue).joined(separator: ", "))): choose one with --preset")
        }
        // The batch may be symbolic (it is fed as 1); the image size must be known.
        if shapes.count == 1, shapes[0].count == 4, shapes[0][0] ?? 1 == 1, shapes[0][1] == 3,
           let h = shapes[0][2], let w = shapes[0][3] {
            return .resize(width: w, height: h)
        }
        throw LoupeError.badInput(
            "no preset makes the model's input shape \(shown), and it is not one image [1,3,H,W]: give --preset and, for symbolic sizes, compile at the preset's size")
    }

    /// Shapes of the tensors this recipe makes, in input order (NCHW).
    public var inputShapes: [[Int]] {
        switch self {
        case .preset(let p): return p.inputShapes
        case .resize(let w, let h): return [[1, 3, h, w]]
        }
    }

    /// Views per photo.
    public var viewCount: Int {
        switch self {
        case .preset(let p): return p.viewCount
        case .resize: return 1
        }
    }

    /// `baseline`, or `resize 64x64` for the fallback.
    public var description: String {
        switch self {
        case .preset(let p): return p.rawValue
        case .resize(let w, let h): return "resize \(w)x\(h)"
        }
    }

    /// Decodes the photo at `path` (at the smallest size the recipe needs) and makes its
    /// views × inputs. A preset goes through ``Scorer``'s own steps
    /// (``LoupeImaging/ImageDecoder/decode(contentsOf:for:options:)`` then
    /// ``LoupeImaging/Preset/prepare(_:normalization:seed:)``), so calibration sees exactly
    /// the tensors scoring will. Undecodable photos throw `LoupeError.badImage`.
    public func prepare(contentsOf path: String, normalization: Normalization = .imagenet, seed: UInt64 = 0,
                        decodeOptions: DecodeOptions = .init()) throws -> [[Tensor]] {
        switch self {
        case .preset(let preset):
            let image = try ImageDecoder.decode(contentsOf: path, for: preset, options: decodeOptions)
            return try preset.prepare(image, normalization: normalization, seed: seed)
        case .resize(let w, let h):
            var options = decodeOptions
            options.minimumSize = (w, h)
            let image = try ImageDecoder.decode(contentsOf: path, options: options)
            return [[try normalization.tensor(image.resized(width: w, height: h))]]
        }
    }
}
