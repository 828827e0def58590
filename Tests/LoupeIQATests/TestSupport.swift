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

/// Creates `folder` holding copies of the bundled Kodak JPEGs `kodimNN.jpg` for `numbers`,
/// each saved under `name(n)` (its own name by default).
func copyKodak(_ numbers: [Int], into folder: URL, name: (Int) -> String = { String(format: "kodim%02d.jpg", $0) }) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let kodak = repositoryRoot.appendingPathComponent("Tests/Data/kodak")
    for n in numbers {
        try FileManager.default.copyItem(at: kodak.appendingPathComponent(String(format: "kodim%02d.jpg", n)),
                                         to: folder.appendingPathComponent(name(n)))
    }
}
