import Loupe

/// Live activation bytes along the schedule of an optimized graph.
///
/// The executor's planner does not expose its per-step liveness, so this recomputes it from the
/// graph the same way: a value lives from the node that writes it (graph inputs: from the
/// start) to the last node that reads it (graph outputs: to the end); nodes the runtime elides
/// as aliases (Reshape, Flatten, Squeeze, Unsqueeze, in-place Concat) share one buffer with
/// their source, so their bytes count once. Constants are not activations. A node whose work
/// the compiled plan gave to another node's step (`fused into 'D'`: an activation run by its
/// convolution, an expansion streamed into its depthwise convolution) runs at D's place in
/// the schedule, and values passed only between D and the nodes fused into it never exist
/// in memory. Graph inputs the steps read straight from the caller's tensor (`outsideArena`,
/// the executor's `inputsOutsideArena`) are the caller's memory, not the arena's, and are
/// not counted. The planner's arena
/// is at least the peak of this curve: it adds 64-byte alignment, XNNPACK's over-read slack
/// and whatever fragmentation greedy placement leaves.
enum ActivationMemory {
    /// `planned`: the compiled plan's placement of each node (`StepInfo.placement`'s
    /// description), where there is one; the lowering's own answer otherwise. `outsideArena`:
    /// graph inputs the compiled plan reads from the caller's tensors.
    static func schedule(_ graph: Graph, planned: [String: String] = [:],
                         outsideArena: Set<String> = []) -> [ProfileReport.MemoryPoint] {
        // Union-find over value names: aliases join their source's buffer.
        var parent: [String: String] = [:]
        func root(_ v: String) -> String {
            var r = v
            while let p = parent[r], p != r { r = p }
            return r
        }
        func join(_ a: String, _ b: String) {
            let ra = root(a), rb = root(b)
            if ra != rb { parent[ra] = rb }
        }
        var placements: [Placement] = []
        for node in graph.nodes {
            let p = Lowering.placement(of: node, in: graph)
            placements.append(p)
            guard case .alias = p, let out = node.outputs.first else { continue }
            for v in node.inputs where !v.isEmpty && graph.constant(v) == nil {
                if case .concat = node.op { join(v, out) } else { join(out, v); break }
            }
        }
        func bytes(_ v: String) -> Int {
            guard let t = graph.type(of: v), let s = t.staticShape else { return 0 }
            return s.reduce(1, *) * t.dtype.byteSize
        }
        var size: [String: Int] = [:]
        var first: [String: Int] = [:]
        var last: [String: Int] = [:]
        func touch(_ v: String, _ t: Int) {
            guard !v.isEmpty, graph.constant(v) == nil, !outsideArena.contains(v) else { return }
            let r = root(v)
            size[r] = max(size[r] ?? 0, bytes(v))
            first[r] = min(first[r] ?? t, t)
            last[r] = max(last[r] ?? t, t)
        }
        // The step that runs each node: its own, or the one it is fused into.
        let index = Dictionary(graph.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        func host(_ node: Node) -> String {
            let prefix = "kernel fused into '"
            guard let p = planned[node.name], p.hasPrefix(prefix) else { return node.name }
            let name = String(p.dropFirst(prefix.count).prefix { $0 != "'" })
            return index[name] == nil ? node.name : name
        }
        let hosts = graph.nodes.map(host)
        var producerHost: [String: String] = [:]
        var readerHosts: [String: Set<String>] = [:]
        for (k, node) in graph.nodes.enumerated() {
            for v in node.outputs where !v.isEmpty { producerHost[v] = hosts[k] }
            for v in node.inputs where !v.isEmpty { readerHosts[v, default: []].insert(hosts[k]) }
        }
        let graphOutputs = Set(graph.outputs.map(\.name))
        let end = graph.nodes.count + 1
        for i in graph.inputs { touch(i.name, 0) }
        for (k, node) in graph.nodes.enumerated() {
            if case .constant = placements[k] { continue }
            let h = hosts[k], t = index[h]! + 1
            // Values made and read only inside one step are never in memory.
            for v in node.inputs where producerHost[v] != h { touch(v, t) }
            for v in node.outputs where graphOutputs.contains(v) || readerHosts[v] != [h] { touch(v, t) }
        }
        for o in graph.outputs { touch(o.name, end) }

        // Sweep: +size at first, −size after last.
        var delta = [Int](repeating: 0, count: end + 2)
        for (r, s) in size {
            delta[first[r]!] += s
            delta[last[r]! + 1] -= s
        }
        var live = [Int](repeating: 0, count: end + 1)
        var acc = 0
        for t in 0...end {
            acc += delta[t]
            live[t] = acc
        }
        var out: [ProfileReport.MemoryPoint] = []
        for (k, node) in graph.nodes.enumerated() {
            switch placements[k] {
            case .constant: continue
            case .xnnpack, .kernel, .alias, .unsupported: out.append(.init(node: node.name, liveBytes: live[k + 1]))
            }
        }
        return out
    }
}
