import LoupeIR
import LoupeReference

// The preparation steps of FoldQuantization: uint8 codes onto int8, DequantizeLinear moved
// below data movement, QuantizeLinear moved above it, and DQ→Q pairs that change nothing
// removed. Together they make every int8-capable op sit directly between a DQ and a Q.

extension FoldQuantization {
    /// Maps uint8 codes onto int8 (`q − 128` with zero point `zp − 128`, which dequantizes to
    /// the same reals) for every uint8 value that a QuantizeLinear produces or that is a
    /// constant, when all of its readers are DequantizeLinear nodes.
    ///
    /// Before: `%q : u8 = Q(%x, %s, %z = 128 : u8); %d = DQ(%q, %s, %z)`
    /// After:  `%q : i8 = Q(%x, %s, %z8 = 0 : i8); %d = DQ(%q, %s, %z8)`
    ///
    /// Guards: the value is not a graph input or output (their types are the interface);
    /// every reader is a DequantizeLinear with constant parameters reading it as its codes.
    func normalizeUInt8(_ graph: inout Graph) -> Bool {
        let consumers = graph.consumers()
        let producers = graph.producers()
        var candidates: [String] = []
        for node in graph.nodes where node.op.isQuantize {
            if let p = try? graph.qdqOperands(of: node), p.codeType == .uint8 { candidates.append(node.outputs[0]) }
        }
        candidates += graph.initializers.filter { $0.value.dtype == .uint8 }.keys.sorted()
        var zeroPoints: [String: String] = [:]
        var changed = false
        for v in candidates {
            guard !graph.isGraphOutput(v), !graph.inputs.contains(where: { $0.name == v }),
                  let readers = consumers[v], !readers.isEmpty else { continue }
            var readerParams: [(Int, QDQOperands)] = []
            for r in readers {
                let n = graph.nodes[r]
                guard n.op.isDequantize, n.inputs[0] == v, !n.inputs.dropFirst().contains(v),
                      let p = try? graph.qdqOperands(of: n), p.codeType == .uint8 else { break }
                readerParams.append((r, p))
            }
            guard readerParams.count == readers.count else { continue }
            if let p = producers[v] {
                guard let params = try? graph.qdqOperands(of: graph.nodes[p]) else { continue }
                setZeroPoint(int8ZeroPoint(params, &graph, cache: &zeroPoints), node: p, in: &graph)
            } else if let c = graph.initializers[v] {
                graph.initializers[v] = Tensor(shape: c.shape, ints: c.ints.map { $0 - 128 }, dtype: .int8)
            } else {
                continue
            }
            for (r, params) in readerParams {
                setZeroPoint(int8ZeroPoint(params, &graph, cache: &zeroPoints), node: r, in: &graph)
            }
            changed = true
        }
        return changed
    }

    private func int8ZeroPoint(_ p: QDQOperands, _ graph: inout Graph, cache: inout [String: String]) -> String {
        let key = p.zeroPointName.isEmpty ? "\u{0}absent:\(p.scaleName)" : p.zeroPointName
        if let name = cache[key] { return name }
        let shape = graph.initializers[p.scaleName]?.shape ?? []
        let name = graph.freshName((p.zeroPointName.isEmpty ? p.scaleName : p.zeroPointName) + "::s8")
        graph.initializers[name] = Tensor(shape: shape, ints: p.zeroPoints.map { Int64($0) - 128 }, dtype: .int8)
        cache[key] = name
        return name
    }

    private func setZeroPoint(_ name: String, node i: Int, in graph: inout Graph) {
        while graph.nodes[i].inputs.count < 3 { graph.nodes[i].inputs.append("") }
        graph.nodes[i].inputs[2] = name
    }

    /// One sweep of the three moves; true when any of them changed the graph.
    func moveConversions(_ graph: inout Graph) throws -> Bool {
        var changed = try hoistDequantize(&graph)
        changed = sinkQuantize(&graph) || changed
        changed = cancelPairs(&graph) || changed
        return changed
    }

