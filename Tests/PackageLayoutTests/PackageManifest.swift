import Foundation

/// The targets of a Package.swift and what each depends on, read from the manifest's text
/// (the test target cannot link PackageDescription). Understands the forms this package
/// uses: `.target`, `.executableTarget`, `.testTarget` and `.systemLibrary` calls whose
/// `dependencies:` list holds target names as strings and `.product(name:package:)` /
/// `.target(name:)` / `.byName(name:)` entries; a product counts by its product name.
struct PackageManifest {
    enum Kind: String {
        case target, executableTarget, testTarget, systemLibrary
    }

    struct Target: Equatable {
        var name: String
        var kind: Kind
        var path: String?
        var dependencies: [String]

        /// A library target: code that ships (not an executable, not a test or test helper).
        var isLibrary: Bool {
            (kind == .target || kind == .systemLibrary) && !(path ?? "").hasPrefix("Tests/")
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    var targets: [Target]

    /// The comment lines (`//`) after the tools-version line and before `let package`.
    var headerComment: [String]

    init(text: String) throws {
        let chars = Array(text)
        targets = []
        var i = 0
        while i < chars.count {
            if chars[i] == "\"" { i = try Self.skipString(chars, i); continue }
            if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            if chars[i] == ".", let kind = Self.kind(at: i + 1, in: chars) {
                let open = i + 1 + kind.rawValue.count
                let close = try Self.matching(chars, open)
                targets.append(try Self.target(kind, String(chars[(open + 1)..<close])))
                i = close + 1
                continue
            }
            i += 1
        }
        headerComment = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            .prefix { !$0.hasPrefix("let package") }
            .filter { $0.hasPrefix("//") }.map(String.init)
    }

    /// The kind whose name and `(` start at `i`, if any.
    private static func kind(at i: Int, in chars: [Character]) -> Kind? {
        for kind in [Kind.executableTarget, .testTarget, .systemLibrary, .target] {
            let name = Array(kind.rawValue)
            guard i + name.count < chars.count, Array(chars[i..<(i + name.count)]) == name,
                  chars[i + name.count] == "(" else { continue }
            return kind
        }
        return nil
    }

    /// The index just past the string literal that starts at `i`.
    private static func skipString(_ chars: [Character], _ i: Int) throws -> Int {
        var j = i + 1
        while j < chars.count, chars[j] != "\"" { j += chars[j] == "\\" ? 2 : 1 }
        guard j < chars.count else { throw ParseError(description: "unterminated string literal") }
        return j + 1
    }

    /// The index of the bracket closing the one at `open`, skipping string literals.
    private static func matching(_ chars: [Character], _ open: Int) throws -> Int {
        let pairs: [Character: Character] = ["(": ")", "[": "]"]
        var stack: [Character] = []
        var i = open
        while i < chars.count {
            let c = chars[i]
            if c == "\"" { i = try skipString(chars, i); continue }
            if let closing = pairs[c] {
                stack.append(closing)
            } else if c == ")" || c == "]" {
                guard stack.popLast() == c else { throw ParseError(description: "unbalanced '\(c)' at offset \(i)") }
                if stack.isEmpty { return i }
            }
            i += 1
        }
        throw ParseError(description: "unclosed bracket at offset \(open)")
    }

    /// The top-level items of a comma-separated list.
    private static func items(_ text: String) throws -> [String] {
        let chars = Array(text)
        var out: [String] = [], start = 0, i = 0
        while i < chars.count {
            switch chars[i] {
            case "\"": i = try skipString(chars, i); continue
            case "(", "[": i = try matching(chars, i)
            case ",":
                out.append(String(chars[start..<i]))
                start = i + 1
            default: break
            }
            i += 1
        }
        out.append(String(chars[start...]))
        return out.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The value of the string argument `label:` among `arguments`, if present.
    private static func string(_ label: String, in arguments: [String]) -> String? {
        for a in arguments where a.hasPrefix(label + ":") {
            let value = a.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)
            guard value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 else { return nil }
            return String(value.dropFirst().dropLast())
        }
        return nil
    }

    private static func target(_ kind: Kind, _ body: String) throws -> Target {
        let arguments = try items(body)
        guard let name = string("name", in: arguments) else {
            throw ParseError(description: ".\(kind.rawValue)(\(body.prefix(60))…) has no name: \"…\"")
        }
        var dependencies: [String] = []
        if let list = arguments.first(where: { $0.hasPrefix("dependencies:") }) {
            let value = list.dropFirst("dependencies:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            guard value.hasPrefix("["), value.hasSuffix("]") else {
                throw ParseError(description: "dependencies of \(name) are not a literal list")
            }
            for item in try items(String(value.dropFirst().dropLast())) {
                if item.hasPrefix("\""), item.hasSuffix("\"") {
                    dependencies.append(String(item.dropFirst().dropLast()))
                } else if let open = item.firstIndex(of: "("), item.hasSuffix(")"),
                          let dep = string("name", in: try items(String(item[item.index(after: open)..<item.index(before: item.endIndex)]))) {
                    dependencies.append(dep)
                } else {
                    throw ParseError(description: "cannot read dependency '\(item)' of \(name)")
                }
            }
        }
        return Target(name: name, kind: kind, path: string("path", in: arguments), dependencies: dependencies)
    }
}
