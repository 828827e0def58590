import LoupeIR
import LoupeReference

/// Evaluates nodes whose inputs are all constant with the reference interpreter, and
/// turns `Shape` of a statically shaped value into a constant. Repeated until nothing
/// changes, this collapses torch's `Shape → Gather → Unsqueeze → Concat → Reshape` chains
/// into a Reshape with a constant shape, and computes weight preprocessing (e.g. weight
/// standardization) ahead of time.
///
/// Before: `%s = Shape(%x : f32[1x960x1x1]); %n = Gather(%s, 0); %u = Unsqueeze(%n, [0]);
///          %c = Concat(%u, [-1]); %y = Reshape(%x, %c)`
/// After:  `%y = Reshape(%x, const [1, -1])`
///
/// Guards: graph outputs are never folded away (the runtime must still produce them);
/// results larger than `maxFoldedElements` are left to run time so the model file's
/// size is not multiplied by a broadcast; a DequantizeLinear of integer codes is kept, so
/// that int8 weights and int32 biases reach `FoldQuantization` (which folds the DQs no int8
/// op takes into float constants).
public struct FoldConstants: GraphPass {
    public let name = "fold-constants"
    /// Largest tensor (in elements) this pass materialises.
    public var maxFoldedElements: Int

    public init(maxFoldedElements: Int = defaultMaxFoldedElements) {
        self.maxFoldedElements = maxFoldedElements
    }

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var remaining: [Node] = []
        remaining.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            if try fold(node, in: &graph) {
                changed = true
            } else {
                remaining.append(node)
            }
        }
        graph.nodes = remaining
        return changed
    }

    private func fold(_ node: Node, in graph: inout Graph) throws -> Bool {
        if node.outputs.contains(where: { graph.isGraphOutput($0) }) { return false }
        if case .unsupported = node.op { return false }
        if case .dequantizeLinear = node.op { return false }
        if case .shape(let start, let end) = node.op {
            guard let x = node.input(0), let shape = graph.type(of: x)?.staticShape else { return false }
            let r = shape.count
            func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + r : a, 0), r) }
            let s = clampAxis(start)
            let e = clampAxis(end ?? r)
            let dims = s < e ? Array(shape[s..<e]) : []
            graph.initializers[node.outputs[0]] = Tensor(shape: [dims.count], ints: dims.map { Int64($0) })
            return true
        }
        var inputs: [Tensor?] = []
        for v in node.inputs {
            if v.isEmpty {
                inputs.append(nil)
            } else if let t = graph.initializers[v] {
                inputs.append(t)
            } else {
                return false
            }
        }
        let outputTypes = node.outputs.map { graph.types[$0] }
        if outputTypes.contains(where: { ($0?.staticShape?.reduce(1, *) ?? 0) > maxFoldedElements }) {
            return false
        }
        let outputs = try ReferenceInterpreter.evaluate(node, inputs: inputs)
        guard outputs.count >= node.outputs.filter({ !$0.isEmpty }).count else { return false }
        if outputs.contains(where: { $0.count > maxFoldedElements }) { return false }
        for (name, t) in zip(node.outputs, outputs) where !name.isEmpty {
            graph.initializers[name] = t
            graph.types[name] = nil
        }
        return true
    }
}
