import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime
import LoupeTestSupport

/// Builds int8 IR graphs in the form `FoldQuantization` produces (NHWC, int8 activations
/// with `Graph.quantization`, int8 weights, int32 biases), with float32 graph inputs and
/// outputs converted by QuantizeLinear / DequantizeLinear. Types are set directly.
struct Int8Builder {
    var graph = Graph()
    var rng: SeededRandom
    let seed: UInt64
    /// Float inputs on the quantization grid ((code − zp) · scale), so the runtime's convert
    /// recovers the drawn codes exactly.
    var feeds: [String: Tensor] = [:]

    init(seed: UInt64) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
    }

    mutating func code(_ lo: Int = -128, _ hi: Int = 127) -> Int64 {
        Int64(lo) + Int64(rng.next() % UInt64(hi - lo + 1))
    }

    mutating func params(_ lo: Float, _ hi: Float) -> ValueQuantization {
        // A calibrated-looking range: zero inside [lo, hi], zero point where it falls.
        let scale = (hi - lo) / 255
        let zp = Int32(max(-128, min(127, (-128 - lo / scale).rounded())))
        return .perTensor(scale: scale, zeroPoint: zp)
    }

    private mutating func convertConstants(_ name: String, _ q: ValueQuantization) -> (String, String) {
        graph.initializers[name + ".scale"] = Tensor(shape: [], floats: [q.scale])
        graph.initializers[name + ".zp"] = Tensor(shape: [], ints: [Int64(q.zeroPoint)], dtype: .int8)
        return (name + ".scale", name + ".zp")
    }

    /// A float graph input quantized to an int8 activation `name`.
    @discardableResult
    mutating func input(_ name: String, _ shape: [Int], _ q: ValueQuantization, codes: ClosedRange<Int> = -128...127) -> String {
        let f = name + ".f"
        graph.inputs.append(ValueInfo(name: f, type: TensorType(.float32, shape: shape)))
        var values: [Float] = []
        for _ in 0..<shape.reduce(1, *) {
            values.append(Float(Int(code(codes.lowerBound, codes.upperBound)) - Int(q.zeroPoint)) * q.scale)
        }
        feeds[f] = Tensor(shape: shape, floats: values)
        let (s, z) = convertConstants(name, q)
        graph.nodes.append(Node(name: name, op: .quantizeLinear(axis: 1, saturate: true), inputs: [f, s, z], outputs: [name]))
        set(name, shape, q)
        return name
    }

    mutating func set(_ name: String, _ shape: [Int], _ q: ValueQuantization) {
        graph.types[name] = TensorType(.int8, shape: shape)
        graph.quantization[name] = q
    }

    /// Int8 weights with random per-channel (axis given) or per-tensor symmetric scales.
    @discardableResult
    mutating func weights(_ name: String, _ shape: [Int], axis: Int?, scale: ClosedRange<Float> = 0.002...0.02) -> [Float] {
        let codes = (0..<shape.reduce(1, *)).map { _ in code(-127, 127) }
        graph.initializers[name] = Tensor(shape: shape, ints: codes, dtype: .int8)
        let scales = axis.map { a in (0..<shape[a]).map { _ in rng.uniform(scale.lowerBound, scale.upperBound) } }
            ?? [rng.uniform(scale.lowerBound, scale.upperBound)]
        graph.quantization[name] = axis.map { .perChannel(scales: scales, axis: $0) } ?? .perTensor(scale: scales[0], zeroPoint: 0)
        return scales
    }

    /// An int32 bias at input scale · weight scale[c] (zero point 0).
    mutating func bias(_ name: String, _ count: Int, inputScale: Float, weightScales: [Float]) {
        let codes = (0..<count).map { _ in Int64(rng.next() % 4001) - 2000 }
        graph.initializers[name] = Tensor(shape: [count], ints: codes, dtype: .int32)
        let s = (0..<count).map { inputScale * weightScales[weightScales.count == 1 ? 0 : $0] }
        graph.quantization[name] = .perChannel(scales: s, axis: 0)
    }

    /// An int8 node with its output type and parameters.
    @discardableResult
    mutating func node(_ op: Op, _ inputs: [String], _ out: String, _ shape: [Int], _ q: ValueQuantization) -> String {
        graph.nodes.append(Node(name: out, op: op, inputs: inputs, outputs: [out]))
        set(out, shape, q)
        return out
    }

    /// Dequantizes an int8 value to a float graph output `name.out`.
    mutating func output(_ v: String) {
        let q = graph.quantization[v]!
        let (s, z) = convertConstants(v + ".out", q)
        let o = v + ".out"
        graph.nodes.append(Node(name: o, op: .dequantizeLinear(axis: 1), inputs: [v, s, z], outputs: [o]))
        graph.types[o] = TensorType(.float32, shape: graph.types[v]!.staticShape!)
        graph.outputs.append(ValueInfo(name: o, type: graph.types[o]!))
    }
}

