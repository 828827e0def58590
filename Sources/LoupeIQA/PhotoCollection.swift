import Foundation
import Loupe
#if canImport(Glibc)
import Glibc
#endif

/// A photo found by ``PhotoCollection/discover(_:)`` or ``PhotoCollection/listed(_:)``.
public struct PhotoInput: Sendable, Hashable {
    /// The path to open and to print: the argument, or the argument joined with the path
    /// found under it, or the list line.
    public var path: String
    /// The path relative to the folder argument it was found under (the argument itself
    /// for a file argument, the line for a list): what ``Shard`` hashes, so that shards do
    /// not depend on where the collection is mounted.
    public var key: String
}

/// An entry met while looking for photos that is not scored, and why.
public struct PhotoProblem: Sendable, Hashable {
    /// The path as printed; bytes of a name that are not UTF-8 are written `\xNN`.
    public var path: String
    /// What ``Shard`` hashes, as for ``PhotoInput/key``.
    public var key: String
    public var reason: String
}

/// What ``PhotoCollection`` found.
public struct PhotoDiscovery: Sendable {
    /// The photos to score, in order, each file once.
    public var photos: [PhotoInput] = []
    /// Entries meant as photos or folders of photos that cannot be scored: a folder that
    /// cannot be listed, a dangling `.jpg` link, a name that is not UTF-8, a listed path
    /// that does not exist. They count as failed photos.
    public var failed: [PhotoProblem] = []
    /// Entries passed over on purpose: a second path to a photo or folder already found
    /// (links, loops), a dangling link without a photo name. Not failures.
    public var skipped: [PhotoProblem] = []

    public init() {}

    /// The photos, failures and skipped entries whose key belongs to `shard`.
    public func filtered(_ shard: Shard) -> PhotoDiscovery {
        var d = PhotoDiscovery()
        d.photos = photos.filter { shard.contains(key: $0.key) }
        d.failed = failed.filter { shard.contains(key: $0.key) }
        d.skipped = skipped.filter { shard.contains(key: $0.key) }
        return d
    }
}

/// Turns command-line arguments (photos and folders) or a photo list into the photos to
/// score.
public enum PhotoCollection {
    /// Extensions that mark a file as meant to be a photo even when its bytes say
    /// otherwise (it is then listed as a failure, not skipped).
    public static let photoExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png"]

    /// Regular files given directly are always taken (others are failures). Folders are walked recursively; their photos
    /// come sorted by path (byte order of the UTF-8 names, independent of locale and file
    /// system order); hidden files and folders (name starting with `.`) are passed over.
    /// Inside folders a regular file is taken when its first bytes are a JPEG or PNG
    /// signature, or when its extension is jpg/jpeg/jpe/png (a misnamed or corrupt photo is
    /// then reported by the decoder rather than silently skipped); an image in a format
    /// Loupe does not decode (WebP, TIFF, HEIF, AVIF, GIF, BMP, JPEG XL, camera raw; by
    /// extension or first bytes) goes to ``PhotoDiscovery/skipped`` with the reason; other
    /// files (READMEs, sidecars) are passed over without a word.
    ///
    /// Links are followed, but each folder is walked once and each file taken once,
    /// whatever the number of paths to it (identified by device and inode): a link to a
    /// folder above it, or two links to the same folder, cost one line in
    /// ``PhotoDiscovery/skipped`` each, not an exponential walk. Real folders are walked
    /// before linked ones and a real path wins over a link, so a link never takes a
    /// photo's place under its own name. A subfolder that cannot be listed, a dangling or
    /// looping link named as a photo, a FIFO or device named as a photo and a name that is
    /// not UTF-8 (a photo or folder) go to ``PhotoDiscovery/failed`` and the walk goes on.
    /// Throws `LoupeError.io` for an argument that does not exist or a folder argument
    /// that cannot be listed.
    public static func discover(_ arguments: [String]) throws -> PhotoDiscovery {
        var walker = Walker()
        for arg in arguments {
            var st = stat()
            guard stat(arg, &st) == 0 else {
                throw LoupeError.io("no such file or folder: \(arg)\(errno == ENOENT ? "" : " (\(lastError()))")")
            }
            if isDirectory(st) {
                try walker.walk(root: arg)
            } else if !isRegular(st) {
                // Decoding a FIFO or a device would block or never end.
                walker.found.failed.append(PhotoProblem(path: arg, key: arg, reason: "not a regular file (\(fileKind(st)))"))
            } else {
                walker.take([Candidate(path: arg, key: arg, id: FileID(st), isLink: false)])
            }
        }
        return walker.found
    }

