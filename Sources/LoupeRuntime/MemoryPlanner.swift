/// Places buffers in one arena by liveness: buffers whose live ranges (first write → last
/// read, in step order) overlap never share bytes. Greedy by size, first fit by offset
/// (TFLite's "greedy by size" arena planner).
enum MemoryPlanner {
    struct Interval {
        var first: Int
        var last: Int
        func overlaps(_ o: Interval) -> Bool { first <= o.last && o.first <= last }
    }

    static let alignment = 64

    /// Most (buffer, step) pairs the planner indexes by step; past it (thousands of values
    /// all live to the end) it compares every pair of buffers instead of using that memory.
    static let defaultIndexBudget = 1 << 24

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private struct Placed {
        var offset: Int
        var size: Int
        var life: Interval
    }

    /// Offsets for each buffer and the arena size. `sizes` already include slack.
    ///
    /// The buffers a new one must avoid are found through a per-step index of the buffers
    /// placed so far, so that a long chain of short-lived values plans in linear time
    /// rather than comparing every pair.
    static func plan(sizes: [Int], lifetimes: [Interval?], indexBudget: Int = defaultIndexBudget) -> (offsets: [Int], total: Int) {
        var offsets = [Int](repeating: 0, count: sizes.count)
        var placed: [Placed] = []
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        let lives = lifetimes.compactMap { $0 }
        let end = lives.map(\.last).max() ?? 0
        let indexed = lives.reduce(0) { $0 + ($1.last - $1.first + 1) } <= indexBudget
            && lives.allSatisfy { $0.first >= 0 }
        var live = indexed ? [[Int]](repeating: [], count: end + 1) : []
        var seen = [Int](repeating: -1, count: indexed ? sizes.count : 0)
        var total = 0
        for i in order {
            guard let life = lifetimes[i] else { continue }  // never used
            let size = align(sizes[i])
            var conflicts: [Placed]
            if indexed {
                conflicts = []
                for t in life.first...life.last {
                    for p in live[t] where seen[p] != i {
                        seen[p] = i
                        conflicts.append(placed[p])
                    }
                }
            } else {
                conflicts = placed.filter { $0.life.overlaps(life) }
            }
            conflicts.sort { $0.offset < $1.offset }
            var candidate = 0
            for c in conflicts {
                if candidate + size <= c.offset { break }
                candidate = max(candidate, c.offset + c.size)
            }
            offsets[i] = candidate
            if indexed {
                for t in life.first...life.last { live[t].append(placed.count) }
            }
            placed.append(Placed(offset: candidate, size: size, life: life))
            total = max(total, candidate + size)
        }
        return (offsets, total)
    }
}
