import Foundation

/// Options for compiling a model.
public struct CompileOptions: Sendable {
    /// Worker threads shared by XNNPACK and Loupe kernels (1 = run on the caller's thread).
    public var threads: Int
    /// Static shapes for inputs whose declared shape is symbolic or that should be
    /// overridden, by input name.
    public var inputShapes: [String: [Int]]
    /// Bytes the compiled model may allocate for activations and constants; compiling a
    /// model that needs more throws `LoupeError.memoryLimit` before allocating. Defaults to
    /// `MemoryCeiling.defaultBytes` (the physical memory).
    public var memoryLimit: Int

    public init(threads: Int = 1, inputShapes: [String: [Int]] = [:], memoryLimit: Int = MemoryCeiling.defaultBytes) {
        self.threads = threads
        self.inputShapes = inputShapes
        self.memoryLimit = memoryLimit
    }
}

/// A compiled model: imported from ONNX, optimized, and lowered onto XNNPACK.
///
/// ```swift
/// let model = try Model(contentsOf: "scorer.onnx")
/// let out = try model.run(["input": tensor])
/// ```
public final class Model {
    /// The graph as imported (shapes applied, types inferred).
    public let imported: Graph
    /// The graph after the optimization pipeline, as the runtime executes it.
    public let optimized: Graph
    /// The executor holding XNNPACK operators and the arena.
    public let executor: Executor
    private let lock = NSLock()
    private var preparedCache: Graph?
    private var captureCache: (values: [String], executor: Executor)?

    /// Graph inputs the caller must feed.
    public var inputs: [ValueInfo] { imported.inputs }
    /// Graph outputs `run` returns.
    public var outputs: [ValueInfo] { imported.outputs }

    /// Imports, optimizes and compiles the ONNX model at `path`.
    public convenience init(contentsOf path: String, options: CompileOptions = CompileOptions()) throws {
        let graph = try ONNXImporter.load(contentsOf: path)
        try self.init(graph: graph, options: options)
    }

    /// Optimizes and compiles an already imported graph.
    public init(graph: Graph, options: CompileOptions = CompileOptions()) throws {
        var g = try Model.applyInputShapes(graph, options.inputShapes)
        try g.inferTypes(constantEvaluator: ReferenceInterpreter.evaluate)
        self.imported = g
        self.optimized = try Model.optimize(g)
        self.executor = try Executor(graph: optimized, threads: max(1, options.threads), memoryLimit: options.memoryLimit)
    }

    /// Runs the pass pipeline for the XNNPACK runtime, once. A quantized (QDQ) model whose
    /// folded int8 node the runtime refuses (an XNNPACK parameter limit, such as an Add whose
    /// input-to-output scale ratio is out of range) gets that node back in float between
    /// explicit conversions; `Graph.floatIslands` then names it with the runtime's reason,
    /// so `loupe inspect` shows it instead of the model failing to compile.
    public static func optimize(_ graph: Graph) throws -> Graph {
        try Pipeline.optimize(graph, options: .init(int8Refusal: { node, g in
            guard Lowering.runsOnInt8(node, g), case .unsupported(let reason) = Lowering.placement(of: node, in: g) else {
                return nil
            }
            return "the runtime refuses its int8 form: \(reason)"
        }))
    }

