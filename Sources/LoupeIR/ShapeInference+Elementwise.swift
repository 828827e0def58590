// Element-wise ops: binary with numpy broadcasting, unary, activations with parameters.

/// numpy multidirectional broadcasting of two shapes; nil when a pair of dimensions differ
/// and neither is 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = Swift.max(a.count, b.count)
    var out: [Int] = []
    out.reserveCapacity(r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out.append(da) } else if da == 1 { out.append(db) } else { return nil }
    }
    return out
}

extension ShapeContext {
    func binary(_ op: BinaryOp) throws -> TensorType {
        let ta = try type(0), tb = try type(1)
        let sa = try shape(0), sb = try shape(1)
        // ONNX Pow allows a different exponent type; the others need equal types.
        if op != .pow && ta.dtype != tb.dtype {
            throw LoupeError.invalidInput(ref, input: 1, reason: "dtype \(tb.dtype) differs from input 0's \(ta.dtype)")
        }
        guard let out = broadcastShape(sa, sb) else {
            throw fail("shapes \(sa) and \(sb) do not broadcast")
        }
        return TensorType(ta.dtype, shape: out)
    }

    /// Equal, Less, …: equal input dtypes, broadcasting, bool output.
    func compare() throws -> TensorType {
        TensorType(.bool, try binary(.add).dims)
    }

    /// Where(condition, X, Y): a bool condition; X and Y of one dtype; all three broadcast.
    func select() throws -> TensorType {
        let tc = try type(0), tx = try type(1), ty = try type(2)
        guard tc.dtype == .bool else {
            throw LoupeError.invalidInput(ref, input: 0, reason: "condition must be bool, got \(tc.dtype)")
        }
        guard tx.dtype == ty.dtype else {
            throw LoupeError.invalidInput(ref, input: 2, reason: "dtype \(ty.dtype) differs from input 1's \(tx.dtype)")
        }
        let sc = try shape(0), sx = try shape(1), sy = try shape(2)
        guard let xy = broadcastShape(sx, sy), let out = broadcastShape(sc, xy) else {
            throw fail("shapes \(sc), \(sx) and \(sy) do not broadcast")
        }
        return TensorType(tx.dtype, shape: out)
    }

    /// Mod: equal dtypes, broadcasting; floats need `fmod=1` (ONNX).
    func mod(fmod: Bool) throws -> TensorType {
        let t = try binary(.sub)
        if t.dtype.isFloat && !fmod {
            throw LoupeError.invalidAttribute(ref, attribute: "fmod", reason: "must be 1 for floating-point inputs (\(t.dtype))")
        }
        return t
    }

    func unary(_ op: UnaryOp) throws -> TensorType {
        _ = try shape(0)
        return op.integerFunction != nil ? try type(0) : try floatOrInt8(0)
    }

    func clip() throws -> TensorType {
        let t = try type(0)
        _ = try shape(0)
        for i in 1...2 where present(i) {
            let s = try shape(i)
            guard s.reduce(1, *) == 1, s.count <= 1 else {
                throw LoupeError.invalidInput(ref, input: i, reason: "Clip bound must be a scalar, got shape \(s)")
            }
        }
        return t
    }

    func prelu() throws -> TensorType {
        let t = try float(0)
        let sx = try shape(0), ss = try shape(1)
        guard broadcastShape(sx, ss) == sx else {
            throw LoupeError.invalidInput(ref, input: 1, reason: "slope shape \(ss) does not broadcast to input shape \(sx)")
        }
        return t
    }
}
