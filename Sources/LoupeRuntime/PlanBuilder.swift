import Foundation
import CXNNPACK
import LoupeIR

/// A placed activation: a byte offset inside one planned buffer. Aliases and concat slices
/// are views on their owner's buffer.
struct View: Hashable {
    var buffer: Int
    var byteOffset: Int
}

/// What a step found wrong in the data of one run (an index out of range): steps run inside
/// the pool and cannot throw, so they record it here and `Executor.run` throws after the run.
final class RunFaults: @unchecked Sendable {
    private let lock = NSLock()
    private var first: String?

    func record(_ message: String) {
        lock.lock()
        if first == nil { first = message }
        lock.unlock()
    }

    /// The first fault since the last call, cleared.
    func take() -> String? {
        lock.lock()
        defer { first = nil; lock.unlock() }
        return first
    }
}

/// Where a graph input read straight from the caller's tensor lies during one run (see
/// `Step.readsInPlace`); nil between runs.
final class InputSlot {
    var pointer: UnsafeRawPointer?
}

/// What every bound step needs: the pool and pointers for values.
final class Bindings {
    let arena: UnsafeMutableRawPointer
    let pool: pthreadpool_t?
    let threads: Int
    private let views: [String: View]
    private let bufferOffsets: [Int]
    private let constants: [String: AlignedBuffer]
    /// Graph inputs without a place in the arena: their readers take the caller's memory.
    let inputSlots: [String: InputSlot]

    init(arena: UnsafeMutableRawPointer, pool: pthreadpool_t?, threads: Int, views: [String: View],
         bufferOffsets: [Int], constants: [String: AlignedBuffer], inputSlots: [String: InputSlot] = [:]) {
        self.arena = arena
        self.pool = pool
        self.threads = threads
        self.views = views
        self.bufferOffsets = bufferOffsets
        self.constants = constants
        self.inputSlots = inputSlots
    }

    /// The slot of a graph input read in place; nil when `value` has a place in the arena.
    /// Only a step that listed `value` in `readsInPlace` may be given one.
    func slot(_ value: String) -> InputSlot? { inputSlots[value] }

    /// Address of a value: a constant's storage or its place in the arena.
    func pointer(_ value: String) -> UnsafeMutableRawPointer {
        if let c = constants[value] { return c.pointer }
        guard let v = views[value] else { preconditionFailure("value '\(value)' has no buffer") }
        return arena + bufferOffsets[v.buffer] + v.byteOffset
    }

    func floats(_ value: String) -> UnsafeMutablePointer<Float> {
        pointer(value).assumingMemoryBound(to: Float.self)
    }

    /// The address of a value a step lists in `readsInPlace`, for use while a run lasts: the
    /// caller's tensor when `value` is a graph input read in place (its slot is set only
    /// during a run), else its place in the arena.
    func readInPlace(_ value: String) -> () -> UnsafeRawPointer {
        if let slot = slot(value) { return { slot.pointer! } }
        let p = UnsafeRawPointer(pointer(value))
        return { p }
    }

    /// Int8 codes of a quantized value.
    func int8s(_ value: String) -> UnsafeMutablePointer<Int8> {
        pointer(value).assumingMemoryBound(to: Int8.self)
    }
}

/// One step of a plan. `bind` runs once after the arena exists (XNNPACK setup, pointer
/// capture) and returns the closure `run()` calls.
final class Step {
    var info: StepInfo
    let node: Node
    var reads: [String]
    var writes: [String]
    var bind: (Bindings) throws -> (pthreadpool_t?) -> Void
    /// Operators and buffers the step keeps alive.
    var owned: [AnyObject]
    /// Reads the step can take from the caller's memory, a new address each run
    /// (`Bindings.slot`): a float32 graph input read only by such steps gets no arena
    /// buffer and is not copied in.
    var readsInPlace: Set<String>

    init(info: StepInfo, node: Node, reads: [String], writes: [String], owned: [AnyObject], readsInPlace: Set<String> = [],
         bind: @escaping (Bindings) throws -> (pthreadpool_t?) -> Void) {
        self.info = info
        self.node = node
        self.readsInPlace = readsInPlace
        self.reads = reads
        self.writes = writes
        self.owned = owned
        self.bind = bind
    }
}

