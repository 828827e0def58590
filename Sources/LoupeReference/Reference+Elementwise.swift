import Foundation
import LoupeIR

// Binary ops with broadcasting (float and integer), unary ops, Clip, PRelu.

extension Kernel {
    func binary(_ op: BinaryOp) throws -> Tensor {
        let a = try input(0), b = try input(1)
        let srcA = broadcastSources(output: outShape, input: a.shape)
        let srcB = broadcastSources(output: outShape, input: b.shape)
        if case .int(let av) = a.storage, !a.dtype.isFloat {
            let bv: [Int64]
            switch b.storage {
            case .int(let v): bv = v
            case .float(let v):  // Pow with a float exponent on an integer base.
                guard op == .pow else { throw LoupeError.invalidInput(ref, input: 1, reason: "dtype \(b.dtype) differs from \(a.dtype)") }
                let y = zip(srcA, srcB).map { pow(Double(av[$0.0]), Double(v[$0.1])) }
                return Tensor(shape: outShape, ints: try y.map { try toInt($0) }, dtype: a.dtype)
            }
            var y: [Int64] = []
            y.reserveCapacity(srcA.count)
            for (i, j) in zip(srcA, srcB) {
                let x = av[i], z = bv[j]
                switch op {
                case .add: y.append(x &+ z)
                case .sub: y.append(x &- z)
                case .mul: y.append(x &* z)
                case .div:
                    guard z != 0 else { throw LoupeError.invalidInput(ref, input: 1, reason: "integer division by zero") }
                    y.append(x.dividedReportingOverflow(by: z).partialValue)  // truncates toward zero
                case .max: y.append(Swift.max(x, z))
                case .min: y.append(Swift.min(x, z))
                case .pow: y.append(try toInt(pow(Double(x), Double(z))))
                }
            }
            return Tensor(shape: outShape, ints: y, dtype: a.dtype)
        }
        let av = try floats(0)
        let bv = b.floats  // Pow may take an integer exponent.
        var y: [Float] = []
        y.reserveCapacity(srcA.count)
        for (i, j) in zip(srcA, srcB) {
            let x = Double(av[i]), z = Double(bv[j])
            let v: Double
            switch op {
            case .add: v = x + z
            case .sub: v = x - z
            case .mul: v = x * z
            case .div: v = x / z
            case .pow: v = pow(x, z)
            case .max: v = x.isNaN || z.isNaN ? .nan : Swift.max(x, z)
            case .min: v = x.isNaN || z.isNaN ? .nan : Swift.min(x, z)
            }
            y.append(Float(v))
        }
        return output(floats: y)
    }

    /// Equal, Less, …: integers compared as integers, floats as floats (NaN compares false).
    func compare(_ op: CompareOp) throws -> Tensor {
        let a = try input(0), b = try input(1)
        let srcA = broadcastSources(output: outShape, input: a.shape)
        let srcB = broadcastSources(output: outShape, input: b.shape)
        let y: [Int64]
        if case .int(let av) = a.storage, case .int(let bv) = b.storage {
            y = zip(srcA, srcB).map { op.holds(av[$0.0], bv[$0.1]) ? 1 : 0 }
        } else {
            let av = a.floats, bv = b.floats
            y = zip(srcA, srcB).map { op.holds(av[$0.0], bv[$0.1]) ? 1 : 0 }
        }
        return Tensor(shape: outShape, ints: y, dtype: .bool)
    }

    /// Where(condition, X, Y), all three broadcast to the output.
    func select() throws -> Tensor {
        let c = try input(0), x = try input(1), y = try input(2)
        let srcC = broadcastSources(output: outShape, input: c.shape)
        let srcX = broadcastSources(output: outShape, input: x.shape)
        let srcY = broadcastSources(output: outShape, input: y.shape)
        let cv = c.ints
        let take = srcC.indices.map { cv[srcC[$0]] != 0 }
        if case .int(let xv) = x.storage, case .int(let yv) = y.storage {
            return Tensor(shape: outShape, ints: take.indices.map { take[$0] ? xv[srcX[$0]] : yv[srcY[$0]] }, dtype: x.dtype)
        }
        let xv = x.floats, yv = y.floats
        return Tensor(shape: outShape, floats: take.indices.map { take[$0] ? xv[srcX[$0]] : yv[srcY[$0]] }, dtype: x.dtype)
    }

    /// Double → Int64 for integer results; NaN or out-of-range values throw.
    func toInt(_ v: Double) throws -> Int64 {
        guard let i = Int64(exactly: v.rounded(.towardZero)) else {
            throw LoupeError.invalidInput(ref, input: 0, reason: "integer result \(v) is out of range")
        }
        return i
    }

