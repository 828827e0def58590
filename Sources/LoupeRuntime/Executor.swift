import CXNNPACK
import Foundation
import LoupeIR

/// Runs an optimized Loupe graph (static types, NHWC layout-sensitive ops) on XNNPACK
/// operators and Loupe kernels.
///
/// All work happens at init: each node is lowered (operators created, weights packed),
/// buffers are placed in one arena by liveness, and every operator is set up once with
/// pointers into that arena. `run` copies inputs in (a float input whose readers can take
/// it where it lies is not copied), runs the steps, copies outputs out.
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
    private let inputTypes: [String: (dtype: DType, shape: [Int])]
    /// Graph inputs read from the caller's tensor during `run` (no arena buffer, no copy).
    private let inputSlots: [String: InputSlot]

    /// The graph inputs read straight from the caller's tensors, which therefore have no
    /// place in the arena (`inputsReadInPlace`).
    public var inputsOutsideArena: Set<String> { Set(inputSlots.keys) }
    private let governor: PoolGovernor
    private let outputTypes: [String: (dtype: DType, shape: [Int])]

    /// Runs made on the caller's thread alone because the pool's workers were being
    /// preempted by other processes (see `PoolGovernor`); 0 with one thread.
    public var runsWithoutPool: Int { governor.runsWithoutPool }

    /// Element types a graph input or output may have: float32 photos and features, int64
    /// and int32 token ids, bool masks, int8/uint8 codes.
    static let ioTypes: Set<DType> = [.float32, .int64, .int32, .bool, .int8, .uint8]

    /// Bytes of the activation arena (inputs, intermediates, outputs; constants excluded).
    public var arenaBytes: Int { arena.bytes }

    /// Every node in order with where it runs (including elided aliases and constants).
    public var steps: [StepInfo] { plan.infos }

    /// Lowers and plans `graph`. Throws `LoupeError.unsupportedOp` naming the first node that
    /// cannot run (see `Lowering.placement(of:in:)` for the reason of every node) and
    /// `LoupeError.backend` when XNNPACK refuses an operator, and `LoupeError.memoryLimit`
    /// before allocating when a value or the arena would take more than `memoryLimit` bytes.
    ///
    /// Steps with less work than `minimumParallelWork` (multiply-accumulates plus output
    /// elements) run on the caller's thread even when `threads` > 1.
    public init(graph: Graph, threads: Int = 1, memoryLimit: Int = MemoryCeiling.defaultBytes,
                minimumParallelWork: Int = Executor.minimumParallelWork) throws {
        try Backend.initialize()
        // Before the plan builder multiplies any shape.
        try MemoryCeiling.checkValues(of: graph, limit: memoryLimit)
        self.graph = graph
        self.threads = max(threads, 1)
        self.memoryLimit = memoryLimit
        pool = ThreadPool(threads: self.threads)
        governor = PoolGovernor(threads: self.threads)

        let kinds = Self.ioTypes.map(\.rawValue).sorted().joined(separator: ", ")
        var ins: [String: (dtype: DType, shape: [Int])] = [:]
        for i in graph.inputs where graph.constant(i.name) == nil {
            guard Self.ioTypes.contains(i.type.dtype), let s = i.type.staticShape else {
                throw LoupeError.badInput("graph input '\(i.name)' must be one of \(kinds) with a static shape, got \(i.type)")
            }
            ins[i.name] = (i.type.dtype, s)
        }
        var outs: [String: (dtype: DType, shape: [Int])] = [:]
        for o in graph.outputs {
            guard let t = graph.type(of: o.name), Self.ioTypes.contains(t.dtype), let s = t.staticShape else {
                throw LoupeError.verification("graph output '\(o.name)' must be one of \(kinds) with a static shape")
            }
            outs[o.name] = (t.dtype, s)
        }
        inputTypes = ins
        outputTypes = outs

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
        let inPlace = Self.inputsReadInPlace(builder, graph: graph, inputs: ins)
        for i in graph.inputs where !inPlace.contains(i.name) { touch(i.name, 0) }
        for (k, s) in builder.steps.enumerated() {
            for v in s.reads where !inPlace.contains(v) { touch(v, k + 1) }
            for v in s.writes { touch(v, k + 1) }
        }
        for o in graph.outputs { touch(o.name, end) }
        let sizes = builder.bufferBytes.map { $0 + xnnExtraBytes }
        try Self.checkArenaSum(sizes)
        let (offsets, total) = MemoryPlanner.plan(sizes: sizes, lifetimes: lifetimes)
        try Self.checkArena(total: total, builder: builder, limit: memoryLimit)
        arena = AlignedBuffer(bytes: total)
        var slots: [String: InputSlot] = [:]
        for name in inPlace { slots[name] = InputSlot() }
        inputSlots = slots
        bindings = Bindings(arena: arena.pointer, pool: pool.pool, threads: self.threads,
                            views: builder.views, bufferOffsets: offsets, constants: builder.constants, inputSlots: slots)
        var runs: [(pthreadpool_t?) -> Void] = []
        for s in builder.steps {
            let run = try s.bind(bindings)
            // A small step runs on the caller's thread: handing it to the pool costs a wake-up
            // and a barrier that waits for every worker, and on a busy machine a worker that
            // is not scheduled holds the step for a whole time slice (a Swin with hundreds of
            // small window ops ran 7× slower at 2 threads than at 1 under load).
            if self.threads > 1 && Self.work(of: s.node, in: graph) < minimumParallelWork {
                runs.append({ _ in run(nil) })
            } else {
                runs.append(run)
            }
        }
        self.runs = runs
    }

    /// The float32 graph inputs that need no place in the arena: every step reading one takes
    /// it from the caller's tensor (`Step.readsInPlace`), and no other value shares its buffer
    /// (an elided Reshape of the input is read through the arena). A photo input of a
    /// quantized model (QuantizeLinear first) or of a float one (the NCHW → NHWC transpose
    /// first) is then neither copied in nor held twice: 11 MB at 720×1280.
    private static func inputsReadInPlace(_ builder: PlanBuilder, graph: Graph,
                                          inputs: [String: (dtype: DType, shape: [Int])]) -> Set<String> {
        let outputs = Set(graph.outputs.map(\.name))
        var result: Set<String> = []
        for (name, type) in inputs where type.dtype == .float32 && !outputs.contains(name) && !type.shape.contains(0) {
            guard let view = builder.views[name],
                  !builder.views.contains(where: { $0.key != name && $0.value.buffer == view.buffer }) else { continue }
            let readers = builder.steps.filter { $0.reads.contains(name) }
            if !readers.isEmpty && readers.allSatisfy({ $0.readsInPlace.contains(name) }) { result.insert(name) }
        }
        return result
    }

    /// Below this much work (multiply-accumulates plus output elements) a step runs on the
    /// caller's thread alone. About 50 µs of one core's work: more than a pool dispatch
    /// costs on a quiet machine. `LOUPE_MIN_PARALLEL_WORK` overrides it (benchmarks).
    public static let minimumParallelWork: Int = {
        if let s = ProcessInfo.processInfo.environment["LOUPE_MIN_PARALLEL_WORK"], let v = Int(s), v >= 0 { return v }
        return 1 << 20
    }()

    /// A step's work: its node's multiply-accumulates plus its outputs' elements.
    static func work(of node: Node, in graph: Graph) -> Int {
        let elements = node.outputs.reduce(0) { sum, o in
            sum + (graph.type(of: o)?.staticShape.flatMap { checkedElementCount($0) } ?? 0)
        }
        return node.macs(in: graph) &+ elements
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

    /// Runs the graph. Inputs must match the graph inputs by name, dtype and exact shape;
    /// returns every graph output in its dtype.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try copyIn(inputs)
        let usePool = governor.begin()
        let p = usePool ? pool.pool : nil
        try withInputsInPlace(inputs) { for r in runs { r(p) } }
        governor.finish(usedPool: usePool)
        if let fault = plan.faults.take() { throw LoupeError.badInput(fault) }
        return copyOut()
    }

    /// Runs the graph and writes the seconds each step took into `timings` (one entry per
    /// executed step, in `executedSteps` order).
    public func run(_ inputs: [String: Tensor], timings: inout [Double]) throws -> [String: Tensor] {
        try copyIn(inputs)
        var times: [Double] = []
        times.reserveCapacity(runs.count)
        let usePool = governor.begin()
        let p = usePool ? pool.pool : nil
        defer { governor.finish(usedPool: usePool) }
        try withInputsInPlace(inputs) {
            for r in runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                r(p)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            }
        }
        timings = times
        if let fault = plan.faults.take() { throw LoupeError.badInput(fault) }
        return copyOut()
    }

    /// The steps that execute (one per entry of `timings`), without elided nodes.
    public var executedSteps: [StepInfo] { plan.steps.map(\.info) }

    /// Runs `body` with the slots of the inputs read in place pointing at the callers'
    /// tensors (checked by `copyIn`), cleared afterwards.
    private func withInputsInPlace(_ inputs: [String: Tensor], _ body: () -> Void) throws {
        func bind(_ names: ArraySlice<String>) throws {
            guard let name = names.first else { return body() }
            guard case .float(let values) = inputs[name]?.storage else {
                throw LoupeError.badInput("input '\(name)' is float32 but holds integer data")
            }
            try values.withUnsafeBufferPointer { buffer in
                inputSlots[name]!.pointer = UnsafeRawPointer(buffer.baseAddress!)
                defer { inputSlots[name]!.pointer = nil }
                try bind(names.dropFirst())
            }
        }
        try bind(inputSlots.keys.sorted()[...])
    }

    private func copyIn(_ inputs: [String: Tensor]) throws {
        for name in inputs.keys where inputTypes[name] == nil {
            throw LoupeError.badInput("unknown input '\(name)'; expected \(inputTypes.keys.sorted())")
        }
        for (name, type) in inputTypes {
            guard let t = inputs[name] else { throw LoupeError.badInput("missing input '\(name)'") }
            guard t.dtype == type.dtype else {
                throw LoupeError.badInput("input '\(name)' is \(t.dtype); expected \(type.dtype)")
            }
            guard t.shape == type.shape else {
                throw LoupeError.badInput("input '\(name)' has shape \(t.shape); expected \(type.shape)")
            }
            if inputSlots[name] == nil { try Self.store(t, name: name, at: bindings.pointer(name)) }
        }
    }

    /// Writes a tensor's elements in the arena's representation of its dtype.
    private static func store(_ t: Tensor, name: String, at p: UnsafeMutableRawPointer) throws {
        func write<T>(_ values: [T]) { values.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        switch (t.dtype, t.storage) {
        case (.float32, .float(let v)): write(v)
        case (.int64, .int(let v)): write(v)
        case (.int32, .int(let v)): write(v.map { Int32(truncatingIfNeeded: $0) })
        case (.int8, .int(let v)): write(v.map { Int8(truncatingIfNeeded: $0) })
        case (.uint8, .int(let v)), (.bool, .int(let v)): write(v.map { UInt8(truncatingIfNeeded: $0) })
        default:
            throw LoupeError.badInput("input '\(name)' is \(t.dtype) but holds \(t.dtype.isFloat ? "integer" : "floating-point") data")
        }
    }

    private func copyOut() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for o in graph.outputs {
            let (dtype, shape) = outputTypes[o.name]!
            if let c = graph.constant(o.name) {
                out[o.name] = dtype.isFloat ? Tensor(shape: shape, floats: c.floats, dtype: dtype)
                                            : Tensor(shape: shape, ints: c.ints, dtype: dtype)
                continue
            }
            let n = shape.reduce(1, *)
            let p = UnsafeRawPointer(bindings.pointer(o.name))
            func read<T>(_: T.Type) -> [T] { Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: T.self), count: n)) }
            switch dtype {
            case .int64: out[o.name] = Tensor(shape: shape, ints: read(Int64.self), dtype: dtype)
            case .int32: out[o.name] = Tensor(shape: shape, ints: read(Int32.self).map(Int64.init), dtype: dtype)
            case .int8: out[o.name] = Tensor(shape: shape, ints: read(Int8.self).map(Int64.init), dtype: dtype)
            case .uint8, .bool: out[o.name] = Tensor(shape: shape, ints: read(UInt8.self).map(Int64.init), dtype: dtype)
            case .float32, .float16, .float64, .int16, .uint16, .uint32, .uint64:
                out[o.name] = Tensor(shape: shape, floats: read(Float.self))
            }
        }
        return out
    }
}
