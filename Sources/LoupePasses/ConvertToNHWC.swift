import LoupeIR
import LoupeReference

/// Switches 4-D activations to NHWC, the layout XNNPACK computes in.
///
/// Layout-sensitive ops (Conv, ConvTranspose, pools, global pools, BatchNormalization,
/// Resize) get `layout: .nhwc`; values they produce are stored NHWC, and after the pass
/// their types are the physical ones ([N,H,W,C]). Layout-agnostic ops that read NHWC values
/// keep them NHWC when their attributes and constant operands can be remapped (element-wise
/// ops, Concat, Pad, Softmax, Reduce); everything else gets an explicit NHWC→NCHW
/// Transpose in front, or a free Reshape when NHWC and NCHW hold the bytes in the same order
/// (a map whose H·W is 1, as after global pooling).
///
/// Before: `%y = Conv(%x : [1,3,8,8], %w); %z = Flatten(%y)`
/// After:  `%t = Transpose(%x, [0,2,3,1]); %y = Conv[nhwc](%t, %w) : [1,8,8,16];
///          %u = Transpose(%y, [0,3,1,2]); %z = Flatten(%u)`
///
/// Guards: needs inferred types (run after type inference); graph inputs and outputs keep
/// their NCHW types; Resize needs constant scales/sizes to be switched.
public struct ConvertToNHWC: GraphPass {
    public let name = "convert-to-nhwc"
    public init() {}

    static let toPhysical = [0, 2, 3, 1]
    static let toLogical = [0, 3, 1, 2]

    public func run(on graph: inout Graph) throws -> Bool {
        var state = State(graph: graph)
        var changed = false
        for node in graph.nodes {
            changed = try state.visit(node) || changed
        }
        state.finishOutputs()
        guard changed else { return false }
        graph.nodes = state.nodes
        graph.initializers = state.graph.initializers
        graph.quantization = state.graph.quantization
        try graph.inferTypes()
        return true
    }

    /// Logical axis `a` of a rank-4 value → its physical axis in NHWC.
    static func physicalAxis(_ a: Int) -> Int { toPhysical.firstIndex(of: a)! }

    struct State {
        var graph: Graph
        let logicalTypes: [String: TensorType]
        var nodes: [Node] = []
        var nhwc = Set<String>()
        var asNHWC: [String: String] = [:]
        var asNCHW: [String: String] = [:]

        init(graph: Graph) {
            self.graph = graph
            var types = graph.types
            for i in graph.inputs { types[i.name] = i.type }
            for (k, t) in graph.initializers { types[k] = t.type }
            self.logicalTypes = types
        }

        func rank(_ v: String) -> Int? { logicalTypes[v]?.rank }

        func elementCount(_ v: String) -> Int? {
            (graph.initializers[v]?.type ?? logicalTypes[v])?.staticShape?.reduce(1, *)
        }

        /// Name of `v` in NHWC layout, inserting a transpose (or permuting a constant).
        mutating func needNHWC(_ v: String) throws -> String {
            if nhwc.contains(v) { return v }
            if let m = asNHWC[v] { return m }
            let name = graph.freshName("\(v)::nhwc")
            if let c = graph.initializers[v] {
                graph.initializers[name] = try permute(c, ConvertToNHWC.toPhysical)
                copyQuantization(from: v, to: name, rankPadding: 0)
            } else {
                nodes.append(Node(name: name, op: .transpose(perm: ConvertToNHWC.toPhysical), inputs: [v], outputs: [name]))
            }
            // Reserve the name so later fresh names do not collide.
            graph.types[name] = logicalTypes[v]
            nhwc.insert(name)
            asNHWC[v] = name
            return name
        }

        /// Name of `v` in NCHW (logical) layout.
        mutating func needNCHW(_ v: String, forReshape: Bool = false) -> String {
            guard nhwc.contains(v) else { return v }
            if let m = asNCHW[v] { return m }
            let name = graph.freshName("\(v)::nchw")
            if let shape = logicalTypes[v]?.staticShape, Self.sameMemoryOrder(shape) {
                let shapeName = graph.freshName("\(v)::shape")
                graph.initializers[shapeName] = Tensor(shape: [4], ints: shape.map { Int64($0) })
                nodes.append(Node(name: name, op: .reshape(allowZero: false), inputs: [v, shapeName], outputs: [name]))
            } else {
                nodes.append(Node(name: name, op: .transpose(perm: ConvertToNHWC.toLogical), inputs: [v], outputs: [name]))
            }
            graph.types[name] = logicalTypes[v]
            asNCHW[v] = name
            return name
        }

