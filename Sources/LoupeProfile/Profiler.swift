import Foundation
import Loupe
import LoupeImaging

/// Static costs (MACs, parameters, memory) and measured time of a model, per node and in total.
///
/// ```swift
/// let report = try Profiler.profile(contentsOf: "model.onnx",
///                                   options: .init(inputShapes: ["input": [1, 3, 720, 1280]]))
/// print(report.macs, report.ms?.median ?? .nan)
/// ```
///
/// The profile degrades instead of failing: a model that imports but cannot be optimized or
/// compiled still gets its MACs and parameters (`notTimed` says why there is no timing), and a
/// model whose shape inference stops at an unsupported node gets the costs of every node whose
/// types could be inferred (`untyped` lists the rest).
public enum Profiler {
    /// What to measure.
    public struct Options: Sendable {
        /// Worker threads of the executor.
        public var threads: Int
        /// Timed runs (each runs the model twice: once end to end, once with per-step timers).
        public var runs: Int
        /// Untimed warm-up runs.
        public var warmup: Int
        /// Static shapes for graph inputs, by name (see `Model.applyInputShapes`).
        public var inputShapes: [String: [Int]]
        /// Bytes the compiled model may take (`CompileOptions.memoryLimit`); a model over it
        /// is profiled without timing, `notTimed` naming the value and the bytes.
        public var memoryLimit: Int
        /// False: static profile only (no compilation, no timing).
        public var timed: Bool
        /// Seed of the random inputs (uniform in [-1, 1)).
        public var seed: UInt64
        /// Why a profile with `timed == false` is static: the report's `notTimed`.
        public var staticReason: String
        /// Called as the profile goes through its stages (compiling, warm-up, each timed
        /// run), for a progress display; nil: nothing is called.
        public var progress: (@Sendable (Progress) -> Void)?

        public init(threads: Int = 1, runs: Int = 20, warmup: Int = 3, inputShapes: [String: [Int]] = [:],
                    memoryLimit: Int = MemoryCeiling.defaultBytes, timed: Bool = true, seed: UInt64 = 0,
                    staticReason: String = "static profile (--static): not compiled, not timed",
                    progress: (@Sendable (Progress) -> Void)? = nil) {
            self.threads = threads
            self.runs = runs
            self.warmup = warmup
            self.inputShapes = inputShapes
            self.memoryLimit = memoryLimit
            self.timed = timed
            self.seed = seed
            self.staticReason = staticReason
            self.progress = progress
        }
    }

    /// Where a profile or benchmark is: a stage and, for repeated runs, how many are done.
    public struct Progress: Sendable, Equatable {
        /// "compiling", "warm-up", "timed runs", "photo warm-up", "photo runs".
        public var stage: String
        /// Runs of the stage done and in all (0 and 0 for a stage without runs).
        public var done: Int
        public var total: Int

        public init(stage: String, done: Int = 0, total: Int = 0) {
            self.stage = stage
            self.done = done
            self.total = total
        }
    }

    /// The MAC convention and the parameter count, stated in every report.
    public static let conventions = [
        "macs: multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul only (the AIM 2024 UHD-IQA challenge, fvcore and torch.utils.flop_counter/2 convention); 1 MAC = 2 FLOPs",
        "macs_other: element-wise ops, activations, pools, reductions, Softmax and Resize, counted apart in output elements (input elements for reductions and global pools)",
        "costs are read from the optimized graph the runtime executes: a BatchNorm folded into a Conv or an activation fused into it keeps the Conv's MACs and adds none",
        "params: float weight elements stored in the file (initializers and Constant nodes, shared ones once); a BatchNorm folded by the exporter leaves only the conv bias, so PyTorch's count is higher for such exports",
    ]

    /// Imports the ONNX model at `path` and profiles it.
    public static func profile(contentsOf path: String, options: Options = Options()) throws -> ProfileReport {
        let graph = try ONNXImporter.load(contentsOf: path)
        var report = try profile(graph: graph, options: options)
        report.model = path
        return report
    }