    /// ln(1 + eˣ) without overflow for large x.
    static func softplus(_ x: Double) -> Double { x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x)) }

    func unary(_ op: UnaryOp) throws -> Tensor {
        let x = try input(0)
        if case .int(let v) = x.storage, !x.dtype.isFloat {
            guard let f = op.integerFunction else {
                throw LoupeError.invalidInput(ref, input: 0, reason: "dtype \(x.dtype): expected a floating-point tensor")
            }
            return Tensor(shape: outShape, ints: v.map(f), dtype: x.dtype)
        }
        switch op {
        case .relu: return try map { $0 > 0 ? $0 : 0 }
        case .sigmoid: return try map { 1 / (1 + exp(-$0)) }
        case .tanh: return try map { Foundation.tanh($0) }
        case .hardSwish: return try map { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }
        case .neg: return try map { -$0 }
        case .abs: return try map { Swift.abs($0) }
        case .sqrt: return try map { Foundation.sqrt($0) }
        case .reciprocal: return try map { 1 / $0 }
        case .exp: return try map { Foundation.exp($0) }
        case .log: return try map { Foundation.log($0) }
        case .floor: return try map { $0.rounded(.down) }
        case .ceil: return try map { $0.rounded(.up) }
        case .erf: return try map { Foundation.erf($0) }
        case .softplus: return try map(Self.softplus)
        case .mish: return try map { $0 * Foundation.tanh(Self.softplus($0)) }
        case .sin: return try map { Foundation.sin($0) }
        case .cos: return try map { Foundation.cos($0) }
        }
    }

    /// min(max(x, lo), hi) with absent bounds unbounded; lo > hi gives hi everywhere (ONNX).
    func clip() throws -> Tensor {
        let x = try input(0)
        for i in 1...2 where present(i) {
            let t = try input(i)
            guard t.dtype == x.dtype else {
                throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(t.dtype) differs from input 0's \(x.dtype)")
            }
        }
        if case .int(let v) = x.storage, !x.dtype.isFloat {
            let lo = present(1) ? try input(1).ints[0] : .min
            let hi = present(2) ? try input(2).ints[0] : .max
            return Tensor(shape: outShape, ints: v.map { Swift.min(Swift.max($0, lo), hi) }, dtype: x.dtype)
        }
        let lo = present(1) ? Double(try floats(1)[0]) : -.infinity
        let hi = present(2) ? Double(try floats(2)[0]) : .infinity
        return try map { v in
            let y = v < lo ? lo : v
            return y > hi ? hi : y
        }
    }

    /// Y = X where X ≥ 0, slope · X elsewhere; slope broadcast to X.
    func prelu() throws -> Tensor {
        let x = try floats(0), slope = try floats(1)
        let src = broadcastSources(output: outShape, input: try input(1).shape)
        return output(x.indices.map { i in
            let v = Double(x[i])
            return v < 0 ? Double(slope[src[i]]) * v : v
        })
    }
}

// Mod and Gelu.

extension Kernel {
    /// ONNX Mod with broadcasting. Integers: `fmod` false gives the remainder with the
    /// divisor's sign (Python's %), true the dividend's (C fmod); a zero divisor throws.
    /// Floats (shape inference requires `fmod`): C fmod.
    func mod(fmod: Bool) throws -> Tensor {
        let a = try input(0), b = try input(1)
        let srcA = broadcastSources(output: outShape, input: a.shape)
        let srcB = broadcastSources(output: outShape, input: b.shape)
        if case .int(let av) = a.storage, case .int(let bv) = b.storage, !a.dtype.isFloat {
            var y: [Int64] = []
            y.reserveCapacity(srcA.count)
            for (i, j) in zip(srcA, srcB) {
                let x = av[i], z = bv[j]
                guard z != 0 else { throw LoupeError.invalidInput(ref, input: 1, reason: "integer modulo by zero") }
                var r = x.remainderReportingOverflow(dividingBy: z).partialValue  // sign of x
                if !fmod && r != 0 && ((r < 0) != (z < 0)) { r += z }
                y.append(r)
            }
            return Tensor(shape: outShape, ints: y, dtype: a.dtype)
        }
        let av = try floats(0), bv = try floats(1)
        return output(zip(srcA, srcB).map { Foundation.fmod(Double(av[$0.0]), Double(bv[$0.1])) })
    }

    /// x·Φ(x) = x/2·(1 + erf(x/√2)); with `tanhApproximation`
    /// x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    func gelu(tanhApproximation: Bool) throws -> Tensor {
        if tanhApproximation {
            let c = (2 / Double.pi).squareRoot()
            return try map { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
        }
        return try map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
    }
}
