import LoupeIR
import LoupeReference

/// Rewrites the Gemm forms XNNPACK's fully-connected operator cannot take into ones it can:
/// a transposed activation A gets an explicit Transpose, a C that is not a per-column bias
/// becomes an Add after the product, and a non-constant B turns the Gemm into a MatMul.
///
/// Before: `%y = Gemm(%a, %b, %c : [M,N]) [transA, alpha=0.5, beta=2]`
/// After:  `%t = Transpose(%a, [1,0]); %p = Gemm(%t, %b) [alpha=0.5]; %y = Add(%p, 2·%c)`
///
/// Guards: runs before `FuseActivations` (so no output clamp has to move past the Add);
/// Gemms already in fully-connected form (constant B, per-column or absent C, A not
/// transposed or a vector) are left alone. A DequantizeLinear of a constant counts as a
/// constant (a QDQ model's weights, folded into an int8 Gemm later).
public struct CanonicalizeGemm: GraphPass {
    public let name = "canonicalize-gemm"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        var out: [Node] = []
        // `graph.nodes` is only replaced after the loop, so one map serves every Gemm.
        let producers = graph.producers()
        for node in graph.nodes {
            guard case .gemm(let attrs) = node.op, attrs.outputMin == -.infinity, attrs.outputMax == .infinity,
                  let a = node.input(0), let b = node.input(1),
                  let aShape = graph.type(of: a)?.staticShape, aShape.count == 2,
                  let bShape = graph.type(of: b)?.staticShape, bShape.count == 2 else {
                out.append(node)
                continue
            }
            let n = attrs.transB ? bShape[0] : bShape[1]
            func isConstant(_ v: String) -> Bool {
                if graph.initializers[v] != nil { return true }
                guard let p = producers[v], case .dequantizeLinear = graph.nodes[p].op else { return false }
                return graph.nodes[p].inputs.allSatisfy { $0.isEmpty || graph.initializers[$0] != nil }
            }
            let bConstant = isConstant(b)
            let c = attrs.beta != 0 ? node.input(2) : nil
            let cPerColumn: Bool = {
                guard let c else { return true }
                guard isConstant(c), let shape = graph.type(of: c)?.staticShape else { return false }
                return shape.reduce(1, *) == 1 || Array(shape.drop { $0 == 1 }) == [n]
            }()
            let aIsVector = aShape[0] == 1 || aShape[1] == 1
            let needTransA = attrs.transA && !aIsVector
            if bConstant && cPerColumn && !needTransA {
                out.append(node)
                continue
            }
            changed = true
            let y = node.outputs[0]
            func fresh(_ suffix: String) -> String { graph.freshName("\(node.name)::\(suffix)") }
            func reserve(_ name: String) { graph.types[name] = TensorType(.float32, []) }
            func transposed(_ v: String, _ suffix: String) -> String {
                let t = fresh(suffix)
                reserve(t)
                out.append(Node(name: t, op: .transpose(perm: [1, 0]), inputs: [v], outputs: [t], origin: node.origin))
                return t
            }

            let lhs = attrs.transA ? transposed(a, "a_t") : a
            let keepC = bConstant && cPerColumn && c != nil
            let needAdd = c != nil && !keepC
            let product = needAdd ? fresh("product") : y
            if needAdd { reserve(product) }
            if bConstant {
                var g = attrs
                g.transA = false
                if !keepC { g.beta = 1 }
                out.append(Node(name: node.name, op: .gemm(g), inputs: keepC ? [lhs, b, c!] : [lhs, b],
                                outputs: [product], origin: node.origin))
            } else {
                let rhs = attrs.transB ? transposed(b, "b_t") : b
                let mm = attrs.alpha == 1 ? product : fresh("matmul")
                if attrs.alpha != 1 { reserve(mm) }
                out.append(Node(name: node.name, op: .matMul, inputs: [lhs, rhs], outputs: [mm], origin: node.origin))
                if attrs.alpha != 1 {
                    let alpha = fresh("alpha")
                    graph.initializers[alpha] = Tensor(shape: [], floats: [attrs.alpha])
                    out.append(Node(name: "\(node.name)::scale", op: .binary(.mul), inputs: [mm, alpha],
                                    outputs: [product], origin: node.origin))
                }
            }
            if needAdd, let c {
                var addend = c
                if attrs.beta != 1 {
                    if let ct = graph.initializers[c] {
                        addend = fresh("c_scaled")
                        var scaled = ct
                        scaled.storage = .float(ct.floats.map { $0 * attrs.beta })
                        scaled.dtype = .float32
                        graph.initializers[addend] = scaled
                    } else {
                        let beta = fresh("beta")
                        graph.initializers[beta] = Tensor(shape: [], floats: [attrs.beta])
                        addend = fresh("c_scaled")
                        reserve(addend)
                        out.append(Node(name: "\(node.name)::beta", op: .binary(.mul), inputs: [c, beta],
                                        outputs: [addend], origin: node.origin))
                    }
                }
                out.append(Node(name: "\(node.name)::bias", op: .binary(.add), inputs: [product, addend],
                                outputs: [y], origin: node.origin))
            }
        }
        graph.nodes = out
        return changed
    }
}