    /// Profiles an imported graph. Throws only when the graph's inputs have no static shape
    /// (give `inputShapes`) or when running a compiled model fails.
    public static func profile(graph: Graph, options: Options = Options()) throws -> ProfileReport {
        let shaped = try Model.applyInputShapes(graph, options.inputShapes)
        let weights = WeightCount(shaped)

        var costGraph = shaped
        var graphName = "imported"
        var untyped: [String] = []
        var notTimed: String? = options.timed ? nil : options.staticReason
        var executor: Executor?
        do {
            try costGraph.inferTypes(constantEvaluator: ReferenceInterpreter.evaluate)
            do {
                costGraph = try Pipeline.optimize(costGraph)
                graphName = "optimized"
                if options.timed {
                    options.progress?(Progress(stage: "compiling"))
                    do {
                        executor = try Executor(graph: costGraph, threads: options.threads, memoryLimit: options.memoryLimit)
                    } catch {
                        notTimed = "not compiled: \(error)"
                    }
                }
            } catch {
                if notTimed == nil { notTimed = "not optimized: \(error)" }
            }
        } catch {
            untyped = Self.lines(costGraph.inferTypesBestEffort(constantEvaluator: ReferenceInterpreter.evaluate))
            if notTimed == nil { notTimed = "shape inference stopped: \(error)" }
        }

        let logicalShapes = graphName == "optimized" ? Self.logicalShapes(typed: shaped) : [:]
        var layers: [ProfileReport.Layer] = []
        var unsupported: [String] = []
        // Where the compiled plan put each node (a step may have taken over another's work);
        // the lowering's own answer where nothing was compiled.
        var planned: [String: String] = [:]
        for info in executor?.steps ?? [] { planned[info.node] = info.placement.description }
        for node in costGraph.nodes {
            let placement: String
            if graphName == "optimized" {
                let p = Lowering.placement(of: node, in: costGraph)
                placement = planned[node.name] ?? p.description
                if case .unsupported(let reason) = p { unsupported.append("\(node.reference): \(reason)") }
            } else if case .unsupported(let opType, let domain, let reason) = node.op {
                placement = "unsupported: \(domain.isEmpty ? "" : domain + ".")\(opType): \(reason)"
                unsupported.append("\(node.reference): \(reason)")
            } else {
                placement = "not compiled"
            }
            let physical = node.outputs.first.flatMap { costGraph.type(of: $0)?.staticShape } ?? []
            var logical = physical
            if let l = logicalShapes[node.name], l.count == physical.count, l.reduce(1, *) == physical.reduce(1, *) { logical = l }
            var layer = ProfileReport.Layer(
                name: node.name, op: node.reference.opType, outputShape: logical,
                macs: node.macs(in: costGraph), macsOther: node.elementwiseOps(in: costGraph),
                params: constantElements(of: node, in: costGraph), placement: placement)
            if logical != physical { layer.physicalShape = physical }
            layers.append(layer)
        }

        var report = ProfileReport(
            model: nil,
            inputShapes: Dictionary(uniqueKeysWithValues: shaped.inputs.compactMap { i in
                i.type.staticShape.map { (i.name, $0) }
            }),
            conventions: conventions, graph: graphName,
            params: weights.params, paramsBatchNorm: weights.batchNorm, paramsTrainable: weights.trainable,
            paramsRuntime: graphName == "optimized" ? runtimeConstantElements(costGraph) : nil,
            macs: layers.reduce(0) { $0 + $1.macs }, macsOther: layers.reduce(0) { $0 + $1.macsOther },
            weightsBytes: weights.bytes, arenaBytes: executor?.arenaBytes, peakLiveBytes: nil, peakRSSBytes: nil,
            ms: nil, layersMsSum: nil, stepsMs: nil, threads: nil, runs: nil, warmup: nil, notTimed: notTimed,
            unsupported: unsupported, untyped: untyped, layers: layers, memory: [])

        if graphName == "optimized" {
            report.memory = ActivationMemory.schedule(costGraph, planned: planned,
                                                      outsideArena: executor?.inputsOutsideArena ?? [])
            report.peakLiveBytes = report.memory.map(\.liveBytes).max()
        }
        if let executor {
            try time(executor, graph: costGraph, options: options, into: &report)
        }
        report.peakRSSBytes = peakResidentBytes()
        report.machine = MachineInfo.current()
        return report
    }

