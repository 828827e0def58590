import Foundation
import XCTest

import Loupe

/// Runs the ONNX backend node tests of onnx 1.22.0 (Fixtures/onnx-node, fetched by
/// tools/fixtures/fetch.sh) for every op of the FP32 scope, through the compiled runtime
/// (`Model.run`) and the reference interpreter (`Model.runReference`).
///
/// A test is in scope when its name starts with an in-scope op's name (NodeTestScope) and
/// its model holds only in-scope ops. Its first input is fed at run time; the others become
/// initializers when they are integer tensors (shapes, axes, pads, sizes: attributes in
/// exported models) or operands of ops other than Add/Sub/Mul/Div/Concat (conv and GEMM
/// weights, slopes, BatchNorm parameters), as they are in exported models.
///
/// Prints `ONNX node tests: N passed, N failed, N excluded` and fails when any test that is
/// not excluded (Exclusions.swift) fails. Writes every result as JSON to
/// `$LOUPE_CONFORMANCE_JSON` (default: a file in the temporary directory, printed) for
/// tools/reference/conformance_table.py.
///
/// Environment: `LOUPE_NODE_TESTS=conv,gemm_alpha` runs only tests whose names (without
/// `test_`) start with one of the prefixes; `LOUPE_NODE_TESTS_VERBOSE=1` prints each test
/// before it runs (to find one that crashes the process).
final class ONNXNodeTests: XCTestCase {
    struct Record: Codable {
        var name: String
        /// The in-scope op the test is named after.
        var op: String
        /// Op types the model holds.
        var ops: [String]
        /// passed | failed | excluded | other_ops
        var status: String
        var tolerance: String?
        var reason: String?
        /// "passed" or the error of the compiled runtime (`Model.run`).
        var runtime: String?
        /// "passed" or the error of the reference interpreter on the imported graph.
        var reference: String?
        var maxAbsError: Double?
        var nmse: Double?
    }

    struct Report: Codable {
        var onnxVersion = "1.22.0"
        var passed = 0
        var failed = 0
        var excluded = 0
        var usesOtherOps = 0
        var tests: [Record] = []
    }

    func testNodeTestsOfInScopeOps() throws {
        let root = try FixtureLocation.require("onnx-node", for: "ONNX node tests")
        let env = ProcessInfo.processInfo.environment
        let filters = (env["LOUPE_NODE_TESTS"] ?? "").split(separator: ",").map { String($0) }
        let verbose = env["LOUPE_NODE_TESTS_VERBOSE"] == "1"

        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { $0.hasPrefix("test_") }.sorted()
        XCTAssertFalse(names.isEmpty, "no test_* directories in \(root.path)")

        var report = Report()
        var inScope: Set<String> = []
        var failures: [String] = []
        for name in names {
            let dir = root.appendingPathComponent(name)
            let summary: ONNXModelSummary
            do {
                summary = try ONNXModelSummary(contentsOf: dir.appendingPathComponent("model.onnx").path)
            } catch {
                XCTFail("\(name): cannot read model.onnx: \(error)")
                continue
            }
            let ops = summary.opTypes.sorted()
            let namedOp = NodeTestScope.namedOp(testName: name) ?? "?"
            switch NodeTestScope.decide(testName: name, opTypes: summary.opTypes) {
            case .unrelated:
                continue
            case .usesOtherOps(let others):
                report.usesOtherOps += 1
                report.tests.append(Record(name: name, op: namedOp, ops: ops, status: "other_ops",
                                           reason: "uses ops outside the scope: \(others.joined(separator: ", "))"))
                continue
            case .inScope(let tolerance):
                inScope.insert(name)
                if let reason = NodeTestExclusions.reasons[name] {
                    report.excluded += 1
                    report.tests.append(Record(name: name, op: namedOp, ops: ops, status: "excluded", reason: reason))
                    continue
                }
                let bare = String(name.dropFirst(5))
                if !filters.isEmpty && !filters.contains(where: { bare.hasPrefix($0) }) { continue }
                if verbose { print("node test \(name) ...") }
                let defect = NodeTestDataDefects.absoluteTolerance[name]
                let runtimeSkip = NodeTestExclusions.referenceOnlyOps[namedOp]
                var record = Record(name: name, op: namedOp, ops: ops, status: "passed",
                                    tolerance: (defect.map { "|Δ| ≤ \($0.bound): \($0.reason)" } ?? tolerance.description)
                                        + (runtimeSkip.map { "; reference interpreter only: \($0)" } ?? ""))
                let outcome = run(testDir: dir, summary: summary, tolerance: tolerance, absoluteBound: defect?.bound,
                                  runtimeSkip: runtimeSkip)
                record.runtime = runtimeSkip.map { "not run: \($0)" } ?? outcome.runtime ?? "passed"
                record.reference = outcome.reference ?? "passed"
                record.maxAbsError = outcome.maxAbs
                record.nmse = outcome.nmse
                if let error = outcome.runtime ?? outcome.reference {
                    record.status = "failed"
                    record.reason = error
                    report.failed += 1
                    failures.append("\(name): \(error)")
                } else {
                    report.passed += 1
                }
                report.tests.append(record)
            }
        }

        if filters.isEmpty {
            for name in NodeTestExclusions.reasons.keys.sorted() where !inScope.contains(name) {
                XCTFail("Exclusions.swift names \(name), which is not an in-scope test of \(root.path)")
            }
            for name in NodeTestDataDefects.absoluteTolerance.keys.sorted() where !inScope.contains(name) {
                XCTFail("NodeTestDataDefects names \(name), which is not an in-scope test of \(root.path)")
            }
        }

        let jsonPath = env["LOUPE_CONFORMANCE_JSON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("loupe-conformance.json").path
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: jsonPath))

