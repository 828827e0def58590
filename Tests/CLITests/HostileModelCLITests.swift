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

    /// `--memory-limit` reaches the compiler on every verb that compiles: a 16-byte input
    /// resized to a 16 MiB value compiles under the default ceiling and under 64M, and is
    /// refused under 1M before anything is allocated, naming the value and the bytes; one
    /// resized to 4 GiB is refused under 512M at once.
    func testMemoryLimitOptionRefusesAModelOverIt() throws {
        try python("""
        import onnx, numpy as np
        from onnx import helper, TensorProto, numpy_helper
        for name, side in (('blowup', 1024), ('huge', 16384)):
            x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 2, 2])
            y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 1, 1, 1])
            scales = numpy_helper.from_array(np.array([1, 1, side, side], np.float32), 'scales')
            n1 = helper.make_node('Resize', ['x', '', 'scales'], ['big'], name='blow_up', mode='nearest')
            n2 = helper.make_node('GlobalAveragePool', ['big'], ['y'], name='pool')
            m = helper.make_model(helper.make_graph([n1, n2], 'g', [x], [y], [scales]),
                                  opset_imports=[helper.make_opsetid('', 17)])
            onnx.save(m, out + '/' + name + '.onnx')
        np.save(out + '/x.npy', np.ones((1, 1, 2, 2), np.float32))
        """)
        let model = path("blowup.onnx")
        func refused(_ args: [String], _ limit: String, needs: String, limitBytes: Int) throws {
            let started = Date()
            let r = try run(args + ["--memory-limit", limit])
            let seconds = Date().timeIntervalSince(started)
            let what = "\(args[0]) \(args[1]) --memory-limit \(limit)"
            XCTAssertEqual(r.status, 1, "\(what): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), r.err)
            for fragment in ["error: memory limit exceeded", "blow_up", "'big'", "needs \(needs)",
                             "over the memory limit of \(limitBytes) bytes"] {
                XCTAssertTrue(r.err.contains(fragment), "\(what): no '\(fragment)' in \(r.err)")
            }
            // Refused from the shapes, before anything is allocated: no time at all.
            XCTAssertLessThan(seconds, 10, what)
        }
        for (limit, bytes) in [("1M", 1 << 20), ("1048576", 1 << 20), ("0.5m", 1 << 19), ("1MiB", 1 << 20)] {
            for args in [["run", model, "--input", path("x.npy")], ["bench", model, "--runs", "1", "--warmup", "0"]] {
                try refused(args, limit, needs: "16777216 bytes (16.0 MiB)", limitBytes: bytes)
            }
        }
        try refused(["run", path("huge.onnx"), "--input", path("x.npy")], "512M", needs: "4294967296 bytes (4.0 GiB)",
                    limitBytes: 512 << 20)
        let inspect = try run(["inspect", model, "--memory-limit", "1M"])
        XCTAssertTrue(inspect.out.contains("not compiled: memory limit exceeded") && inspect.out.contains("16777216 bytes"),
                      inspect.out)
        let profile = try run(["profile", model, "--runs", "1", "--warmup", "0", "--memory-limit", "1M", "--json", "-"])
        XCTAssertEqual(profile.status, 0, profile.err)
        XCTAssertTrue(profile.out.contains("memory limit exceeded") && profile.out.contains("16777216 bytes"), profile.out)
        // The same model runs where it fits: the limit, not the model, refused it above.
        for limit in [["--memory-limit", "64M"], []] {
            let r = try run(["run", model, "--input", path("x.npy"), "--output", path("y.npy")] + limit)
            XCTAssertEqual(r.status, 0, "\(limit): \(r.err)")
        }
    }

    /// `score` and `calibrate` compile through the library's scorer and calibration session:
    /// the limit reaches both (the bundled scorer needs far more than 1 MiB).
    func testMemoryLimitReachesScoreAndCalibrate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scorer = root.appendingPathComponent("tools/models/loupe_iqa.onnx").path
        let photos = root.appendingPathComponent("tools/models/samples").path
        guard FileManager.default.fileExists(atPath: scorer) else { throw XCTSkip("no bundled scorer at \(scorer)") }
        for args in [["score", "--model", scorer, photos], ["calibrate", scorer, "--images", photos, "--count", "1", "-o", path("q.onnx")]] {
            let r = try run(args + ["--memory-limit", "1M"])
            XCTAssertEqual(r.status, 1, "\(args[0]): \(r.err)")
            XCTAssertTrue(r.err.contains("memory limit exceeded") && r.err.contains("over the memory limit of 1048576 bytes"),
                          "\(args[0]): \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("q.onnx")))
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
