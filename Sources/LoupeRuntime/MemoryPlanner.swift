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

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Offsets for each buffer and the arena size. `sizes` already include slack.
    static func plan(sizes: [Int], lifetimes: [Interval?]) -> (offsets: [Int], total: Int) {
        var offsets = [Int](repeating: 0, count: sizes.count)
        var placed: [(offset: Int, size: Int, life: Interval)] = []
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var total = 0
        for i in order {
            guard let life = lifetimes[i] else { continue }  // never used
            let size = align(sizes[i])
            let conflicts = placed.filter { $0.life.overlaps(life) }.sorted { $0.offset < $1.offset }
            var candidate = 0
            for c in conflicts {
                if candidate + size <= c.offset { break }
                candidate = max(candidate, c.offset + c.size)
            }
            offsets[i] = candidate
            placed.append((candidate, size, life))
            total = max(total, candidate + size)
        }
        return (offsets, total)
    }
}
