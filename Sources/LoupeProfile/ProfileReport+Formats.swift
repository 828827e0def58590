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

    /// One self-contained HTML page (inline CSS and SVG, no scripts, no network): totals,
    /// ms vs MACs per layer, GMAC/s per op type, live activation memory along the schedule,
    /// and the layer table.
    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var h = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>loupe profile \(esc(model ?? ""))</title>
        <style>body{font:14px sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}
        td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}td.l,th.l{text-align:left}
        svg{background:#fafafa;border:1px solid #ddd}.note{color:#555}</style></head><body>
        <h1>loupe profile</h1><p>\(esc(model ?? "(graph)")) — inputs \(esc(inputShapes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", ")))</p>
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
        if let ms { row("ms per inference", String(format: "median %.2f, min %.2f, max %.2f", ms.median, ms.min, ms.max)) }
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
        h += "</table><ul class=note>" + conventions.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"

        // ms vs MACs, log-log.
        let timed = layers.filter { ($0.ms ?? 0) > 0 && $0.macs > 0 }
        if !timed.isEmpty {
            h += "<h2>ms vs MACs per layer</h2>" + Self.scatter(timed.map { (Double($0.macs), $0.ms!, "\($0.op) \($0.name)") },
                                                           xLabel: "MACs", yLabel: "ms")
        }
        // GMAC/s per op type.
        var byOp: [String: (macs: Double, ms: Double)] = [:]
        for l in layers {
            guard let ms = l.ms else { continue }
            byOp[l.op, default: (0, 0)].macs += Double(l.macs)
            byOp[l.op, default: (0, 0)].ms += ms
        }
        let rates = byOp.filter { $0.value.macs > 0 && $0.value.ms > 0 }
            .map { ($0.key, $0.value.macs / ($0.value.ms * 1e-3) / 1e9) }.sorted { $0.1 > $1.1 }
        if !rates.isEmpty {
            h += "<h2>GMAC/s per op type</h2>" + Self.bars(rates)
        }
        if !memory.isEmpty {
            h += "<h2>live activation memory along the schedule</h2>"
                + Self.line(memory.map { Double($0.liveBytes) / 1e6 }, labels: memory.map(\.node),
                            limit: arenaBytes.map { Double($0) / 1e6 }, yLabel: "MB")
        }
        h += "<h2>layers</h2><table><tr><th>#</th><th class=l>node</th><th class=l>op</th><th class=l>output</th><th>MACs</th><th>params</th><th>ms</th><th>share</th><th>GMAC/s</th><th class=l>runs on</th></tr>"
        for (i, l) in layers.enumerated() {
            h += "<tr><td>\(i)</td><td class=l>\(esc(l.name))</td><td class=l>\(esc(l.op))</td><td class=l>\(l.outputShape.map(String.init).joined(separator: "x"))</td>"
                + "<td>\(l.macs > 0 ? Self.giga(l.macs) : "")</td><td>\(l.params > 0 ? String(l.params) : "")</td>"
                + "<td>\(l.ms.map { String(format: "%.3f", $0) } ?? "")</td><td>\(l.share.map { String(format: "%.1f%%", $0 * 100) } ?? "")</td>"
                + "<td>\(l.gmacPerSecond.map { String(format: "%.1f", $0) } ?? "")</td><td class=l>\(esc(l.placement))</td></tr>"
        }
        h += "</table></body></html>\n"
        return h
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

    static func bars(_ values: [(String, Double)]) -> String {
        let top = values.map(\.1).max() ?? 1
        let rowH = 22.0
        let h = Double(values.count) * rowH + 20
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(h))\">"
        for (i, (name, v)) in values.enumerated() {
            let y = 10 + Double(i) * rowH
            let w = v / top * (width - 260)
            s += "<text x=\"150\" y=\"\(y + 15)\" font-size=\"12\" text-anchor=\"end\">\(esc(name))</text>"
            s += "<rect x=\"160\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowH - 6)\" fill=\"#2ca02c\"/>"
            s += "<text x=\"\(165 + w)\" y=\"\(y + 15)\" font-size=\"12\">\(String(format: "%.1f", v)) GMAC/s</text>"
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