        /// NCHW and NHWC hold the same byte order when at most one of C, H, W exceeds 1,
        /// or C is 1.
        static func sameMemoryOrder(_ s: [Int]) -> Bool {
            guard s.count == 4 else { return false }
            return s[1] == 1 || [s[1], s[2], s[3]].filter { $0 > 1 }.count <= 1
        }

        func permute(_ t: Tensor, _ perm: [Int]) throws -> Tensor {
            let node = Node(name: "permute", op: .transpose(perm: perm), inputs: ["x"], outputs: ["y"])
            return try ReferenceInterpreter.evaluate(node, inputs: [t])[0]
        }

        /// The quantization of a constant permuted to NHWC (after `rankPadding` leading 1s):
        /// a per-axis one names the physical axis. Conv weights never come here (they stay OIHW).
        mutating func copyQuantization(from v: String, to name: String, rankPadding: Int) {
            guard var q = graph.quantization[v] else { return }
            if let a = q.axis { q.axis = ConvertToNHWC.physicalAxis(a + rankPadding) }
            graph.quantization[name] = q
        }

        /// A constant broadcast operand of a rank-4 op, as NHWC.
        func permuteBroadcastConstant(_ t: Tensor) throws -> Tensor? {
            guard t.shape.count <= 4 else { return nil }
            var u = t
            u.shape = [Int](repeating: 1, count: 4 - t.shape.count) + t.shape
            return try permute(u, ConvertToNHWC.toPhysical)
        }

        mutating func emitPlain(_ node: Node) {
            var n = node
            n.inputs = node.inputs.map { $0.isEmpty ? $0 : needNCHW($0) }
            nodes.append(n)
        }

        mutating func emitNHWC(_ node: Node, op: Op, inputs: [String]) {
            var n = node
            n.op = op
            n.inputs = inputs
            nodes.append(n)
            for o in n.outputs where !o.isEmpty { nhwc.insert(o) }
        }

