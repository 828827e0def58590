import ArgumentParser
import Foundation
import Loupe
import LoupeCalibration
import LoupeImaging
import LoupeIQA

/// `loupe quant-report`: how far an INT8 QDQ model is from the float model it came from,
/// layer by layer (SQNR) and at its outputs (PLCC, SRCC, SQNR, top-1 agreement), over photos.
///
/// Exit codes: 0 success; 3 some photos could not be decoded (listed; the report covers the
/// others); 1 fatal; 64 usage error.
struct QuantReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant-report",
        abstract: "Compare an INT8 QDQ model with its FP32 model: per-layer SQNR, PLCC/SRCC of the outputs.",
        discussion: """
            Both models run on each photo (the --count photos of DIR evenly spaced over the sorted \
            files, all of them by default), preprocessed as `loupe calibrate` does (--preset, or the \
            preset the model's input shape implies). Per layer: every activation the QDQ file \
            quantizes (a QuantizeLinear → DequantizeLinear pair on a computed value) is compared with \
            the same value of the FP32 model: SQNR = 10·log10(Σ fp32² / Σ (fp32 − int8)²) over all \
            photos, in dB (errors of earlier layers included: this is what the network sees). Per \
            output: PLCC and SRCC of the INT8 values against the FP32 values over the photos (views \
            of a multi-view preset averaged, as scoring does; all elements of a vector output), the \
            output's SQNR, and for a vector output the share of photos whose arg-max agrees. Lists \
            the layers the quantized model keeps in FP32 (from its metadata), and warns when photos \
            of the report were calibration photos. Memory: each compared value stays alive for a \
            whole run (on top of the normal arena).
            Quantized values whose name the FP32 model lacks are listed apart (unmatched). \
            JSON (--json): {fp32, int8, preset, photos, failed, calibration_photos_seen, method, \
            layers: [{value, node, sqnr_db}], unmatched: [name], outputs: [{name, values, plcc, srcc, sqnr_db, \
            top1_agreement}], kept_fp32: [{node, reason}]}; sqnr_db is null when the two are equal \
            (no noise); top1_agreement is null for one-value outputs.
            Exit codes: 0 success, 3 some photos could not be decoded (listed), 1 fatal error, 64 usage error.
            """)

    @Argument(help: "The float ONNX model.")
    var fp32: String

    @Argument(help: "The INT8 QDQ ONNX model made from it (by `loupe calibrate` or ONNX Runtime's quantize_static).")
    var int8: String

    @Option(help: ArgumentHelp("Folder of photos to compare on (not the calibration photos).", valueName: "DIR"))
    var images: String

    @Option(help: "Number of photos (default: all in DIR).")
    var count: Int?

    @Option(help: ArgumentHelp(
        "Preprocessing preset (default: implied by the model's input shape).", valueName: "NAME"))
    var preset: RecipeArgument?

    @OptionGroup var shapes: InputShapeOptions

    @OptionGroup var execution: ExecutionOptions

    var compile: CompileOptions { CompileOptions(threads: execution.threads, memoryLimit: execution.memoryLimit) }

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        var stderr = StandardError()
        var failed: [(String, String)] = []
        let report: Report
        do {
            let fp = try ModelInputs.load(fp32, preset: preset, shapes: shapes)
            try ModelInputs.requireFloat(fp.graph, path: fp32)
            let quantizedGraph = try ModelInputs.apply(fp.recipe, to: try ModelInputs.imported(int8, shapes: shapes))
            let photos = try CalibrationPhotos.folder(images, count: count)
            let fpModel = try Model(graph: fp.graph, options: compile)
            let qModel = try Model(graph: quantizedGraph, options: compile)
            let (pairs, unmatched) = LayerPair.match(qdq: qModel.imported, fp32: try fpModel.prepared())
            // The INT8 layer values are read as extra float outputs of a second compile of the
            // QDQ graph (each DequantizeLinear kept for its output, the int8 ops folded as
            // usual), not with Model.capture, which cannot yet return values folded to int8.
            // The outputs compared are those of the unmodified INT8 model.
            var probeGraph = qModel.imported
            for p in pairs where !probeGraph.isGraphOutput(p.int8) {
                guard let t = probeGraph.types[p.int8] else { continue }
                probeGraph.outputs.append(ValueInfo(name: p.int8, type: t))
            }
            let probe = pairs.isEmpty ? nil : try Model(graph: probeGraph, options: compile)
            let outputs = fpModel.outputs.map(\.name)
            guard Set(outputs) == Set(qModel.outputs.map(\.name)) else {
                throw LoupeError.badInput(
                    "the models' outputs differ: \(fp32) has \(outputs.joined(separator: ", ")), \(int8) has \(qModel.outputs.map(\.name).joined(separator: ", "))")
            }

            var layers = pairs.map { _ in NoiseSum() }
            var outputNoise = outputs.map { _ in NoiseSum() }
            var fpValues = outputs.map { _ in [Double]() }, qValues = outputs.map { _ in [Double]() }
            var agree = outputs.map { _ in 0 }
            var progress = Progress(total: photos.count)
            for photo in photos {
                let views: [[Tensor]]
                do { views = try fp.recipe.prepare(contentsOf: photo.path) } catch {
                    failed.append((photo.path, BatchScorer.reason(error)))
                    progress.clearLine()
                    print("failed: \(photo.path): \(BatchScorer.reason(error))", to: &stderr)
                    progress.advance(failed: failed.count)
                    continue
                }
                var fpMean = outputs.map { _ in [Double]() }, qMean = outputs.map { _ in [Double]() }
                for view in views {
                    let feeds = fp.feeds(view)
                    let a = try fpModel.capture(feeds, values: pairs.map(\.fp32) + outputs)
                    let b = try qModel.run(feeds)
                    if let probe {
                        let values = try probe.run(feeds)
                        for (i, p) in pairs.enumerated() {
                            guard let v = values[p.int8] else { throw LoupeError.badInput("the INT8 model returned no value for '\(p.int8)'") }
                            try layers[i].add(a[p.fp32]!, v, name: p.fp32)
                        }
                    }
                    for (k, o) in outputs.enumerated() {
                        try outputNoise[k].add(a[o]!, b[o]!, name: o)
                        Self.accumulate(&fpMean[k], a[o]!, 1 / Double(views.count))
                        Self.accumulate(&qMean[k], b[o]!, 1 / Double(views.count))
                    }
                }
                for k in outputs.indices {
                    fpValues[k] += fpMean[k]
                    qValues[k] += qMean[k]
                    if fpMean[k].count > 1, Self.argmax(fpMean[k]) == Self.argmax(qMean[k]) { agree[k] += 1 }
                }
                progress.advance(failed: failed.count)
            }
            progress.clearLine()
            let used = photos.count - failed.count
            guard used > 0 else { throw LoupeError.badInput("none of the \(photos.count) photo(s) in \(images) could be decoded") }

            var outputRows: [OutputRow] = []
            for (k, o) in outputs.enumerated() {
                let enough = fpValues[k].count >= 2
                outputRows.append(OutputRow(
                    name: o, values: fpValues[k].count,
                    plcc: enough ? try plcc(qValues[k], fpValues[k]) : .nan,
                    srcc: enough ? try srcc(qValues[k], fpValues[k]) : .nan,
                    sqnr: outputNoise[k].sqnr,
                    top1: fpValues[k].count > used ? Double(agree[k]) / Double(used) : nil))
            }
            let calibrationNames = Set(Self.calibrationPhotos(qModel.imported.metadata))
            let seen = photos.filter { calibrationNames.contains($0.name) || calibrationNames.contains(($0.path as NSString).lastPathComponent) }.count
            report = Report(
                preset: fp.recipe.description, photos: used, calibrationSeen: seen,
                method: qModel.imported.metadata[Quantizer.MetadataKey.method],
                layers: zip(pairs, layers).map { ($0.fp32, $0.node, $1.sqnr) }, unmatched: unmatched, outputs: outputRows,
                kept: Self.keptFP32(qModel.imported.metadata))
        } catch {
            fail(error)
        }
        if report.calibrationSeen > 0 {
            print("warning: \(report.calibrationSeen) of the photos were used to calibrate \(int8); the report is optimistic for them", to: &stderr)
        }
        print(json ? report.json(fp32: fp32, int8: int8, failed: failed.count) : report.text())
        if !failed.isEmpty {
            print("\(failed.count) photo(s) could not be decoded and are not in the report:", to: &stderr)
            for (path, reason) in failed { print("  \(path): \(reason)", to: &stderr) }
            throw ExitCode(3)
        }
    }

    static func accumulate(_ sum: inout [Double], _ t: Tensor, _ weight: Double) {
        let f = t.floats
        if sum.isEmpty { sum = [Double](repeating: 0, count: f.count) }
        for i in f.indices where i < sum.count { sum[i] += weight * Double(f[i]) }
    }

    static func argmax(_ v: [Double]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }

    /// The photo names `loupe calibrate` recorded (a JSON array), or none.
    static func calibrationPhotos(_ metadata: [String: String]) -> [String] {
        guard let text = metadata[CalibrationMetadata.photos],
              let names = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else { return [] }
        return names
    }

    /// The kept-FP32 list the quantizer recorded: `node: reason; node: reason`.
    static func keptFP32(_ metadata: [String: String]) -> [(node: String, reason: String)] {
        guard let text = metadata[Quantizer.MetadataKey.keptFP32], !text.isEmpty else { return [] }
        return text.components(separatedBy: "; ").map { entry in
            guard let colon = entry.range(of: ": ") else { return (entry, "") }
            return (String(entry[..<colon.lowerBound]), String(entry[colon.upperBound...]))
        }
    }
}

