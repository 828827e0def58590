import Foundation

/// What `Profiler.profile` measured: totals, one row per node, and the activation memory along
/// the schedule. Encodes to the JSON of `loupe profile --json` (snake_case keys).
///
/// Conventions (also in `conventions`):
/// - `macs` counts multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul only — the
///   convention of the AIM 2024 UHD-IQA challenge, fvcore and `torch.utils.flop_counter` / 2.
///   `macsOther` counts the remaining arithmetic (element-wise ops, activations, pools,
///   reductions, Softmax, Resize) in elements, apart.
/// - Costs are read from the graph the runtime executes (the optimized graph): a BatchNorm
///   folded into a Conv, or an activation fused into it, leaves the Conv's MACs unchanged and
///   adds none of its own. When the model cannot be optimized, the imported graph is used.
/// - `params` counts float weight elements stored in the file (initializers and Constant
///   nodes, each counted once even when shared).
public struct ProfileReport: Codable, Sendable, Equatable {
    /// Where the model came from (a path), when known.
    public var model: String?
    /// Static shape of every graph input the profile used.
    public var inputShapes: [String: [Int]]
    /// How MACs and parameters are counted, in words.
    public var conventions: [String]
    /// Which graph the per-layer costs come from: "optimized" or "imported".
    public var graph: String

    /// Float weight elements in the file.
    public var params: Int
    /// Elements held by BatchNormalization nodes (scale, bias, mean, variance), included in
    /// `params`; nil when the model has no BatchNormalization node.
    public var paramsBatchNorm: Int?
    /// `params` without BatchNormalization running mean and variance: what PyTorch's
    /// `sum(p.numel() for p in model.parameters())` gives for the same export; nil without
    /// BatchNormalization nodes.
    public var paramsTrainable: Int?
    /// Float constant elements the optimized graph still reads (after constant folding and
    /// dead-code elimination): what the runtime holds. Differs from `params` when the export
    /// computes weights at run time (timm's weight standardization stores each weight twice:
    /// once for the training-mode BatchNormalization, once for its unused running-statistics
    /// chain) or when BatchNorms fold into convs. Nil when the model could not be optimized.
    public var paramsRuntime: Int?
    /// Conv/ConvTranspose/Gemm/MatMul multiply-accumulates.
    public var macs: Int
    /// Other arithmetic (element-wise, activations, pools, reductions), counted in elements.
    public var macsOther: Int
    /// Bytes of the float weights as stored in the file (float16 counts 2 bytes).
    public var weightsBytes: Int
    /// Bytes of the activation arena the memory planner allocated; nil when not compiled.
    public var arenaBytes: Int?
    /// Largest sum of live activation bytes over the schedule (liveness computed from the
    /// optimized graph's types; aliases share their source's bytes). A lower bound of
    /// `arenaBytes`, which adds alignment, XNNPACK's over-read slack and fragmentation.
    public var peakLiveBytes: Int?
    /// Whole-process peak resident set (`VmHWM` of /proc/self/status) after profiling; nil
    /// where the OS does not report it.
    public var peakRSSBytes: Int?
    /// Milliseconds per inference, end to end (`Executor.run`, inputs copied in and outputs out).
    public var ms: Timing?
    /// Sum of per-layer median milliseconds (compare with `ms.median`).
    public var layersMsSum: Double?
    /// Milliseconds of all steps together per timed run (the per-step timers summed within
    /// each run): `ms` minus this is what the step timers do not cover (copying inputs in and
    /// outputs out); `layersMsSum` below `stepsMs.median` is the median of a sum exceeding
    /// the sum of medians when runs are disturbed (preemption hits different layers per run).
    public var stepsMs: Timing?
    /// Threads, timed runs and warm-up runs used; nil for a static profile.
    public var threads: Int?
    public var runs: Int?
    public var warmup: Int?
    /// Why there is no timing (`--static`, or the reason the model could not compile).
    public var notTimed: String?
    /// Nodes that cannot run, with the reason.
    public var unsupported: [String]
    /// Nodes whose output types could not be inferred, with the reason: their MACs are not
    /// counted (nor those of nodes fed by them).
    public var untyped: [String]
    public var layers: [Layer]
    /// Live activation bytes while each node runs, in schedule order.
    public var memory: [MemoryPoint]
    /// Milliseconds per photo split into decode, preprocess and inference, when a photo and
    /// a preset were given (`Profiler.profileImage`); nil (JSON `null`) otherwise.
    public var image: ImageTiming? = nil
    /// Loupe's version, the XNNPACK package, the CPU and the kernels' ISA of the machine
    /// that made the report (JSON `machine`).
    public var machine: MachineInfo? = nil
    /// The MAC budget in GMACs the report was checked against (`loupe profile --budget`);
    /// nil when none was given.
    public var budgetGMACs: Double? = nil

    /// Median, minimum, maximum and tail percentiles of milliseconds.
    public struct Timing: Codable, Sendable, Equatable {
        public var median: Double
        public var min: Double
        public var max: Double
        /// 90th and 99th percentiles (nearest rank: the smallest sample with at least p% of
        /// the samples at or below it, as onnxruntime_perf_test reports them); with fewer
        /// than 100 runs p99 is the maximum. Nil when not measured from samples.
        public var p90: Double?
        public var p99: Double?

        public init(median: Double, min: Double, max: Double, p90: Double? = nil, p99: Double? = nil) {
            self.median = median
            self.min = min
            self.max = max
            self.p90 = p90
            self.p99 = p99
        }

        /// Statistics of `samples` (milliseconds); nil when empty.
        public init?(_ samples: [Double]) {
            guard !samples.isEmpty else { return nil }
            let s = samples.sorted()
            let n = s.count
            median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            min = s[0]
            max = s[n - 1]
            p90 = Self.percentile(s, 90)
            p99 = Self.percentile(s, 99)
        }

