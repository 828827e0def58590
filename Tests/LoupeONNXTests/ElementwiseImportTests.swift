import XCTest
import LoupeIR
@testable import LoupeONNX

final class ElementwiseImportTests: ONNXTestCase {
    func testBinaryAndUnaryOps() throws {
        try python("""
        for op in ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'MatMul', 'PRelu', 'Expand']:
            save(op, [N(op, ['a', 'b'], ['y'])], [vi('a', [2, 3]), vi('b', [2, 3])], [vi('y', None)])
        for op in ['Relu', 'Sigmoid', 'Tanh', 'HardSwish', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log',
                   'Floor', 'Ceil', 'Erf', 'Identity', 'GlobalAveragePool', 'GlobalMaxPool']:
            save(op, [N(op, ['a'], ['y'])], [vi('a', [1, 2, 3, 3])], [vi('y', None)])
        save('add7', [N('Add', ['a', 'b'], ['y'])], [vi('a', [2, 3]), vi('b', [3])], [vi('y', None)], opset=7)
        """)
        let binary: [(String, Op)] = [("Add", .binary(.add)), ("Sub", .binary(.sub)), ("Mul", .binary(.mul)),
                                      ("Div", .binary(.div)), ("Pow", .binary(.pow)), ("MatMul", .matMul),
                                      ("PRelu", .prelu), ("Expand", .expand)]
        for (name, op) in binary {
            let n = try single(name)
            XCTAssertEqual(n.op, op, name)
            XCTAssertEqual(n.inputs, ["a", "b"], name)
            XCTAssertEqual(n.outputs, ["y"], name)
        }
        let unary: [(String, Op)] = [
            ("Relu", .unary(.relu)), ("Sigmoid", .unary(.sigmoid)), ("Tanh", .unary(.tanh)),
            ("HardSwish", .unary(.hardSwish)), ("Neg", .unary(.neg)), ("Abs", .unary(.abs)),
            ("Sqrt", .unary(.sqrt)), ("Reciprocal", .unary(.reciprocal)), ("Exp", .unary(.exp)),
            ("Log", .unary(.log)), ("Floor", .unary(.floor)), ("Ceil", .unary(.ceil)), ("Erf", .unary(.erf)),
            ("Identity", .identity), ("GlobalAveragePool", .globalAveragePool(layout: .nchw)),
            ("GlobalMaxPool", .globalMaxPool(layout: .nchw))]
        for (name, op) in unary { XCTAssertEqual(try single(name).op, op, name) }
        let add7 = try single("add7")
        XCTAssertEqual(add7.op, .binary(.add))
        XCTAssertEqual(add7.origin?.opset, 7)
    }

    func testParametricActivationDefaults() throws {
        try python("""
        save('leaky', [N('LeakyRelu', ['a'], ['y'])], [vi('a', [2])], [vi('y', None)])
        save('leaky_a', [N('LeakyRelu', ['a'], ['y'], alpha=0.2)], [vi('a', [2])], [vi('y', None)])
        save('elu', [N('Elu', ['a'], ['y'])], [vi('a', [2])], [vi('y', None)])
        save('hsig', [N('HardSigmoid', ['a'], ['y'])], [vi('a', [2])], [vi('y', None)])
        save('hsig_ab', [N('HardSigmoid', ['a'], ['y'], alpha=1/6, beta=0.25)], [vi('a', [2])], [vi('y', None)])
        save('leaky_int', [N('LeakyRelu', ['a'], ['y'], alpha=1)], [vi('a', [2])], [vi('y', None)])
        """)
        XCTAssertEqual(try single("leaky").op, .leakyRelu(alpha: 0.01))
        XCTAssertEqual(try single("leaky_a").op, .leakyRelu(alpha: 0.2))
        XCTAssertEqual(try single("elu").op, .elu(alpha: 1))
        XCTAssertEqual(try single("hsig").op, .hardSigmoid(alpha: 0.2, beta: 0.5))
        XCTAssertEqual(try single("hsig_ab").op, .hardSigmoid(alpha: Float(1.0 / 6.0), beta: 0.25))
        assertLoupeError(try load("leaky_int"), contains: "invalid attribute 'alpha' of LeakyRelu node 0 'LeakyRelu_0' (opset 17): expected type FLOAT, got INT")
    }

