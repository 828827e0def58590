import Foundation
import XCTest
import LoupeTestSupport

/// End-to-end tests of the `loupe` executable: exit codes and messages on bad input, and
/// the run/bench/inspect happy paths on small models made with onnx.helper.
final class CLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory.make(for: self, prefix: "loupe-cli")
    }

    func run(_ args: [String]) throws -> ProcessResult { try Subprocess.loupe(args) }

    /// Runs a python snippet with `out` bound to the temp dir; skips when onnx is missing.
    func python(_ code: String) throws {
        let r = try Python.run(["-c", "import sys; out = sys.argv[1]\n" + code, dir.path])
        if r.status != 0 {
            if r.err.contains("No module named") { throw XCTSkip("python3 lacks a module: \(r.err)") }
            XCTFail("python failed: \(r.err)")
        }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `relu.onnx` (y = Relu(x), float32 [1, 4]) and the .npy `extra` writes with `np`.
    func reluModel(andInput extra: String) throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4])
        m = helper.make_model(helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'g', [x], [y]),
                              opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/relu.onnx')
        \(extra)
        """)
    }

    /// --version names the XNNPACK operator API compiled in, which follows the installed
    /// header: the 2024 one declares XNN_FLAG_KEEP_DIMS, the 2022 one does not.
    func testVersionNamesTheXNNPACKItWasBuiltFor() throws {
        let header = try String(contentsOfFile: "/usr/include/xnnpack.h", encoding: .utf8)
        let expected = header.contains("#define XNN_FLAG_KEEP_DIMS") ? "2024" : "2022"
        let r = try run(["--version"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("XNNPACK \(expected) operator API"), r.out)
    }

    func testRandomBytesModelIsAClearError() throws {
        var rng = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        var state = seed
        let bytes = (0..<4096).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try Data(bytes).write(to: dir.appendingPathComponent("random.onnx"))
        try Data().write(to: dir.appendingPathComponent("empty.onnx"))
        for name in ["random.onnx", "empty.onnx", "missing.onnx"] {
            for cmd in ["inspect", "bench"] {
                let r = try run([cmd, path(name)])
                XCTAssertEqual(r.status, 1, "\(cmd) \(name) (seed \(seed)): \(r.err)")
                XCTAssertTrue(r.err.hasPrefix("error: "), "\(cmd) \(name) (seed \(seed)): \(r.err)")
                XCTAssertFalse(r.err.contains("Fatal error"), r.err)
            }
        }
    }

    func testUnsupportedOpListedByInspectAndNamedByRun() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 3, 4, 4])
        n1 = helper.make_node('Relu', ['x'], ['r'], name='relu0')
        n2 = helper.make_node('Hardmax', ['r'], ['y'], name='odd_one')
        m = helper.make_model(helper.make_graph([n1, n2], 'g', [x], [y]), opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/unsupported.onnx')
        np.save(out + '/x.npy', np.ones((1, 3, 4, 4), np.float32))
        """)
        let inspect = try run(["inspect", path("unsupported.onnx")])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        XCTAssertTrue(inspect.out.contains("odd_one"), inspect.out)
        XCTAssertTrue(inspect.out.contains("cannot run"), inspect.out)
        let r = try run(["run", path("unsupported.onnx"), "--input", path("x.npy")])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("odd_one") && r.err.contains("Hardmax"), r.err)
    }

    /// `inspect` shows output shapes as ONNX does (NCHW), not the runtime's NHWC.
    func testInspectShowsNCHWShapes() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto, numpy_helper
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 16, 20])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 8, 8, 10])
        w = numpy_helper.from_array(np.ones((8, 3, 3, 3), np.float32), 'w')
        conv = helper.make_node('Conv', ['x', 'w'], ['y'], name='conv', strides=[2, 2], pads=[1, 1, 1, 1])
        m = helper.make_model(helper.make_graph([conv], 'g', [x], [y], [w]), opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/conv.onnx')
        """)
        let r = try run(["inspect", path("conv.onnx")])
        XCTAssertEqual(r.status, 0, r.err)
        let row = try XCTUnwrap(r.out.split(separator: "\n").first { $0.contains(" conv ") || $0.hasSuffix("conv") || $0.contains("conv  ") }, r.out)
        XCTAssertTrue(row.contains("float32[1x8x8x10]"), "NCHW: \(row)")
        XCTAssertFalse(r.out.contains("float32[1x8x10x8]"), r.out)
    }

    /// The `loupe-bench` product names itself and says where the benchmarks are.
    func testLoupeBenchNamesItself() throws {
        let exe = try Subprocess.loupeExecutable().deletingLastPathComponent().appendingPathComponent("loupe-bench")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else { throw XCTSkip("loupe-bench not built") }
        let r = try Subprocess.run(exe, [])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("loupe-bench: "), r.out)
        XCTAssertTrue(r.out.contains("loupe bench MODEL"), r.out)
    }

    /// `--output -`: the .npy goes to stdout, nothing else does, and no file named "-" appears.
    func testRunOutputToStandardOutput() throws {
        try reluModel(andInput: "np.save(out + '/x.npy', np.array([[-1, 2, -3, 4]], np.float32))")
        let file = try run(["run", path("relu.onnx"), "--input", path("x.npy"), "--output", path("y.npy")])
        XCTAssertEqual(file.status, 0, file.err)
        let r = try run(["run", path("relu.onnx"), "--input", path("x.npy"), "--output", "-", "--compare-reference"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.prefix(16).contains("NUMPY"), "not an .npy: \(r.out.prefix(16))")
        let written = try Data(contentsOf: dir.appendingPathComponent("y.npy"))
        XCTAssertEqual(r.out, String(decoding: written, as: UTF8.self), "stdout is exactly the .npy --output FILE writes")
        XCTAssertTrue(r.err.contains("vs reference interpreter"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "-"))
    }

    /// NumPy's default float64 array fed to a float32 input: the message says how to save it.
    func testFloat64InputSaysHowToSaveFloat32() throws {
        try reluModel(andInput: "np.save(out + '/x64.npy', np.zeros((1, 4)))")
        let r = try run(["run", path("relu.onnx"), "--input", path("x64.npy"), "--output", path("y.npy")])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("holds float64 but input 'x' takes float32"), r.err)
        XCTAssertTrue(r.err.contains("x.astype(np.float32)"), r.err)
    }

    func testRunWritesOutputsAndComparesWithReference() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto, numpy_helper
        rng = np.random.default_rng(5)
        w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), 'w')
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 8, 8])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
        z = helper.make_tensor_value_info('z', TensorProto.FLOAT, None)
        nodes = [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
                 helper.make_node('Relu', ['c'], ['y']),
                 helper.make_node('GlobalAveragePool', ['y'], ['z'])]
        m = helper.make_model(helper.make_graph(nodes, 'g', [x], [y, z], [w]), opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/conv.onnx')
        xv = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
        np.save(out + '/x.npy', xv)
        import onnxruntime as ort
        s = ort.InferenceSession(out + '/conv.onnx', providers=['CPUExecutionProvider'])
        ry, rz = s.run(None, {'x': xv})
        np.save(out + '/ref_y.npy', ry)
        """)
        let r = try run(["run", path("conv.onnx"), "--input", "x=" + path("x.npy"), "--output-dir", path("out"),
                         "--compare-reference"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("y: max |Δ|"), r.out)
        try python("""
        import numpy as np
        a = np.load(out + '/out/y.npy'); b = np.load(out + '/ref_y.npy')
        assert a.shape == b.shape, (a.shape, b.shape)
        assert np.abs(a - b).max() <= 1e-4 * max(1, np.abs(b).max()), np.abs(a - b).max()
        z = np.load(out + '/out/z.npy'); assert z.shape == (1, 4, 1, 1), z.shape
        """)
        let single = try run(["run", path("conv.onnx"), "--input", path("x.npy"), "--output", path("y.npy")])
        XCTAssertEqual(single.status, 1, "two outputs and --output must be refused")
        XCTAssertTrue(single.err.contains("--output-dir"), single.err)
    }

    /// `--threads`, `--memory-limit`, `--input-shape` and `--preset` on every verb that compiles a model,
    /// validated the same way; `--preset` help says what each preset does, not just its name.
    func testSharedModelOptionsOnEveryModelVerb() throws {
        // The arguments each verb requires, so that parsing reaches the shared options.
        let required = ["inspect": ["m.onnx"], "run": ["m.onnx"], "bench": ["m.onnx"], "profile": ["m.onnx"],
                        "score": ["photo.jpg"], "eval": ["--uhd-iqa", "root"], "calibrate": ["m.onnx", "-o", "q.onnx"],
                        "quant-report": ["m.onnx", "q.onnx", "--images", "photos"]]
        for (verb, args) in required.sorted(by: { $0.key < $1.key }) {
            let help = try run([verb, "--help"])
            XCTAssertEqual(help.status, 0, "\(verb): \(help.err)")
            XCTAssertTrue(help.out.contains("--threads <threads>"), "\(verb): \(help.out)")
            XCTAssertTrue(help.out.contains("--input-shape <NAME=SHAPE>"), "\(verb): \(help.out)")
            let threads = try run([verb] + args + ["--threads", "0"])
            XCTAssertEqual(threads.status, 64, "\(verb): \(threads.err)")
            XCTAssertTrue(threads.err.contains("--threads must be between 1 and 256"), "\(verb): \(threads.err)")
            XCTAssertTrue(help.out.contains("--memory-limit <SIZE>"), "\(verb): \(help.out)")
            for size in ["12Q", "0", "-1G", "G", "99999999T"] {
                let r = try run([verb] + args + ["--memory-limit=\(size)"])
                XCTAssertEqual(r.status, 64, "\(verb) --memory-limit \(size): \(r.err)")
                XCTAssertTrue(r.err.contains("bad size '\(size)'"), "\(verb) --memory-limit \(size): \(r.err)")
            }
            let shape = try run([verb] + args + ["--input-shape", "1x3x-2x4"])
            XCTAssertEqual(shape.status, 64, "\(verb): \(shape.err)")
            XCTAssertTrue(shape.err.contains("bad shape '1x3x-2x4'"), "\(verb): \(shape.err)")
            XCTAssertTrue(help.out.contains("clip-iqa") && help.out.contains("11 views 224x224"), "\(verb): \(help.out)")
            XCTAssertTrue(help.out.contains("nf-regnets") && help.out.contains("384x1152"), "\(verb): \(help.out)")
            let bad = try run([verb] + args + ["--preset", "nope"])
            XCTAssertEqual(bad.status, 64, "\(verb): \(bad.err)")
            XCTAssertTrue(bad.err.contains("'nope'") && bad.err.contains("gs-piqa"), "\(verb): \(bad.err)")
        }
        XCTAssertTrue(try run(["calibrate", "--help"]).out.contains("resize"))
    }

    /// `--preset` sizes the inputs a model leaves symbolic on verbs that take no photos.
    func testPresetSizesSymbolicInputs() throws {
        try python("""
        import onnx
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['n', 3, 'h', 'w'])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
        m = helper.make_model(helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'g', [x], [y]),
                              opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/sym.onnx')
        """)
        XCTAssertEqual(try run(["bench", path("sym.onnx"), "--runs", "1", "--warmup", "0"]).status, 1)
        let inspect = try run(["inspect", path("sym.onnx"), "--preset", "gs-piqa"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        XCTAssertTrue(inspect.out.contains("float32[1x3x384x384]"), inspect.out)
        let bench = try run(["bench", path("sym.onnx"), "--preset", "gs-piqa", "--input-shape", "x=1x3x32x32",
                             "--runs", "1", "--warmup", "0"])
        XCTAssertEqual(bench.status, 0, bench.err)
    }

    func testBenchJSON() throws {
        try python("""
        import onnx
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['n', 8])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
        m = helper.make_model(helper.make_graph([helper.make_node('Sigmoid', ['x'], ['y'])], 'g', [x], [y]),
                              opset_imports=[helper.make_opsetid('', 17)])
        onnx.save(m, out + '/dyn.onnx')
        """)
        let noShape = try run(["bench", path("dyn.onnx")])
        XCTAssertEqual(noShape.status, 1)
        XCTAssertTrue(noShape.err.contains("--input-shape"), noShape.err)
        let r = try run(["bench", path("dyn.onnx"), "--input-shape", "4x8", "--runs", "3", "--warmup", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        for k in ["median_ms", "min_ms", "max_ms", "p90_ms", "p99_ms", "arena_bytes", "loupe_version", "machine"] {
            XCTAssertNotNil(obj?[k], "missing \(k) in \(r.out)")
        }
        let machine = try XCTUnwrap(obj?["machine"] as? [String: Any], r.out)
        for k in ["cpu", "kernel_isa", "xnnpack_package", "cpu_features"] { XCTAssertNotNil(machine[k], "missing machine.\(k) in \(r.out)") }
        XCTAssertLessThanOrEqual(try XCTUnwrap(obj?["p90_ms"] as? Double), try XCTUnwrap(obj?["max_ms"] as? Double))
        let median = try XCTUnwrap(obj?["median_ms"] as? Double)
        let mn = try XCTUnwrap(obj?["min_ms"] as? Double)
        XCTAssertLessThanOrEqual(mn, median)
    }
}