        /// Returns true when the node was switched to NHWC.
        mutating func visit(_ node: Node) throws -> Bool {
            let x = node.input(0)
            let readsNHWC = node.inputs.contains { nhwc.contains($0) }
            switch node.op {
            case .conv(var a):
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                a.layout = .nhwc
                emitNHWC(node, op: .conv(a), inputs: [try needNHWC(x)] + node.inputs.dropFirst())
                return true
            case .convTranspose(var a):
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                a.layout = .nhwc
                emitNHWC(node, op: .convTranspose(a), inputs: [try needNHWC(x)] + node.inputs.dropFirst())
                return true
            case .averagePool(var a):
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                a.layout = .nhwc
                emitNHWC(node, op: .averagePool(a), inputs: [try needNHWC(x)])
                return true
            case .maxPool(var a):
                guard let x, rank(x) == 4, node.outputs.count == 1 else { emitPlain(node); return false }
                a.layout = .nhwc
                emitNHWC(node, op: .maxPool(a), inputs: [try needNHWC(x)])
                return true
            case .globalAveragePool:
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                emitNHWC(node, op: .globalAveragePool(layout: .nhwc), inputs: [try needNHWC(x)])
                return true
            case .globalMaxPool:
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                emitNHWC(node, op: .globalMaxPool(layout: .nhwc), inputs: [try needNHWC(x)])
                return true
            case .batchNormalization(let eps, _):
                guard let x, rank(x) == 4, node.outputs.count == 1 else { emitPlain(node); return false }
                emitNHWC(node, op: .batchNormalization(epsilon: eps, layout: .nhwc),
                         inputs: [try needNHWC(x)] + node.inputs.dropFirst())
                return true
            case .resize(var a):
                return try visitResize(node, &a)
            case .quantizeLinear, .dequantizeLinear:
                // Per-tensor conversions are element-wise; per-axis ones name a logical axis
                // and stay NCHW.
                guard let x, nhwc.contains(x), node.inputs.dropFirst().allSatisfy({ $0.isEmpty || elementCount($0) == 1 }) else {
                    emitPlain(node); return false
                }
                emitNHWC(node, op: node.op, inputs: node.inputs)
                return true
            case .unary, .clip, .leakyRelu, .elu, .hardSigmoid, .swish:
                guard let x, nhwc.contains(x) else { emitPlain(node); return false }
                emitNHWC(node, op: node.op, inputs: node.inputs)
                return true
            case .binary, .prelu:
                return try visitBroadcasting(node, readsNHWC: readsNHWC)
            case .concat(let axis):
                guard readsNHWC, node.inputs.allSatisfy({ rank($0) == 4 }) else { emitPlain(node); return false }
                var ins: [String] = []
                for v in node.inputs { ins.append(try needNHWC(v)) }
                let a = ConvertToNHWC.physicalAxis(axis < 0 ? axis + 4 : axis)
                emitNHWC(node, op: .concat(axis: a), inputs: ins)
                return true
            case .softmax(let axis, let legacy):
                guard let x, nhwc.contains(x), !legacy else { emitPlain(node); return false }
                emitNHWC(node, op: .softmax(axis: ConvertToNHWC.physicalAxis(axis < 0 ? axis + 4 : axis), legacyCoerce2D: false),
                         inputs: [x])
                return true
            case .reduce(let r, let keepDims, let noop):
                return visitReduce(node, r, keepDims: keepDims, noop: noop)
            case .pad:
                return try visitPad(node)
            case .transpose(let perm):
                guard let x, nhwc.contains(x) else { emitPlain(node); return false }
                let p = perm ?? [3, 2, 1, 0]
                var n = node
                // out[i] = logical[p[i]] = physical[physicalAxis(p[i])]
                n.op = .transpose(perm: p.map { ConvertToNHWC.physicalAxis($0) })
                nodes.append(n)
                return true
            case .slice:
                return visitSlice(node)
            case .gather(let axis):
                // 1-D constant indices keep the rank: the gather stays NHWC on the physical axis.
                guard let x, nhwc.contains(x), rank(x) == 4, axis >= -4, axis < 4,
                      let i = node.input(1), let t = graph.initializers[i], t.shape.count == 1 else {
                    emitPlain(node)
                    return false
                }
                emitNHWC(node, op: .gather(axis: ConvertToNHWC.physicalAxis(axis < 0 ? axis + 4 : axis)), inputs: node.inputs)
                return true
            case .depthSpace(var a):
                guard let x, rank(x) == 4 else { emitPlain(node); return false }
                a.layout = .nhwc
                var ins = node.inputs
                ins[0] = try needNHWC(x)
                emitNHWC(node, op: .depthSpace(a), inputs: ins)
                return true
            case .compare, .select, .gemm, .matMul, .flatten, .reshape, .squeeze, .unsqueeze, .shape,
                 .cast, .constantOfShape, .expand, .identity, .dropout, .batchNormalizationTraining,
                 .layerNormalization, .split, .mod, .gelu, .unsupported:
                emitPlain(node)
                return false
            }
        }

        mutating func visitBroadcasting(_ node: Node, readsNHWC: Bool) throws -> Bool {
            guard readsNHWC else { emitPlain(node); return false }
            var ins: [String] = []
            for v in node.inputs {
                if nhwc.contains(v) { ins.append(v); continue }
                if let c = graph.initializers[v], let p = try permuteBroadcastConstant(c) {
                    let name = graph.freshName("\(v)::nhwc")
                    graph.initializers[name] = p
                    copyQuantization(from: v, to: name, rankPadding: 4 - c.shape.count)
                    ins.append(name)
                    continue
                }
                if rank(v) == 4 { ins.append(try needNHWC(v)); continue }
                emitPlain(node)
                return false
            }
            emitNHWC(node, op: node.op, inputs: ins)
            return true
        }

