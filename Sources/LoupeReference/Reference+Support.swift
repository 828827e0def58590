import Foundation
import LoupeIR

/// One node being evaluated: its inputs, the output types shape inference gave, and
/// helpers that check and throw naming the node.
struct Kernel {
    let node: Node
    let inputs: [Tensor?]
    let outputTypes: [TensorType]
    let outputShapes: [[Int]]

    var ref: NodeReference { node.reference }
    var outShape: [Int] { outputShapes[0] }

    func present(_ i: Int) -> Bool { i < inputs.count && inputs[i] != nil }

    func input(_ i: Int) throws -> Tensor { try node.required(i, of: inputs) }

    /// Elements of a floating-point input.
    func floats(_ i: Int) throws -> [Float] {
        let t = try input(i)
        guard t.dtype.isFloat, case .float(let v) = t.storage else {
            throw LoupeError.invalidInput(ref, input: i, reason: "dtype \(t.dtype): expected a floating-point tensor")
        }
        return v
    }

    /// A float output tensor with output `i`'s shape and dtype.
    func output(_ values: [Double], _ i: Int = 0) -> Tensor {
        Tensor(shape: outputShapes[i], floats: values.map { Float($0) }, dtype: outputTypes[i].dtype)
    }

    func output(floats values: [Float], _ i: Int = 0) -> Tensor {
        Tensor(shape: outputShapes[i], floats: values, dtype: outputTypes[i].dtype)
    }

    /// Applies `f` to every element of float input 0.
    func map(_ f: (Double) -> Double) throws -> Tensor {
        output(try floats(0).map { f(Double($0)) })
    }

    /// Evaluates an NHWC node by transposing input 0 to NCHW, evaluating the NCHW `op`
    /// on it and transposing every output back.
    func viaNCHW(_ op: () -> Op) throws -> [Tensor] {
        let x = try input(0)
        var args = inputs
        args[0] = x.transposed(LayoutPermutation.toNCHW(rank: x.shape.count))
        var nchw = node
        nchw.op = op()
        let results = try ReferenceInterpreter.evaluate(nchw, inputs: args)
        return results.map { $0.transposed(LayoutPermutation.toNHWC(rank: $0.shape.count)) }
    }
}

/// Row-major strides of `shape`.
func strides(_ shape: [Int]) -> [Int] {
    var s = Array(repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        s[i] = acc
        acc *= shape[i]
    }
    return s
}

/// Calls `body` with every multi-index of `shape` in row-major order, together with its
/// flat position.
func forEachIndex(_ shape: [Int], _ body: (_ flat: Int, _ index: [Int]) throws -> Void) rethrows {
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    var index = Array(repeating: 0, count: shape.count)
    for flat in 0..<total {
        try body(flat, index)
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
        }
    }
}

/// For each element of a tensor of shape `output`, the flat index of the element of a
/// tensor of shape `input` that numpy broadcasting reads for it.
func broadcastSources(output: [Int], input: [Int]) -> [Int] {
    let offset = output.count - input.count
    let inStrides = strides(input)
    var src: [Int] = []
    src.reserveCapacity(output.reduce(1, *))
    forEachIndex(output) { _, index in
        var s = 0
        for d in 0..<input.count where input[d] != 1 { s += index[d + offset] * inStrides[d] }
        src.append(s)
    }
    return src
}

extension Tensor {
    /// A tensor of `shape` whose element `i` is element `sources[i]` of `self`, or `fill`
    /// (element 0 of it, or zero when nil) where `sources[i]` is negative.
    func gathering(_ sources: [Int], shape: [Int], fill: Tensor? = nil) -> Tensor {
        switch storage {
        case .float(let v):
            let f = fill.map { $0.floats.first ?? 0 } ?? 0
            return Tensor(shape: shape, floats: sources.map { $0 >= 0 ? v[$0] : f }, dtype: dtype)
        case .int(let v):
            let f: Int64
            if let fill, case .int(let fv) = fill.storage { f = fv.first ?? 0 } else if let fill {
                f = Int64(exactly: (fill.floats.first ?? 0).rounded(.towardZero)) ?? 0
            } else { f = 0 }
            return Tensor(shape: shape, ints: sources.map { $0 >= 0 ? v[$0] : f }, dtype: dtype)
        }
    }

    /// The same elements with a new shape of equal element count.
    func reshaped(_ shape: [Int]) -> Tensor {
        var t = self
        t.shape = shape
        return t
    }

    /// Transposes: output dimension `i` is input dimension `perm[i]`.
    func transposed(_ perm: [Int]) -> Tensor {
        let outShape = perm.map { shape[$0] }
        let inStrides = strides(shape)
        var src: [Int] = []
        src.reserveCapacity(count)
        forEachIndex(outShape) { _, index in
            var s = 0
            for d in 0..<perm.count { s += index[d] * inStrides[perm[d]] }
            src.append(s)
        }
        return gathering(src, shape: outShape)
    }
}
