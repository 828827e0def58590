import ArgumentParser
import Foundation
import Loupe
import LoupeProfile

/// `loupe inspect`: inputs, outputs, and where each node runs or why it cannot.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's inputs, outputs and a per-node table of where each node runs (or why it cannot).")

    @OptionGroup var options: ModelOptions

    @OptionGroup var sizing: SizingPresetOptions

    @Flag(help: "Show the imported graph instead of the optimized one.")
    var imported = false

    func run() throws {
        let graph: Graph
        do {
            graph = try ONNXImporter.load(contentsOf: options.model)
        } catch {
            fail(error)
        }
        print("model: \(options.model)  (opset \(graph.opset), \(graph.nodes.count) nodes)")
        for i in graph.inputs { print("input:  \(i.name)  \(i.type)") }
        for o in graph.outputs { print("output: \(o.name)  \(o.type)") }

        var g: Graph
        var problem: String?
        do {
            g = try Model.applyInputShapes(graph, try options.compileOptions(graph: graph, preset: sizing.preset).inputShapes)
            try g.inferTypes(constantEvaluator: ReferenceInterpreter.evaluate)
        } catch {
            g = graph
            problem = "\(error)"
        }
        var shown = g
        if problem == nil && !imported {
            do {
                shown = try Model.optimize(g)
                try MemoryCeiling.checkValues(of: shown, limit: options.memoryLimit)
            } catch {
                problem = "\(error)"
            }
        }
        // Placements describe the optimized graph: on one that did not get there, layout-
        // sensitive nodes would all blame the layout. Only unsupported ops are placed, as
        // those never run whatever the passes do.
        let placeable = imported || problem == nil
        var rows: [[String]] = []
        var counts: [String: Int] = [:]
        var unsupported: [String] = []
        // Placement and MACs once per node: the table and the float32 list below both read them.
        let placements: [Placement?] = shown.nodes.map { node in
            if case .unsupported = node.op { return Lowering.placement(of: node, in: shown) }
            return placeable ? Lowering.placement(of: node, in: shown) : nil
        }
        let nodeMACs = shown.nodes.map { shown.types.isEmpty ? 0 : $0.macs(in: shown) }
        let macs = nodeMACs.reduce(0, +)
        // Shapes as ONNX and Netron show them (NCHW), not as the runtime lays them out.
        let logical = shown.nodes.isEmpty || imported || problem != nil ? [:] : Profiler.logicalShapes(typed: g)
        for (i, node) in shown.nodes.enumerated() {
            var shape = node.outputs.first.flatMap { shown.type(of: $0)?.description } ?? "?"
            if let t = node.outputs.first.flatMap({ shown.type(of: $0) }), let physical = t.staticShape,
               let l = logical[node.name], l != physical, l.count == physical.count, l.reduce(1, *) == physical.reduce(1, *) {
                shape = "\(t.dtype)[" + l.map(String.init).joined(separator: "x") + "]"
            }
            let where_: String
            switch placements[i] {
            case nil: where_ = "not placed (see below)"; counts["not placed", default: 0] += 1
            case .xnnpack(let op)?: where_ = op; counts["XNNPACK", default: 0] += 1
            case .kernel(let k)?: where_ = k; counts["Loupe kernels", default: 0] += 1
            case .alias?: where_ = "alias (no copy)"; counts["aliases", default: 0] += 1
            case .constant?: where_ = "constant"; counts["constants", default: 0] += 1
            case .unsupported(let reason)?:
                where_ = "CANNOT RUN: \(reason)"
                counts["cannot run", default: 0] += 1
                unsupported.append("\(node.reference): \(reason)")
            }
            rows.append([String(i), node.name, node.op.onnxName, shape, nodeMACs[i] > 0 ? formatCount(nodeMACs[i]) : "", where_])
        }
        print("")
        print(formatTable(["#", "node", "op", "output (NCHW)", "MACs", "runs on"], rows))
        if !logical.isEmpty {
            print("(output shapes NCHW as in ONNX; the transposes the layout pass adds, named with '::', show the runtime's NHWC)")
        }
        // Weights of a quantized model are int8 codes and its biases int32: count them too.
        let params = shown.initializers.values.filter { $0.dtype.isFloat || $0.dtype == .int8 || $0.dtype == .int32 }
            .reduce(0) { $0 + $1.count }
        print("")
        print("graph: \(imported ? "imported" : "optimized"), \(shown.nodes.count) nodes: "
              + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        print("parameters (float, int8 and int32 constant elements in the graph): \(formatCount(params))")
        print("MACs (conv, gemm, matmul): \(formatCount(macs))")
        let int8Values = Set(shown.types.filter { $0.value.dtype == .int8 }.map(\.key))
        if !int8Values.isEmpty {
            let int8Nodes = shown.nodes.filter { n in n.outputs.contains { int8Values.contains($0) } }
            print("int8: \(int8Nodes.count) node(s) write int8 codes")
            // Every node of a quantized model that still computes in float32, and why: never
            // a silent slow path. Layers `loupe calibrate --keep-fp32` kept carry its reason
            // (the file's metadata); the runtime's refusals of an int8 form come from
            // FoldQuantization.
            let kept = Dictionary(QuantReport.keptFP32(graph.metadata).map { ($0.node, $0.reason) }) { a, _ in a }
            var floats: [(node: Node, reason: String, macs: Int)] = []
            for (i, node) in shown.nodes.enumerated() where !node.op.isQuantize && !node.op.isDequantize && !node.name.contains("::") {
                guard let out = node.outputs.first, shown.type(of: out)?.dtype == .float32 else { continue }
                switch placements[i] {
                case nil, .alias?, .constant?, .unsupported?: continue
                case .xnnpack?, .kernel?: break
                }
                let reason = kept[node.name] ?? shown.floatIslands[node.name]
                    ?? "float32 in the file: no QuantizeLinear/DequantizeLinear around it"
                floats.append((node, reason, nodeMACs[i]))
            }
            if !floats.isEmpty {
                let floatMACs = floats.reduce(0) { $0 + $1.macs }
                let share = macs > 0 ? String(format: ", %.1f%% of the MACs", 100 * Double(floatMACs) / Double(macs)) : ""
                print("\n\(floats.count) node(s) stay float32 in this quantized model (\(formatCount(floatMACs)) MACs\(share)):")
                for f in floats { print("  \(f.node.op.onnxName) '\(f.node.name)': \(f.reason)") }
            }
        }
        if let problem { print("\nnot compiled: \(problem)") }
        if !unsupported.isEmpty {
            print("\n\(unsupported.count) node(s) cannot run:")
            for u in unsupported { print("  \(u)") }
        }
    }
}

/// 3218225 → "3.218 M".
func formatCount(_ n: Int) -> String {
    let d = Double(n)
    if d >= 1e9 { return String(format: "%.3f G", d / 1e9) }
    if d >= 1e6 { return String(format: "%.3f M", d / 1e6) }
    if d >= 1e3 { return String(format: "%.1f k", d / 1e3) }
    return String(n)
}
