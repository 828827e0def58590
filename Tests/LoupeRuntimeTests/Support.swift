import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime
import LoupeTestSupport

/// How outputs are compared, per op class (STYLE.md rule 5).
enum Tolerance {
    /// Re-plumbing and exact ops: max abs error ≤ abs + rel·|ref|.
    case elementwise(abs: Float, rel: Float)
    /// Conv/GEMM: normalised mean squared error.
    case nmse(Double)

    static let exact = Tolerance.elementwise(abs: 1e-6, rel: 1e-6)
    static let transcendental = Tolerance.elementwise(abs: 1e-6, rel: 1e-5)
    static let accumulate = Tolerance.nmse(1e-10)
}

/// A small graph builder in the post-pass (NHWC, typed) form.
struct G {
    var graph = Graph()
    var rng: SeededRandom
    let seed: UInt64

    init(seed: UInt64 = 1) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
    }

    mutating func input(_ name: String, _ shape: [Int]) -> String {
        graph.inputs.append(ValueInfo(name: name, type: TensorType(.float32, shape: shape)))
        return name
    }

    mutating func constant(_ name: String, _ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> String {
        graph.initializers[name] = rng.tensor(shape, lo, hi)
        return name
    }

    mutating func constant(_ name: String, _ t: Tensor) -> String {
        graph.initializers[name] = t
        return name
    }

    mutating func ints(_ name: String, _ v: [Int]) -> String {
        graph.initializers[name] = Tensor(shape: [v.count], ints: v.map { Int64($0) })
        return name
    }

    @discardableResult
    mutating func node(_ op: Op, _ inputs: [String], _ output: String, name: String? = nil) -> String {
        graph.nodes.append(Node(name: name ?? output, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    /// Marks outputs and infers every type.
    mutating func finish(_ outputs: [String]) throws -> Graph {
        var g = graph
        g.types = [:]
        try g.inferTypes()
        g.outputs = outputs.map { ValueInfo(name: $0, type: g.type(of: $0)!) }
        return g
    }

    /// `x` (shape `xs`) → ConvTranspose(`a`) with seeded weights (shape `ws`) and bias → `y`.
    mutating func convTranspose(input xs: [Int], weights ws: [Int], _ a: ConvAttributes) throws -> Graph {
        let x = input("x", xs)
        let w = constant("w", ws)
        let bias = constant("b", [ws[1] * a.group])
        node(.convTranspose(a), [x, w, bias], "y")
        return try finish(["y"])
    }

    mutating func inputs(for g: Graph) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for i in g.inputs { out[i.name] = rng.tensor(i.type.staticShape!, -2, 2) }
        return out
    }
}

func compare(_ got: Tensor, _ want: Tensor, _ tol: Tolerance, _ what: String,
             file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.shape, want.shape, "\(what): shape", file: file, line: line)
    let a = got.floats, b = want.floats
    guard a.count == b.count else { return }
    switch tol {
    case .elementwise(let absTol, let rel):
        var worst = 0, worstErr: Float = 0
        for i in 0..<a.count {
            let err = abs(a[i] - b[i]) - rel * abs(b[i])
            if !(err <= absTol) && (err > worstErr || err.isNaN) { worst = i; worstErr = err.isNaN ? .infinity : err }
        }
        XCTAssertTrue(worstErr == 0, "\(what): element \(worst) got \(a[worst]) want \(b[worst])", file: file, line: line)
    case .nmse(let limit):
        var num = 0.0, den = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            num += d * d
            den += Double(b[i]) * Double(b[i])
        }
        let nmse = num / max(den, 1e-30)
        XCTAssertLessThanOrEqual(nmse, limit, "\(what): NMSE \(nmse)", file: file, line: line)
    }
}

/// Runs `g` on the runtime (1 and 2 threads) and on the reference interpreter with seeded
/// random inputs, and compares every output.
@discardableResult
func checkAgainstReference(_ b: inout G, _ g: Graph, _ tol: Tolerance, threads: [Int] = [1, 2],
                           file: StaticString = #filePath, line: UInt = #line) throws -> Executor? {
    let inputs = b.inputs(for: g)
    let want = try ReferenceInterpreter.run(g, inputs: inputs)
    var last: Executor?
    for t in threads {
        // Every step on the pool, however small, so the threaded paths of small test graphs run.
        let ex = try Executor(graph: g, threads: t, minimumParallelWork: 0)
        let got = try ex.run(inputs)
        for o in g.outputs {
            compare(got[o.name]!, want[o.name]!, tol, "output '\(o.name)' threads=\(t) seed=\(b.seed)", file: file, line: line)
        }
        // A second run must give the same results (no state left in the arena).
        let again = try ex.run(inputs)
        for o in g.outputs { XCTAssertEqual(again[o.name]!.floats, got[o.name]!.floats, "rerun of '\(o.name)'", file: file, line: line) }
        last = ex
    }
    return last
}

/// Runs `body` with path `P`'s environment variable (`LOUPE_INT8_KERNELS`, …) set to `path`
/// (nil: unset), then restores it.
func withForcedPath<P: ForcedKernelPath, T>(_: P.Type, _ path: String?, _ body: () throws -> T) rethrows -> T {
    let name = P.environmentVariable
    let saved = getenv(name).map { String(cString: $0) }
    if let path { setenv(name, path, 1) } else { unsetenv(name) }
    defer { if let saved { setenv(name, saved, 1) } else { unsetenv(name) } }
    return try body()
}
