import Foundation
import LoupeIR

/// The UHD-IQA benchmark database (Hosu et al., 2024), as distributed: a metadata CSV and
/// the photos in one folder per split.
///
/// ```
/// ROOT/uhd-iqa-metadata.csv            (or uhd-iqa-training-metadata.csv, or --metadata)
/// ROOT/training/<image_name>
/// ROOT/validation/<image_name>
/// ROOT/test/<image_name>
/// ```
/// The CSV has the columns `image_name, quality_mos, set, subset, orig_width,
/// orig_height, …` (more columns are ignored); `set` is `training`, `validation` or
/// `test`, and `subset` is `exclusive` for the photos of the challenge's exclusive subset,
/// empty otherwise.
public struct UHDIQA: Sendable {
    /// A split of the database.
    public enum Split: String, Sendable, CaseIterable, Codable {
        case training, validation, test

        /// The split named `name`; `LoupeError.badInput` listing the valid names otherwise.
        public init(name: String) throws {
            guard let s = Split(rawValue: name.lowercased()) else {
                throw LoupeError.badInput("unknown split '\(name)': expected \(Split.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = s
        }
    }

    /// One photo of the database.
    public struct Photo: Sendable, Hashable {
        /// File name, e.g. `1.jpg`.
        public var name: String
        /// Mean opinion score (0…1 in the distributed metadata).
        public var mos: Double
        public var split: Split
        /// True when `subset` is `exclusive`.
        public var exclusive: Bool
        /// Size of the original upload (the distributed photos are 3840 wide).
        public var originalWidth: Int
        public var originalHeight: Int
        /// `ROOT/<split>/<name>`.
        public var path: String
    }

    /// Metadata file names looked for in the root, in this order.
    public static let metadataNames = ["uhd-iqa-metadata.csv", "uhd-iqa-training-metadata.csv"]

    /// The dataset root.
    public let root: String
    /// Every photo of the metadata, in file order.
    public let photos: [Photo]

    /// Reads the metadata. `metadata` defaults to the first of ``metadataNames`` present
    /// in `root`. Throws `LoupeError.io` when no metadata file is found or readable, and
    /// `LoupeError.badInput` for a missing column, a bad number or an unknown split name.
    public init(root: String, metadata: String? = nil) throws {
        let rootURL = URL(fileURLWithPath: root)
        let file: String
        if let metadata {
            file = metadata
        } else {
            guard let found = Self.metadataNames.map({ rootURL.appendingPathComponent($0).path })
                .first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw LoupeError.io("no UHD-IQA metadata in \(root): expected one of \(Self.metadataNames.joined(separator: ", "))")
            }
            file = found
        }
        try self.init(root: root, table: try CSVTable(contentsOf: file))
    }

    /// Reads already parsed metadata; photo paths are built under `root`.
    public init(root: String, table: CSVTable) throws {
        self.root = root
        let rootURL = URL(fileURLWithPath: root)
        let name = try table.column("image_name")
        let mos = try table.column("quality_mos")
        let set = try table.column("set")
        let subset = try table.column("subset")
        let width = try table.column("orig_width")
        let height = try table.column("orig_height")
        var firstLine: [String: Int] = [:]
        photos = try table.rows.map { row in
            let image = row.fields[name]
            guard !image.isEmpty, !image.contains("/") else {
                throw LoupeError.badInput("\(table.source): line \(row.line): bad image_name '\(image)'")
            }
            // A photo listed twice would count twice in every metric.
            if let first = firstLine.updateValue(row.line, forKey: image) {
                throw LoupeError.badInput("\(table.source): line \(row.line): image_name '\(image)' is listed again (first on line \(first))")
            }
            let split: Split
            do { split = try Split(name: row.fields[set]) } catch {
                throw LoupeError.badInput("\(table.source): line \(row.line), column 'set': unknown split '\(row.fields[set])' (expected training, validation or test)")
            }
            return Photo(
                name: image, mos: try table.number(row, mos), split: split,
                exclusive: row.fields[subset].lowercased() == "exclusive",
                originalWidth: try table.count(row, width), originalHeight: try table.count(row, height),
                path: rootURL.appendingPathComponent(split.rawValue).appendingPathComponent(image).path)
        }
    }

    /// The photos of `split`, in metadata order; with `exclusive`, only those of the
    /// exclusive subset.
    public func photos(in split: Split, exclusive: Bool = false) -> [Photo] {
        photos.filter { $0.split == split && (!exclusive || $0.exclusive) }
    }

    /// A deterministic selection of `count` photos spread evenly over the MOS range, for
    /// calibration: the photos are sorted by MOS (then name), cut into `count` strata of
    /// equal size, and the middle photo of each stratum is taken (index
    /// `(2i + 1) · n / (2 · count)`), so the selection follows the MOS distribution's
    /// quantiles without its extreme outliers. The result is sorted by MOS.
    /// Throws `LoupeError.badInput` when `count` is not positive or exceeds the photos.
    public static func select(_ photos: [Photo], count: Int) throws -> [Photo] {
        guard count > 0 else { throw LoupeError.badInput("select: count must be positive, got \(count)") }
        guard count <= photos.count else {
            throw LoupeError.badInput("select: asked for \(count) photos, only \(photos.count) available")
        }
        let sorted = photos.sorted { $0.mos != $1.mos ? $0.mos < $1.mos : $0.name < $1.name }
        let n = sorted.count
        return (0..<count).map { sorted[(2 * $0 + 1) * n / (2 * count)] }
    }

    /// ``select(_:count:)`` over the photos of `split`.
    public func select(count: Int, from split: Split, exclusive: Bool = false) throws -> [Photo] {
        try Self.select(photos(in: split, exclusive: exclusive), count: count)
    }
}