/// Collects steps, buffers and constants while nodes are lowered. `Lowering` functions
/// receive it (or nil in check-only mode).
final class PlanBuilder {
    let graph: Graph
    let threads: Int
    private(set) var steps: [Step] = []
    /// Elided nodes (aliases, constants, zero-copy concats) for `Executor.steps`.
    private(set) var infos: [StepInfo] = []
    /// Bytes per buffer (without slack).
    private(set) var bufferBytes: [Int] = []
    private(set) var views: [String: View] = [:]
    /// Constant operands that steps read through pointers, with XNN_EXTRA_BYTES slack.
    private(set) var constants: [String: AlignedBuffer] = [:]
    /// Faults steps record while running (see ``RunFaults``).
    let faults = RunFaults()
    /// Concat inputs written in place: value → pixel stride (elements) of the concat buffer.
    private(set) var stridedOutputs: [String: Int] = [:]
    /// Concats whose inputs `Lowering.concatPlan` placed in slices.
    let concatPlans: [String: ConcatPlan]
    /// Int8 pointwise steps by the value they write, for a reader that may compute their
    /// rows itself (`Lowering.streamableProducer`).
    var rowProducers: [String: Lowering.RowProducer] = [:]

    init(graph: Graph, threads: Int) {
        self.graph = graph
        self.threads = threads
        concatPlans = Lowering.concatPlans(graph)
        for (_, plan) in concatPlans.sorted(by: { $0.key < $1.key }) {
            let out = view(of: plan.output)
            for slice in plan.slices where slice.inPlace {
                views[slice.value] = View(buffer: out.buffer, byteOffset: out.byteOffset + slice.offset * 4)
                stridedOutputs[slice.value] = plan.rowElements
            }
        }
    }

    /// The view of an activation value, creating its buffer on first use.
    @discardableResult
    func view(of value: String) -> View {
        if let v = views[value] { return v }
        guard let t = graph.type(of: value), let shape = t.staticShape else {
            preconditionFailure("value '\(value)' has no static type (checked by lowering)")
        }
        let bytes = max(shape.reduce(1, *), 1) * t.dtype.byteSize
        bufferBytes.append(bytes)
        let v = View(buffer: bufferBytes.count - 1, byteOffset: 0)
        views[value] = v
        return v
    }

    /// A private temporary of `bytes` bytes, named so it cannot clash with graph values.
    func declareScratch(_ name: String, bytes: Int) {
        guard views[name] == nil else { return }
        bufferBytes.append(bytes)
        views[name] = View(buffer: bufferBytes.count - 1, byteOffset: 0)
    }

    /// `value` shares `source`'s memory (reshape and friends).
    func alias(_ value: String, of source: String) {
        views[value] = view(of: source)
    }

    /// Pixel stride (elements) the producer of `value` must write with; `channels` when
    /// the value is a plain tensor.
    func outputStride(_ value: String, channels: Int) -> Int {
        stridedOutputs[value] ?? channels
    }

    /// Registers a constant operand (an initializer) so steps can read it by pointer, in its
    /// own element size: int8 codes as bytes, int32 biases as 4-byte integers, floats as float32.
    func constant(_ value: String) {
        guard constants[value] == nil, let t = graph.constant(value) else { return }
        switch t.dtype {
        case .int8: constants[value] = Self.store(t.int8Values ?? t.ints.map { Int8(truncatingIfNeeded: $0) })
        case .int32: constants[value] = Self.store(t.ints.map { Int32(truncatingIfNeeded: $0) })
        // Float lowerings read every other constant (int64 pads and axes included) as float32.
        case .float32, .float16, .float64, .uint8, .int16, .uint16, .int64, .uint32, .uint64, .bool:
            constants[value] = Self.store(t.floats)
        }
    }

    /// Registers a constant under its own name in the representation its dtype has in the
    /// arena (int64 as 8-byte integers, bool as bytes, …), for kernels that move elements of
    /// any type rather than compute on float32.
    func constantInArenaForm(_ value: String) {
        guard constants[value] == nil, let t = graph.constant(value) else { return }
        switch t.dtype {
        case .float32, .float16, .float64: constants[value] = Self.store(t.floats)
        case .int64, .uint64: constants[value] = Self.store(t.ints)
        case .int32, .uint32: constants[value] = Self.store(t.ints.map { Int32(truncatingIfNeeded: $0) })
        case .int16, .uint16: constants[value] = Self.store(t.ints.map { Int16(truncatingIfNeeded: $0) })
        case .int8, .uint8, .bool: constants[value] = Self.store(t.ints.map { UInt8(truncatingIfNeeded: $0) })
        }
    }

