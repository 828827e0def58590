import LoupeIR

/// Removes back-to-back transposes that undo each other and merges the others.
///
/// Before: `%a = Transpose(%x, [0,3,1,2]); %b = Transpose(%a, [0,2,3,1]); %y = Relu(%b)`
/// After:  `%y = Relu(%x)`
///
/// Guards: the second transpose's output is not a graph output (it is then merged into
/// one transpose instead of removed).
public struct CancelTransposes: GraphPass {
    public let name = "cancel-transposes"
    public init() {}

    public func run(on graph: inout Graph) throws -> Bool {
        var changed = false
        let producers = graph.producers()
        for i in graph.nodes.indices {
            let second = graph.nodes[i]
            guard case .transpose(let p2) = second.op, let p2, let a = second.input(0),
                  let pi = producers[a], case .transpose(let p1) = graph.nodes[pi].op, let p1,
                  p1.count == p2.count, let x = graph.nodes[pi].input(0) else { continue }
            // y[i] = a[p2[i]] = x[p1[p2[i]]]
            let composed = p2.map { p1[$0] }
            if composed == Array(0..<composed.count), !graph.isGraphOutput(second.outputs[0]) {
                graph.replaceUses(of: second.outputs[0], with: x)
            } else {
                graph.nodes[i].op = .transpose(perm: composed)
                graph.nodes[i].inputs = [x]
            }
            changed = true
        }
        if changed { _ = try EliminateDeadCode().run(on: &graph) }
        return changed
    }
}