    func testClipAttributesBecomeInputsBeforeOpset11() throws {
        try python("""
        save('clip6', [N('Clip', ['x'], ['y'], name='c', min=0.0, max=6.0)], [vi('x', [4])], [vi('y', None)], opset=6 + 1)
        save('clip6_max', [N('Clip', ['x'], ['y'], name='c', max=6.0)], [vi('x', [4])], [vi('y', None)], opset=10)
        save('clip6_min', [N('Clip', ['x'], ['y'], name='c', min=-1.0)], [vi('x', [4])], [vi('y', None)], opset=10)
        save('clip6_none', [N('Clip', ['x'], ['y'])], [vi('x', [4])], [vi('y', None)], opset=10)
        save('clip13', [N('Clip', ['x', 'lo', 'hi'], ['y'])], [vi('x', [4])], [vi('y', None)],
             [init('lo', np.float32(0)), init('hi', np.float32(6))], opset=13)
        save('clip13_max', [N('Clip', ['x', '', 'hi'], ['y'])], [vi('x', [4])], [vi('y', None)],
             [init('hi', np.float32(6))], opset=13)
        # A value already named like the generated constant: the importer must pick another name.
        save('clip_clash', [N('Relu', ['x'], ['c::min']), N('Clip', ['c::min'], ['y'], name='c', min=0.0)],
             [vi('x', [4])], [vi('y', None)], opset=10)
        """)
        let g = try load("clip6")
        let clip = try XCTUnwrap(g.nodes.first)
        XCTAssertEqual(clip.op, .clip)
        XCTAssertEqual(clip.inputs, ["x", "c::min", "c::max"])
        XCTAssertEqual(g.initializers["c::min"], Tensor(shape: [], floats: [0]))
        XCTAssertEqual(g.initializers["c::max"], Tensor(shape: [], floats: [6]))
        XCTAssertTrue(g.inputs.map(\.name) == ["x"], "generated constants are not graph inputs")

        let gMax = try load("clip6_max")
        XCTAssertEqual(gMax.nodes[0].inputs, ["x", "", "c::max"])
        XCTAssertEqual(gMax.initializers["c::max"]?.floats, [6])
        XCTAssertEqual(try load("clip6_min").nodes[0].inputs, ["x", "c::min"])
        XCTAssertEqual(try load("clip6_none").nodes[0].inputs, ["x"])
        XCTAssertEqual(try single("clip13").inputs, ["x", "lo", "hi"])
        XCTAssertEqual(try single("clip13_max").inputs, ["x", "", "hi"])

        let clash = try load("clip_clash")
        let c = clash.nodes[1]
        XCTAssertEqual(c.inputs.count, 2)
        XCTAssertEqual(c.inputs[0], "c::min")
        XCTAssertNotEqual(c.inputs[1], "c::min")
        XCTAssertEqual(clash.initializers[c.inputs[1]]?.floats, [0])
        XCTAssertNil(clash.initializers["c::min"], "the Relu output must not be shadowed by a constant")
    }

    func testVariadicMaxMin() throws {
        try python("""
        save('max2', [N('Max', ['a', 'b'], ['y'])], [vi('a', [3]), vi('b', [3])], [vi('y', None)])
        save('min1', [N('Min', ['a'], ['y'])], [vi('a', [3])], [vi('y', None)])
        save('max4', [N('Max', ['a', 'b', 'c', 'd'], ['y'], name='m')],
             [vi('a', [3]), vi('b', [3]), vi('c', [3]), vi('d', [3])], [vi('y', None)])
        save('max0', [N('Max', [], ['y'])], [vi('a', [3])], [vi('y', None)])
        """)
        XCTAssertEqual(try single("max2").op, .binary(.max))
        XCTAssertEqual(try single("min1").op, .identity)
        let g = try load("max4")
        XCTAssertEqual(g.nodes.count, 3)
        XCTAssertEqual(g.nodes.map(\.op), [.binary(.max), .binary(.max), .binary(.max)])
        XCTAssertEqual(g.nodes[0].inputs, ["a", "b"])
        XCTAssertEqual(g.nodes[1].inputs, [g.nodes[0].outputs[0], "c"])
        XCTAssertEqual(g.nodes[2].inputs, [g.nodes[1].outputs[0], "d"])
        XCTAssertEqual(g.nodes[2].outputs, ["y"])
        XCTAssertEqual(g.nodes[2].name, "m")
        XCTAssertEqual(Set(g.nodes.map(\.name)).count, 3)
        XCTAssertTrue(g.nodes.allSatisfy { $0.origin?.index == 0 })
        assertLoupeError(try load("max0"), contains: "has 0 inputs")
    }

    func testSoftmaxAxisDefaultDependsOnOpset() throws {
        try python("""
        save('sm11', [N('Softmax', ['a'], ['y'])], [vi('a', [2, 3])], [vi('y', None)], opset=11)
        save('sm13', [N('Softmax', ['a'], ['y'])], [vi('a', [2, 3])], [vi('y', None)], opset=13)
        save('sm13_axis', [N('Softmax', ['a'], ['y'], axis=-2)], [vi('a', [2, 3])], [vi('y', None)], opset=13)
        """)
        XCTAssertEqual(try single("sm11").op, .softmax(axis: 1, legacyCoerce2D: true))
        XCTAssertEqual(try single("sm13").op, .softmax(axis: -1, legacyCoerce2D: false))
        XCTAssertEqual(try single("sm13_axis").op, .softmax(axis: -2, legacyCoerce2D: false), "negative axes are kept")
    }
}