    /// First-output shapes by node name of the graph optimized without the layout pass:
    /// ONNX's NCHW, which the report shows (the runtime's NHWC shapes are kept apart). The
    /// NHWC graph's nodes keep their names through the layout pass; the transposes it adds
    /// have none here and keep their physical shape. Empty when that optimization fails.
    public static func logicalShapes(typed graph: Graph) -> [String: [Int]] {
        var g = graph
        guard (try? g.inferTypes(constantEvaluator: ReferenceInterpreter.evaluate)) != nil,
              let nchw = try? Pipeline.optimize(g, options: .init(convertToNHWC: false)) else { return [:] }
        var shapes: [String: [Int]] = [:]
        for n in nchw.nodes where !n.name.isEmpty {
            if let v = n.outputs.first, let s = nchw.type(of: v)?.staticShape, shapes[n.name] == nil { shapes[n.name] = s }
        }
        return shapes
    }

    /// Float constant elements that nodes (or graph outputs) of `graph` read, each once.
    /// The report's `untyped` lines: one per node that failed by itself, then counts of the
    /// unsupported nodes (listed elsewhere) and of the nodes left untyped downstream.
    static func lines(_ untyped: UntypedNodes) -> [String] {
        var lines = untyped.failed.map { "\($0)" }
        if !untyped.unsupported.isEmpty {
            lines.append("\(untyped.unsupported.count) node(s) of ops Loupe cannot represent have no output type (listed as unsupported)")
        }
        if !untyped.downstream.isEmpty {
            lines.append("\(untyped.downstream.count) more node(s) have no type because an input comes from a node above")
        }
        return lines
    }

    static func runtimeConstantElements(_ graph: Graph) -> Int {
        var read = Set(graph.outputs.map(\.name))
        for n in graph.nodes { read.formUnion(n.inputs) }
        return read.reduce(0) { n, v in
            guard let t = graph.constant(v), t.dtype.isFloat else { return n }
            return n + t.count
        }
    }

    /// Float constant elements `node` reads, each constant once.
    static func constantElements(of node: Node, in graph: Graph) -> Int {
        var seen = Set<String>()
        var n = 0
        for v in node.inputs where !v.isEmpty && !seen.contains(v) {
            seen.insert(v)
            if let t = graph.constant(v), t.dtype.isFloat { n += t.count }
        }
        return n
    }

    /// Runs warm-up, then `runs` rounds of one end-to-end run and one run with per-step timers
    /// (interleaved so that both see the same machine state), and fills the timing fields.
    static func time(_ executor: Executor, graph: Graph, options: Options, into report: inout ProfileReport) throws {
        let feeds = benchmarkInputs(for: graph, seed: options.seed)
        let stepNodes = stepNodeIndices(executor, graph)
        for i in 0..<options.warmup {
            options.progress?(Progress(stage: "warm-up", done: i, total: options.warmup))
            _ = try executor.run(feeds)
        }
        var endToEnd: [Double] = []
        var perNode = [[Double]](repeating: [], count: graph.nodes.count)
        var timings: [Double] = []
        var stepTotals: [Double] = []
        for i in 0..<max(options.runs, 1) {
            options.progress?(Progress(stage: "timed runs", done: i, total: max(options.runs, 1)))
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try executor.run(feeds)
            endToEnd.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            _ = try executor.run(feeds, timings: &timings)
            stepTotals.append(timings.reduce(0, +) * 1e3)
            var sums = [Double?](repeating: nil, count: graph.nodes.count)
            for (k, seconds) in timings.enumerated() where k < stepNodes.count {
                sums[stepNodes[k]] = (sums[stepNodes[k]] ?? 0) + seconds * 1e3
            }
            for (i, s) in sums.enumerated() { if let s { perNode[i].append(s) } }
        }
        report.ms = ProfileReport.Timing(endToEnd)
        report.stepsMs = ProfileReport.Timing(stepTotals)
        report.threads = executor.threads
        report.runs = max(options.runs, 1)
        report.warmup = options.warmup
        var total = 0.0
        for i in report.layers.indices {
            if let t = ProfileReport.Timing(perNode[i]) {
                report.layers[i].ms = t.median
                total += t.median
            }
        }
        report.layersMsSum = total
        for i in report.layers.indices {
            guard let ms = report.layers[i].ms else { continue }
            report.layers[i].share = total > 0 ? ms / total : nil
            if report.layers[i].macs > 0 && ms > 0 {
                report.layers[i].gmacPerSecond = Double(report.layers[i].macs) / (ms * 1e-3) / 1e9
            }
        }
    }

