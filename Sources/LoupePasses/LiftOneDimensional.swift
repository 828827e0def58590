import LoupeIR

/// Runs 1-D convolutions and pools as 2-D ones with a height of 1, since XNNPACK's operators
/// are 2-D.
///
/// Before: `%y = Conv(%x : [N,C,L], %w : [O,C,k]) [kernel k, stride s, pads (b, e)]`
/// After:  `%x2 = Reshape(%x, [N,C,1,L]); %y2 = Conv(%x2, %w' : [O,C,1,k]) [kernel 1×k,
///          stride 1×s, pads (0,b,0,e)]; %y = Reshape(%y2, [N,O,L'])`
///
/// Guards: needs inferred types; the weight must be a constant (reshaped ahead of time);
/// MaxPool with its Indices output is left alone.
public struct LiftOneDimensional: GraphPass {
    public let name = "lift-1d"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var out: [Node] = []
        for node in graph.nodes {
            guard let x = node.input(0), let xs = graph.type(of: x)?.staticShape, xs.count == 3,
                  let y = node.outputs.first, let ys = graph.type(of: y)?.staticShape, ys.count == 3,
                  let lifted = liftedOp(node, graph) else {
                out.append(node)
                continue
            }
            func fresh(_ s: String) -> String { graph.reserveFreshName("\(node.name)::\(s)") }
            var inputs = node.inputs
            let x4 = fresh("x2d")
            let xShape = fresh("x2d_shape")
            graph.initializers[xShape] = Tensor(shape: [4], ints: [xs[0], xs[1], 1, xs[2]].map { Int64($0) })
            out.append(Node(name: x4, op: .reshape(allowZero: false), inputs: [x, xShape], outputs: [x4], origin: node.origin))
            inputs[0] = x4
            if let w = node.input(1), let wt = graph.initializers[w] {
                let w4 = fresh("w2d")
                var t = wt
                t.shape = [wt.shape[0], wt.shape[1], 1, wt.shape[2]]
                graph.initializers[w4] = t
                // int8 weights keep their per-output-channel scales (axis 0 stays axis 0).
                graph.quantization[w4] = graph.quantization[w]
                inputs[1] = w4
            }
            let y4 = fresh("y2d")
            graph.quantization[y4] = graph.quantization[y]
            var n = node
            n.op = lifted
            n.inputs = inputs
            n.outputs = [y4]
            out.append(n)
            let yShape = fresh("y_shape")
            graph.initializers[yShape] = Tensor(shape: [3], ints: ys.map { Int64($0) })
            out.append(Node(name: "\(node.name)::to_1d", op: .reshape(allowZero: false), inputs: [y4, yShape],
                            outputs: [y], origin: node.origin))
            changed = true
        }
        graph.nodes = out
        return changed
    }

    /// The window with a leading spatial axis of size 1: no stride, dilation or padding on it.
    private func liftWindow<A: SlidingWindowAttributes>(_ a: A) -> A {
        var w = a
        w.kernelShape = [1] + a.kernelShape
        w.strides = [1] + a.strides
        w.dilations = [1] + a.dilations
        if a.pads.count == 2 { w.pads = [0, a.pads[0], 0, a.pads[1]] }
        return w
    }

    private func lift(_ a: ConvAttributes) -> ConvAttributes {
        var c = liftWindow(a)
        if a.outputPadding.count == 1 { c.outputPadding = [0] + a.outputPadding }
        if let s = a.outputShape, s.count == 1 { c.outputShape = [1] + s }
        return c
    }

    /// The 2-D form of a 1-D node, or nil when the node is not a liftable 1-D op.
    private func liftedOp(_ node: Node, _ graph: Graph) -> Op? {
        let oneD = { (k: [Int]) in k.count == 1 }
        if case .conv(let a) = node.op, oneD(a.kernelShape), node.input(1).flatMap({ graph.initializers[$0] }) != nil {
            return .conv(lift(a))
        }
        if case .convTranspose(let a) = node.op, oneD(a.kernelShape), node.input(1).flatMap({ graph.initializers[$0] }) != nil {
            return .convTranspose(lift(a))
        }
        if case .averagePool(let a) = node.op, oneD(a.kernelShape) { return .averagePool(liftWindow(a)) }
        if case .maxPool(let a) = node.op, oneD(a.kernelShape), node.outputs.count == 1 { return .maxPool(liftWindow(a)) }
        return nil
    }
}
