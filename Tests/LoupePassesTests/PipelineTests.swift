import Foundation
import XCTest
import LoupeIR
@testable import LoupePasses

/// The pipeline as a list: its order is the one docs/architecture.md states, and a pass that
/// breaks the graph is named.
final class PipelineTests: XCTestCase {
    /// A pass that renames a node's input to a value nothing defines.
    struct BreaksTheGraph: GraphPass {
        let name = "breaks-the-graph"
        func run(on graph: inout Graph) throws -> Bool {
            graph.nodes[0].inputs[0] = "nowhere"
            return true
        }
    }

    func reluGraph() -> Graph {
        var g = Graph(name: "relu")
        g.inputs = [ValueInfo(name: "x", type: TensorType(.float32, shape: [1, 4]))]
        g.outputs = [ValueInfo(name: "y", type: TensorType(.float32, shape: [1, 4]))]
        g.nodes = [Node(name: "relu", op: .unary(.relu), inputs: ["x"], outputs: ["y"])]
        return g
    }

    func testABrokenGraphNamesThePass() throws {
        var g = reluGraph()
        try g.inferTypes()
        XCTAssertThrowsError(try Pipeline.apply(BreaksTheGraph(), to: &g, verify: true)) { error in
            XCTAssertTrue("\(error)".contains("after pass breaks-the-graph"), "\(error)")
        }
    }

    func testAPassThatChangesNothingIsNotChecked() throws {
        var g = reluGraph()
        try g.inferTypes()
        XCTAssertFalse(try Pipeline.apply(RemoveIdentity(), to: &g, verify: true))
    }

    func testDebugBuildsVerifyEachPass() {
        XCTAssertEqual(Pipeline.Options().verifyEachPass, _isDebugAssertConfiguration())
    }

    func testLayoutPassesRunOnlyForNHWC() {
        let nchw = Pipeline.passNames(.init(convertToNHWC: false))
        XCTAssertFalse(nchw.contains("convert-to-nhwc"))
        XCTAssertFalse(nchw.contains("lift-1d"))
        XCTAssertTrue(Pipeline.passNames().contains("convert-to-nhwc"))
    }

    /// docs/architecture.md lists the steps as "N. `name` — why"; the list must be the code's.
    func testArchitectureDocListsThePassesInOrder() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/architecture.md").standardized
        let text = try String(contentsOf: doc, encoding: .utf8)
        let section = try XCTUnwrap(text.components(separatedBy: "## Pipeline (LoupePasses)").last)
        let regex = try NSRegularExpression(pattern: #"^\d+\. `([a-z0-9-]+)`"#, options: [.anchorsMatchLines])
        let body = section.components(separatedBy: "\n## ").first ?? section
        let names = regex.matches(in: body, range: NSRange(body.startIndex..., in: body)).map {
            String(body[Range($0.range(at: 1), in: body)!])
        }
        XCTAssertEqual(names, Pipeline.passNames(), "docs/architecture.md's pipeline list differs from Pipeline.steps")
    }
}
