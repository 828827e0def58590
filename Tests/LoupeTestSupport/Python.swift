import Foundation
import XCTest

/// python3 (found on PATH) as a test reference: numpy, onnx, onnxruntime, Pillow. Tests
/// that need a module skip when it is missing instead of failing.
public enum Python {
    /// Statuses that mean "python3 or a module is missing", not "the script failed": a
    /// reference script whose guarded import fails prints the module and exits 77; env
    /// exits 127 when it finds no python3.
    public static let unavailableStatuses: Set<Int32> = [77, 127]

    /// Runs `python3 arguments…` to completion, whatever its status.
    public static func run(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments)
    }

    /// Runs `python3 arguments…` and returns its stdout; a non-zero status throws a
    /// `ProcessFailure` carrying stderr.
    @discardableResult
    public static func output(_ arguments: [String]) throws -> String {
        let r = try run(arguments)
        guard r.status == 0 else { throw ProcessFailure(command: "python3", result: r) }
        return r.out
    }

    /// Whether python3 can import every module in `modules` (comma-separated, as after
    /// `import`); asked once per list.
    public static func canImport(_ modules: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let known = importable[modules] { return known }
        let ok = (try? run(["-c", "import " + modules]))?.status == 0
        importable[modules] = ok
        return ok
    }

    /// Skips the test unless python3 can import every module in `modules`.
    public static func require(_ modules: String) throws {
        guard canImport(modules) else { throw XCTSkip("python3 with \(modules) is not available") }
    }

    /// Runs a reference `script` in a fresh temporary directory: the script gets the path
    /// of `input` written as JSON, the path it must write its JSON answer to, the directory
    /// itself (for larger files), then `extraArguments`. Returns the decoded answer.
    /// Skips when python3 or a module the script guards is missing (status 77 or 127);
    /// any other failure throws with the script's stderr.
    public static func reference(_ script: String, input: Any, extraArguments: [String] = [],
                                 requires modules: String) throws -> Any {
        try TemporaryDirectory.with(prefix: "loupe-python") { dir in
            let scriptURL = dir.appendingPathComponent("reference.py")
            let inURL = dir.appendingPathComponent("input.json"), outURL = dir.appendingPathComponent("output.json")
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: input).write(to: inURL)
            try guarded([scriptURL.path, inURL.path, outURL.path, dir.path] + extraArguments, requires: modules)
            return try JSONSerialization.jsonObject(with: Data(contentsOf: outURL))
        }
    }

    /// Runs `python3 arguments…` and returns its stdout, skipping when python3 or a module
    /// the script guards is missing (status 77 or 127); any other failure throws a
    /// `ProcessFailure` carrying stderr.
    @discardableResult
    public static func guarded(_ arguments: [String], requires modules: String) throws -> String {
        let r: ProcessResult
        do { r = try run(arguments) } catch { throw XCTSkip("python3 is not available") }
        if unavailableStatuses.contains(r.status) { throw XCTSkip("python3 with \(modules) is not available") }
        guard r.status == 0 else { throw ProcessFailure(command: "python3", result: r) }
        return r.out
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var importable: [String: Bool] = [:]
}
