import Foundation

extension ProfileReport {
    /// The report as JSON (snake_case keys, sorted, `null` for absent values).
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// The per-layer table as CSV (RFC 4180 quoting), one row per node in schedule order.
    public func csv() -> String {
        func q(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func num(_ d: Double?) -> String { d.map { String(format: "%.6g", $0) } ?? "" }
        var lines = ["index,name,op,output_shape,macs,macs_other,params,ms,share,gmac_per_s,placement"]
        for (i, l) in layers.enumerated() {
            lines.append([String(i), q(l.name), q(l.op), l.outputShape.map(String.init).joined(separator: "x"),
                          String(l.macs), String(l.macsOther), String(l.params), num(l.ms), num(l.share),
                          num(l.gmacPerSecond), q(l.placement)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One self-contained HTML page (inline CSS and SVG, no scripts, no network): the budget
    /// verdict, totals and the machine; MACs against the budget (`budgetGMACs`, else the
    /// challenge's 50 GMACs) split into the network's stages, MACs (and ms) per stage, ms
    /// per op type (zero-MAC ops such as HardSwish included), ms vs MACs per layer, GMAC/s
    /// per op type, live activation memory along the schedule, and the layer table (shapes
    /// NCHW, as ONNX and Netron show them).
    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "×") }
        let budget = budgetGMACs ?? Self.challengeBudgetGMACs
        let verdict = verdict(budgetGMACs: budget)
        let over = verdict == "OVER BUDGET"
        var h = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>loupe profile \(esc(model ?? ""))</title>
        <style>body{font:14px sans-serif;margin:2em auto;max-width:1100px;padding:0 1em}table{border-collapse:collapse}
        td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right;vertical-align:top}td.l,th.l{text-align:left}
        table.layers{font-size:13px}table.layers td:not(.l){white-space:nowrap}td.w{overflow-wrap:anywhere;max-width:22em}.scroll{overflow-x:auto;max-width:100%}
        svg{background:#fafafa;border:1px solid #ddd;max-width:100%;height:auto}.note{color:#555}
        .verdict{font-size:18px;padding:8px 12px;border-radius:4px;display:inline-block}
        .ok{background:#e3f4e3;color:#1b5e20}.over{background:#fde2e1;color:#b71c1c}.undecided{background:#fff4d6;color:#7a5a00}</style></head><body>
        <h1>loupe profile</h1><p>\(esc(model ?? "(graph)")) — inputs (NCHW) \(esc(inputShapes.sorted { $0.key < $1.key }.map { "\($0.key)=\(shape($0.value))" }.joined(separator: ", ")))</p>
        <p class="verdict \(over ? "over" : untyped.isEmpty ? "ok" : "undecided")">\(esc(verdict)): \(Self.giga(macs))MACs \(over ? "&gt;" : "≤") \(Self.number(budget)) GMACs\(budgetGMACs == nil ? " (the AIM 2024 UHD-IQA challenge budget)" : " (--budget)") — \(String(format: "%.1f", Double(macs) / (budget * 1e9) * 100))% of the budget</p>
        <table>
        """
        func row(_ k: String, _ v: String) { h += "<tr><th class=l>\(esc(k))</th><td class=l>\(esc(v))</td></tr>" }
        row("MACs (conv, gemm, matmul)", Self.giga(macs) + "MACs")
        row("other ops (elements)", Self.giga(macsOther))
        row("parameters (float weights in the file)", String(params))
        if let bn = paramsBatchNorm { row("of which BatchNormalization", String(bn)) }
        if let t = paramsTrainable { row("without BN running statistics (PyTorch count)", String(t)) }
        if let rt = paramsRuntime { row("held by the optimized graph", String(rt)) }
        row("weights", Self.bytes(weightsBytes))
        if let a = arenaBytes { row("activation arena", Self.bytes(a)) }
        if let p = peakLiveBytes { row("peak live activations", Self.bytes(p)) }
        if let r = peakRSSBytes { row("peak RSS (process)", Self.bytes(r)) }
        if let ms {
            row("ms per inference", String(format: "median %.2f, p90 %.2f, p99 %.2f, min %.2f, max %.2f (%d runs after %d warm-up, %d thread(s))",
                                           ms.median, ms.p90 ?? ms.max, ms.p99 ?? ms.max, ms.min, ms.max, runs ?? 0, warmup ?? 0, threads ?? 1))
        }
        if let s = layersMsSum { row("sum of layer medians", String(format: "%.2f ms", s)) }
        if let n = notTimed { row("not timed", n) }
        if let im = image {
            func t(_ x: Timing) -> String { String(format: "median %.2f, min %.2f, max %.2f", x.median, x.min, x.max) }
            row("photo", "\(im.path), preset \(im.preset), \(im.views) view(s), decoded \(im.decodedWidth)x\(im.decodedHeight)")
            row("ms decode", t(im.decodeMs))
            row("ms preprocess", t(im.preprocessMs))
            row(im.views > 1 ? "ms inference (all \(im.views) views)" : "ms inference", t(im.inferenceMs))
            row("ms per image (total)", t(im.totalMs))
        }
        if let m = machine {
            row("Loupe", m.loupeVersion)
            row("CPU", "\(m.cpu ?? "unknown model"), \(m.logicalCPUs) logical CPU(s), \(m.architecture)")
            row("ISA in use", "Loupe kernels \(m.kernelISA) (INT8 lookup \(m.lookupISA)); CPU features: \(m.cpuFeatures.joined(separator: " "))")
            row("XNNPACK", (m.xnnpackPackage ?? "package version unknown") + (m.xnnpackLibrary.map { " (\($0))" } ?? ""))
        }
        h += "</table><ul class=note>" + conventions.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"

        // MACs against the budget, split into stages; then each stage.
        let stages = stages()
        let parts = stages.isEmpty ? [Stage(name: "all layers", macs: macs, ms: layersMsSum, layers: layers.count)] : stages
        h += "<h2>MACs against the budget</h2>" + Self.budgetBar(parts.map { ($0.name, Double($0.macs)) }, total: Double(macs),
                                                                   budget: budget * 1e9, verdict: verdict)
        if !stages.isEmpty {
            h += "<h2>MACs per stage</h2><p class=note>Stages: the layers grouped by the module path in their names, in schedule order.</p>"
                + Self.bars(stages.map { st in
                    let share = macs > 0 ? Double(st.macs) / Double(macs) * 100 : 0
                    let ms = st.ms.map { String(format: ", %.2f ms", $0) } ?? ""
                    return (st.name, Double(st.macs) / 1e9, "\(Self.giga(st.macs))MACs (\(String(format: "%.1f", share))%)\(ms), \(st.layers) layer(s)")
                }, color: "#1f77b4")
        }
        // Time per op type, zero-MAC ops included.
        let perOp = msPerOpType()
        let opTotal = perOp.reduce(0) { $0 + $1.ms }
        if !perOp.isEmpty {
            h += "<h2>time per op type</h2><p class=note>Sum of the layers' median ms; ops without MACs (activations, element-wise, pools) count too.</p>"
                + Self.bars(perOp.map { o in
                    (o.op, o.ms, String(format: "%.2f ms (%.1f%%), ", o.ms, opTotal > 0 ? o.ms / opTotal * 100 : 0)
                        + (o.macs > 0 ? "\(Self.giga(o.macs))MACs" : "no MACs") + ", \(o.layers) layer(s)")
                }, color: "#ff7f0e")
        }
        // ms vs MACs, log-log.
        let timed = layers.filter { ($0.ms ?? 0) > 0 && $0.macs > 0 }
        if !timed.isEmpty {
            h += "<h2>ms vs MACs per layer</h2>" + Self.scatter(timed.map { (Double($0.macs), $0.ms!, "\($0.op) \($0.name)") },
                                                           xLabel: "MACs", yLabel: "ms")
        }
        let rates = perOp.filter { $0.macs > 0 && $0.ms > 0 }
            .map { ($0.op, Double($0.macs) / ($0.ms * 1e-3) / 1e9) }.sorted { $0.1 > $1.1 }
        if !rates.isEmpty {
            h += "<h2>GMAC/s per op type</h2>" + Self.bars(rates.map { ($0.0, $0.1, String(format: "%.1f GMAC/s", $0.1)) }, color: "#2ca02c")
        }
        if !memory.isEmpty {
            h += "<h2>live activation memory along the schedule</h2>"
                + Self.line(memory.map { Double($0.liveBytes) / 1e6 }, labels: memory.map(\.node),
                            limit: arenaBytes.map { Double($0) / 1e6 }, yLabel: "MB")
        }
        h += "<h2>layers</h2><p class=note>Output shapes NCHW as in ONNX and Netron, with the runtime's NHWC in parentheses; the transposes the layout pass adds (names with ::) show the runtime's layout.</p><div class=scroll><table class=layers><tr><th>#</th><th class=l>node</th><th class=l>op</th><th class=l>output (NCHW)</th><th>MACs</th><th>params</th><th>ms</th><th>share</th><th>GMAC/s</th><th class=l>runs on</th></tr>"
        for (i, l) in layers.enumerated() {
            let physical = l.physicalShape.map { " <span class=note title=\"as the runtime lays it out\">(\(shape($0)) NHWC)</span>" } ?? ""
            h += "<tr><td>\(i)</td><td class=\"l w\">\(esc(l.name))</td><td class=l>\(esc(l.op))</td><td class=l>\(shape(l.outputShape))\(physical)</td>"
                + "<td>\(l.macs > 0 ? Self.giga(l.macs) : "")</td><td>\(l.params > 0 ? String(l.params) : "")</td>"
                + "<td>\(l.ms.map { String(format: "%.3f", $0) } ?? "")</td><td>\(l.share.map { String(format: "%.1f%%", $0 * 100) } ?? "")</td>"
                + "<td>\(l.gmacPerSecond.map { String(format: "%.1f", $0) } ?? "")</td><td class=l>\(esc(l.placement))</td></tr>"
        }
        h += "</table></div></body></html>\n"
        return h
    }

    /// 50.0 → "50", 2.5 → "2.5".
    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// One horizontal bar of the total MACs made of the stages' segments, on an axis that
    /// reaches past the budget, with the budget as a dashed line.
    static func budgetBar(_ parts: [(String, Double)], total: Double, budget: Double, verdict: String) -> String {
        let h = 110.0, left = 20.0, right = width - 20
        let top = max(total, budget) * 1.08
        func px(_ v: Double) -> Double { left + v / max(top, 1) * (right - left) }
        let colors = ["#1f77b4", "#aec7e8"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(width)) \(Int(h))\">"
        var x = 0.0
        for (i, (name, v)) in parts.enumerated() {
            s += "<rect x=\"\(px(x))\" y=\"30\" width=\"\(max(px(x + v) - px(x), 0))\" height=\"30\" fill=\"\(colors[i % 2])\"><title>\(esc(name)): \(giga(Int(v)))MACs</title></rect>"
            x += v
        }
        let over = total > budget
        s += "<line x1=\"\(px(budget))\" y1=\"18\" x2=\"\(px(budget))\" y2=\"72\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
        s += "<text x=\"\(px(budget))\" y=\"14\" font-size=\"12\" text-anchor=\"\(px(budget) > width - 150 ? "end" : "middle")\" fill=\"#d62728\">budget \(giga(Int(budget)))MACs</text>"
        s += "<text x=\"\(left)\" y=\"90\" font-size=\"13\" fill=\"\(over ? "#b71c1c" : "#1b5e20")\">\(esc(verdict)): \(giga(Int(total)))MACs in \(parts.count) part(s)</text>"
        s += "<text x=\"\(right)\" y=\"90\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">0 … \(giga(Int(top)))MACs</text>"
        return s + "</svg>"
    }

    /// 3925000000 → "3.925 G".
    static func giga(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.3f G", d / 1e9) }
        if d >= 1e6 { return String(format: "%.3f M", d / 1e6) }
        if d >= 1e3 { return String(format: "%.1f k", d / 1e3) }
        return String(n) + " "
    }

    /// 1048576 → "1.00 MiB (1048576 bytes)".
    public static func bytes(_ n: Int) -> String {
        String(format: "%.2f MiB (%d bytes)", Double(n) / 1_048_576, n)
    }

    private static let width = 900.0, height = 320.0, margin = 50.0

    private static func svgOpen() -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
    }

    private static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }

    static func scatter(_ points: [(x: Double, y: Double, label: String)], xLabel: String, yLabel: String) -> String {
        let lx = points.map { log10($0.x) }, ly = points.map { log10($0.y) }
        let (x0, x1) = (floor(lx.min()!), ceil(lx.max()!) + (lx.min() == lx.max() ? 1 : 0))
        let (y0, y1) = (floor(ly.min()!), ceil(ly.max()!) + (ly.min() == ly.max() ? 1 : 0))
        func px(_ v: Double) -> Double { margin + (v - x0) / max(x1 - x0, 1e-9) * (width - 2 * margin) }
        func py(_ v: Double) -> Double { height - margin - (v - y0) / max(y1 - y0, 1e-9) * (height - 2 * margin) }
        var s = svgOpen()
        for d in stride(from: x0, through: x1, by: 1) {
            s += "<line x1=\"\(px(d))\" y1=\"\(margin)\" x2=\"\(px(d))\" y2=\"\(height - margin)\" stroke=\"#ddd\"/><text x=\"\(px(d))\" y=\"\(height - margin + 15)\" font-size=\"11\" text-anchor=\"middle\">1e\(Int(d))</text>"
        }
        for d in stride(from: y0, through: y1, by: 1) {
            s += "<line x1=\"\(margin)\" y1=\"\(py(d))\" x2=\"\(width - margin)\" y2=\"\(py(d))\" stroke=\"#ddd\"/><text x=\"\(margin - 5)\" y=\"\(py(d) + 4)\" font-size=\"11\" text-anchor=\"end\">1e\(Int(d))</text>"
        }
        for (i, p) in points.enumerated() {
            s += "<circle cx=\"\(px(lx[i]))\" cy=\"\(py(ly[i]))\" r=\"3\" fill=\"#1f77b4\" fill-opacity=\"0.7\"><title>\(esc(p.label)): \(giga(Int(p.x)))MACs, \(String(format: "%.3f", p.y)) ms</title></circle>"
        }
        s += "<text x=\"\(width / 2)\" y=\"\(height - 10)\" font-size=\"12\" text-anchor=\"middle\">\(xLabel) (log)</text>"
        s += "<text x=\"12\" y=\"\(height / 2)\" font-size=\"12\" transform=\"rotate(-90 12 \(height / 2))\" text-anchor=\"middle\">\(yLabel) (log)</text></svg>"
        return s
    }

    /// Horizontal bars, one row per value, each labelled with `text`.
    static func bars(_ values: [(String, Double, String)], color: String) -> String {
        let top = values.map(\.1).max() ?? 1
        let rowH = 22.0, labelW = 260.0
        let h = Double(values.count) * rowH + 20
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(width)) \(Int(h))\">"
        for (i, (name, v, text)) in values.enumerated() {
            let y = 10 + Double(i) * rowH
            let w = top > 0 ? v / top * (width - labelW - 330) : 0
            let shown = name.count > 38 ? "…" + name.suffix(37) : name
            s += "<text x=\"\(labelW - 10)\" y=\"\(y + 15)\" font-size=\"12\" text-anchor=\"end\"><title>\(esc(name))</title>\(esc(shown))</text>"
            s += "<rect x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowH - 6)\" fill=\"\(color)\"/>"
            s += "<text x=\"\(labelW + 5 + w)\" y=\"\(y + 15)\" font-size=\"12\">\(esc(text))</text>"
        }
        return s + "</svg>"
    }

    static func line(_ values: [Double], labels: [String], limit: Double?, yLabel: String) -> String {
        let top = max(values.max() ?? 1, limit ?? 0) * 1.05
        let n = max(values.count - 1, 1)
        func px(_ i: Int) -> Double { margin + Double(i) / Double(n) * (width - 2 * margin) }
        func py(_ v: Double) -> Double { height - margin - v / max(top, 1e-9) * (height - 2 * margin) }
        var s = svgOpen()
        for k in 0...4 {
            let v = top * Double(k) / 4
            s += "<line x1=\"\(margin)\" y1=\"\(py(v))\" x2=\"\(width - margin)\" y2=\"\(py(v))\" stroke=\"#ddd\"/><text x=\"\(margin - 5)\" y=\"\(py(v) + 4)\" font-size=\"11\" text-anchor=\"end\">\(String(format: "%.1f", v))</text>"
        }
        let pts = values.enumerated().map { "\(px($0.offset)),\(py($0.element))" }.joined(separator: " ")
        s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>"
        for (i, v) in values.enumerated() {
            s += "<circle cx=\"\(px(i))\" cy=\"\(py(v))\" r=\"2\" fill=\"#d62728\"><title>\(esc(labels[i])): \(String(format: "%.2f", v)) \(yLabel)</title></circle>"
        }
        if let limit {
            s += "<line x1=\"\(margin)\" y1=\"\(py(limit))\" x2=\"\(width - margin)\" y2=\"\(py(limit))\" stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"\(width - margin)\" y=\"\(py(limit) - 4)\" font-size=\"11\" text-anchor=\"end\">arena \(String(format: "%.1f", limit)) \(yLabel)</text>"
        }
        s += "<text x=\"\(width / 2)\" y=\"\(height - 10)\" font-size=\"12\" text-anchor=\"middle\">node in schedule order</text>"
        s += "<text x=\"12\" y=\"\(height / 2)\" font-size=\"12\" transform=\"rotate(-90 12 \(height / 2))\" text-anchor=\"middle\">live \(yLabel)</text></svg>"
        return s
    }
}
