import ArgumentParser
import Foundation
import Loupe
import LoupeNumPy

/// `loupe run`: feed .npy inputs, write .npy outputs.
struct RunModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on NumPy .npy inputs and write its outputs as .npy files.")

    @OptionGroup var options: ModelOptions

    @OptionGroup var sizing: SizingPresetOptions

    @Option(name: .customLong("input"), help: ArgumentHelp(
        "An input as NAME=file.npy, or file.npy when the model has one input. Repeatable.", valueName: "[NAME=]FILE"))
    var inputs: [String] = []

    @Option(name: .customLong("output"), help: "Write the (single) output to this .npy file (- for standard output).")
    var output: String?

    @Option(name: .customLong("output-dir"), help: "Write every output to DIR/<output name>.npy.")
    var outputDir: String?

    @Flag(name: .customLong("compare-reference"), help: "Also run the reference interpreter and print max abs/rel error per output.")
    var compareReference = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one --input") }
        guard output == nil || outputDir == nil else { throw ValidationError("give --output or --output-dir, not both") }
    }

    func run() throws {
        do {
            let graph = try ONNXImporter.load(contentsOf: options.model)
            var feeds: [String: Tensor] = [:]
            for spec in inputs {
                var name: String
                var file = spec
                if let eq = spec.firstIndex(of: "="), !FileManager.default.fileExists(atPath: spec) {
                    name = String(spec[..<eq])
                    file = String(spec[spec.index(after: eq)...])
                } else {
                    guard graph.inputs.count == 1 else {
                        throw LoupeError.badInput("the model has \(graph.inputs.count) inputs (\(graph.inputs.map(\.name).joined(separator: ", "))); write --input NAME=file.npy")
                    }
                    name = graph.inputs[0].name
                }
                guard graph.inputs.contains(where: { $0.name == name }) else {
                    throw LoupeError.badInput("the model has no input '\(name)'; its inputs are: \(graph.inputs.map(\.name).joined(separator: ", "))")
                }
                let array = try NumPy.read(contentsOf: file)
                if let declared = graph.inputs.first(where: { $0.name == name })?.type.dtype, array.dtype != declared {
                    // NumPy makes float64 arrays unless told otherwise: say how to save what the model takes.
                    throw LoupeError.badInput(
                        "\(file) holds \(array.dtype) but input '\(name)' takes \(declared); in NumPy save it as "
                        + "np.save('\(file)', x.astype(np.\(declared)))")
                }
                feeds[name] = array
            }
            var compile = try options.compileOptions(graph: graph, preset: sizing.preset)
            // Symbolic input dims take the fed array's shape.
            for i in graph.inputs where i.type.staticShape == nil && compile.inputShapes[i.name] == nil {
                if let t = feeds[i.name] { compile.inputShapes[i.name] = t.shape }
            }
            let model = try Model(graph: graph, options: compile)
            let results = try model.run(feeds)
            if compareReference {
                let ref = try model.runReference(feeds)
                for o in model.outputs {
                    guard let a = results[o.name], let b = ref[o.name] else { continue }
                    let (absErr, relErr) = maxErrors(a.floats, b.floats)
                    say("\(o.name): max |Δ| = \(absErr), max rel = \(relErr) (vs reference interpreter)",
                        stdoutTaken: output == standardOutputName)
                }
            }
            if let output {
                guard model.outputs.count == 1 else {
                    throw LoupeError.badInput("the model has \(model.outputs.count) outputs; use --output-dir")
                }
                if output == standardOutputName {
                    FileHandle.standardOutput.write(try NumPy.encode(results[model.outputs[0].name]!))
                } else {
                    try NumPy.write(results[model.outputs[0].name]!, to: output)
                    print("wrote \(output)")
                }
            } else if let outputDir {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
                for o in model.outputs {
                    let safe = o.name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" }
                    let path = (outputDir as NSString).appendingPathComponent(String(safe) + ".npy")
                    try NumPy.write(results[o.name]!, to: path)
                    print("wrote \(path)")
                }
            } else {
                for o in model.outputs {
                    let t = results[o.name]!
                    print("\(o.name): \(t)")
                }
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            fail(error)
        }
    }
}

/// Largest absolute difference and largest difference relative to max(1, |reference|).
func maxErrors(_ a: [Float], _ b: [Float]) -> (Float, Float) {
    var absErr: Float = 0, relErr: Float = 0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        if d.isNaN || d > absErr { absErr = d.isNaN ? .nan : max(absErr, d) }
        relErr = max(relErr, d / max(1, abs(y)))
    }
    return (absErr, relErr)
}
