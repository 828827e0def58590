import Foundation

extension ProfileReport {
    /// The MAC budget of the AIM 2024 UHD-IQA challenge, in GMACs: the line the HTML report
    /// draws when no `--budget` was given.
    public static let challengeBudgetGMACs = 50.0

    /// Layers grouped into the blocks or stages of the network, in schedule order.
    public struct Stage: Sendable, Equatable {
        /// The common prefix of the layers' names (`/0/0.3`), or `(other)`.
        public var name: String
        public var macs: Int
        /// Sum of the layers' median ms; nil for a static profile.
        public var ms: Double?
        public var layers: Int
    }

    /// The layers grouped by the exporter's module path in their names (PyTorch names nodes
    /// `/features/features.3/block/…/Conv`): the shallowest depth of that path that splits
    /// the network into at least `minimum` groups (at most `maximum`) none of which holds
    /// more than half the MACs, so a MobileNetV3 gives its blocks rather than "the backbone"
    /// and "the head". Names without a path (and nodes the optimizer made) join the group
    /// before them, or `(other)` at the start. Empty when no depth gives such groups.
    public func stages(minimum: Int = 4, maximum: Int = 60) -> [Stage] {
        let paths: [[Substring]] = layers.map { l in
            let parts = l.name.split(separator: "/", omittingEmptySubsequences: true)
            return l.name.hasPrefix("/") && parts.count > 1 ? Array(parts.dropLast()) : []
        }
        let deepest = paths.map(\.count).max() ?? 0
        guard deepest > 0 else { return [] }
        for depth in 1...deepest {
            var groups: [Stage] = []
            var index: [String: Int] = [:]
            var current: Int? = nil
            for (l, path) in zip(layers, paths) {
                let key: String? = path.isEmpty ? nil : "/" + path.prefix(depth).joined(separator: "/")
                let i: Int
                if let key {
                    if let known = index[key] {
                        i = known
                    } else {
                        i = groups.count
                        index[key] = i
                        groups.append(Stage(name: key, macs: 0, ms: nil, layers: 0))
                    }
                } else if let current {
                    i = current
                } else {
                    i = groups.count
                    index["(other)"] = i
                    groups.append(Stage(name: "(other)", macs: 0, ms: nil, layers: 0))
                }
                current = i
                groups[i].macs += l.macs
                groups[i].layers += 1
                if let ms = l.ms { groups[i].ms = (groups[i].ms ?? 0) + ms }
            }
            if groups.count > maximum { return [] }
            let largest = groups.map(\.macs).max() ?? 0
            if groups.count >= minimum && (macs == 0 || largest * 2 <= macs) { return groups }
        }
        return []
    }

    /// Sum of the layers' median ms and their count per op type, largest time first; op
    /// types without MACs (HardSwish, Add, pools) included. Empty for a static profile.
    public func msPerOpType() -> [(op: String, ms: Double, macs: Int, layers: Int)] {
        var byOp: [String: (ms: Double, macs: Int, layers: Int)] = [:]
        for l in layers {
            guard let ms = l.ms else { continue }
            byOp[l.op, default: (0, 0, 0)].ms += ms
            byOp[l.op, default: (0, 0, 0)].macs += l.macs
            byOp[l.op, default: (0, 0, 0)].layers += 1
        }
        return byOp.map { (op: $0.key, ms: $0.value.ms, macs: $0.value.macs, layers: $0.value.layers) }
            .sorted { $0.ms != $1.ms ? $0.ms > $1.ms : $0.op < $1.op }
    }

    /// The budget verdict for `budgetGMACs`: within, over, or undecided (shape inference
    /// stopped, so the MACs counted are a lower bound that fits).
    public func verdict(budgetGMACs: Double) -> String {
        let limit = Int((budgetGMACs * 1e9).rounded())
        if macs > limit { return "OVER BUDGET" }
        return untyped.isEmpty ? "within budget" : "budget undecided (MACs are a lower bound)"
    }
}