    /// Registers derived int8 data (e.g. a requantized constant) under a private name.
    func constant(named name: String, int8 data: [Int8]) {
        constants[name] = Self.store(data)
    }

    /// Registers derived constant data (e.g. an expanded PReLU slope) under a private name.
    func constant(named name: String, _ data: [Float]) {
        constants[name] = Self.store(data)
    }

    static func store<T>(_ data: [T]) -> AlignedBuffer {
        let b = AlignedBuffer(bytes: data.count * MemoryLayout<T>.stride + xnnExtraBytes)
        data.withUnsafeBytes { if $0.count > 0 { b.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        return b
    }

    /// Appends a step. Activation reads/writes get buffers here.
    func addStep(_ node: Node, _ placement: Placement, reads: [String], writes: [String],
                 owned: [AnyObject] = [], readsInPlace: Set<String> = [],
                 bind: @escaping (Bindings) throws -> (pthreadpool_t?) -> Void) {
        for v in reads {
            if graph.constant(v) != nil { constant(v) } else if constants[v] == nil { view(of: v) }
        }
        for v in writes { view(of: v) }
        let info = StepInfo(node: node.name, op: node.reference.opType, placement: placement,
                            outputShape: Lowering.outputShape(node, graph))
        steps.append(Step(info: info, node: node, reads: reads.filter { graph.constant($0) == nil && constants[$0] == nil },
                          writes: writes, owned: owned, readsInPlace: readsInPlace, bind: bind))
        infos.append(info)
    }

    /// Takes back the last step, whose work a later step has taken over; its node is then
    /// listed with `placement`.
    func removeLastStep(listing placement: Placement) -> Step {
        let step = steps.removeLast()
        if let i = infos.lastIndex(where: { $0.node == step.info.node }) { infos[i].placement = placement }
        return step
    }

    /// Records a node that needs no step.
    func addElided(_ node: Node, _ placement: Placement) {
        infos.append(StepInfo(node: node.name, op: node.reference.opType, placement: placement,
                              outputShape: Lowering.outputShape(node, graph)))
    }

    /// A step of one XNNPACK operator per part of its work (a chunk of elements, a slice of
    /// channels), for operators XNNPACK runs on one thread: `setup` points each at its part
    /// (with the pool to hand it: none when the parts themselves go over the pool), and the
    /// parts run on the pool, each on one thread. A single part runs on XNNPACK's own split.
    func addSplitXNNStep(_ node: Node, _ name: String, reads: [String], writes: [String], parts: [Range<Int>],
                         ops: [XNNOperator],
                         setup: @escaping (XNNOperator, Range<Int>, Bindings, pthreadpool_t?) throws -> Void) {
        precondition(parts.count == ops.count && !ops.isEmpty)
        addStep(node, .xnnpack(name), reads: reads, writes: writes, owned: ops) { bind in
            let raw = ops.map(\.op)
            if raw.count == 1 {
                try setup(ops[0], parts[0], bind, bind.pool)
                return { pool in _ = loupe_xnn_run_operator(raw[0], pool) }
            }
            for (r, o) in zip(parts, ops) { try setup(o, r, bind, nil) }
            let task = ParallelTask(count: raw.count) { i in _ = loupe_xnn_run_operator(raw[i], nil) }
            return { pool in task.run(pool) }
        }
    }

    /// Convenience for a step running XNNPACK operators in order.
    func addXNNStep(_ node: Node, _ name: String, reads: [String], writes: [String], ops: [XNNOperator],
                    setup: @escaping (Bindings) throws -> Void) {
        addStep(node, .xnnpack(name), reads: reads, writes: writes, owned: ops) { b in
            try setup(b)
            let raw = ops.map(\.op)
            return { pool in
                for op in raw { _ = loupe_xnn_run_operator(op, pool) }
            }
        }
    }
}
