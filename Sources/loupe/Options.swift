import Foundation
import ArgumentParser
import Loupe
import LoupeImaging
import LoupeIQA

/// `--threads N --memory-limit SIZE`: every verb that compiles a model takes them.
struct ExecutionOptions: ParsableArguments {
    static let allowed = 1...256

    @Option(help: "Worker threads (1 to 256).")
    var threads: Int = 1

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp(
        "Most memory a compiled model may take: bytes, or with K, M, G, T (powers of 1024), as in 512M or 2G. A model that needs more is refused before anything is allocated. Default: the physical memory.",
        valueName: "SIZE"), transform: ByteSize.init(parsing:))
    var memoryLimitSize: ByteSize?

    /// The limit for `CompileOptions.memoryLimit`.
    var memoryLimit: Int { memoryLimitSize?.bytes ?? MemoryCeiling.defaultBytes }

    func validate() throws {
        guard Self.allowed.contains(threads) else {
            throw ValidationError("--threads must be between \(Self.allowed.lowerBound) and \(Self.allowed.upperBound)")
        }
    }
}

/// A `--memory-limit` value: `1048576`, `512K`, `512M`, `2G`, `1T` (binary multiples; a
/// trailing `B` or `iB` is accepted, case is not significant).
struct ByteSize {
    var bytes: Int

    init(parsing s: String) throws {
        let bad = ValidationError("bad size '\(s)': expected bytes or a number with K, M, G or T, as in 512M or 2G")
        var text = Substring(s.trimmingCharacters(in: .whitespaces).uppercased())
        if text.hasSuffix("IB") { text = text.dropLast(2) } else if text.hasSuffix("B") { text = text.dropLast() }
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var shift = 0
        if let last = text.last, let s = shifts[last] {
            shift = s
            text = text.dropLast()
        }
        // A fraction such as 1.5G is allowed; the product is checked so that 1e9T cannot wrap.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(text), value > 0 else { throw bad }
        let scaled = value * Double(1 << shift)
        guard scaled >= 1, scaled < Double(Int.max) else {
            throw ValidationError("bad size '\(s)': must be at least 1 byte and below 8 EiB")
        }
        bytes = Int(scaled)
    }
}

/// `--runs N --warmup N` of the verbs that time a model (bench, profile), validated once;
/// each verb has its own defaults (a profile run also times every layer, so it runs fewer).
struct TimingOptions: ParsableArguments {
    @Option(help: "Timed runs (default: bench 50, profile 20).")
    var runs: Int?

    @Option(help: "Untimed warm-up runs (default: bench 5, profile 3).")
    var warmup: Int?

    func validate() throws {
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be non-negative") }
    }
}

/// `--input-shape [NAME=]SHAPE`, repeatable: static sizes for the inputs a model leaves
/// symbolic. Every verb that compiles a model takes it.
struct InputShapeOptions: ParsableArguments {
    @Option(name: .customLong("input-shape"), help: ArgumentHelp(
        "Static shape for an input, NAME=1x3x720x1280 (or just 1x3x720x1280 for a single input). Repeatable.",
        valueName: "NAME=SHAPE"), transform: InputShape.init(parsing:))
    var inputShapes: [InputShape] = []

    /// The shapes by input name; a bare shape applies to the only input of `graph`.
    func shapes(for graph: Graph) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for s in inputShapes {
            if let name = s.name {
                shapes[name] = s.dims
            } else {
                guard graph.inputs.count == 1 else {
                    throw ValidationError("the model has \(graph.inputs.count) inputs; write --input-shape NAME=SHAPE")
                }
                shapes[graph.inputs[0].name] = s.dims
            }
        }
        return shapes
    }
}

/// One `--input-shape` value: `NAME=1x3x224x224` or `1x3x224x224`.
struct InputShape {
    var name: String?
    var dims: [Int]

    init(parsing s: String) throws {
        var dims = Substring(s)
        if let eq = s.lastIndex(of: "=") {
            name = String(s[..<eq])
            dims = s[s.index(after: eq)...]
        }
        let parts = dims.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("bad shape '\(s)': expected NAME=1x3x224x224 with positive sizes")
        }
        self.dims = parts.map { $0! }
    }
}

/// Options shared by commands that compile one model given as an argument.
struct ModelOptions: ParsableArguments {
    @Argument(help: "Path of the ONNX model.")
    var model: String

    @OptionGroup var shapes: InputShapeOptions

    @OptionGroup var execution: ExecutionOptions

    var threads: Int { execution.threads }
    var memoryLimit: Int { execution.memoryLimit }

    /// The compile options these flags describe; with `preset`, the inputs the model leaves
    /// symbolic and `--input-shape` does not give take the preset's sizes.
    func compileOptions(graph: Graph, preset: Preset? = nil) throws -> CompileOptions {
        let given = try shapes.shapes(for: graph)
        let filled = preset.map { $0.inputShapes(filling: graph) } ?? [:]
        return CompileOptions(threads: threads, inputShapes: filled.merging(given) { _, given in given },
                              memoryLimit: memoryLimit)
    }
}

/// `--preset NAME` of the verbs that compile a model without preprocessing photos
/// (inspect, run, bench): it only sizes the inputs the model leaves symbolic.
struct SizingPresetOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Inputs the model leaves symbolic take the sizes of this preset's tensors (--input-shape overrides).",
        valueName: "NAME"))
    var preset: Preset?
}

/// `--preset NAME`: the help lists every preset with one line on what it does.
extension Preset: ExpressibleByArgument {
    public static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.summary) })
    }
}

/// `--preset` of calibrate and quant-report: a challenge preset, or `resize` for a model
/// whose one [1,3,H,W] input no preset makes.
enum RecipeArgument: ExpressibleByArgument, CaseIterable, Equatable {
    case preset(Preset)
    /// The whole photo resized to the model's one input.
    case resize

    static let resizeName = "resize"

    static var allCases: [RecipeArgument] { Preset.allCases.map(RecipeArgument.preset) + [.resize] }

    init?(argument: String) {
        if argument == Self.resizeName {
            self = .resize
        } else if let preset = Preset(rawValue: argument) {
            self = .preset(preset)
        } else {
            return nil
        }
    }

    var name: String {
        switch self {
        case .preset(let p): return p.rawValue
        case .resize: return Self.resizeName
        }
    }

    var defaultValueDescription: String { name }

    static var allValueStrings: [String] { allCases.map(\.name) }

    static var allValueDescriptions: [String: String] {
        Preset.allValueDescriptions.merging([resizeName: "the whole photo resized to the model's one [1,3,H,W] input, one view"]) { a, _ in a }
    }
}
