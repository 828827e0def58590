import Foundation
import LoupeIR

/// A photo with its ground-truth quality score: what `loupe eval` compares predictions with.
public struct LabeledPhoto: Sendable, Hashable {
    /// The name as the labels give it (`1.jpg`, or a relative path such as `a/1.jpg`).
    public var name: String
    /// Where the photo file is.
    public var path: String
    /// The ground-truth score (MOS).
    public var mos: Double

    public init(name: String, path: String, mos: Double) {
        self.name = name
        self.path = path
        self.mos = mos
    }
}

extension UHDIQA.Photo {
    /// The photo as a ``LabeledPhoto``.
    public var labeled: LabeledPhoto { LabeledPhoto(name: name, path: path, mos: mos) }
}

/// Labels of any image-quality set given as a CSV of file names and scores (KonIQ-10k's
/// `koniq10k_scores_and_distributions.csv`, SPAQ's MOS sheet saved as CSV, a home-made
/// set), with the photos in one folder.
public enum LabelTable {
    /// Column names taken as the file name when none is given, in this order
    /// (case-insensitive).
    public static let nameColumns = ["image_name", "image", "filename", "file_name", "file", "name", "path"]
    /// Column names taken as the score when none is given, in this order (case-insensitive).
    public static let scoreColumns = ["mos", "quality_mos", "score", "dmos"]

    /// The photos of `table`, their paths under `images`. `nameColumn` and `scoreColumn`
    /// default to the first of ``nameColumns`` and ``scoreColumns`` the header has. Throws
    /// `LoupeError.badInput` naming the columns present when a column is missing, and the
    /// line of an empty name, of a score that is not a number, or of a name labelled
    /// twice (it would count twice in every correlation).
    public static func photos(_ table: CSVTable, images: String, nameColumn: String? = nil,
                              scoreColumn: String? = nil) throws -> [LabeledPhoto] {
        let name = try column(table, nameColumn, candidates: nameColumns, what: "file name", option: "--name-column")
        let score = try column(table, scoreColumn, candidates: scoreColumns, what: "score", option: "--score-column")
        let folder = URL(fileURLWithPath: images)
        var firstLine: [String: Int] = [:]
        return try table.rows.map { row in
            let file = row.fields[name]
            guard !file.isEmpty else { throw LoupeError.badInput("\(table.source): line \(row.line): empty file name") }
            if let first = firstLine.updateValue(row.line, forKey: file) {
                throw LoupeError.badInput("\(table.source): line \(row.line): '\(file)' is labelled again (first on line \(first))")
            }
            return LabeledPhoto(name: file, path: folder.appendingPathComponent(file).path, mos: try table.number(row, score))
        }
    }

    static func column(_ table: CSVTable, _ given: String?, candidates: [String], what: String, option: String) throws -> Int {
        if let given { return try table.column(given) }
        for c in candidates {
            if let i = table.header.firstIndex(where: { $0.caseInsensitiveCompare(c) == .orderedSame }) { return i }
        }
        throw LoupeError.badInput("\(table.source): no \(what) column (looked for \(candidates.joined(separator: ", ")); "
            + "columns: \(table.header.joined(separator: ", "))); name it with \(option)")
    }

    /// Checks, before any photo is scored, that the photos are where the labels say:
    /// throws `LoupeError.io` when `folder` does not exist or holds none of them (naming
    /// the folder and the first photo looked for). Returns the photos that are missing when
    /// only some are (each is then reported as it fails).
    @discardableResult
    public static func checkPresent(_ photos: [LabeledPhoto], in folder: String, what: String) throws -> [LabeledPhoto] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw LoupeError.io("the photos of \(what) should be in \(folder), which \(fm.fileExists(atPath: folder) ? "is not a folder" : "does not exist"); "
                + "put the photos there (or give the folder that holds them)")
        }
        let missing = photos.filter { !fm.fileExists(atPath: $0.path) }
        if !photos.isEmpty && missing.count == photos.count {
            throw LoupeError.io("none of the \(photos.count) photos of \(what) is in \(folder) (the first: \(photos[0].path))")
        }
        return missing
    }
}
