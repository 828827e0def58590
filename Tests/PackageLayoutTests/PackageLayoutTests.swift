import Foundation
import XCTest

/// Package.swift's target dependencies obey the layering table of docs/architecture.md:
/// every target has a row, every arrow is one its row allows, and the manifest's comment
/// points to the table instead of stating a layering of its own.
final class PackageLayoutTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every violation of `table` by `manifest`, one line each.
    static func violations(_ manifest: PackageManifest, _ table: LayeringTable) -> [String] {
        let libraries = Set(manifest.targets.filter(\.isLibrary).map(\.name))
        var problems: [String] = []
        for target in manifest.targets {
            let rule = target.kind == .testTarget ? table.rules[target.name] ?? table.testTargetRule : table.rules[target.name]
            guard let rule else {
                problems.append("target \(target.name) (.\(target.kind.rawValue)) has no row in the layering table of docs/architecture.md")
                continue
            }
            for dependency in target.dependencies where !rule.allows(dependency, libraries: libraries) {
                problems.append("\(target.name) → \(dependency) is against the layering table of docs/architecture.md "
                                + "(\(target.name) may depend on: \(rule.text))")
            }
        }
        return problems
    }

    /// SwiftPM refuses a package depended on by version ("from: 0.1.0") whose targets set
    /// unsafe flags ("contains unsafe build flags"), so the manifest sets none; comments may
    /// still say why.
    func testManifestSetsNoUnsafeFlagsSoOtherPackagesCanDependOnIt() throws {
        let code = try Self.read("Package.swift").split(separator: "\n")
            .map { $0.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
        let unsafe = code.enumerated().filter { $0.element.contains("unsafeFlags") }.map { "line \($0.offset + 1): \($0.element)" }
        XCTAssertEqual(unsafe, [], "Package.swift sets unsafe flags: a dependent package pinned by version cannot build it")
    }

    func testEveryTargetDependencyIsAllowedByTheLayeringTable() throws {
        let manifest = try PackageManifest(text: Self.read("Package.swift"))
        let table = try LayeringTable(markdown: Self.read("docs/architecture.md"))
        XCTAssertGreaterThan(manifest.targets.count, 10, "Package.swift was not read: \(manifest.targets.map(\.name))")
        let problems = Self.violations(manifest, table)
        XCTAssertTrue(problems.isEmpty, "\n" + problems.joined(separator: "\n"))
    }

    func testManifestCommentPointsToTheTableAndStatesNoLayeringOfItsOwn() throws {
        let comment = try PackageManifest(text: Self.read("Package.swift")).headerComment.joined(separator: "\n")
        XCTAssertTrue(comment.contains("docs/architecture.md"), "Package.swift's header comment should point to the layering table: \(comment)")
        for arrow in ["<-", "->", "←", "→"] {
            XCTAssertFalse(comment.contains(arrow), "Package.swift's header comment states a layering (\(arrow)); the table in docs/architecture.md is the one statement: \(comment)")
        }
    }

    /// The checker itself: a manifest with a forbidden arrow, a product, and a target the
    /// table lacks.
    func testCheckerNamesTheOffendingArrowAndTheMissingTarget() throws {
        let manifest = try PackageManifest(text: """
            // swift-tools-version:5.9
            // A comment with .target(name: "Ignored") in it.
            let package = Package(name: "P", targets: [
                .target(name: "Low"),
                .target(name: "High", dependencies: ["Low", .product(name: "Proto", package: "swift-protobuf")]),
                .target(name: "Helper", dependencies: ["Low"], path: "Tests/Helper"),
                .executableTarget(name: "tool", dependencies: ["High", "Low", .product(name: "Args", package: "p")]),
                .target(name: "Stray", dependencies: [.target(name: "Low")], exclude: ["a (b).txt"]),
                .testTarget(name: "LowTests", dependencies: ["Low", "High", "Helper"]),
                .target(name: "Wrong", dependencies: ["High"]),
            ])
            """)
        XCTAssertEqual(manifest.targets.map(\.name), ["Low", "High", "Helper", "tool", "Stray", "LowTests", "Wrong"])
        XCTAssertEqual(manifest.targets[1].dependencies, ["Low", "Proto"])
        XCTAssertEqual(manifest.targets[4].dependencies, ["Low"])
        XCTAssertEqual(manifest.targets.filter(\.isLibrary).map(\.name), ["Low", "High", "Stray", "Wrong"])
        let table = try LayeringTable(markdown: """
            | module | may depend on |
            |---|---|
            | `Low`, `Helper` | nothing (C) |
            | `High` | `Proto` |
            | `tool` | any library target, `Args` |
            | `Wrong` | `Low` |
            | every test target | anything |
            """)
        XCTAssertEqual(Self.violations(manifest, table), [
            "High → Low is against the layering table of docs/architecture.md (High may depend on: `Proto`)",
            "Helper → Low is against the layering table of docs/architecture.md (Helper may depend on: nothing (C))",
            "target Stray (.target) has no row in the layering table of docs/architecture.md",
            "Wrong → High is against the layering table of docs/architecture.md (Wrong may depend on: `Low`)",
        ])
    }

    func testUnreadableCellsAreErrors() {
        XCTAssertThrowsError(try LayeringTable(markdown: "| module | may depend on |\n|---|---|\n| `A` | most things |\n"))
        XCTAssertThrowsError(try LayeringTable(markdown: "no table here"))
        XCTAssertThrowsError(try PackageManifest(text: ".target(name: \"A\", dependencies: deps)"))
    }
}