/// One activation the QDQ file quantizes, named in both models' prepared graphs.
struct LayerPair {
    /// The value in the FP32 model's prepared graph.
    var fp32: String
    /// The DequantizeLinear output that stands for it in the QDQ graph.
    var int8: String
    /// The FP32 node computing it (empty for a graph input).
    var node: String

    /// Pairs every QuantizeLinear → DequantizeLinear on a computed value of `qdq` (the QDQ
    /// file as imported) with the float value it stands for: the QuantizeLinear's input,
    /// except for a graph output, which the quantizer leaves on the DequantizeLinear (its
    /// producer writes a renamed float value). The INT8 side is the DequantizeLinear's
    /// output. Values the FP32 model does not have (a layer the quantizer rewrote, another
    /// tool's naming) are returned apart, so that the report can name them. In FP32 graph
    /// order.
    static func match(qdq: Graph, fp32: Graph) -> (pairs: [LayerPair], unmatched: [String]) {
        let fpProducers = fp32.producers()
        let fpInputs = Set(fp32.inputs.map(\.name))
        var pairs: [LayerPair] = []
        var unmatched: [String] = []
        var seen = Set<String>()
        for activation in QuantizedActivation.all(in: qdq) {
            let dq = activation.dequantized
            let name = qdq.isGraphOutput(dq) ? dq : activation.source
            guard seen.insert(name).inserted else { continue }
            guard fpProducers[name] != nil || fpInputs.contains(name) else { unmatched.append(name); continue }
            pairs.append(LayerPair(fp32: name, int8: dq, node: fpProducers[name].map { fp32.nodes[$0].name } ?? ""))
        }
        let order = Dictionary(fp32.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: min)
        return (pairs.sorted { (order[$0.fp32] ?? -1) < (order[$1.fp32] ?? -1) }, unmatched)
    }
}

