import Foundation
import XCTest

/// Scratch directories under the system temporary directory: tests never write into the
/// working tree.
public enum TemporaryDirectory {
    /// A fresh directory named `prefix-<UUID>`.
    public static func make(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fresh directory removed when `test` ends.
    public static func make(for test: XCTestCase, prefix: String) throws -> URL {
        let url = try make(prefix: prefix)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs `body` with a fresh directory and removes it afterwards.
    public static func with<T>(prefix: String, _ body: (URL) throws -> T) throws -> T {
        let url = try make(prefix: prefix)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }
}
