import Foundation
import XCTest
import LoupeTestSupport

/// A fresh temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    try TemporaryDirectory.make(for: test, prefix: "loupe-iqa")
}

/// Runs python3 with `script` and arguments (warnings off); nil when there is no python3.
/// The output is stdout followed by stderr.
func runPython(_ script: String, arguments: [String] = []) throws -> (status: Int32, output: String)? {
    let r = try Python.run(["-W", "ignore", "-c", script] + arguments)
    return r.status == 127 ? nil : (r.status, r.out + r.err)
}

/// The repository root (this file is Tests/LoupeIQATests/TestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
