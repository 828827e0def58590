import Foundation
import XCTest

/// `loupe` on tiny models that ask for too much: a clear error naming the value and the
/// bytes, never a crash, and `inspect` reports the problem instead of a clean table.
extension CLITests {
    func testHugeDeclaredInputIsReportedNotAllocated() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 1 << 20, 1 << 20])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 1, 1 << 20, 1 << 20])
        n = helper.make_node('Relu', ['x'], ['y'], name='relu0')
        m = helper.make_model(helper.make_graph([n], 'g', [x], [y]), opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/huge.onnx')
        np.save(out + '/x.npy', np.ones((1, 1, 8, 8), np.float32))
        """)
        let inspect = try run(["inspect", path("huge.onnx")])
        XCTAssertFalse(inspect.err.contains("Fatal error"), inspect.err)
        XCTAssertTrue(inspect.out.contains("not compiled: memory limit exceeded"), inspect.out)
        XCTAssertTrue(inspect.out.contains("graph input 'x'") && inspect.out.contains("4398046511104 bytes"), inspect.out)
        for cmd in [["run", path("huge.onnx"), "--input", path("x.npy")], ["bench", path("huge.onnx")]] {
            let r = try run(cmd)
            XCTAssertEqual(r.status, 1, "\(cmd[0]): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), r.err)
        }
    }

    func testInspectDoesNotBlameTheLayoutWhenAnotherNodeIsUnsupported() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto, numpy_helper
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2, 4, 4])
        w = numpy_helper.from_array(np.ones((2, 3, 1, 1), np.float32), 'w')
        n1 = helper.make_node('Conv', ['x', 'w'], ['c'], name='healthy_conv')
        n2 = helper.make_node('Hardmax', ['c'], ['y'], name='odd_one')
        m = helper.make_model(helper.make_graph([n1, n2], 'g', [x], [y], [w]), opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/mixed.onnx')
        """)
        let r = try run(["inspect", path("mixed.onnx")])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(r.out.contains("ConvertToNHWC"), r.out)
        let convRow = r.out.split(separator: "\n").first { $0.contains("healthy_conv") } ?? ""
        XCTAssertTrue(convRow.contains("not placed"), String(convRow))
        XCTAssertTrue(r.out.contains("odd_one") && r.out.contains("cannot run"), r.out)
    }
}