    /// Moves a per-tensor DequantizeLinear below a data-movement op, so that the op runs on
    /// int8 codes and its consumer sees a DQ. Constant codes are moved ahead of time (a
    /// per-axis constant through a Transpose gets its axis permuted).
    ///
    /// Before: `%d = DQ(%q, %s, %z); %y = Flatten(%d)`
    /// After:  `%f = Flatten(%q); %y = DQ(%f, %s, %z)`
    ///
    /// Guards: the op's other inputs (shape, axes) are constants; non-constant codes are
    /// dequantized per tensor. The original DQ stays for its other readers.
    func hoistDequantize(_ graph: inout Graph) throws -> Bool {
        var changed = false
        var producers = graph.producers()
        var i = 0
        while i < graph.nodes.count {
            let m = graph.nodes[i]
            i += 1
            guard m.op.isDataMovement, m.outputs.count == 1, let d = m.input(0), let p = producers[d],
                  graph.nodes[p].op.isDequantize,
                  graph.hasConstantOperands(m),
                  let params = try? graph.qdqOperands(of: graph.nodes[p]) else { continue }
            let codes = graph.nodes[p].inputs[0]
            let y = m.outputs[0]
            let zp = params.zeroPointName.isEmpty ? [] : [params.zeroPointName]
            if let c = graph.initializers[codes] {
                var axis = params.axis
                if let a = params.axis {
                    guard case .transpose(let perm) = m.op else { continue }
                    let p = perm ?? Array((0..<c.shape.count).reversed())
                    axis = p.firstIndex(of: a)
                }
                let inputs: [Tensor?] = [c] + m.inputs.dropFirst().map { $0.isEmpty ? nil : graph.initializers[$0] }
                guard let moved = try? ReferenceInterpreter.evaluate(m, inputs: inputs).first else { continue }
                let name = graph.freshName("\(y)::codes")
                graph.initializers[name] = moved
                graph.nodes[i - 1] = Node(name: "\(m.name)::dq", op: .dequantizeLinear(axis: axis ?? 1),
                                          inputs: [name, params.scaleName] + zp, outputs: [y], origin: m.origin)
            } else {
                guard params.isPerTensor else { continue }
                let yq = graph.reserveFreshName("\(y)::q", type: TensorType(params.codeType, []))
                var moved = m
                moved.inputs[0] = codes
                moved.outputs = [yq]
                graph.nodes[i - 1] = moved
                graph.nodes.insert(Node(name: "\(m.name)::dq", op: .dequantizeLinear(axis: 1),
                                        inputs: [yq, params.scaleName] + zp, outputs: [y], origin: m.origin), at: i)
                i += 1
            }
            producers = graph.producers()
            changed = true
        }
        return changed
    }

    /// Moves a per-tensor QuantizeLinear above a data-movement op whose input a computing
    /// node produces, so that node sees a Q directly.
    ///
    /// Before: `%c = Conv(…); %r = Reshape(%c, %shape); %q = Q(%r, %s, %z)`
    /// After:  `%c = Conv(…); %cq = Q(%c, %s, %z); %q = Reshape(%cq, %shape)`
    ///
    /// Guards: the moved-over value has the Q as its only reader and is not a graph output;
    /// the op's other inputs are constants; its input comes from a node that is not a DQ
    /// (otherwise `hoistDequantize` applies and the pair cancels).
    func sinkQuantize(_ graph: inout Graph) -> Bool {
        var changed = false
        var producers = graph.producers()
        var j = 0
        while j < graph.nodes.count {
            let q = graph.nodes[j]
            j += 1
            guard q.op.isQuantize, let y = q.input(0), let p = producers[y], graph.nodes[p].op.isDataMovement,
                  graph.hasSingleNodeUse(y), let x = graph.nodes[p].input(0), let px = producers[x],
                  !graph.nodes[px].op.isDequantize, !graph.nodes[px].op.isQuantize,
                  graph.hasConstantOperands(graph.nodes[p]),
                  let params = try? graph.qdqOperands(of: q), params.isPerTensor else { continue }
            let m = graph.nodes[p]
            let xq = graph.reserveFreshName("\(x)::q", type: TensorType(params.codeType, []))
            var quantize = q
            quantize.inputs[0] = x
            quantize.outputs = [xq]
            var moved = m
            moved.inputs[0] = xq
            moved.outputs = q.outputs
            graph.nodes[p] = quantize
            graph.nodes.remove(at: j - 1)
            graph.nodes.insert(moved, at: p + 1)
            producers = graph.producers()
            changed = true
        }
        return changed
    }

    /// Removes `Q(DQ(%q))` when both use the same per-tensor parameters: the codes come out
    /// unchanged.
    ///
    /// Before: `%d = DQ(%q, %s, %z); %r = Q(%d, %s, %z); %y = Conv(DQ(%r, …), …)`
    /// After:  `%y = Conv(DQ(%q, …), …)`
    ///
    /// Guards: the Q's output is not a graph output.
    func cancelPairs(_ graph: inout Graph) -> Bool {
        var changed = false
        let producers = graph.producers()
        var removed = Set<Int>()
        for (j, q) in graph.nodes.enumerated() where q.op.isQuantize {
            guard let d = q.input(0), let p = producers[d], graph.nodes[p].op.isDequantize,
                  !graph.isGraphOutput(q.outputs[0]),
                  let pq = try? graph.qdqOperands(of: q), let pd = try? graph.qdqOperands(of: graph.nodes[p]),
                  pq.isPerTensor, pd.isPerTensor, pq.sameValues(as: pd) else { continue }
            graph.replaceUses(of: q.outputs[0], with: graph.nodes[p].inputs[0])
            removed.insert(j)
            changed = true
        }
        if changed { graph.nodes = graph.nodes.indices.filter { !removed.contains($0) }.map { graph.nodes[$0] } }
        return changed
    }
}