    /// The photos named by `lines` (one path per line, as ``readList(_:)`` returns them;
    /// relative paths are relative to the current folder). Each line is its own key, so a
    /// shard can be chosen before any file is looked at. Every listed regular file is
    /// taken (like a file argument); a line naming nothing, a folder or a FIFO goes to
    /// ``PhotoDiscovery/failed``; a second line naming the same file to
    /// ``PhotoDiscovery/skipped``.
    public static func listed(_ lines: [String]) -> PhotoDiscovery {
        var walker = Walker()
        var candidates: [Candidate] = []
        for line in lines {
            var st = stat()
            guard stat(line, &st) == 0 else {
                walker.found.failed.append(PhotoProblem(path: line, key: line, reason: lastError()))
                continue
            }
            if isRegular(st) {
                candidates.append(Candidate(path: line, key: line, id: FileID(st), isLink: false))
            } else {
                let kind = isDirectory(st) ? "a folder (a photo list names files)" : "not a regular file (\(fileKind(st)))"
                walker.found.failed.append(PhotoProblem(path: line, key: line, reason: kind))
            }
        }
        walker.take(candidates)
        return walker.found
    }

    /// The non-empty lines of the photo list at `path` (`-`: standard input), without a
    /// trailing carriage return. Throws `LoupeError.io` when it cannot be read and
    /// `LoupeError.badInput` for a line that is not UTF-8 (naming the line).
    public static func readList(_ path: String) throws -> [String] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: path) else { throw LoupeError.io("cannot read photo list \(path)") }
            data = d
        }
        var lines: [String] = []
        for (i, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw[...]
            if bytes.isEmpty { continue }
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw LoupeError.badInput("photo list \(path): line \(i + 1) is not UTF-8: \(escaped(Array(bytes)))")
            }
            lines.append(line)
        }
        return lines
    }

    static func hasPhotoExtension(_ name: String) -> Bool {
        photoExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// Whether the regular file at `path` starts with a JPEG or PNG signature.
    static func hasPhotoSignature(_ path: [CChar]) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 8)
        let n = read(fd, &head, 8)
        guard n >= 3 else { return false }
        return head.starts(with: [0xFF, 0xD8, 0xFF]) || (n == 8 && head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// Image formats Loupe does not decode, by extension (lower case).
    static let unsupportedExtensions: [String: String] = [
        "webp": "WebP", "tif": "TIFF", "tiff": "TIFF", "heic": "HEIF", "heif": "HEIF", "avif": "AVIF",
        "gif": "GIF", "bmp": "BMP", "jxl": "JPEG XL", "jp2": "JPEG 2000", "dng": "camera raw (DNG)",
        "cr2": "camera raw (CR2)", "cr3": "camera raw (CR3)", "nef": "camera raw (NEF)", "arw": "camera raw (ARW)",
        "orf": "camera raw (ORF)", "rw2": "camera raw (RW2)", "raf": "camera raw (RAF)",
    ]

    /// The name of the image format of a file Loupe does not decode, from its first bytes
    /// (WebP, TIFF, GIF, HEIF/AVIF) or its extension; nil for anything else (not an image,
    /// or JPEG/PNG).
    static func unsupportedImageFormat(name: String, path: [CChar]) -> String? {
        if let format = unsupportedExtensions[(name as NSString).pathExtension.lowercased()] { return format }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 12)
        guard read(fd, &head, 12) == 12 else { return nil }
        if head[0..<4].elementsEqual("RIFF".utf8) && head[8..<12].elementsEqual("WEBP".utf8) { return "WebP" }
        if head[0..<4].elementsEqual([0x49, 0x49, 0x2A, 0x00]) || head[0..<4].elementsEqual([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if head[0..<4].elementsEqual("GIF8".utf8) { return "GIF" }
        if head[4..<8].elementsEqual("ftyp".utf8) {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            if ["heic", "heix", "mif1", "heim", "heis"].contains(brand) { return "HEIF" }
            if ["avif", "avis"].contains(brand) { return "AVIF" }
        }
        return nil
    }

    /// Why a file of `format` is skipped, with what to do about it.
    static func unsupportedReason(_ format: String) -> String {
        "\(format) is not decoded (Loupe reads JPEG and PNG); convert it to score it"
    }

    /// `bytes` as text: UTF-8 where valid, other bytes as `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        return bytes.map { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
    static func isDirectory(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFDIR }
    static func isRegular(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFREG }
    static func isLink(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFLNK }

    static func fileKind(_ st: stat) -> String {
        switch st.st_mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a folder"
        default: return "mode \(String(st.st_mode, radix: 8))"
        }
    }
}

/// A file's identity: two paths with the same device and inode are one file.
struct FileID: Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ st: stat) { device = UInt64(st.st_dev); inode = UInt64(st.st_ino) }
}

/// A photo path met during a walk, before repeated paths to one file are removed.
struct Candidate {
    var path: String
    var key: String
    var id: FileID
    var isLink: Bool
}
