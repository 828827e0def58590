import Foundation
import XCTest

/// What a finished child process left: its exit status and everything it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// Standard output, decoded as UTF-8.
    public var out: String
    /// Standard error, decoded as UTF-8.
    public var err: String
}

/// A child process that exited with a non-zero status; the message carries its stderr.
public struct ProcessFailure: Error, LocalizedError, CustomStringConvertible {
    public var command: String
    public var result: ProcessResult
    public var description: String { "\(command) exited with \(result.status): \(result.err)" }
    public var errorDescription: String? { description }
}

/// Runs child processes for tests: the `loupe` executable and python3 references.
public enum Subprocess {
    /// Runs `executable` to completion. Both pipes are drained while it runs, so a child
    /// that prints a lot cannot block. `whileRunning` is called once the child has started
    /// (e.g. to kill it mid-way); `input`, when given, is written to its standard input.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           input: Data? = nil, whileRunning: ((Process) -> Void)? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        p.standardOutput = out
        p.standardError = err
        if input != nil { p.standardInput = inPipe }
        try p.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let errDrain = Drain(err.fileHandleForReading)
        whileRunning?(p)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errDrain.wait()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                             err: String(decoding: errData, as: UTF8.self))
    }

    /// Reads a pipe to its end on another thread; `wait()` returns what it read.
    private final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            DispatchQueue.global().async { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }

    /// The `loupe` executable built next to the test bundle, or a skip when it is absent
    /// (e.g. `swift test` without a prior `swift build`).
    public static func loupeExecutable() throws -> URL {
        var url = Bundle(for: BundleMarker.self).bundleURL
        while url.pathExtension == "xctest" || url.lastPathComponent == "Contents" { url.deleteLastPathComponent() }
        let exe = url.appendingPathComponent("loupe")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw XCTSkip("loupe executable not built at \(exe.path) (run swift build first)")
        }
        return exe
    }

    /// Runs `loupe` with `arguments`; skips when the executable is not built.
    public static func loupe(_ arguments: [String], whileRunning: ((Process) -> Void)? = nil) throws -> ProcessResult {
        try run(loupeExecutable(), arguments, whileRunning: whileRunning)
    }

    private final class BundleMarker {}
}