        mutating func visitReduce(_ node: Node, _ r: ReduceOp, keepDims: Bool, noop: Bool) -> Bool {
            guard let x = node.input(0), nhwc.contains(x) else { emitPlain(node); return false }
            var axes: [Int]
            if let a = node.input(1) {
                guard let c = graph.initializers[a] else { emitPlain(node); return false }
                axes = c.ints.map { Int($0) < 0 ? Int($0) + 4 : Int($0) }
            } else {
                axes = noop ? [] : [0, 1, 2, 3]
            }
            if axes.isEmpty && noop {
                emitNHWC(node, op: node.op, inputs: [x])
                return true
            }
            let phys = axes.map { ConvertToNHWC.physicalAxis($0) }.sorted()
            let axesName = graph.freshName("\(node.name)::axes_nhwc")
            graph.initializers[axesName] = Tensor(shape: [phys.count], ints: phys.map { Int64($0) })
            if keepDims {
                emitNHWC(node, op: node.op, inputs: [x, axesName])
                return true
            }
            // Without keepDims the result is plain only if the kept axes stay in logical order.
            let kept = ConvertToNHWC.toPhysical.filter { !axes.contains($0) }
            guard kept == kept.sorted() else { emitPlain(node); return false }
            var n = node
            n.inputs = [x, axesName]
            nodes.append(n)
            return true
        }

        mutating func visitPad(_ node: Node) throws -> Bool {
            guard let x = node.input(0), nhwc.contains(x), node.input(3) == nil,
                  let p = node.input(1).flatMap({ graph.initializers[$0] }), p.count == 8 else {
                emitPlain(node)
                return false
            }
            let v = p.ints
            let order = ConvertToNHWC.toPhysical
            let permuted = order.map { v[$0] } + order.map { v[4 + $0] }
            let name = graph.freshName("\(node.name)::pads_nhwc")
            graph.initializers[name] = Tensor(shape: [8], ints: permuted)
            var ins = node.inputs
            ins[1] = name
            emitNHWC(node, op: node.op, inputs: ins)
            return true
        }

        /// A Slice of an NHWC map with constant bounds stays NHWC: its axes are renamed to
        /// the physical ones (a channel slice becomes a last-axis slice, which the runtime
        /// copies as strided rows); starts, ends and steps are per axis and keep their values.
        mutating func visitSlice(_ node: Node) -> Bool {
            guard let x = node.input(0), nhwc.contains(x), rank(x) == 4,
                  (1...4).allSatisfy({ i in node.input(i).map { graph.initializers[$0] != nil } ?? (i > 2) }),
                  let starts = node.input(1).flatMap({ graph.initializers[$0] }) else {
                emitPlain(node)
                return false
            }
            let logical = node.input(3).flatMap { graph.initializers[$0] }.map { $0.ints.map { Int($0) } }
                ?? Array(0..<starts.count)
            guard logical.allSatisfy({ $0 >= -4 && $0 < 4 }) else { emitPlain(node); return false }
            let physical = logical.map { ConvertToNHWC.physicalAxis($0 < 0 ? $0 + 4 : $0) }
            let name = graph.freshName("\(node.name)::axes_nhwc")
            graph.initializers[name] = Tensor(shape: [physical.count], ints: physical.map { Int64($0) })
            var ins = node.inputs
            while ins.count < 4 { ins.append("") }
            ins[3] = name
            emitNHWC(node, op: node.op, inputs: ins)
            return true
        }

        /// Resize's roi/scales/sizes/axes keep referring to the logical (NCHW) axes in the IR,
        /// whatever the layout, so only the data input changes.
        mutating func visitResize(_ node: Node, _ a: inout ResizeAttributes) throws -> Bool {
            guard let x = node.input(0), rank(x) == 4 else { emitPlain(node); return false }
            var ins = node.inputs
            ins[0] = try needNHWC(x)
            a.layout = .nhwc
            emitNHWC(node, op: .resize(a), inputs: ins)
            return true
        }

        /// Graph outputs produced in NHWC are renamed and transposed back.
        mutating func finishOutputs() {
            for out in graph.outputs where nhwc.contains(out.name) {
                let inner = graph.freshName("\(out.name)::nhwc_out")
                for i in nodes.indices {
                    for j in nodes[i].outputs.indices where nodes[i].outputs[j] == out.name { nodes[i].outputs[j] = inner }
                    for j in nodes[i].inputs.indices where nodes[i].inputs[j] == out.name { nodes[i].inputs[j] = inner }
                }
                graph.types[inner] = logicalTypes[out.name]
                nodes.append(Node(name: "\(out.name)::to_nchw", op: .transpose(perm: ConvertToNHWC.toLogical),
                                  inputs: [inner], outputs: [out.name]))
            }
        }
    }
}
