import LoupeIR

/// Turns a mean or max over every spatial axis into the global pool it is.
///
/// timm's squeeze-excite (EfficientNet, GhostNet, timm's MobileNetV3) exports
/// `x.mean((2, 3), keepdim=True)` as ReduceMean; torchvision's exports the same computation
/// as GlobalAveragePool. XNNPACK has a global average pool, float and qs8, but no general
/// reduction an int8 model could use, so without this rewrite every squeeze-excite of those
/// models would stay a float island in a quantized model.
///
/// Before: `%y = ReduceMean(%x : [N,C,H,W], axes=[2,3]) [keepdims=1]`
/// After:  `%y = GlobalAveragePool(%x)`
/// Before: `%y = ReduceMax(%x : [N,C,H,W], axes=[-1,-2]) [keepdims=0]`
/// After:  `%p = GlobalMaxPool(%x); %y = Flatten(%p) [axis=1]`
///
/// Guards: float32 input of static rank ≥ 3; `axes` a constant naming exactly the axes
/// 2…rank−1 (in any order, negative allowed). ReduceSum, ReduceMin and the others have no
/// global-pool form and stay.
public struct RecognizeGlobalPooling: GraphPass {
    public let name = "recognize-global-pooling"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var out: [Node] = []
        for node in graph.nodes {
            guard case .reduce(let r, let keepDims, let noop) = node.op, r == .mean || r == .max,
                  let x = node.input(0), let y = node.outputs.first,
                  let t = graph.type(of: x), t.dtype == .float32, let rank = t.staticShape?.count, rank >= 3,
                  let axesName = node.input(1), let axes = graph.initializers[axesName]?.ints,
                  let resolved = try? resolveReduceAxes(axes.map { Int($0) }, rank: rank,
                                                        noopWithEmptyAxes: noop, node: node.reference),
                  resolved == Array(2..<rank) else {
                out.append(node)
                continue
            }
            let pool: Op = r == .mean ? .globalAveragePool(layout: .nchw) : .globalMaxPool(layout: .nchw)
            if keepDims {
                out.append(Node(name: node.name, op: pool, inputs: [x], outputs: [y], origin: node.origin))
            } else {
                let pooled = "\(y)::pooled"
                out.append(Node(name: node.name, op: pool, inputs: [x], outputs: [pooled], origin: node.origin))
                out.append(Node(name: "\(node.name)::flatten", op: .flatten(axis: 1), inputs: [pooled], outputs: [y],
                                origin: node.origin))
                let shape = t.staticShape!
                graph.types[pooled] = TensorType(.float32, shape: [shape[0], shape[1]] + Array(repeating: 1, count: rank - 2))
            }
            changed = true
        }
        graph.nodes = out
        return changed
    }
}
