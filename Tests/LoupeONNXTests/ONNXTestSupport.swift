import Foundation
import XCTest
import LoupeIR
@testable import LoupeONNX
import LoupeTestSupport

/// Builds ONNX models with python3 + onnx.helper into a fresh temporary directory (never
/// the work tree), and loads them back. Tests skip when python3 or onnx is missing.
class ONNXTestCase: XCTestCase {
    private(set) var directory: URL!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory.make(for: self, prefix: "loupe-onnx-tests")
    }

    /// Shared by every script: `save(file, nodes, inputs, outputs, inits=(), opset=17)`,
    /// `vi(name, shape, type)`, `init(name, array)`, `N = helper.make_node`.
    static let preamble = """
    import sys, os
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto as TP
    OUT = sys.argv[1]
    N = helper.make_node
    def vi(name, shape, t=TP.FLOAT):
        return helper.make_tensor_value_info(name, t, shape)
    def init(name, arr, dtype=None):
        a = np.asarray(arr) if dtype is None else np.asarray(arr, dtype=dtype)
        return numpy_helper.from_array(a, name)
    def save(fname, nodes, inputs, outputs, inits=(), opset=17, value_info=(), domains=()):
        g = helper.make_graph(nodes, 'g', inputs, outputs, initializer=list(inits), value_info=list(value_info))
        ops = [helper.make_opsetid('', opset)] + [helper.make_opsetid(d, v) for d, v in domains]
        m = helper.make_model(g, opset_imports=ops, producer_name='loupe-tests')
        onnx.save(m, os.path.join(OUT, fname + '.onnx'))

    """

    /// Runs `script` (after the preamble) with the temporary directory as `OUT`.
    @discardableResult
    func python(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try Python.require("onnx, numpy")
        do {
            return try Python.output(["-c", Self.preamble + script, directory.path])
        } catch {
            XCTFail("python failed: \(error.localizedDescription)", file: file, line: line)
            throw error
        }
    }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name + ".onnx") }

    func load(_ name: String) throws -> Graph {
        try ONNXImporter.load(contentsOf: url(name).path)
    }

    /// Loads `name` and returns its only node.
    func single(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Node {
        let g = try load(name)
        XCTAssertEqual(g.nodes.count, 1, "\(name): \(g.nodes.map(\.op))", file: file, line: line)
        return try XCTUnwrap(g.nodes.first, file: file, line: line)
    }

    /// Asserts that `body` throws a `LoupeError` whose description contains `fragment`.
    func assertLoupeError<T>(_ body: @autoclosure () throws -> T, contains fragment: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
        } catch let e as LoupeError {
            XCTAssertTrue(e.description.contains(fragment), "'\(e)' does not contain '\(fragment)'", file: file, line: line)
        } catch {
            XCTFail("expected LoupeError, got \(error)", file: file, line: line)
        }
    }
}

extension Node {
    var unsupportedReason: String? {
        if case .unsupported(_, _, let reason) = op { return reason }
        return nil
    }
}
