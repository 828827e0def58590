import CXNNPACK
import Foundation
import LoupeIR

/// Runs an optimized Loupe graph (static types, NHWC layout-sensitive ops) on XNNPACK
/// operators and Loupe kernels.
///
/// All work happens at init: each node is lowered (operators created, weights packed),
/// buffers are placed in one arena by liveness, and every operator is set up once with
/// pointers into that arena. `run` copies inputs in, runs the steps, copies outputs out.
/// An executor is not re-entrant: call `run` from one thread at a time.
public final class Executor {
    /// The graph as lowered.
    public let graph: Graph
    /// Threads in the shared pool (1 = caller's thread only).
    public let threads: Int
    /// Bytes the arena and constants may take (see `MemoryCeiling`).
    public let memoryLimit: Int
    private let pool: ThreadPool
    private let plan: PlanBuilder
    private let arena: AlignedBuffer
    private let bindings: Bindings
    private let runs: [(pthreadpool_t?) -> Void]
    private let inputShapes: [String: [Int]]
    private let outputShapes: [String: [Int]]

    /// Bytes of the activation arena (inputs, intermediates, outputs; constants excluded).
    public var arenaBytes: Int { arena.bytes }

    /// Every node in order with where it runs (including elided aliases and constants).
    public var steps: [StepInfo] { plan.infos }

    /// Lowers and plans `graph`. Throws `LoupeError.unsupportedOp` naming the first node that
    /// cannot run (see `Lowering.placement(of:in:)` for the reason of every node) and
    /// `LoupeError.backend` when XNNPACK refuses an operator, and `LoupeError.memoryLimit`
    /// before allocating when a value or the arena would take more than `memoryLimit` bytes.
    public init(graph: Graph, threads: Int = 1, memoryLimit: Int = MemoryCeiling.defaultBytes) throws {
        try Backend.initialize()
        // Before the plan builder multiplies any shape.
        try MemoryCeiling.checkValues(of: graph, limit: memoryLimit)
        self.graph = graph
        self.threads = max(threads, 1)
        self.memoryLimit = memoryLimit
        pool = ThreadPool(threads: self.threads)

        var inShapes: [String: [Int]] = [:]
        for i in graph.inputs where graph.constant(i.name) == nil {
            guard i.type.dtype == .float32, let s = i.type.staticShape else {
                throw LoupeError.badInput("graph input '\(i.name)' must be float32 with a static shape, got \(i.type)")
            }
            inShapes[i.name] = s
        }
        var outShapes: [String: [Int]] = [:]
        for o in graph.outputs {
            guard let t = graph.type(of: o.name), t.dtype == .float32, let s = t.staticShape else {
                throw LoupeError.verification("graph output '\(o.name)' must be float32 with a static shape")
            }
            outShapes[o.name] = s
        }
        inputShapes = inShapes
        outputShapes = outShapes

        let builder = PlanBuilder(graph: graph, threads: self.threads)
        for i in graph.inputs where graph.constant(i.name) == nil { builder.view(of: i.name) }
        for node in graph.nodes {
            do {
                _ = try Lowering.lower(node, graph, into: builder)
            } catch let u as Unsupported {
                throw LoupeError.unsupportedOp(node.reference, reason: u.reason)
            }
        }
        for o in graph.outputs where graph.constant(o.name) == nil { builder.view(of: o.name) }
        plan = builder

        // Liveness: graph inputs are written at time 0, step k runs at time k + 1, graph
        // outputs are read at the end.
        let end = builder.steps.count + 1
        var lifetimes = [MemoryPlanner.Interval?](repeating: nil, count: builder.bufferBytes.count)
        func touch(_ value: String, _ t: Int) {
            guard let v = builder.views[value] else { return }
            if var l = lifetimes[v.buffer] {
                l.first = min(l.first, t)
                l.last = max(l.last, t)
                lifetimes[v.buffer] = l
            } else {
                lifetimes[v.buffer] = .init(first: t, last: t)
            }
        }
        for i in graph.inputs { touch(i.name, 0) }
        for (k, s) in builder.steps.enumerated() {
            for v in s.reads { touch(v, k + 1) }
            for v in s.writes { touch(v, k + 1) }
        }
        for o in graph.outputs { touch(o.name, end) }
        let sizes = builder.bufferBytes.map { $0 + xnnExtraBytes }
        try Self.checkArenaSum(sizes)
        let (offsets, total) = MemoryPlanner.plan(sizes: sizes, lifetimes: lifetimes)
        try Self.checkArena(total: total, builder: builder, limit: memoryLimit)
        arena = AlignedBuffer(bytes: total)
        bindings = Bindings(arena: arena.pointer, pool: pool.pool, threads: self.threads,
                            views: builder.views, bufferOffsets: offsets, constants: builder.constants)
        var runs: [(pthreadpool_t?) -> Void] = []
        for s in builder.steps { runs.append(try s.bind(bindings)) }
        self.runs = runs
    }

