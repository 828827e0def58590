import Foundation
import LoupeIR

// The challenge's five metrics, written to agree with scipy.stats (pearsonr, spearmanr,
// kendalltau with variant 'b') to 1e-9.
//
// Edge cases, decided once here:
// - the two vectors must have the same length, else `LoupeError.badInput`;
// - correlations need n ≥ 2 and MAE/RMSE n ≥ 1, else `LoupeError.badInput` (scipy's
//   pearsonr raises for n < 2; spearmanr and kendalltau return NaN there: we raise for all
//   three so that an empty evaluation never looks like a number);
// - NaN or infinite values are rejected with `LoupeError.badInput` (scipy propagates them);
// - a constant vector makes every correlation NaN, exactly as scipy returns NaN (with a
//   ConstantInputWarning); MAE and RMSE stay defined.

/// Pearson linear correlation coefficient (PLCC), as `scipy.stats.pearsonr(x, y).statistic`.
///
/// NaN when either vector is constant. Throws `LoupeError.badInput` for mismatched
/// lengths, fewer than 2 values, or non-finite values.
public func plcc(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPair(x, y, minimum: 2, metric: "PLCC")
    return pearson(x, y)
}

/// Spearman rank-order correlation coefficient (SRCC): Pearson's correlation of the
/// ranks, ties given their average rank, as `scipy.stats.spearmanr(x, y).statistic`.
///
/// NaN when either vector is constant. Throws like ``plcc(_:_:)``.
public func srcc(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPair(x, y, minimum: 2, metric: "SRCC")
    return pearson(averageRanks(x), averageRanks(y))
}

/// Kendall rank correlation coefficient, tau-b (ties corrected), as
/// `scipy.stats.kendalltau(x, y).statistic`:
/// `(P − Q) / sqrt((P + Q + T) · (P + Q + U))`, with P concordant and Q discordant pairs,
/// T pairs tied only in `x`, U pairs tied only in `y`.
///
/// NaN when either vector is constant. Throws like ``plcc(_:_:)``. O(n²) pairs: fine for
/// the few thousand photos of a split.
public func krcc(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPair(x, y, minimum: 2, metric: "KRCC")
    let n = x.count
    var concordant = 0, discordant = 0, tiedX = 0, tiedY = 0
    for i in 0..<n {
        let xi = x[i], yi = y[i]
        for j in (i + 1)..<n {
            let dx = x[j] - xi, dy = y[j] - yi
            if dx == 0 && dy == 0 { continue }
            if dx == 0 { tiedX += 1; continue }
            if dy == 0 { tiedY += 1; continue }
            if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
        }
    }
    let untiedX = Double(concordant + discordant + tiedY)  // pairs not tied in x
    let untiedY = Double(concordant + discordant + tiedX)  // pairs not tied in y
    guard untiedX > 0 && untiedY > 0 else { return .nan }
    let tau = Double(concordant - discordant) / (untiedX.squareRoot() * untiedY.squareRoot())
    return min(1, max(-1, tau))
}

/// Mean absolute error between predictions and ground truth. Throws for mismatched
/// lengths, no values, or non-finite values.
public func mae(_ predicted: [Double], _ truth: [Double]) throws -> Double {
    try checkPair(predicted, truth, minimum: 1, metric: "MAE")
    var s = 0.0
    for i in predicted.indices { s += abs(predicted[i] - truth[i]) }
    return s / Double(predicted.count)
}

/// Root mean squared error between predictions and ground truth. Throws like
/// ``mae(_:_:)``.
public func rmse(_ predicted: [Double], _ truth: [Double]) throws -> Double {
    try checkPair(predicted, truth, minimum: 1, metric: "RMSE")
    var s = 0.0
    for i in predicted.indices { let d = predicted[i] - truth[i]; s += d * d }
    return (s / Double(predicted.count)).squareRoot()
}

/// The five challenge metrics of one set of predictions against ground truth.
public struct Metrics: Sendable, Hashable, Codable {
    /// Number of photos evaluated.
    public var n: Int
    /// Spearman rank-order correlation (average ranks for ties).
    public var srcc: Double
    /// Pearson linear correlation.
    public var plcc: Double
    /// Kendall tau-b.
    public var krcc: Double
    /// Mean absolute error.
    public var mae: Double
    /// Root mean squared error.
    public var rmse: Double

    /// Metrics from given values (e.g. a row of a results table).
    public init(n: Int, srcc: Double, plcc: Double, krcc: Double, mae: Double, rmse: Double) {
        self.n = n
        self.srcc = srcc
        self.plcc = plcc
        self.krcc = krcc
        self.mae = mae
        self.rmse = rmse
    }

    /// Computes all five metrics of `predicted` against `truth` (the MOS). Needs n ≥ 2;
    /// throws `LoupeError.badInput` otherwise, for mismatched lengths or non-finite values.
    public init(predicted: [Double], truth: [Double]) throws {
        try checkPair(predicted, truth, minimum: 2, metric: "metrics")
        self.init(
            n: predicted.count,
            srcc: try LoupeIQA.srcc(predicted, truth),
            plcc: try LoupeIQA.plcc(predicted, truth),
            krcc: try LoupeIQA.krcc(predicted, truth),
            mae: try LoupeIQA.mae(predicted, truth),
            rmse: try LoupeIQA.rmse(predicted, truth))
    }
}

/// 1-based ranks of `values` in ascending order, ties sharing the mean of their ranks
/// (`scipy.stats.rankdata(method='average')`).
public func averageRanks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
        // Positions start..<end (0-based) hold equal values: ranks start+1 ... end.
        let rank = Double(start + 1 + end) / 2
        for k in start..<end { ranks[order[k]] = rank }
        start = end
    }
    return ranks
}

private func checkPair(_ x: [Double], _ y: [Double], minimum: Int, metric: String) throws {
    guard x.count == y.count else {
        throw LoupeError.badInput("\(metric): the two vectors differ in length (\(x.count) and \(y.count))")
    }
    guard x.count >= minimum else {
        throw LoupeError.badInput("\(metric) needs at least \(minimum) values, got \(x.count)")
    }
    if let i = x.firstIndex(where: { !$0.isFinite }) {
        throw LoupeError.badInput("\(metric): value \(i) of the first vector is \(x[i])")
    }
    if let i = y.firstIndex(where: { !$0.isFinite }) {
        throw LoupeError.badInput("\(metric): value \(i) of the second vector is \(y[i])")
    }
}

/// scipy's pearsonr recipe: center, normalise each vector by its norm, dot, clip.
private func pearson(_ x: [Double], _ y: [Double]) -> Double {
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxx = 0.0, syy = 0.0
    for i in x.indices {
        let dx = x[i] - mx, dy = y[i] - my
        sxx += dx * dx
        syy += dy * dy
    }
    // A constant vector: scipy checks x == x[0] everywhere and returns NaN.
    if x.allSatisfy({ $0 == x[0] }) || y.allSatisfy({ $0 == y[0] }) { return .nan }
    let nx = sxx.squareRoot(), ny = syy.squareRoot()
    var r = 0.0
    for i in x.indices { r += ((x[i] - mx) / nx) * ((y[i] - my) / ny) }
    return min(1, max(-1, r))
}