        for f in failures { print("node test FAILED: \(f)") }
        let filtered = filters.isEmpty ? "" : " (filtered: \(filters.joined(separator: ",")))"
        print("ONNX node tests: \(report.passed) passed, \(report.failed) failed, \(report.excluded) excluded\(filtered)"
              + " [\(report.usesOtherOps) more are named after in-scope ops but use others]; results in \(jsonPath)")
        XCTAssertEqual(report.failed, 0, "ONNX node tests failed:\n" + failures.joined(separator: "\n"))
    }

    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    struct Outcome {
        /// Errors of each path; nil when it matched.
        var runtime: String?
        var reference: String?
        /// Worst max |Δ| and NMSE over outputs of the paths that ran.
        var maxAbs = 0.0
        var nmse = 0.0
    }

    /// Runs one node test through the compiled runtime and, independently, through the
    /// reference interpreter on the imported graph, so that each path's result is known.
    /// `runtimeSkip` (NodeTestExclusions.referenceOnlyOps) leaves the runtime out, saying why.
    private func run(testDir: URL, summary: ONNXModelSummary, tolerance: ToleranceClass,
                     absoluteBound: Double?, runtimeSkip: String? = nil) -> Outcome {
        var outcome = Outcome()
        let prepared: (graph: Graph, feeds: [String: Tensor], expected: [Tensor])
        do {
            prepared = try prepare(testDir: testDir, summary: summary)
        } catch {
            outcome.runtime = "\(error)"
            outcome.reference = "\(error)"
            return outcome
        }
        func check(_ path: String, _ body: () throws -> [String: Tensor]) -> String? {
            do {
                let outputs = try body()
                for (i, want) in prepared.expected.enumerated() {
                    let name = summary.outputs[i].name
                    guard let got = outputs[name] else {
                        throw Mismatch(description: "\(path): no output '\(name)' (got \(outputs.keys.sorted()))")
                    }
                    let c = try compare(got, want, tolerance, absoluteBound: absoluteBound, what: "\(path) output '\(name)'")
                    outcome.maxAbs = max(outcome.maxAbs, c.maxAbs)
                    outcome.nmse = max(outcome.nmse, c.nmse)
                }
                return nil
            } catch {
                return "\(path): \(error)"
            }
        }
        let feeds = prepared.feeds
        if runtimeSkip == nil {
            outcome.runtime = check("runtime") {
                let model = try Model(graph: prepared.graph, options: CompileOptions(inputShapes: feeds.mapValues(\.shape)))
                return try model.run(feeds)
            }
        }
        outcome.reference = check("reference") {
            var graph = prepared.graph
            for (i, input) in graph.inputs.enumerated() {
                if let t = feeds[input.name] { graph.inputs[i].type = TensorType(input.type.dtype, shape: t.shape) }
            }
            try graph.inferTypes()
            return try ReferenceInterpreter.run(graph, inputs: feeds)
        }
        return outcome
    }

    /// Imports the model, reads the test data, and turns parameter inputs into initializers.
    private func prepare(testDir: URL, summary: ONNXModelSummary) throws -> (Graph, [String: Tensor], [Tensor]) {
        let set = testDir.appendingPathComponent("test_data_set_0")
        func tensors(_ prefix: String) throws -> [Tensor] {
            var out: [Tensor] = []
            while true {
                let file = set.appendingPathComponent("\(prefix)_\(out.count).pb")
                guard FileManager.default.fileExists(atPath: file.path) else { return out }
                out.append(try ONNXImporter.parseTensor(data: Data(contentsOf: file)))
            }
        }
        let inputs = try tensors("input")
        let expected = try tensors("output")
        let inputNames = summary.runtimeInputs.map(\.name)
        guard inputs.count <= inputNames.count, expected.count == summary.outputs.count else {
            throw Mismatch(description: "test data has \(inputs.count) inputs and \(expected.count) outputs; the model \(inputNames.count) and \(summary.outputs.count)")
        }
        var graph = try ONNXImporter.load(contentsOf: testDir.appendingPathComponent("model.onnx").path)
        var feeds: [String: Tensor] = [:]
        for (i, tensor) in inputs.enumerated() {
            let name = inputNames[i]
            if i > 0 && shouldBecomeInitializer(name, tensor, summary) {
                graph.initializers[name] = tensor
                graph.inputs.removeAll { $0.name == name }
            } else {
                feeds[name] = tensor
            }
        }
        return (graph, feeds, expected)
    }

    private func shouldBecomeInitializer(_ name: String, _ tensor: Tensor, _ summary: ONNXModelSummary) -> Bool {
        if case .int = tensor.storage { return true }
        return summary.nodes.contains { node in
            node.inputs.dropFirst().contains(name) && !NodeTestScope.runtimeOperandOps.contains(node.opType)
        }
    }

    struct Comparison {
        var maxAbs: Double
        var nmse: Double
    }

    /// Compares `got` with `want` under `tolerance` (see ToleranceClass), or per element
    /// within `absoluteBound` when given (NodeTestDataDefects); throws a message naming the
    /// worst element when they differ.
    func compare(_ got: Tensor, _ want: Tensor, _ tolerance: ToleranceClass, absoluteBound: Double? = nil,
                 what: String) throws -> Comparison {
        guard got.shape == want.shape else {
            throw Mismatch(description: "\(what): shape \(got.shape), expected \(want.shape)")
        }
        // Integer outputs (quantized codes) must have the expected type, not only the values.
        guard want.dtype.isFloat || got.dtype == want.dtype else {
            throw Mismatch(description: "\(what): dtype \(got.dtype), expected \(want.dtype)")
        }
        let a = got.floats, b = want.floats
        var maxAbs = 0.0, maxRef = 0.0, errSq = 0.0, refSq = 0.0
        var worstIndex = -1, worstExcess = 0.0
        for i in 0..<b.count {
            let x = Double(a[i]), y = Double(b[i])
            if x == y || (x.isNaN && y.isNaN) { maxRef = max(maxRef, y.isFinite ? abs(y) : 0); refSq += y.isFinite ? y * y : 0; continue }
            let d = abs(x - y)
            guard d.isFinite else { worstIndex = i; worstExcess = .infinity; maxAbs = .infinity; break }
            maxAbs = max(maxAbs, d)
            maxRef = max(maxRef, abs(y))
            errSq += d * d
            refSq += y * y
            var bound: Double
            switch tolerance {
            case .exact: bound = 0
            case .elementwise: bound = 1e-6 + 1e-5 * abs(y)
            case .transcendental: bound = 1e-6 + 1e-4 * abs(y)
            case .accumulation: bound = .infinity  // judged on NMSE and max |Δ| below
            }
            if let absoluteBound { bound = absoluteBound }
            if d > bound && d - bound > worstExcess { worstExcess = d - bound; worstIndex = i }
        }
        let nmse = refSq > 0 ? errSq / refSq : errSq
        if tolerance == .accumulation && absoluteBound == nil && worstExcess.isFinite {
            let maxBound = 1e-4 * max(1, maxRef)
            if nmse > 1e-9 || maxAbs > maxBound {
                throw Mismatch(description: "\(what): NMSE \(nmse) (bound 1e-9), max |Δ| \(maxAbs) (bound \(maxBound))")
            }
        } else if worstIndex >= 0 {
            throw Mismatch(description: "\(what): element \(worstIndex) is \(a[worstIndex]), expected \(b[worstIndex]) (\(tolerance)); max |Δ| \(maxAbs), NMSE \(nmse)")
        }
        return Comparison(maxAbs: maxAbs, nmse: nmse)
    }
}