    /// The planner's offsets stay below the sum of the aligned buffer sizes, so once that sum
    /// is known not to overflow, neither can the arena's size.
    private static func checkArenaSum(_ sizes: [Int]) throws {
        var sum = 0
        for size in sizes {
            let (next, overflow) = sum.addingReportingOverflow(MemoryPlanner.align(size))
            guard !overflow else {
                throw LoupeError.memoryLimit(nil, reason: "the activation buffers' sizes overflow a 64-bit byte count")
            }
            sum = next
        }
    }

    private static func checkArena(total: Int, builder: PlanBuilder, limit: Int) throws {
        let constants = builder.constants.values.reduce(0) { $0 + $1.bytes }
        guard total > limit - constants else { return }
        var largest = ""
        var largestBytes = 0
        for (value, view) in builder.views.sorted(by: { $0.key < $1.key })
            where view.byteOffset == 0 && builder.bufferBytes[view.buffer] > largestBytes {
            largest = value
            largestBytes = builder.bufferBytes[view.buffer]
        }
        throw LoupeError.memoryLimit(
            nil, reason: "the activation arena needs \(formatByteCount(total)) beside \(formatByteCount(constants)) of "
                + "constants, over the memory limit of \(formatByteCount(limit)); its largest buffer holds '\(largest)' "
                + "(\(formatByteCount(largestBytes)))")
    }

    /// Runs the graph. Inputs must match the graph inputs by name, dtype (float32) and exact
    /// shape; returns every graph output as a float32 tensor.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try copyIn(inputs)
        for r in runs { r(pool.pool) }
        return copyOut()
    }

    /// Runs the graph and writes the seconds each step took into `timings` (one entry per
    /// executed step, in `executedSteps` order).
    public func run(_ inputs: [String: Tensor], timings: inout [Double]) throws -> [String: Tensor] {
        try copyIn(inputs)
        timings = []
        timings.reserveCapacity(runs.count)
        for r in runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            r(pool.pool)
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        return copyOut()
    }

    /// The steps that execute (one per entry of `timings`), without elided nodes.
    public var executedSteps: [StepInfo] { plan.steps.map(\.info) }

    private func copyIn(_ inputs: [String: Tensor]) throws {
        for name in inputs.keys where inputShapes[name] == nil {
            throw LoupeError.badInput("unknown input '\(name)'; expected \(inputShapes.keys.sorted())")
        }
        for (name, shape) in inputShapes {
            guard let t = inputs[name] else { throw LoupeError.badInput("missing input '\(name)'") }
            guard t.dtype == .float32 else {
                throw LoupeError.badInput("input '\(name)' is \(t.dtype); expected float32")
            }
            guard t.shape == shape else {
                throw LoupeError.badInput("input '\(name)' has shape \(t.shape); expected \(shape)")
            }
            guard case .float(let values) = t.storage else {
                throw LoupeError.badInput("input '\(name)' holds integer data")
            }
            values.withUnsafeBytes { bindings.pointer(name).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    private func copyOut() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for o in graph.outputs {
            let shape = outputShapes[o.name]!
            if let c = graph.constant(o.name) {
                out[o.name] = Tensor(shape: shape, floats: c.floats)
                continue
            }
            let n = shape.reduce(1, *)
            let p = bindings.floats(o.name)
            out[o.name] = Tensor(shape: shape, floats: Array(UnsafeBufferPointer(start: p, count: n)))
        }
        return out
    }
}
