import Foundation
import XCTest
import Loupe
import LoupeNumPy
@testable import LoupeCalibration
import LoupeTestSupport

extension SeededRandom {
    /// A smooth image-like NCHW tensor: a few random low-frequency waves per channel plus
    /// a little noise, roughly in [-2, 2] like normalized photos.
    mutating func image(_ shape: [Int]) -> Tensor {
        let (c, h, w) = (shape[1], shape[2], shape[3])
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        for ch in 0..<c {
            let waves = (0..<3).map { _ in (uniform(0.5, 4), uniform(0.5, 4), uniform(0, 6.28), uniform(0.2, 0.8)) }
            let offset = uniform(-0.5, 0.5)
            for y in 0..<h {
                for x in 0..<w {
                    var v = offset
                    for (fy, fx, ph, a) in waves {
                        v += a * sin(fy * Float(y) / Float(h) * 6.28 + fx * Float(x) / Float(w) * 6.28 + ph)
                    }
                    out[(ch * h + y) * w + x] = v + uniform(-0.1, 0.1)
                }
            }
        }
        return Tensor(shape: shape, floats: out)
    }
}

/// Pearson correlation of two equally long vectors.
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count && !a.isEmpty)
    let n = Double(a.count)
    let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        let x = Double(a[i]) - ma, y = Double(b[i]) - mb
        sab += x * y; saa += x * x; sbb += y * y
    }
    return sab / (saa * sbb).squareRoot()
}

/// Signal-to-quantization-noise ratio (dB) of `test` against `reference`.
func sqnr(_ reference: [Float], _ test: [Float]) -> Double {
    var s = 0.0, e = 0.0
    for i in reference.indices {
        s += Double(reference[i]) * Double(reference[i])
        let d = Double(reference[i]) - Double(test[i])
        e += d * d
    }
    return 10 * log10(s / max(e, 1e-30))
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// ONNX Runtime (python3 + onnxruntime, CPU provider, default graph optimizations) as a
/// reference: runs an ONNX file on the given inputs in a temporary directory. Throws
/// XCTSkip when python3, numpy or onnxruntime is missing.
enum OnnxRuntime {
    static let script = #"""
import json, os, sys
try:
    import numpy as np, onnxruntime as ort
except ImportError as e:
    print("missing: %s" % e, file=sys.stderr); sys.exit(77)
model, spec, out = sys.argv[1:4]
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
names = [o.name for o in sess.get_outputs()]
for j, feeds in enumerate(json.load(open(spec))):
    res = sess.run(None, {k: np.load(v) for k, v in feeds.items()})
    for i, r in enumerate(res):
        np.save(os.path.join(out, "%d_%d.npy" % (j, i)), np.asarray(r, dtype=np.float32))
json.dump(names, open(os.path.join(out, "names.json"), "w"))
"""#

    /// Every output of the model at `modelPath`, by name.
    static func run(_ modelPath: String, _ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try run(modelPath, batch: [inputs])[0]
    }

    /// One session, several input sets (python and ORT start once).
    static func run(_ modelPath: String, batch: [[String: Tensor]]) throws -> [[String: Tensor]] {
        try TemporaryDirectory.with(prefix: "loupe-ort") { dir in
            var spec: [[String: String]] = []
            for (j, inputs) in batch.enumerated() {
                var feeds: [String: String] = [:]
                for (i, (name, t)) in inputs.sorted(by: { $0.key < $1.key }).enumerated() {
                    let p = dir.appendingPathComponent("in\(j)_\(i).npy").path
                    try NumPy.write(t, to: p)
                    feeds[name] = p
                }
                spec.append(feeds)
            }
            let scriptURL = dir.appendingPathComponent("run.py"), specURL = dir.appendingPathComponent("spec.json")
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: spec).write(to: specURL)
            try Python.guarded([scriptURL.path, modelPath, specURL.path, dir.path], requires: "numpy and onnxruntime")
            let names = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("names.json"))) as? [String] ?? []
            return try batch.indices.map { j in
                var out: [String: Tensor] = [:]
                for (i, n) in names.enumerated() {
                    out[n] = try NumPy.read(contentsOf: dir.appendingPathComponent("\(j)_\(i).npy").path)
                }
                return out
            }
        }
    }
}

/// A temporary directory removed at the end of the test.
func temporaryDirectory() throws -> URL { try TemporaryDirectory.make(prefix: "loupe-cal") }

/// The challenge baseline in tools/models, or a skip.
func challengeBaselinePath() throws -> String {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/models/challenge_baseline.onnx").path
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("\(path) is missing (tools/models/make_baseline.py makes it)")
    }
    return path
}