/// Σ reference² and Σ (reference − test)² over every element seen.
struct NoiseSum {
    var signal = 0.0
    var noise = 0.0

    mutating func add(_ reference: Tensor, _ test: Tensor, name: String) throws {
        let a = reference.floats, b = test.floats
        guard a.count == b.count else {
            throw LoupeError.badInput("'\(name)' has \(a.count) values in the FP32 model but \(b.count) in the INT8 model")
        }
        for i in a.indices {
            let x = Double(a[i]), d = x - Double(b[i])
            signal += x * x
            noise += d * d
        }
    }

    /// In dB; +∞ when there is no noise, NaN when there is no signal either.
    var sqnr: Double {
        if noise == 0 { return signal > 0 ? .infinity : .nan }
        return 10 * log10(signal / noise)
    }
}

struct OutputRow {
    var name: String
    var values: Int
    var plcc: Double
    var srcc: Double
    var sqnr: Double
    var top1: Double?
}

struct Report {
    var preset: String
    var photos: Int
    var calibrationSeen: Int
    var method: String?
    var layers: [(value: String, node: String, sqnr: Double)]
    /// Quantized values of the INT8 model with no value of that name in the FP32 model.
    var unmatched: [String]
    var outputs: [OutputRow]
    var kept: [(node: String, reason: String)]

