import Foundation
import Loupe
#if canImport(Glibc)
import Glibc
#endif

/// The folder walk behind ``PhotoCollection/discover(_:)``: POSIX `readdir` so that names
/// that are not UTF-8 are seen (and reported) rather than dropped, device+inode sets so
/// that links cannot make it walk a folder or take a file twice.
struct Walker {
    var found = PhotoDiscovery()
    /// Folders walked so far, with the path they were walked under.
    private var folders: [FileID: String] = [:]
    /// Photos taken so far: their index in `found.photos` and whether that path is a link.
    private var files: [FileID: (index: Int, isLink: Bool)] = [:]

    /// Walks the folder `root`: real folders depth first, then the folders reached
    /// through links (in the order met), so that a real path is always walked under its
    /// own name before a link can claim it.
    mutating func walk(root: String) throws {
        var st = stat()
        guard stat(root, &st) == 0 else { throw LoupeError.io("cannot read folder \(root): \(PhotoCollection.lastError())") }
        if let first = folders[FileID(st)] {
            found.skipped.append(PhotoProblem(path: root, key: root, reason: "the folder \(first), walked already"))
            return
        }
        folders[FileID(st)] = root
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        var candidates: [Candidate] = []
        var failed: [PhotoProblem] = [], skipped: [PhotoProblem] = []
        var stack: [String] = [""]
        var links: [String] = []
        var linkIndex = 0
        while true {
            let rel: String
            if let r = stack.popLast() {
                rel = r
            } else if linkIndex < links.count {
                rel = links[linkIndex]
                linkIndex += 1
                var target = stat()
                let path = base + "/" + rel
                guard stat(path, &target) == 0 else { continue }
                if let first = folders[FileID(target)] {
                    skipped.append(PhotoProblem(path: path, key: rel, reason: "a link to the folder \(first), walked already"))
                    continue
                }
                folders[FileID(target)] = path
            } else {
                break
            }
            let dir = rel.isEmpty ? base : base + "/" + rel
            let names: [[UInt8]]
            do { names = try Self.list(dir) } catch {
                if rel.isEmpty { throw LoupeError.io("cannot list folder \(root): \(error)") }
                failed.append(PhotoProblem(path: dir, key: rel, reason: "cannot list folder: \(error)"))
                continue
            }
            var subfolders: [String] = []
            for nameBytes in names {
                let nameText = PhotoCollection.escaped(nameBytes)
                let childRel = rel.isEmpty ? nameText : rel + "/" + nameText
                let display = base + "/" + childRel
                let cPath = (Array(dir.utf8) + [UInt8(ascii: "/")] + nameBytes + [0]).map { CChar(bitPattern: $0) }
                let photoName = PhotoCollection.hasPhotoExtension(nameText)
                func problem(_ reason: String) {
                    let p = PhotoProblem(path: display, key: childRel, reason: reason)
                    if photoName { failed.append(p) } else { skipped.append(p) }
                }
                var lst = stat(), st = stat()
                guard lstat(cPath, &lst) == 0 else { problem(PhotoCollection.lastError()); continue }
                let isLink = PhotoCollection.isLink(lst)
                if isLink {
                    guard stat(cPath, &st) == 0 else {
                        let reason = errno == ELOOP ? "a link in a loop of links" : "a dangling link to \(Self.linkTarget(cPath))"
                        problem(reason)
                        continue
                    }
                } else {
                    st = lst
                }
                let isUTF8 = String(validating: nameBytes, as: UTF8.self) != nil
                if PhotoCollection.isDirectory(st) {
                    if !isUTF8 {
                        failed.append(PhotoProblem(path: display, key: childRel, reason: "the folder's name is not UTF-8; rename it to score its photos"))
                    } else if isLink {
                        links.append(childRel)
                    } else if let first = folders[FileID(st)] {
                        skipped.append(PhotoProblem(path: display, key: childRel, reason: "the folder \(first), walked already"))
                    } else {
                        folders[FileID(st)] = display
                        subfolders.append(childRel)
                    }
                } else if PhotoCollection.isRegular(st) {
                    guard photoName || PhotoCollection.hasPhotoSignature(cPath) else {
                        // An image in a format Loupe does not decode is listed, so that it is not missed
                        // without a word; other files (READMEs, sidecars) are passed over.
                        if let format = PhotoCollection.unsupportedImageFormat(name: nameText, path: cPath) {
                            skipped.append(PhotoProblem(path: display, key: childRel, reason: PhotoCollection.unsupportedReason(format)))
                        }
                        continue
                    }
                    if isUTF8 {
                        candidates.append(Candidate(path: display, key: childRel, id: FileID(st), isLink: isLink))
                    } else {
                        failed.append(PhotoProblem(path: display, key: childRel, reason: "the file's name is not UTF-8; rename it to score it"))
                    }
                } else if photoName {
                    problem("not a regular file (\(PhotoCollection.fileKind(st)))")
                }
            }
            stack.append(contentsOf: subfolders.reversed())
        }
        func byKey<T>(_ key: KeyPath<T, String>) -> (T, T) -> Bool {
            { Array($0[keyPath: key].utf8).lexicographicallyPrecedes(Array($1[keyPath: key].utf8)) }
        }
        let start = found.photos.count
        take(candidates.sorted(by: byKey(\.key)))
        // A real path that replaced a link may sort elsewhere than the link did.
        found.photos[start...].sort(by: byKey(\.key))
        found.failed += failed.sorted(by: byKey(\.key))
        found.skipped += skipped.sorted(by: byKey(\.key))
    }

    /// Adds `candidates` (in order) to the photos, one path per file: a later path to a
    /// file already taken is skipped, except that a real path replaces a link.
    mutating func take(_ candidates: [Candidate]) {
        for c in candidates {
            guard let (i, wasLink) = files[c.id] else {
                files[c.id] = (found.photos.count, c.isLink)
                found.photos.append(PhotoInput(path: c.path, key: c.key))
                continue
            }
            let first = found.photos[i]
            if wasLink && !c.isLink {
                found.skipped.append(PhotoProblem(path: first.path, key: first.key, reason: "the same file as \(c.path)"))
                found.photos[i] = PhotoInput(path: c.path, key: c.key)
                files[c.id] = (i, false)
            } else {
                found.skipped.append(PhotoProblem(path: c.path, key: c.key, reason: "the same file as \(first.path)"))
            }
        }
    }

    /// The names in folder `path` (hidden ones left out), sorted by their bytes.
    static func list(_ path: String) throws -> [[UInt8]] {
        guard let d = opendir(path) else { throw WalkError(PhotoCollection.lastError()) }
        defer { closedir(d) }
        var names: [[UInt8]] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name.first == UInt8(ascii: ".") { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func linkTarget(_ path: [CChar]) -> String {
        // An explicit pointer to CChar elements: built by Swift 6.0.3, `&buffer` of a [UInt8]
        // given for readlink's char* let the link target land outside the elements (a crash
        // reading the array right after).
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let n = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count) }
        return n > 0 ? PhotoCollection.escaped(buffer.prefix(n).map { UInt8(bitPattern: $0) }) : "(unreadable)"
    }
}

/// Why a folder could not be listed (`strerror`'s words).
struct WalkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
