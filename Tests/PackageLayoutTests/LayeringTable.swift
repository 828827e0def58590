import Foundation

/// The module layering table of docs/architecture.md: the first markdown table whose
/// header is `| module | may depend on |`. A row names one or more modules in backticks
/// (or says `every test target`); its second cell lists what they may depend on: module
/// and product names in backticks, `nothing`, `anything`, or `any library target`.
/// Parenthesised remarks in a cell are notes, not rules.
struct LayeringTable {
    struct Rule {
        var modules: Set<String> = []
        var anything = false
        var anyLibrary = false
        /// The cell as written, for failure messages.
        var text: String

        func allows(_ dependency: String, libraries: Set<String>) -> Bool {
            anything || modules.contains(dependency) || (anyLibrary && libraries.contains(dependency))
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    var rules: [String: Rule] = [:]
    var testTargetRule: Rule?

    init(markdown: String) throws {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let header = lines.firstIndex(where: { Self.cells($0).map { $0.lowercased() } == ["module", "may depend on"] }) else {
            throw ParseError(description: "no table with the header '| module | may depend on |'")
        }
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("|") else { break }
            let cells = Self.cells(line)
            guard cells.count == 2 else { throw ParseError(description: "row '\(line)' does not have two cells") }
            let rule = try Self.rule(cells[1])
            let names = Self.backticked(cells[0])
            if names.isEmpty {
                guard cells[0].lowercased() == "every test target" else {
                    throw ParseError(description: "row '\(line)' names no module in backticks")
                }
                testTargetRule = rule
            }
            for name in names {
                guard rules[name] == nil else { throw ParseError(description: "\(name) has two rows") }
                rules[name] = rule
            }
        }
    }

    private static func cells(_ line: String) -> [String] {
        guard line.hasPrefix("|"), line.hasSuffix("|"), line.count > 1 else { return [] }
        return line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func backticked(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    private static func rule(_ cell: String) throws -> Rule {
        let withoutNotes = cell.replacingOccurrences(of: #"\([^)]*\)"#, with: "", options: .regularExpression)
        var rule = Rule(text: cell)
        for item in withoutNotes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let names = backticked(item)
            if !names.isEmpty {
                rule.modules.formUnion(names)
                continue
            }
            switch item.lowercased() {
            case "nothing": break
            case "anything": rule.anything = true
            case "any library target": rule.anyLibrary = true
            default: throw ParseError(description: "cannot read '\(item)' in the cell '\(cell)'")
            }
        }
        return rule
    }
}
