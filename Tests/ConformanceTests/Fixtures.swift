import Foundation
import XCTest

/// Where the generated fixtures live: `$LOUPE_FIXTURES`, else `<repo>/Fixtures`, made by
/// `tools/fixtures/fetch.sh` (CI runs it before the tests).
enum FixtureLocation {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["LOUPE_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repoRoot.appendingPathComponent("Fixtures")
    }

    /// The fixture subdirectory or file `relative`; skips the calling test, loudly, when it
    /// is absent.
    static func require(_ relative: String, for suite: String,
                        makeWith maker: String = "tools/fixtures/fetch.sh") throws -> URL {
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let message = "\(suite): SKIPPED: \(url.path) is missing; run \(maker) first"
            print("warning: \(message)")
            throw XCTSkip(message)
        }
        return url
    }
}
