import Foundation

/// Options for compiling a model.
public struct CompileOptions: Sendable {
    /// Worker threads shared by XNNPACK and Loupe kernels (1 = run on the caller's thread).
    public var threads: Int
    /// Static shapes for inputs whose declared shape is symbolic or that should be
    /// overridden, by input name.
    public var inputShapes: [String: [Int]]

    public init(threads: Int = 1, inputShapes: [String: [Int]] = [:]) {
        self.threads = threads
        self.inputShapes = inputShapes
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
        self.optimized = try Pipeline.optimize(g)
        self.executor = try Executor(graph: optimized, threads: max(1, options.threads))
    }

    /// Runs the model. Inputs are float32 tensors keyed by input name; the result holds
    /// every graph output by name.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try executor.run(inputs)
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