enum Int8Reference {
    static func quantize(_ x: Float, _ q: ValueQuantization) -> Int64 {
        let r = (Double(x) / Double(q.scale)).rounded(.toNearestOrEven)
        if r.isNaN { return Int64(q.zeroPoint) }
        return Int64(min(max(r + Double(q.zeroPoint), -128), 127))
    }

    /// Walks the int8 graph: QuantizeLinear quantizes (half to even), DequantizeLinear
    /// dequantizes, and every int8 node dequantizes its inputs, runs the reference
    /// interpreter's float op and quantizes the result with the output's parameters. Values
    /// present in `observed` (the runtime's own codes) replace the reference's, so each op
    /// can be judged on the same inputs the runtime saw. Returns codes of every int8 value.
    static func run(_ g: Graph, feeds: [String: Tensor], observed: [String: [Int64]] = [:]) throws -> [String: [Int64]] {
        var floats: [String: Tensor] = feeds
        var codes: [String: [Int64]] = [:]
        for node in g.nodes {
            let out = node.outputs[0]
            switch node.op {
            case .quantizeLinear:
                let q = ValueQuantization.perTensor(scale: g.constant(node.inputs[1])!.floats[0],
                                                    zeroPoint: Int32(g.constant(node.inputs[2])!.ints[0]))
                codes[out] = floats[node.inputs[0]]!.floats.map { quantize($0, q) }
            case .dequantizeLinear:
                let q = g.quantization[node.inputs[0]]!
                floats[out] = q.dequantize(Tensor(shape: g.types[node.inputs[0]]!.staticShape!, ints: codes[node.inputs[0]]!))
            default:
                var ins: [Tensor?] = []
                for v in node.inputs {
                    if v.isEmpty { ins.append(nil); continue }
                    if let c = g.constant(v) {
                        if let q = g.quantization[v], c.dtype == .int8 || c.dtype == .int32 {
                            ins.append(q.dequantize(c))
                        } else {
                            ins.append(c)
                        }
                    } else {
                        let shape = g.types[v]!.staticShape!
                        ins.append(g.quantization[v]!.dequantize(Tensor(shape: shape, ints: codes[v]!)))
                    }
                }
                let y = try ReferenceInterpreter.evaluate(node, inputs: ins)[0]
                codes[out] = y.floats.map { quantize($0, g.quantization[out]!) }
            }
            if let o = observed[out] { codes[out] = o }
        }
        return codes
    }
}

/// Runs an int8 graph on the runtime and recovers each output's codes from its dequantized
/// float values (exact: the convert multiplies a small integer by the scale).
func runtimeCodes(_ g: Graph, _ feeds: [String: Tensor], threads: Int) throws -> (codes: [String: [Int64]], executor: Executor) {
    let ex = try Executor(graph: g, threads: threads, minimumParallelWork: 0)
    let out = try ex.run(feeds)
    var codes: [String: [Int64]] = [:]
    for o in g.outputs {
        let v = String(o.name.dropLast(4))  // "<value>.out"
        let q = g.quantization[v]!
        codes[v] = out[o.name]!.floats.map { Int64((Double($0) / Double(q.scale)).rounded()) + Int64(q.zeroPoint) }
        let again = try ex.run(feeds)
        XCTAssertEqual(again[o.name]!.floats, out[o.name]!.floats, "rerun of '\(o.name)' (state left in the arena)")
    }
    return (codes, ex)
}

/// Largest |a − b| over two code arrays.
func maxCodeDiff(_ a: [Int64], _ b: [Int64]) -> Int64 {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) codes")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Runs `g` at 1 and 2 threads and compares every output's codes with the per-op reference
/// (inputs of each op = the runtime's own codes where observed). Returns the largest diff.
@discardableResult
func checkInt8(_ b: Int8Builder, tolerance: Int64, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Int64, Executor) {
    var worst: Int64 = 0
    var last: Executor?
    for threads in [1, 2] {
        let (got, ex) = try runtimeCodes(b.graph, b.feeds, threads: threads)
        // Each output against the reference of its op fed with the runtime's codes of every
        // other observed value.
        for (v, codes) in got {
            let producer = b.graph.nodes.first { $0.outputs[0] == v }!
            var partial = got
            partial[v] = nil
            let ref = try Int8Reference.run(b.graph, feeds: b.feeds, observed: partial)
            let d = maxCodeDiff(codes, ref[v]!)
            worst = max(worst, d)
            XCTAssertLessThanOrEqual(d, tolerance, "\(what): \(producer.op.onnxName) '\(v)' threads=\(threads) seed=\(b.seed)",
                                     file: file, line: line)
        }
        last = ex
    }
    print("int8 max code diff \(what): \(worst)")
    return (worst, last!)
}
