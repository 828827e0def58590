import Loupe

extension Graph {
    /// Infers the types of every node it can, in order, and keeps going past a node it cannot
    /// type (an `.unsupported` op, a shape that does not fit): that node's outputs, and those
    /// of nodes fed by them, stay untyped. Returns one line per node that failed by itself,
    /// plus counts of the unsupported nodes (listed elsewhere) and of the nodes left untyped
    /// downstream. Mirrors `inferTypes(constantEvaluator:)`
    /// (same constant propagation of small shape computations), which stops at the first error.
    mutating func inferTypesBestEffort() -> [String] {
        var inferred: [String: TensorType] = [:]
        var known: [String: Tensor] = [:]
        for input in inputs { inferred[input.name] = input.type }
        var failures: [String] = []
        var downstream = 0
        var unsupported = 0
        for node in nodes {
            var inputTypes: [TensorType?] = []
            var constants: [Tensor?] = []
            var complete = true
            for name in node.inputs {
                if name.isEmpty {
                    inputTypes.append(nil)
                    constants.append(nil)
                    continue
                }
                let constant = initializers[name] ?? known[name]
                guard let type = constant?.type ?? inferred[name] else {
                    complete = false
                    break
                }
                inputTypes.append(type)
                constants.append(constant)
            }
            guard complete else {
                downstream += 1
                continue
            }
            if case .unsupported = node.op {
                unsupported += 1
                continue
            }
            let outputTypes: [TensorType]
            do {
                outputTypes = try inferOutputTypes(node: node, inputTypes: inputTypes, constants: constants)
            } catch {
                failures.append("\(error)")
                continue
            }
            for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty {
                inferred[name] = type
            }
            if case .shape(let start, let end) = node.op, let shape = inputTypes.first??.staticShape,
               let output = node.outputs.first, !output.isEmpty {
                let range = Self.shapeRange(rank: shape.count, start: start, end: end)
                known[output] = Tensor(shape: [range.count], ints: range.map { Int64(shape[$0]) })
            } else if !node.inputs.isEmpty, zip(node.inputs, constants).allSatisfy({ $0.0.isEmpty || $0.1 != nil }),
                      outputTypes.allSatisfy({ ($0.staticShape?.reduce(1, *) ?? .max) <= 4096 }),
                      let values = try? ReferenceInterpreter.evaluate(node, inputs: constants) {
                for (name, value) in zip(node.outputs, values) where !name.isEmpty {
                    known[name] = value
                }
            }
        }
        types = inferred
        if unsupported > 0 {
            failures.append("\(unsupported) node(s) of ops Loupe cannot represent have no output type (listed as unsupported)")
        }
        if downstream > 0 {
            failures.append("\(downstream) more node(s) have no type because an input comes from a node above")
        }
        return failures
    }
}
