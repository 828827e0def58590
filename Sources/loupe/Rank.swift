import ArgumentParser
import Foundation
import Loupe
import LoupeIQA

/// `loupe rank`: the challenge's final score for a table of entries.
struct Rank: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank entries by the AIM 2024 UHD-IQA final score (mean of the five metric ranks).",
        discussion: """
            The CSV has columns name (or method, team),srcc,plcc,krcc,mae,rmse (any order, any case; more columns \
            ignored); --where COLUMN=VALUE ranks only the rows with that value (the report's tables: --where section=team). Each entry is \
            ranked on each metric (1 = best: highest SRCC, PLCC, KRCC, lowest MAE, RMSE); the final score is the \
            mean of the five ranks, lower is better. Ties within a metric share the mean of their ranks \
            (--ties average) or the best rank (--ties min); equal final scores share a place.
            """)

    enum Ties: String, ExpressibleByArgument, CaseIterable { case average, min }

    @Argument(help: "CSV of entries: name,srcc,plcc,krcc,mae,rmse.")
    var entries: String

    @Option(help: "Rank of tied metric values: average or min.")
    var ties: Ties = .average

    @Option(name: .customLong("where"), help: ArgumentHelp("Rank only the rows whose COLUMN holds VALUE (repeatable: all must hold).", valueName: "COLUMN=VALUE"))
    var filters: [String] = []

    func validate() throws {
        for f in filters where !f.contains("=") { throw ValidationError("--where takes COLUMN=VALUE, got '\(f)'") }
    }

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        do {
            var table = try CSVTable(contentsOf: entries)
            for f in filters {
                let eq = f.firstIndex(of: "=")!
                let column = try table.column(String(f[..<eq]))
                let value = String(f[f.index(after: eq)...])
                table.rows = table.rows.filter { $0.fields[column] == value }
            }
            guard !table.rows.isEmpty else { throw LoupeError.badInput("\(entries): no rows to rank\(filters.isEmpty ? "" : " where " + filters.joined(separator: " and "))") }
            let list = try ChallengeRank.entries(table)
            let ranked = try ChallengeRank.rank(list, ties: ties == .min ? .min : .average)
            if json {
                let rows = ranked.map { r -> String in
                    let m = r.entry.metrics
                    return "{\"place\":\(r.place),\"name\":\(jsonString(r.entry.name)),\"final_score\":\(r.finalScore),"
                        + "\"ranks\":[\(r.ranks.map { String($0) }.joined(separator: ","))],"
                        + "\"srcc\":\(m.srcc),\"plcc\":\(m.plcc),\"krcc\":\(m.krcc),\"mae\":\(m.mae),\"rmse\":\(m.rmse)}"
                }
                print("[" + rows.joined(separator: ",\n ") + "]")
                return
            }
            func r(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
            print(formatTable(["place", "name", "final", "SRCC", "PLCC", "KRCC", "MAE", "RMSE", "ranks (S/P/K/MAE/RMSE)"],
                ranked.map { x in
                    let m = x.entry.metrics
                    return [String(x.place), x.entry.name, String(format: "%.2f", x.finalScore),
                            String(format: "%.4f", m.srcc), String(format: "%.4f", m.plcc), String(format: "%.4f", m.krcc),
                            String(format: "%.4f", m.mae), String(format: "%.4f", m.rmse),
                            x.ranks.map(r).joined(separator: "/")]
                }))
        } catch {
            fail(error)
        }
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
    let text = String(decoding: data, as: UTF8.self)
    return String(text.dropFirst().dropLast())
}

/// A JSON number, or null for NaN and infinities (which JSON cannot hold).
func jsonNumber(_ v: Double) -> String { v.isFinite ? String(v) : "null" }
