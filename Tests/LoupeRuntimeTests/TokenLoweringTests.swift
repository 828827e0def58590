import XCTest
import LoupeIR
import LoupeReference
@testable import LoupeRuntime

/// What a text encoder runs besides its float layers: an embedding table gathered by int64
/// token ids given at run time, a Cast of the int64 attention mask, a comparison and Where
/// building an additive mask, ReduceSum over tokens. Against the reference interpreter.
final class TokenLoweringTests: XCTestCase {
    /// ids [1, 6] → Gather(table [50, 8]) → ×Cast(mask)ᵀ → ReduceSum over tokens; and
    /// Where(Equal(mask, 0), -1e4, 0) as the additive attention mask.
    func tokenGraph() throws -> (Graph, [String: Tensor]) {
        var b = G(seed: 900)
        b.graph.inputs.append(ValueInfo(name: "ids", type: TensorType(.int64, shape: [1, 6])))
        b.graph.inputs.append(ValueInfo(name: "mask", type: TensorType(.int64, shape: [1, 6])))
        let table = b.constant("table", [50, 8])
        b.node(.gather(axis: 0), [table, "ids"], "embedded")
        b.node(.unsqueeze, ["mask", b.ints("axes", [2])], "mask3")
        b.node(.cast(to: .float32), ["mask3"], "maskf")
        b.node(.binary(.mul), ["embedded", "maskf"], "masked")
        b.node(.reduce(.sum, keepDims: false, noopWithEmptyAxes: false), ["masked", b.ints("tokens", [1])], "pooled")
        b.node(.compare(.equal), ["mask", b.constant("zero", Tensor(shape: [], ints: [0]))], "padding")
        b.node(.select, ["padding", b.constant("big", Tensor(shape: [], floats: [-1e4])),
                         b.constant("none", Tensor(shape: [], floats: [0]))], "additive")
        let g = try b.finish(["pooled", "additive", "ids"])
        let feeds = ["ids": Tensor(shape: [1, 6], ints: [3, 49, 0, 7, -1, 12]),
                     "mask": Tensor(shape: [1, 6], ints: [1, 1, 1, 1, 0, 0])]
        return (g, feeds)
    }

    func testEmbeddingCastMaskAndSumMatchTheReference() throws {
        let (g, feeds) = try tokenGraph()
        let want = try ReferenceInterpreter.run(g, inputs: feeds)
        for threads in [1, 2] {
            let ex = try Executor(graph: g, threads: threads)
            let got = try ex.run(feeds)
            for (name, w) in want {
                let y = try XCTUnwrap(got[name], name)
                XCTAssertEqual(y.dtype, w.dtype, name)
                XCTAssertEqual(y.shape, w.shape, name)
                if w.dtype.isFloat {
                    for (a, e) in zip(y.floats, w.floats) { XCTAssertEqual(a, e, accuracy: 1e-5 * max(1, abs(e)), name) }
                } else {
                    XCTAssertEqual(y.ints, w.ints, name)
                }
            }
            let placements = Dictionary(uniqueKeysWithValues: ex.steps.map { ($0.node, $0.placement) })
            XCTAssertEqual(placements["embedded"], .kernel("loupe_gather"))
            XCTAssertEqual(placements["maskf"], .kernel("loupe_convert"))
            XCTAssertEqual(placements["pooled"], .kernel("loupe_f32_global_sum_pool_nwc"))
            XCTAssertEqual(placements["additive"], .kernel("loupe_where"))
        }
    }

    /// A token id outside the table fails the run with an error naming the node; the next
    /// run with good ids works.
    func testTokenIdOutsideTheTableIsAnError() throws {
        let (g, feeds) = try tokenGraph()
        let ex = try Executor(graph: g, threads: 1)
        var bad = feeds
        bad["ids"] = Tensor(shape: [1, 6], ints: [3, 50, 0, 7, 1, 2])
        XCTAssertThrowsError(try ex.run(bad)) { error in
            XCTAssertTrue("\(error)".contains("embedded") && "\(error)".contains("[-50, 50)"), "\(error)")
        }
        XCTAssertNoThrow(try ex.run(feeds))
    }
}