    static func db(_ v: Double) -> String { v.isNaN ? "n/a" : v.isInfinite ? "exact" : String(format: "%.2f", v) }
    static func corr(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.4f", v) }

    func text() -> String {
        var parts: [String] = []
        parts.append("\(photos) photo(s), preset \(preset)\(method.map { ", calibrated with \($0)" } ?? "")")
        parts.append(formatTable(["output", "values", "PLCC", "SRCC", "SQNR dB", "top-1 agreement"], outputs.map {
            [$0.name, String($0.values), Self.corr($0.plcc), Self.corr($0.srcc), Self.db($0.sqnr),
             $0.top1.map { String(format: "%.1f%%", 100 * $0) } ?? "-"]
        }))
        parts.append(layers.isEmpty
            ? "no quantized activation of the INT8 model matches a value of the FP32 model"
            : formatTable(["quantized value", "node", "SQNR dB"], layers.map { [$0.value, $0.node, Self.db($0.sqnr)] }))
        if !unmatched.isEmpty {
            parts.append("\(unmatched.count) quantized value(s) have no value of that name in the FP32 model: \(unmatched.joined(separator: ", "))")
        }
        parts.append(kept.isEmpty ? "kept FP32: none" : formatTable(["kept FP32 node", "reason"], kept.map { [$0.node, $0.reason] }))
        return parts.joined(separator: "\n\n")
    }

    func json(fp32: String, int8: String, failed: Int) -> String {
        func num(_ v: Double) -> String { jsonNumber(v) }
        let layerItems = layers.map { "{\"value\":\(jsonString($0.value)),\"node\":\(jsonString($0.node)),\"sqnr_db\":\(num($0.sqnr))}" }
        let outputItems = outputs.map {
            "{\"name\":\(jsonString($0.name)),\"values\":\($0.values),\"plcc\":\(num($0.plcc)),\"srcc\":\(num($0.srcc)),"
                + "\"sqnr_db\":\(num($0.sqnr)),\"top1_agreement\":\($0.top1.map(num) ?? "null")}"
        }
        let keptItems = kept.map { "{\"node\":\(jsonString($0.node)),\"reason\":\(jsonString($0.reason))}" }
        return "{\"fp32\":\(jsonString(fp32)),\"int8\":\(jsonString(int8)),\"preset\":\(jsonString(preset)),"
            + "\"photos\":\(photos),\"failed\":\(failed),\"calibration_photos_seen\":\(calibrationSeen),"
            + "\"method\":\(method.map(jsonString) ?? "null"),"
            + "\"layers\":[\(layerItems.joined(separator: ","))],\"unmatched\":[\(unmatched.map(jsonString).joined(separator: ","))],\"outputs\":[\(outputItems.joined(separator: ","))],"
            + "\"kept_fp32\":[\(keptItems.joined(separator: ","))]}"
    }
}
