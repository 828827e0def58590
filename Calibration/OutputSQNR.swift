import Foundation
import LoupeIR

/// How close a quantized model's outputs are to FP32's over several samples, as one SQNR
/// in dB: `--method auto` ranks calibrators by it and `--keep-fp32 auto` aims at it.
///
/// The signal is what varies between samples: Σ (r − r̄)² with r̄ the mean of each output
/// element over the samples. A quality score's constant level (around 0.6 on UHD-IQA's
/// scale) says nothing about which photo is better, and counting it would rate a noise
/// that reorders photos as harmless: judged against the spread between photos, 20 dB
/// means noise with a tenth of that spread's amplitude, a Pearson correlation of about
/// 1/√(1 + 0.01) ≈ 0.995 with FP32. With a single sample there is no spread and the
/// signal is Σ r².
public enum OutputSQNR {
    /// SQNR in dB of `test` against `reference` (one dictionary of outputs per sample, same
    /// names and sizes); +∞ when they are identical. Throws when an output is missing or
    /// its size differs.
    public static func measure(reference: [[String: Tensor]], test: [[String: Tensor]]) throws -> Double {
        guard reference.count == test.count, !reference.isEmpty else {
            throw LoupeError.verification("output SQNR: \(test.count) test sample(s) for \(reference.count) reference sample(s)")
        }
        var signal = 0.0, noise = 0.0, total = 0.0
        for name in reference[0].keys.sorted() {
            let refs = try reference.map { sample -> [Float] in
                guard let t = sample[name] else { throw LoupeError.verification("output SQNR: a reference sample lacks '\(name)'") }
                return t.floats
            }
            let n = refs[0].count
            var mean = [Double](repeating: 0, count: n)
            for r in refs {
                guard r.count == n else { throw LoupeError.verification("output SQNR: '\(name)' changes size between samples") }
                for i in 0..<n { mean[i] += Double(r[i]) }
            }
            for i in 0..<n { mean[i] /= Double(refs.count) }
            for (r, sample) in zip(refs, test) {
                guard let t = sample[name]?.floats, t.count == n else {
                    throw LoupeError.verification("output SQNR: the quantized model's '\(name)' is missing or of another size")
                }
                for i in 0..<n {
                    let a = Double(r[i]), d = a - Double(t[i]), c = a - mean[i]
                    signal += c * c; total += a * a; noise += d * d
                }
            }
        }
        let s = reference.count >= 2 && signal > 0 ? signal : total
        if noise == 0 { return .infinity }
        return 10 * log10(s / noise)
    }
}