        /// Nearest-rank percentile of sorted, non-empty `s`.
        public static func percentile(_ s: [Double], _ p: Int) -> Double {
            // ceil(p * n / 100) in integers: exact, no floating-point rounding at the boundary.
            let rank = (p * s.count + 99) / 100
            return s[Swift.max(rank, 1) - 1]
        }
    }

    /// One node of the profiled graph.
    public struct Layer: Codable, Sendable, Equatable {
        public var name: String
        /// The ONNX op type the node came from (`Conv`).
        public var op: String
        /// Output shape in ONNX's logical layout (NCHW, as Netron and the exporter show it);
        /// empty when unknown.
        public var outputShape: [Int]
        /// The output's shape as the runtime lays it out (NHWC after the layout pass) when it
        /// differs from ``outputShape``; nil otherwise.
        public var physicalShape: [Int]? = nil
        public var macs: Int
        /// Non-MAC arithmetic in elements (see `ProfileReport.macsOther`).
        public var macsOther: Int
        /// Float constant elements the node reads (its weights, after folding).
        public var params: Int
        /// Median milliseconds of the node's step(s); nil when it does not execute (alias,
        /// constant) or the profile is static.
        public var ms: Double?
        /// Share of the sum of per-layer medians.
        public var share: Double?
        /// Achieved MACs per second / 1e9; nil without MACs or timing.
        public var gmacPerSecond: Double?
        /// Where it runs: "xnnpack <create function>", "kernel <name>", "alias (no copy)",
        /// "constant", or "unsupported: <reason>".
        public var placement: String

        enum CodingKeys: String, CodingKey {
            case name, op, macs, params, ms, share, placement
            case outputShape = "output_shape", physicalShape = "output_shape_physical"
            case macsOther = "macs_other", gmacPerSecond = "gmac_per_s"
        }
    }

    /// Live activation bytes when a node runs.
    public struct MemoryPoint: Codable, Sendable, Equatable {
        public var node: String
        public var liveBytes: Int

        public init(node: String, liveBytes: Int) {
            self.node = node
            self.liveBytes = liveBytes
        }

        enum CodingKeys: String, CodingKey {
            case node
            case liveBytes = "live_bytes"
        }
    }

    /// The `count` layers with the most MACs, largest first (layers without MACs left out).
    public func largestLayers(_ count: Int = 5) -> [Layer] {
        let ranked = layers.enumerated().sorted {
            $0.element.macs != $1.element.macs ? $0.element.macs > $1.element.macs : $0.offset < $1.offset
        }
        return Array(ranked.map(\.element).filter { $0.macs > 0 }.prefix(count))
    }

    enum CodingKeys: String, CodingKey {
        case model, conventions, graph, params, macs, ms, threads, runs, warmup, unsupported, untyped, layers, memory, image, machine
        case budgetGMACs = "budget_gmacs"
        case inputShapes = "input_shapes", paramsBatchNorm = "params_batchnorm", paramsTrainable = "params_trainable"
        case paramsRuntime = "params_runtime"
        case macsOther = "macs_other", weightsBytes = "weights_bytes", arenaBytes = "arena_bytes"
        case peakLiveBytes = "peak_live_bytes", peakRSSBytes = "peak_rss_bytes", layersMsSum = "layers_ms_sum"
        case stepsMs = "steps_ms"
        case notTimed = "not_timed"
    }
}

// Explicit encoders so that absent values appear as `null` (a static profile still has the
// `ms` key) instead of being left out; decoding is synthesized.
extension ProfileReport {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(inputShapes, forKey: .inputShapes)
        try c.encode(conventions, forKey: .conventions)
        try c.encode(graph, forKey: .graph)
        try c.encode(params, forKey: .params)
        try c.encode(paramsBatchNorm, forKey: .paramsBatchNorm)
        try c.encode(paramsTrainable, forKey: .paramsTrainable)
        try c.encode(paramsRuntime, forKey: .paramsRuntime)
        try c.encode(macs, forKey: .macs)
        try c.encode(macsOther, forKey: .macsOther)
        try c.encode(weightsBytes, forKey: .weightsBytes)
        try c.encode(arenaBytes, forKey: .arenaBytes)
        try c.encode(peakLiveBytes, forKey: .peakLiveBytes)
        try c.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try c.encode(ms, forKey: .ms)
        try c.encode(layersMsSum, forKey: .layersMsSum)
        try c.encode(stepsMs, forKey: .stepsMs)
        try c.encode(threads, forKey: .threads)
        try c.encode(runs, forKey: .runs)
        try c.encode(warmup, forKey: .warmup)
        try c.encode(notTimed, forKey: .notTimed)
        try c.encode(unsupported, forKey: .unsupported)
        try c.encode(untyped, forKey: .untyped)
        try c.encode(layers, forKey: .layers)
        try c.encode(memory, forKey: .memory)
        try c.encode(image, forKey: .image)
        try c.encode(machine, forKey: .machine)
        try c.encode(budgetGMACs, forKey: .budgetGMACs)
    }
}

extension ProfileReport.Layer {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(op, forKey: .op)
        try c.encode(outputShape, forKey: .outputShape)
        try c.encode(physicalShape, forKey: .physicalShape)
        try c.encode(macs, forKey: .macs)
        try c.encode(macsOther, forKey: .macsOther)
        try c.encode(params, forKey: .params)
        try c.encode(ms, forKey: .ms)
        try c.encode(share, forKey: .share)
        try c.encode(gmacPerSecond, forKey: .gmacPerSecond)
        try c.encode(placement, forKey: .placement)
    }
}
