import Foundation
import LoupeIR

/// The AIM 2024 UHD-IQA challenge's final score: each entry is ranked on each of the five
/// metrics (rank 1 = best: highest SRCC, PLCC, KRCC; lowest MAE, RMSE), and the final
/// score is the mean of its five ranks; the lower the final score, the better the entry.
///
/// Ties within one metric follow ``ChallengeRank/TieRule``. Entries with equal final
/// scores share a place and keep their input order.
public enum ChallengeRank {
    /// How entries with equal values of one metric are ranked.
    public enum TieRule: Sendable, Hashable {
        /// Tied entries get the mean of the ranks they span (1, 2.5, 2.5, 4): the sum of
        /// ranks is the same as without ties, so a tie neither helps nor hurts on average.
        /// The default.
        case average
        /// Standard competition ranking (1, 2, 2, 4), as leaderboards print it.
        case min
    }

    /// One entry of a results table: a team or a model, and its metrics.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var metrics: Metrics

        public init(name: String, metrics: Metrics) {
            self.name = name
            self.metrics = metrics
        }
    }

    /// An entry with its per-metric ranks, final score and place.
    public struct Ranked: Sendable, Hashable {
        public var entry: Entry
        /// Ranks in the order SRCC, PLCC, KRCC, MAE, RMSE (1 = best).
        public var ranks: [Double]
        /// Mean of `ranks`; lower is better.
        public var finalScore: Double
        /// 1-based place by final score; equal final scores share the better place.
        public var place: Int
    }

    /// Ranks `entries` by the challenge's final score, best first. Throws
    /// `LoupeError.badInput` when a metric is NaN (it cannot be ranked).
    public static func rank(_ entries: [Entry], ties: TieRule = .average) throws -> [Ranked] {
        for e in entries {
            let m = e.metrics
            for (name, v) in [("SRCC", m.srcc), ("PLCC", m.plcc), ("KRCC", m.krcc), ("MAE", m.mae), ("RMSE", m.rmse)]
            where v.isNaN {
                throw LoupeError.badInput("entry '\(e.name)': \(name) is NaN and cannot be ranked")
            }
        }
        // Negate the correlations so that every column ranks ascending (smaller = better).
        let columns: [[Double]] = [
            entries.map { -$0.metrics.srcc },
            entries.map { -$0.metrics.plcc },
            entries.map { -$0.metrics.krcc },
            entries.map { $0.metrics.mae },
            entries.map { $0.metrics.rmse },
        ]
        let columnRanks = columns.map { ranks(of: $0, ties: ties) }
        var ranked: [Ranked] = entries.indices.map { i in
            let r = columnRanks.map { $0[i] }
            return Ranked(entry: entries[i], ranks: r, finalScore: r.reduce(0, +) / Double(r.count), place: 0)
        }
        let order = ranked.indices.sorted { a, b in
            ranked[a].finalScore != ranked[b].finalScore ? ranked[a].finalScore < ranked[b].finalScore : a < b
        }
        ranked = order.map { ranked[$0] }
        for i in ranked.indices {
            ranked[i].place = i > 0 && ranked[i].finalScore == ranked[i - 1].finalScore ? ranked[i - 1].place : i + 1
        }
        return ranked
    }

    /// 1-based ascending ranks of `values` under `ties`.
    static func ranks(of values: [Double], ties: TieRule) -> [Double] {
        switch ties {
        case .average:
            return averageRanks(values)
        case .min:
            return values.map { v in Double(values.filter { $0 < v }.count + 1) }
        }
    }
}
