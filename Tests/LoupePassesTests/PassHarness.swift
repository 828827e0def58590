import LoupeIR
import LoupePasses
import LoupeReference
import XCTest

/// A Before graph written node by node, each node's single output named after the node.
/// Graph outputs take their inferred types, so a test states only what the graph computes.
struct GraphBuilder {
    private(set) var graph = Graph()
    var rng: Rng

    init(seed: UInt64) { rng = Rng(seed) }

    @discardableResult
    mutating func input(_ name: String, _ shape: [Int], _ dtype: DType = .float32) -> String {
        graph.inputs.append(ValueInfo(name: name, type: TensorType(dtype, shape: shape)))
        return name
    }

    @discardableResult
    mutating func constant(_ name: String, _ t: Tensor) -> String {
        graph.initializers[name] = t
        return name
    }

    /// A float scalar constant.
    mutating func constant(_ name: String, _ v: Float) -> String { constant(name, scalar(v)) }

    /// An int64 vector constant (axes, shapes, pads).
    mutating func ints(_ name: String, _ v: [Int64]) -> String {
        constant(name, Tensor(shape: [v.count], ints: v))
    }

    /// A seeded random float constant in [lo, hi).
    @discardableResult
    mutating func random(_ name: String, _ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> String {
        constant(name, rng.tensor(shape, lo, hi))
    }

    @discardableResult
    mutating func node(_ name: String, _ op: Op, _ inputs: [String]) -> String {
        graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputs: [name]))
        return name
    }

    /// A node with several outputs, named `name` then `name_1`, `name_2`, ….
    mutating func node(_ name: String, _ op: Op, _ inputs: [String], outputs: Int) -> [String] {
        let names = [name] + (1..<outputs).map { "\(name)_\($0)" }
        graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputs: names))
        return names
    }

    /// The graph with `outputs` as its outputs, at their inferred types.
    func finish(_ outputs: String...) throws -> Graph { try finish(outputs) }

    func finish(_ outputs: [String]) throws -> Graph {
        var g = graph
        try g.inferTypes()
        g.outputs = try outputs.map { ValueInfo(name: $0, type: try XCTUnwrap(g.type(of: $0), "no type for \($0)")) }
        return g
    }
}

/// How closely a rewritten graph must reproduce the Before graph's outputs.
enum Tolerance {
    /// Bit for bit: the rewrite only re-plumbs values, or evaluates the same op with the
    /// same interpreter ahead of time.
    case exact
    /// Largest error ≤ bound · max(1, largest |output|): the rewrite rounds float
    /// arithmetic in another order.
    case relative(Float)

    var bound: Float {
        switch self {
        case .exact: return 0
        case .relative(let r): return r
        }
    }
}

/// Seeded random data for every float graph input.
func randomInputs(_ g: Graph, seed: UInt64, _ lo: Float = -3, _ hi: Float = 3) -> [String: Tensor] {
    var rng = Rng(seed)
    var feeds: [String: Tensor] = [:]
    for i in g.inputs { feeds[i.name] = rng.tensor(i.type.staticShape ?? [], lo, hi) }
    return feeds
}

/// Runs `pass` alone on `before` (types inferred first, as the pipeline does) and checks what
/// every rewrite keeps: it reports a change; the result verifies and type-checks; its op
/// kinds are `after`; graph inputs and outputs (names and types) are untouched; its outputs
/// match `before` through the reference interpreter on seeded random inputs; and, unless
/// `rerun` is false, a second run finds nothing left to do. Returns the rewritten graph
/// (types inferred) for the checks particular to a pass.
@discardableResult
func assertRewrites(_ pass: some GraphPass, _ before: Graph, into after: [String], tolerance: Tolerance,
                    seed: UInt64, rerun: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
    var g = before
    try g.inferTypes()
    let changed = try pass.run(on: &g)
    XCTAssertTrue(changed, "\(pass.name) reported no change (seed \(seed))", file: file, line: line)
    XCTAssertEqual(opNames(g), after, "\(pass.name) (seed \(seed))", file: file, line: line)
    XCTAssertEqual(g.inputs, before.inputs, "graph inputs changed", file: file, line: line)
    XCTAssertEqual(g.outputs, before.outputs, "graph outputs changed", file: file, line: line)
    try g.verify()
    g.types = [:]
    try g.inferTypes()
    try assertSameOutputs(before, g, inputs: randomInputs(before, seed: seed), tolerance: tolerance.bound, seed: seed,
                          file: file, line: line)
    if rerun {
        var again = g
        XCTAssertFalse(try pass.run(on: &again), "\(pass.name) changed its own result again (seed \(seed))",
                       file: file, line: line)
    }
    return g
}

/// Runs `pass` alone on `before` and checks that it reports no change and leaves nodes,
/// constants and interface as they were; `why` names the guard that should stop it.
func assertLeavesAlone(_ pass: some GraphPass, _ before: Graph, _ why: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
    var g = before
    try g.inferTypes()
    let typed = g
    XCTAssertFalse(try pass.run(on: &g), "\(pass.name) rewrote although \(why)", file: file, line: line)
    XCTAssertEqual(g.nodes, typed.nodes, why, file: file, line: line)
    XCTAssertEqual(g.initializers, typed.initializers, why, file: file, line: line)
    XCTAssertEqual(g.inputs, typed.inputs, why, file: file, line: line)
    XCTAssertEqual(g.outputs, typed.outputs, why, file: file, line: line)
}
