import Foundation
import Loupe
@testable import LoupeCalibration
import XCTest
import LoupeTestSupport

/// Adaptive weight rounding (AdaRound, asymmetric, greedy): the layer output error it
/// minimises, measured here by direct convolution / matrix product on the patches' source
/// tensors, is below nearest rounding's; codes move by at most one step and stay in range;
/// on a whole model the int8 outputs get closer to FP32 and the file still runs.
final class AdaptiveRoundingTests: XCTestCase {
    /// Σ over every output position and channel of (conv(x̂, ŵ) − conv(x, w))², NCHW,
    /// computed directly (no im2col), bias left out (it cancels).
    static func convError(_ a: ConvAttributes, xq: Tensor, xf: Tensor, codes: [Int8], scales: [Float], w: Tensor) -> Double {
        let (n, c, h, wd) = (xf.shape[0], xf.shape[1], xf.shape[2], xf.shape[3])
        let (co, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let (s, p) = (a.strides[0], a.pads[0])
        let oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1
        let perGroup = co / a.group
        let xqs = xq.floats, xfs = xf.floats, ws = w.floats
        var e = 0.0
        for b in 0..<n {
            for o in 0..<co {
                let g = o / perGroup
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var yq = 0.0, yf = 0.0
                        for ci in 0..<cg {
                            let ch = g * cg + ci
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let iy = oy * s - p + ky, ix = ox * s - p + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    let xi = ((b * c + ch) * h + iy) * wd + ix
                                    let wi = ((o * cg + ci) * kh + ky) * kw + kx
                                    yq += Double(xqs[xi]) * Double(codes[wi]) * Double(scales[o])
                                    yf += Double(xfs[xi]) * Double(ws[wi])
                                }
                            }
                        }
                        e += (yq - yf) * (yq - yf)
                    }
                }
            }
        }
        return e
    }

    /// `x` plus its rounding to a grid of `step` (a stand-in for the int8 input).
    static func quantizedCopy(_ x: Tensor, step: Float) -> Tensor {
        Tensor(shape: x.shape, floats: x.floats.map { ($0 / step).rounded() * step })
    }

    /// Rounds one layer with every position as a row; returns the layer and its result.
    static func roundLayer(_ node: Node, weight: Tensor, xq: Tensor, xf: Tensor) throws
        -> (AdaptiveRounding.Layer, AdaptiveRounding.LayerResult) {
        let layer = try XCTUnwrap(AdaptiveRounding.Layer(node: node, weight: weight))
        let rows = try layer.positions(in: xf)
        var q = [Float](repeating: 0, count: rows * layer.columns), f = q
        let all = Array(0..<rows)
        try q.withUnsafeMutableBufferPointer { try layer.extract(xq, positions: all, into: $0.baseAddress!, stride: rows, row0: 0) }
        try f.withUnsafeMutableBufferPointer { try layer.extract(xf, positions: all, into: $0.baseAddress!, stride: rows, row0: 0) }
        let grams = AdaptiveRounding.Grams(quantized: q, float: f, rows: rows, groups: layer.groups, k: layer.k, threads: 2)
        return (layer, AdaptiveRounding.round(layer, grams: grams, threads: 2))
    }

    func checkCodes(_ codes: [Int8], nearest: [Int8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(codes.count, nearest.count, file: file, line: line)
        var moved = 0
        for (a, b) in zip(codes, nearest) {
            XCTAssertLessThanOrEqual(abs(Int(a) - Int(b)), 1, "a code moved more than one step", file: file, line: line)
            XCTAssertTrue((-127...127).contains(Int(a)), "code \(a) out of [-127, 127]", file: file, line: line)
            if a != b { moved += 1 }
        }
        XCTAssertGreaterThan(moved, 0, "no code moved off nearest rounding", file: file, line: line)
    }

    func checkConv(group: Int, cin: Int, cout: Int, kernel: Int, stride: Int, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let a = ConvAttributes(kernelShape: [kernel, kernel], strides: [stride, stride], dilations: [1, 1],
                               pads: Array(repeating: kernel / 2, count: 4), group: group)
        let w = rng.tensor([cout, cin / group, kernel, kernel], -0.5, 0.5)
        let xf = rng.image([2, cin, 9, 9])
        let xq = Self.quantizedCopy(xf, step: 0.05)
        let node = Node(name: "c", op: .conv(a), inputs: ["x", "w"], outputs: ["y"])
        let (layer, r) = try Self.roundLayer(node, weight: w, xq: xq, xf: xf)
        let nearest = try Quantization.quantizeWeights(w.floats, scales: layer.scales)
        checkCodes(r.codes, nearest: nearest)
        let eNearest = Self.convError(a, xq: xq, xf: xf, codes: nearest, scales: layer.scales, w: w)
        let eAdaptive = Self.convError(a, xq: xq, xf: xf, codes: r.codes, scales: layer.scales, w: w)
        print("conv group \(group): output error \(eNearest) nearest, \(eAdaptive) adaptive")
        // The Gram-matrix form computes the same error as the direct convolution.
        XCTAssertEqual(r.errorNearest, eNearest, accuracy: 1e-3 * eNearest)
        XCTAssertEqual(r.errorAdaptive, eAdaptive, accuracy: 1e-3 * eNearest)
        XCTAssertLessThan(eAdaptive, 0.98 * eNearest, "adaptive rounding should cut the layer's output error")
    }

    /// With no int8 input (`adaround-fp32`) the Grams are F three times, computed once.
    func testGramsOfFP32InputsAreTheFullComputationWithEqualInputs() throws {
        var rng = SeededRandom(seed: 25)
        let (rows, k, groups) = (37, 5, 2)
        let x = rng.floats(rows * k * groups, -1, 1)
        let once = AdaptiveRounding.Grams(quantized: nil, float: x, rows: rows, groups: groups, k: k, threads: 2)
        let full = AdaptiveRounding.Grams(quantized: x, float: x, rows: rows, groups: groups, k: k, threads: 2)
        for (a, b) in [(once.a, full.a), (once.c, full.c), (once.f, full.f)] {
            XCTAssertEqual(a.count, groups * k * k)
            for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-9 * max(1, abs(v))) }
        }
        // Column 3 of group 1 with itself: Σ x².
        var s = 0.0
        for r in 0..<rows { s += Double(x[(1 * k + 3) * rows + r]) * Double(x[(1 * k + 3) * rows + r]) }
        XCTAssertEqual(once.f[k * k + 3 * k + 3], s, accuracy: 1e-4 * s)
    }

    func testConvRoundingLowersTheOutputError() throws {
        try checkConv(group: 1, cin: 4, cout: 6, kernel: 3, stride: 1, seed: 21)
    }

    func testStridedGroupedConvRoundingLowersTheOutputError() throws {
        try checkConv(group: 2, cin: 4, cout: 4, kernel: 3, stride: 2, seed: 22)
    }

    func testDepthwiseRoundingLowersTheOutputError() throws {
        try checkConv(group: 8, cin: 8, cout: 8, kernel: 3, stride: 1, seed: 23)
    }

    func testGemmRoundingLowersTheOutputError() throws {
        var rng = SeededRandom(seed: 24)
        let (m, k, n) = (96, 20, 12)
        let w = rng.tensor([n, k], -0.5, 0.5)  // transB: [N, K]
        let xf = rng.tensor([m, k], -1, 1)
        let xq = Self.quantizedCopy(xf, step: 0.05)
        let node = Node(name: "g", op: .gemm(GemmAttributes(alpha: 0.5, transB: true)), inputs: ["x", "w"], outputs: ["y"])
        let (layer, r) = try Self.roundLayer(node, weight: w, xq: xq, xf: xf)
        let folded = w.floats.map { $0 * 0.5 }
        XCTAssertEqual(layer.weights, folded, "weights output channel first, alpha folded")
        let nearest = try Quantization.quantizeWeights(folded, scales: layer.scales)
        checkCodes(r.codes, nearest: nearest)
        func error(_ codes: [Int8]) -> Double {
            let xqs = xq.floats, xfs = xf.floats
            var e = 0.0
            for row in 0..<m {
                for o in 0..<n {
                    var yq = 0.0, yf = 0.0
                    for t in 0..<k {
                        yq += Double(xqs[row * k + t]) * Double(codes[o * k + t]) * Double(layer.scales[o])
                        yf += Double(xfs[row * k + t]) * Double(folded[o * k + t])
                    }
                    e += (yq - yf) * (yq - yf)
                }
            }
            return e
        }
        let eNearest = error(nearest), eAdaptive = error(r.codes)
        print("gemm: output error \(eNearest) nearest, \(eAdaptive) adaptive")
        XCTAssertEqual(r.errorAdaptive, eAdaptive, accuracy: 1e-3 * eNearest)
        XCTAssertLessThan(eAdaptive, 0.98 * eNearest, "adaptive rounding should cut the layer's output error")
    }

    /// With `--method auto`, `--keep-fp32 NODE` and bias correction together: every step is
    /// recorded, the kept layer stays float, the codes stay within one step of nearest
    /// rounding's, the file runs.
    func testAdaptiveRoundingWorksWithTheOtherCalibrationChoices() throws {
        var rng = SeededRandom(seed: 41)
        let inputs = (0..<6).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        func calibrated(_ rounding: WeightRounding) throws -> QuantizationResult {
            let s = try CalibrationSession(graph: TinyNet.graph(seed: 41), options: CalibrationOptions(
                method: .entropy(bins: 2048), keepFP32: .layers(["pw"]), biasCorrectionRounds: 1,
                methodCandidates: [.minMax, .mse], weightRounding: rounding))
            for x in inputs { try s.observe(x) }
            return try s.quantize()
        }
        let nearest = try calibrated(.nearest), adaptive = try calibrated(.adaround)
        let m = adaptive.graph.metadata
        for key in [Quantizer.MetadataKey.methodSelection, Quantizer.MetadataKey.biasCorrection] {
            XCTAssertNotNil(m[key], key)
            XCTAssertEqual(m[key] == nil, nearest.graph.metadata[key] == nil, key)
        }
        XCTAssertTrue(try XCTUnwrap(m[Quantizer.MetadataKey.weightRounding]).hasPrefix("adaround"))
        XCTAssertEqual(adaptive.keptFP32.map(\.node), nearest.keptFP32.map(\.node), "the same float layers")
        XCTAssertTrue(adaptive.keptFP32.contains { $0.node == "pw" })
        XCTAssertTrue(try XCTUnwrap(m[Quantizer.MetadataKey.weightRounding]).contains("of 6 int8 conv/gemm layer(s)"),
                      "pw, kept float, is not rounded: \(m[Quantizer.MetadataKey.weightRounding] ?? "")")
        for (name, t) in nearest.graph.initializers where t.dtype == .int8 && t.shape.count >= 2 {
            let u = try XCTUnwrap(adaptive.graph.initializers[name], name)
            for (a, b) in zip(t.ints, u.ints) { XCTAssertLessThanOrEqual(abs(a - b), 1, name) }
        }
        let model = try Model(graph: adaptive.graph)
        for x in inputs { XCTAssertTrue(try XCTUnwrap(model.run(x)["logits"]).floats.allSatisfy(\.isFinite)) }
    }

    /// TinyNet (conv, depthwise, squeeze-excite, gemm): the adaptively rounded QDQ model's
    /// outputs are closer to FP32 on the calibration inputs than nearest rounding's, its
    /// codes are within one step of them, and the written file runs in Loupe.
    func testRoundedModelIsCloserToFP32AndRuns() throws {
        var rng = SeededRandom(seed: 31)
        let inputs = (0..<8).map { _ in ["x": rng.image(TinyNet.inputShape)] }
        func calibrated(_ rounding: WeightRounding) throws -> (CalibrationSession, QuantizationResult) {
            let s = try CalibrationSession(graph: TinyNet.graph(seed: 31),
                                           options: CalibrationOptions(method: .minMax, weightRounding: rounding))
            for x in inputs { try s.observe(x) }
            var steps: [Int] = []
            let r = try s.quantize(roundingProgress: { done, _ in steps.append(done) })
            if rounding != .nearest {
                XCTAssertEqual(steps.first, 0)
                XCTAssertEqual(steps.count, (steps.last ?? 0) + 1, "one progress call per layer")
            } else {
                XCTAssertTrue(steps.isEmpty)
            }
            return (s, r)
        }
        let (s0, nearest) = try calibrated(.nearest)
        let (_, adaptive) = try calibrated(.adaround)
        let (_, fp32Inputs) = try calibrated(.adaroundFP32)
        XCTAssertEqual(nearest.graph.metadata[Quantizer.MetadataKey.weightRounding], "nearest")
        let note = try XCTUnwrap(adaptive.graph.metadata[Quantizer.MetadataKey.weightRounding])
        XCTAssertTrue(note.hasPrefix("adaround (asymmetric reconstruction"), note)
        print(note)
        let noteFP32 = try XCTUnwrap(fp32Inputs.graph.metadata[Quantizer.MetadataKey.weightRounding])
        XCTAssertTrue(noteFP32.hasPrefix("adaround (FP32 inputs"), noteFP32)

        // Same int8 initializers (names, shapes), weight codes at most one step apart.
        for other in [adaptive, fp32Inputs] {
            var moved = 0
            for (name, t) in nearest.graph.initializers where t.dtype == .int8 && t.shape.count >= 2 {
                let u = try XCTUnwrap(other.graph.initializers[name], "\(name) missing")
                XCTAssertEqual(u.shape, t.shape)
                for (a, b) in zip(t.ints, u.ints) {
                    XCTAssertLessThanOrEqual(abs(a - b), 1, name)
                    if a != b { moved += 1 }
                }
            }
            XCTAssertGreaterThan(moved, 0)
        }

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func outputSQNR(_ r: QuantizationResult, _ file: String) throws -> Double {
            let path = dir.appendingPathComponent(file).path
            try ONNXExporter.write(r.graph, to: path)
            let m = try Model(contentsOf: path)
            var s = 0.0, e = 0.0
            for x in inputs {
                let want = try s0.model.run(x), got = try m.run(x)
                for (k, w) in want {
                    let g = try XCTUnwrap(got[k]).floats
                    XCTAssertTrue(g.allSatisfy(\.isFinite))
                    for (a, b) in zip(w.floats, g) { s += Double(a * a); e += Double((a - b) * (a - b)) }
                }
            }
            return 10 * log10(s / e)
        }
        let before = try outputSQNR(nearest, "nearest.onnx"), after = try outputSQNR(adaptive, "adaround.onnx")
        let afterFP32 = try outputSQNR(fp32Inputs, "adaround-fp32.onnx")
        print("TinyNet output SQNR on the calibration inputs: \(before) dB nearest, \(after) dB adaround, \(afterFP32) dB adaround-fp32")
        XCTAssertGreaterThan(after, before + 0.1, "adaptive rounding should bring the int8 outputs closer to FP32")
        XCTAssertGreaterThan(afterFP32, before + 0.1, "adaptive rounding on FP32 inputs should bring the int8 outputs closer to FP32")
    }
}
