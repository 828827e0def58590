import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens files named by untrusted input (a model's external data, a `.npy` input) so that
/// only regular files are read: a FIFO would block the open forever and a device such as
/// `/dev/zero` never ends, so both are refused with a message saying what the path is.
public enum RegularFile {
    /// Opens `path` for reading. The open never blocks (`O_NONBLOCK`), and the opened file,
    /// not the path, is checked, so the path cannot be swapped between check and read.
    ///
    /// - Parameter what: names the file in errors ("external data of initializer 'w'").
    /// - Throws: `LoupeError.io` when the path cannot be opened or is not a regular file.
    public static func open(_ path: String, what: String) throws -> FileHandle {
        let fd = path.withCString { Foundation.open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            throw LoupeError.io("cannot open \(what) '\(path)': \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LoupeError.io("cannot examine \(what) '\(path)': \(reason)")
        }
        if let kind = nonRegularKind(st.st_mode) {
            close(fd)
            throw LoupeError.io("\(what) '\(path)' is \(kind), not a regular file")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Reads all of `path`, which must be a regular file (see ``open(_:what:)``).
    public static func read(_ path: String, what: String) throws -> Data {
        let handle = try open(path, what: what)
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw LoupeError.io("cannot read \(what) '\(path)': \(error.localizedDescription)")
        }
    }

    /// The canonical path with every symbolic link, `.` and `..` resolved; nil when a
    /// component does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The C library's text for the current `errno`.
    public static var errnoDescription: String { String(cString: strerror(errno)) }

    /// "a FIFO (named pipe)", "a character device", … for anything but a regular file.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & mode_t(S_IFMT) {
        case mode_t(S_IFREG): return nil
        case mode_t(S_IFIFO): return "a FIFO (named pipe)"
        case mode_t(S_IFCHR): return "a character device"
        case mode_t(S_IFBLK): return "a block device"
        case mode_t(S_IFDIR): return "a directory"
        case mode_t(S_IFSOCK): return "a socket"
        default: return "a special file (mode \(String(mode, radix: 8)))"
        }
    }
}
