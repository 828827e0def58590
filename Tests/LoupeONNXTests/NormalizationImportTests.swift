import XCTest
import LoupeIR
@testable import LoupeONNX

/// LayerNormalization, Split, Mod, Gelu and training-mode BatchNormalization (what timm's
/// Swin and NF-RegNet exports need).
final class NormalizationImportTests: ONNXTestCase {
    func testLayerNormalization() throws {
        try python("""
        s, b = init('s', np.ones(8, np.float32)), init('b', np.zeros(8, np.float32))
        save('ln', [N('LayerNormalization', ['x', 's', 'b'], ['y'], axis=-1, epsilon=1e-6)], [vi('x', [2, 8])], [vi('y', None)], [s, b])
        save('ln_defaults', [N('LayerNormalization', ['x', 's'], ['y', 'mean', 'inv'])], [vi('x', [2, 8])],
             [vi('y', None), vi('mean', None), vi('inv', None)], [s])
        save('ln_stash', [N('LayerNormalization', ['x', 's'], ['y'], stash_type=11)], [vi('x', [2, 8])], [vi('y', None)], [s])
        save('ln_old', [N('LayerNormalization', ['x', 's'], ['y'])], [vi('x', [2, 8])], [vi('y', None)], [s], opset=16)
        """)
        let ln = try single("ln")
        XCTAssertEqual(ln.op, .layerNormalization(axis: -1, epsilon: 1e-6))
        XCTAssertEqual(ln.inputs, ["x", "s", "b"])
        let d = try single("ln_defaults")
        XCTAssertEqual(d.op, .layerNormalization(axis: -1, epsilon: 1e-5))
        XCTAssertEqual(d.outputs, ["y", "mean", "inv"])
        var g = try load("ln_defaults")
        try g.inferTypes()
        XCTAssertEqual(g.types["mean"], TensorType(.float32, shape: [2, 1]))
        XCTAssertTrue(try single("ln_stash").unsupportedReason?.contains("stash_type=11") ?? false)
        XCTAssertTrue(try single("ln_old").unsupportedReason?.contains("from opset 17") ?? false)
    }

    func testSplitForms() throws {
        try python("""
        outs = [vi('a', None), vi('b', None)]
        save('split11', [N('Split', ['x'], ['a', 'b'], axis=1, split=[1, 3])], [vi('x', [2, 4])], outs, opset=11)
        save('split11_equal', [N('Split', ['x'], ['a', 'b'], axis=1)], [vi('x', [2, 4])], outs, opset=11)
        save('split13', [N('Split', ['x', 's'], ['a', 'b'], axis=-1)], [vi('x', [2, 4])], outs, [init('s', np.array([3, 1], np.int64))], opset=13)
        save('split13_uneven', [N('Split', ['x'], ['a', 'b'], axis=0)], [vi('x', [3, 4])], outs, opset=13)
        save('split18', [N('Split', ['x'], ['a', 'b'], axis=0, num_outputs=2)], [vi('x', [3, 4])], outs, opset=18)
        save('split18_bad', [N('Split', ['x'], ['a', 'b'], axis=0, num_outputs=3)], [vi('x', [3, 4])], outs, opset=18)
        """)
        let s11 = try load("split11")
        XCTAssertEqual(s11.nodes.first?.op, .split(axis: 1))
        let sizes = try XCTUnwrap(s11.nodes.first?.input(1).flatMap { s11.initializers[$0] })
        XCTAssertEqual(sizes.ints, [1, 3], "opset-11 split attribute becomes a constant input")
        XCTAssertEqual(try single("split11_equal").inputs, ["x"])
        XCTAssertEqual(try single("split13").inputs, ["x", "s"])
        assertLoupeError(try load("split13_uneven"), contains: "does not split into 2 equal parts")
        var g18 = try load("split18")
        XCTAssertEqual(g18.nodes.first?.op, .split(axis: 0))
        try g18.inferTypes()
        XCTAssertEqual(g18.types["a"], TensorType(.float32, shape: [2, 4]))
        XCTAssertEqual(g18.types["b"], TensorType(.float32, shape: [1, 4]), "num_outputs: the last part is shorter")
        assertLoupeError(try load("split18_bad"), contains: "num_outputs")
    }

    func testModAndGelu() throws {
        try python("""
        save('mod', [N('Mod', ['a', 'b'], ['y'])], [vi('a', [3], TP.INT64), vi('b', [3], TP.INT64)], [vi('y', None)])
        save('fmod', [N('Mod', ['a', 'b'], ['y'], fmod=1)], [vi('a', [3]), vi('b', [3])], [vi('y', None)])
        save('gelu', [N('Gelu', ['x'], ['y'])], [vi('x', [3])], [vi('y', None)], opset=20)
        save('gelu_tanh', [N('Gelu', ['x'], ['y'], approximate='tanh')], [vi('x', [3])], [vi('y', None)], opset=20)
        save('gelu_bad', [N('Gelu', ['x'], ['y'], approximate='fast')], [vi('x', [3])], [vi('y', None)], opset=20)
        save('gelu_old', [N('Gelu', ['x'], ['y'])], [vi('x', [3])], [vi('y', None)], opset=17)
        """)
        XCTAssertEqual(try single("mod").op, .mod(fmod: false))
        XCTAssertEqual(try single("fmod").op, .mod(fmod: true))
        XCTAssertEqual(try single("gelu").op, .gelu(tanhApproximation: false))
        XCTAssertEqual(try single("gelu_tanh").op, .gelu(tanhApproximation: true))
        assertLoupeError(try load("gelu_bad"), contains: "expected none or tanh")
        XCTAssertTrue(try single("gelu_old").unsupportedReason?.contains("from opset 20") ?? false)
    }
}