    /// The graph node each executed step belongs to. The lowering emits, in node order, one
    /// plan entry (executed or elided) per node; when that holds the mapping is positional,
    /// otherwise steps are matched to nodes by name in order.
    static func stepNodeIndices(_ executor: Executor, _ graph: Graph) -> [Int] {
        let infos = executor.steps
        let executed = executor.executedSteps
        if infos.count == graph.nodes.count && zip(infos, graph.nodes).allSatisfy({ $0.node == $1.name }) {
            var out: [Int] = []
            for (i, info) in infos.enumerated() {
                switch info.placement {
                case .xnnpack, .kernel: out.append(i)
                case .alias, .constant, .unsupported: break
                }
            }
            if out.count == executed.count { return out }
        }
        var out: [Int] = []
        var cursor = 0
        for s in executed {
            var j = cursor
            while j < graph.nodes.count && graph.nodes[j].name != s.node { j += 1 }
            if j == graph.nodes.count { j = min(cursor, graph.nodes.count - 1) }
            out.append(j)
            cursor = j
        }
        return out
    }

    /// Whole-process peak resident set in bytes (`VmHWM` in /proc/self/status); nil elsewhere.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, let kb = Int(fields[1]) else { return nil }
            return kb * 1024
        }
        return nil
    }
}

/// Parameter counts of a graph as imported (the file's weights).
struct WeightCount {
    var params = 0
    var bytes = 0
    var batchNorm: Int?
    var trainable: Int?

    init(_ graph: Graph) {
        for t in graph.initializers.values where t.dtype.isFloat {
            params += t.count
            bytes += t.count * t.dtype.byteSize
        }
        // BatchNormalization by ONNX name: also training-mode ones the importer keeps as
        // `.unsupported`.
        let bns = graph.nodes.filter { $0.reference.opType == "BatchNormalization" }
        guard !bns.isEmpty else { return }
        var all = Set<String>()
        var statistics = Set<String>()
        for n in bns {
            for i in 1...4 {
                guard let v = n.input(i), let t = graph.constant(v), t.dtype.isFloat else { continue }
                all.insert(v)
                if i >= 3 { statistics.insert(v) }
            }
        }
        batchNorm = all.reduce(0) { $0 + (graph.constant($1)?.count ?? 0) }
        trainable = params - statistics.reduce(0) { $0 + (graph.constant($1)?.count ?? 0) }
    }
}

extension Profiler {
    /// Seeded uniform [-1, 1) float inputs for every non-constant graph input, the inputs
    /// `loupe profile` and `loupe bench` time with (SplitMix64, 24-bit mantissa draws).
    public static func benchmarkInputs(for graph: Graph, seed: UInt64) -> [String: Tensor] {
        var rng = SplitMix64(seed: seed)
        var feeds: [String: Tensor] = [:]
        for i in graph.inputs where graph.constant(i.name) == nil {
            let shape = i.type.staticShape ?? []
            let n = shape.reduce(1, *)
            feeds[i.name] = Tensor(shape: shape, floats: (0..<n).map { _ in Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1 })
        }
        return feeds
    }
}