    /// Runs the model. Inputs are keyed by input name, each in its input's dtype (float32
    /// photos, int64 token ids, bool masks, …) and exact shape; the result holds every graph
    /// output by name, in its own dtype.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try executor.run(inputs)
    }

    /// The optimized graph before layout conversion (`Pipeline.optimize` with
    /// `convertToNHWC: false`): NCHW as in ONNX, BatchNorm folded, activations fused into
    /// conv clamps, HardSwish recognised. Its value names are the ones ``capture(_:values:)``
    /// accepts, and it is the graph the quantizer rewrites. Computed on first use.
    public func prepared() throws -> Graph {
        lock.lock(); defer { lock.unlock() }
        if let g = preparedCache { return g }
        let g = try Pipeline.optimize(imported, options: .init(convertToNHWC: false))
        preparedCache = g
        return g
    }

    /// Runs the model and returns the float values of the named intermediate values (names
    /// of the ``prepared()`` graph; graph inputs, initializers and outputs are accepted too)
    /// as NCHW tensors, keyed by name.
    ///
    /// How: a copy of the prepared graph in which every requested value is also a graph
    /// output is compiled with the full pipeline (which converts those outputs back to NCHW)
    /// and cached for the next call with the same value set; the memory planner then keeps
    /// every requested value alive for the whole run, so capturing many large activations
    /// (calibration at 720×1280) takes a lot of memory — gigabytes for a MobileNetV3 — on
    /// top of the normal arena. Values that `Graph.quantization` marks as int8-coded come
    /// back dequantized. Not safe to call from several threads at once on one model.
    public func capture(_ inputs: [String: Tensor], values: [String]) throws -> [String: Tensor] {
        let prepared = try prepared()
        var ordered: [String] = []
        var seen = Set<String>()
        for v in values where seen.insert(v).inserted { ordered.append(v) }
        let producers = prepared.producers()
        let inputNames = Set(prepared.inputs.map(\.name))
        for v in ordered where producers[v] == nil && !inputNames.contains(v) && prepared.initializers[v] == nil {
            throw LoupeError.badInput("capture: '\(v)' is not a value of the prepared graph '\(prepared.name)'")
        }
        let computed = ordered.filter { producers[$0] != nil }
        var result: [String: Tensor] = [:]
        if !computed.isEmpty {
            let executor = try captureExecutor(prepared, computed.sorted())
            let out = try executor.run(inputs)
            for v in computed {
                guard var t = out[v] else {
                    throw LoupeError.badInput("capture: the runtime returned no value for '\(v)'")
                }
                if let q = prepared.quantization[v], !t.dtype.isFloat { t = q.dequantize(t) }
                result[v] = t
            }
        }
        for v in ordered where producers[v] == nil {
            if let t = prepared.initializers[v] { result[v] = t; continue }
            guard let t = inputs[v] else { throw LoupeError.badInput("capture: input '\(v)' was not given") }
            result[v] = t
        }
        return result
    }

    private func captureExecutor(_ prepared: Graph, _ values: [String]) throws -> Executor {
        lock.lock(); defer { lock.unlock() }
        if let c = captureCache, c.values == values { return c.executor }
        captureCache = nil  // free the previous arena before building the next one
        var g = prepared
        let existing = Set(g.outputs.map(\.name))
        for v in values where !existing.contains(v) {
            guard let t = g.types[v] else {
                throw LoupeError.badInput("capture: value '\(v)' has no inferred type in the prepared graph")
            }
            g.outputs.append(ValueInfo(name: v, type: t))
        }
        let optimized = try Model.optimize(g)
        let executor = try Executor(graph: optimized, threads: executor.threads, memoryLimit: executor.memoryLimit)
        captureCache = (values, executor)
        return executor
    }

    /// Runs the slow reference interpreter on the imported (unoptimized) graph: the oracle
    /// `run` is checked against.
    public func runReference(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try ReferenceInterpreter.run(imported, inputs: inputs)
    }

    /// Replaces graph-input shapes by the caller's, checking rank and fixed dimensions.
    public static func applyInputShapes(_ graph: Graph, _ shapes: [String: [Int]]) throws -> Graph {
        var g = graph
        for (name, shape) in shapes {
            guard let i = g.inputs.firstIndex(where: { $0.name == name }) else {
                let known = g.inputs.map(\.name).joined(separator: ", ")
                throw LoupeError.badInput("--input-shape names '\(name)', but the model's inputs are: \(known)")
            }
            let declared = g.inputs[i].type
            guard declared.rank == shape.count else {
                throw LoupeError.badInput("input '\(name)' has rank \(declared.rank) (\(declared)); got shape \(shape)")
            }
            // Fixed declared sizes may be overridden too (a fully convolutional model exported at
            // one resolution runs at another); shape inference rejects what does not fit.
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw LoupeError.badInput("input '\(name)': dimensions must be positive, got \(shape)")
            }
            g.inputs[i].type = TensorType(declared.dtype, shape: shape)
        }
        for input in g.inputs where input.type.staticShape == nil {
            throw LoupeError.badInput(
                "input '\(input.name)' has a symbolic shape \(input.type); give one with --input-shape \(input.name)=1x3x224x224")
        }
        return g
    }
}
