import Foundation
import XCTest

/// `loupe calibrate` and `loupe quant-report` end to end, with the process helpers of
/// ``CLITests`` (an extension, so that they exist once): a tiny conv model made by
/// onnx.helper, Kodak photos copied into the temporary folder, small UHD-IQA CSVs in the
/// dataset's format. ONNX Runtime (python) is the independent check of the QDQ file.
extension CLITests {
    static let kodak = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/kodak")
    static let uhdHeader = "\"image_name\",\"quality_mos\",\"set\",\"subset\",\"orig_width\",\"orig_height\",\"views\",\"user_name\",\"page_url\""

    /// `tiny.onnx`: x [N,3,48,64] → Conv 3→8 s2 + Relu → Conv 8→16 s2 → HardSwish →
    /// GlobalAveragePool → Flatten → Gemm 16→4: logits [N,4]. Seeded weights. Node names
    /// conv1, relu1, conv2, hswish, gap, flat, head.
    func makeTinyModel(height: String = "48", width: String = "64") throws {
        try python("""
        import numpy as np, onnx
        from onnx import helper as h, TensorProto as T, numpy_helper as nh
        rng = np.random.default_rng(0)
        def init(n, a): return nh.from_array(np.asarray(a, np.float32), n)
        nodes = [h.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], name='conv1'),
                 h.make_node('Relu', ['c1'], ['r1'], name='relu1'),
                 h.make_node('Conv', ['r1', 'w2', 'b2'], ['c2'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], name='conv2'),
                 h.make_node('HardSwish', ['c2'], ['r2'], name='hswish'),
                 h.make_node('GlobalAveragePool', ['r2'], ['p'], name='gap'),
                 h.make_node('Flatten', ['p'], ['f'], name='flat'),
                 h.make_node('Gemm', ['f', 'g', 'gb'], ['logits'], name='head')]
        inits = [init('w1', rng.normal(0, 0.3, (8, 3, 3, 3))), init('b1', rng.normal(0, 0.1, 8)),
                 init('w2', rng.normal(0, 0.2, (16, 8, 3, 3))), init('b2', rng.normal(0, 0.1, 16)),
                 init('g', rng.normal(0, 0.5, (16, 4))), init('gb', rng.normal(0, 0.1, 4))]
        dims = ['N', 3] + [int(d) if d.isdigit() else d for d in ['\(height)', '\(width)']]
        g = h.make_graph(nodes, 'tiny', [h.make_tensor_value_info('x', T.FLOAT, dims)],
                         [h.make_tensor_value_info('logits', T.FLOAT, ['N', 4])], inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)]); m.ir_version = 8
        onnx.checker.check_model(m); onnx.save(m, out + '/tiny.onnx')
        """)
    }

    /// Copies Kodak photos 1…n into `folder` under the given names (default kodimNN.jpg).
    func copyKodak(_ n: Int, to folder: String, names: [String]? = nil) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: path(folder), withIntermediateDirectories: true)
        for i in 1...n {
            let name = names?[i - 1] ?? String(format: "kodim%02d.jpg", i)
            try fm.copyItem(at: Self.kodak.appendingPathComponent(String(format: "kodim%02d.jpg", i)),
                            to: dir.appendingPathComponent(folder).appendingPathComponent(name))
        }
    }

    /// Files in the temporary folder (hidden ones included: no partial output may remain).
    func listing(_ folder: String = "") throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? dir.path : path(folder)))
    }

    func testCalibrateOnUHDIQAWritesAStandardQDQModel() throws {
        try makeTinyModel()
        // 8 training photos whose MOS order differs from their names; 2 validation photos.
        let mos = [0.71, 0.42, 0.55, 0.90, 0.33, 0.61, 0.48, 0.80]
        let names = (0..<8).map { "\(100 + $0).jpg" }
        try copyKodak(8, to: "uhd/training", names: names)
        var rows = zip(names, mos).map { "\"\($0)\",\($1),\"training\",\"\",3840,2160,10,\"u\",\"https://x/\"" }
        rows += ["\"900.jpg\",0.5,\"validation\",\"exclusive\",3840,2160,1,u,p", "\"901.jpg\",0.6,\"validation\",\"\",3840,2160,1,u,p"]
        try ([Self.uhdHeader] + rows).joined(separator: "\n").write(toFile: path("uhd/uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)

        let r = try run(["calibrate", path("tiny.onnx"), "--uhd-iqa", path("uhd"), "--count", "4", "--method", "percentile",
                         "-o", path("tiny.int8.onnx")])
        XCTAssertEqual(r.status, 0, r.err)
        for text in ["tensors calibrated", "percentile(99.99)", "4 of 4", "training split", "resize 64x48", "kept FP32", path("tiny.int8.onnx")] {
            XCTAssertTrue(r.out.contains(text), "missing '\(text)' in\n\(r.out)")
        }
        // MOS sorted: 104 (.33), 101 (.42), 106 (.48), 102 (.55), 105 (.61), 100 (.71), 107 (.80), 103 (.90);
        // 4 strata of 2, the middle (second) photo of each.
        try python("""
        import json, onnx, numpy as np, onnxruntime as ort
        m = onnx.load(out + '/tiny.int8.onnx'); onnx.checker.check_model(m, full_check=True)
        meta = {p.key: p.value for p in m.metadata_props}
        assert json.loads(meta['loupe.calibration.photos']) == ['101.jpg', '102.jpg', '100.jpg', '103.jpg'], meta
        assert meta['loupe.calibration.method'] == 'percentile(99.99)', meta
        assert meta['loupe.calibration.samples'] == '4', meta
        assert meta['loupe.calibration.preset'] == 'resize 64x48', meta
        ops = [n.op_type for n in m.graph.node]
        assert ops.count('QuantizeLinear') >= 5 and 'DequantizeLinear' in ops, ops
        w = [i for i in m.graph.initializer if i.name == 'w1_quantized'][0]
        assert w.data_type == onnx.TensorProto.INT8, w.data_type
        x = np.random.default_rng(3).standard_normal((1, 3, 48, 64)).astype(np.float32)
        a = ort.InferenceSession(out + '/tiny.onnx').run(None, {'x': x})[0]
        b = ort.InferenceSession(out + '/tiny.int8.onnx').run(None, {'x': x})[0]
        assert a.shape == b.shape == (1, 4), (a.shape, b.shape)
        assert np.isfinite(b).all()
        """)
        // Deterministic: the same arguments give the same file, byte for byte.
        let again = try run(["calibrate", path("tiny.onnx"), "--uhd-iqa", path("uhd"), "--count", "4", "--method", "percentile",
                             "-o", path("again.onnx")])
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("tiny.int8.onnx"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("again.onnx"))))
        // --split validation takes that split.
        try copyKodak(2, to: "uhd/validation", names: ["900.jpg", "901.jpg"])
        let val = try run(["calibrate", path("tiny.onnx"), "--uhd-iqa", path("uhd"), "--split", "validation", "--count", "2",
                           "-o", path("val.onnx")])
        XCTAssertEqual(val.status, 0, val.err)
        XCTAssertTrue(val.out.contains("validation split"), val.out)
    }

    /// `-o -`: the INT8 model is the only thing on stdout (the summary goes to stderr) and
    /// is byte for byte what `-o FILE` writes; no file named "-" appears.
    func testCalibrateToStandardOutput() throws {
        try makeTinyModel()
        try copyKodak(3, to: "three")
        let file = try run(["calibrate", path("tiny.onnx"), "--images", path("three"), "--count", "3", "-o", path("q.onnx")])
        XCTAssertEqual(file.status, 0, file.err)
        let piped = try run(["calibrate", path("tiny.onnx"), "--images", path("three"), "--count", "3", "-o", "-"])
        XCTAssertEqual(piped.status, 0, piped.err)
        XCTAssertTrue(piped.err.contains("tensors calibrated"), piped.err)
        XCTAssertEqual(Data(piped.out.utf8).count > 0, true)
        let written = try Data(contentsOf: URL(fileURLWithPath: path("q.onnx")))
        // stdout is decoded as UTF-8 by the helper; compare through the same decoding.
        XCTAssertEqual(piped.out, String(decoding: written, as: UTF8.self))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "-"))
    }

    /// A folder or split with fewer photos than --count (the default 256 included) is used
    /// whole, with a note, rather than refused.
    func testCalibrateTakesWhatIsAvailableWhenFewerThanCount() throws {
        try makeTinyModel()
        try copyKodak(3, to: "three")
        try copyKodak(3, to: "small/training", names: ["1.jpg", "2.jpg", "3.jpg"])
        try ([Self.uhdHeader] + (1...3).map { "\"\($0).jpg\",0.\($0),\"training\",\"\",1,1,1,u,p" }).joined(separator: "\n")
            .write(toFile: path("small/uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        for (args, asked) in [(["--images", path("three")], 256), (["--images", path("three"), "--count", "4"], 4),
                              (["--uhd-iqa", path("small"), "--count", "10"], 10)] {
            let r = try run(["calibrate", path("tiny.onnx")] + args + ["-o", path("q.onnx")])
            XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("note: --count \(asked), but only 3 photo(s) are available"), "\(args): \(r.err)")
            XCTAssertTrue((r.out + r.err).contains("3 of 3"), "\(args): \(r.out)")
            XCTAssertTrue((r.out + r.err).contains("mse"), "the default method is mse: \(r.out)")
        }
        // Enough photos: no note.
        let exact = try run(["calibrate", path("tiny.onnx"), "--images", path("three"), "--count", "2", "-o", path("q.onnx")])
        XCTAssertEqual(exact.status, 0, exact.err)
        XCTAssertFalse(exact.err.contains("note:"), exact.err)
    }

    func testCalibrateBadInputIsAClearErrorAndWritesNothing() throws {
        try makeTinyModel()
        try copyKodak(3, to: "three")
        try FileManager.default.createDirectory(atPath: path("nophotos"), withIntermediateDirectories: true)
        try "notes".write(toFile: path("nophotos/README.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: path("broken"), withIntermediateDirectories: true)
        for n in ["a.jpg", "b.png"] { try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).write(to: dir.appendingPathComponent("broken/\(n)")) }
        // A CSV without quality_mos, and one whose training split has 3 photos.
        try FileManager.default.createDirectory(atPath: path("nomos"), withIntermediateDirectories: true)
        try "image_name,set,subset,orig_width,orig_height\n1.jpg,training,,1,1\n".write(
            toFile: path("nomos/uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        try copyKodak(3, to: "small/training", names: ["1.jpg", "2.jpg", "3.jpg"])
        try ([Self.uhdHeader] + (1...3).map { "\"\($0).jpg\",0.\($0),\"training\",\"\",1,1,1,u,p" }).joined(separator: "\n")
            .write(toFile: path("small/uhd-iqa-metadata.csv"), atomically: true, encoding: .utf8)
        // An already quantized model.
        XCTAssertEqual(try run(["calibrate", path("tiny.onnx"), "--images", path("three"), "--count", "3", "-o", path("q.onnx")]).status, 0)

        let before = try listing()
        let cases: [(args: [String], message: String)] = [
            (["--images", path("nophotos")], "no JPEG or PNG photos in"),
            (["--images", path("broken"), "--count", "2"], "none of the 2 chosen photo(s) could be decoded; nothing written"),
            (["--uhd-iqa", path("nomos"), "--count", "1"], "missing column 'quality_mos'"),
            (["--uhd-iqa", path("missing"), "--count", "1"], "no UHD-IQA metadata"),
            (["--images", path("three"), "--count", "3", "--keep-fp32", "conv1,nope"], "'nope', which is not a node"),
        ]
        for (args, message) in cases {
            let r = try run(["calibrate", path("tiny.onnx")] + args + ["-o", path("out.onnx")])
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            // The error is the last line (a "calibrating …" line may precede it).
            let last = r.err.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(last.hasPrefix("error: ") && last.contains(message), "\(args): expected '\(message)' in \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), r.err)
        }
        let outputs: [(model: String, output: String, message: String)] = [
            (path("tiny.onnx"), path("no/such/folder/out.onnx"), "no such folder"),
            (path("tiny.onnx"), path("three"), "it is a folder"),
            (path("tiny.onnx"), path("tiny.onnx"), "refusing to overwrite the input model"),
            (path("q.onnx"), path("out.onnx"), "already quantized"),
            (path("missing.onnx"), path("out.onnx"), "missing.onnx"),
        ]
        for (model, output, message) in outputs {
            let r = try run(["calibrate", model, "--images", path("three"), "--count", "3", "-o", output])
            XCTAssertEqual(r.status, 1, "\(model) -o \(output): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("error: ") && r.err.contains(message), "expected '\(message)' in \(r.err)")
        }
        XCTAssertEqual(try listing(), before, "a failed calibration left files behind")
        XCTAssertEqual(try listing("three"), ["kodim01.jpg", "kodim02.jpg", "kodim03.jpg"])

        // Usage errors: exit code 64.
        for args in [["--images", path("three"), "--uhd-iqa", path("small")], [String](), ["--images", path("three"), "--split", "training"],
                     ["--images", path("three"), "--method", "kl"], ["--images", path("three"), "--count", "0"],
                     ["--images", path("three"), "--keep-fp32", "a,,b"], ["--images", path("three"), "--keep-fp32", "auto:x"],
                     ["--images", path("three"), "--keep-fp32", "auto:0"]] {
            let r = try run(["calibrate", path("tiny.onnx")] + args + ["-o", path("out.onnx")])
            XCTAssertEqual(r.status, 64, "\(args): \(r.err)")
        }
    }

    func testCalibrateSkipsAndListsUndecodablePhotos() throws {
        try makeTinyModel()
        try copyKodak(3, to: "mixed")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: dir.appendingPathComponent("mixed/kodim00-truncated.jpg"))
        let r = try run(["calibrate", path("tiny.onnx"), "--images", path("mixed"), "--count", "4", "-o", path("q.onnx")])
        XCTAssertEqual(r.status, 3, r.err)
        XCTAssertTrue(r.err.contains("1 photo(s) could not be decoded and were skipped"), r.err)
        XCTAssertTrue(r.err.contains("kodim00-truncated.jpg"), r.err)
        XCTAssertTrue(r.out.contains("3 of 4"), r.out)
        try python("""
        import json, onnx
        meta = {p.key: p.value for p in onnx.load(out + '/q.onnx').metadata_props}
        assert json.loads(meta['loupe.calibration.photos']) == ['kodim01.jpg', 'kodim02.jpg', 'kodim03.jpg'], meta
        assert json.loads(meta['loupe.calibration.skipped'])[0].endswith('kodim00-truncated.jpg'), meta
        assert meta['loupe.calibration.samples'] == '3', meta
        """)
    }

    func testCalibrateWithAPresetAndKeptLayers() throws {
        // Symbolic H and W: several presets fit, so one must be chosen.
        try makeTinyModel(height: "H", width: "W")
        try copyKodak(2, to: "two")
        let ambiguous = try run(["calibrate", path("tiny.onnx"), "--images", path("two"), "--count", "2", "-o", path("q.onnx")])
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertTrue(ambiguous.err.contains("fits several presets") && ambiguous.err.contains("--preset"), ambiguous.err)

        let r = try run(["calibrate", path("tiny.onnx"), "--images", path("two"), "--count", "2", "--preset", "gs-piqa",
                         "--method", "entropy", "--keep-fp32", "conv2", "-o", path("q.onnx")])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("gs-piqa") && r.out.contains("entropy(bins: 2048)"), r.out)
        XCTAssertTrue(r.out.contains("kept FP32 node") && r.out.contains("conv2") && r.out.contains("--keep-fp32"), r.out)
        try python("""
        import onnx
        m = onnx.load(out + '/q.onnx')
        meta = {p.key: p.value for p in m.metadata_props}
        assert meta['loupe.calibration.preset'] == 'gs-piqa' and 'conv2' in meta['loupe.quantization.kept_fp32'], meta
        assert [i for i in m.graph.initializer if i.name == 'w2'], 'conv2 kept float weights'
        """)
    }

    /// `--keep-fp32 auto:DB`: a target above what all-int8 reaches (about 36 dB here) keeps
    /// some activations or weights float, says which nodes run float and why, and records
    /// the measurement in the metadata.
    func testCalibrateKeepsTheMostSensitiveLayersForAnOutputSQNRTarget() throws {
        try makeTinyModel()
        try copyKodak(3, to: "three")
        let r = try run(["calibrate", path("tiny.onnx"), "--images", path("three"), "--count", "3",
                         "--keep-fp32", "auto:38.5", "-o", path("q.onnx")])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("--keep-fp32 auto: measuring each of"), r.err)
        XCTAssertTrue(r.out.contains("mixed precision: 3 sample(s); target 38.5 dB"), r.out)
        XCTAssertTrue(r.out.contains("% of the MACs float ("), "the float share of the MACs is reported: \(r.out)")
        XCTAssertTrue(r.out.contains("kept FP32 node") && r.out.contains("isolated output SQNR"), r.out)
        try python("""
        import onnx
        m = onnx.load(out + '/q.onnx')
        meta = {p.key: p.value for p in m.metadata_props}
        assert 'isolated SQNR and float MACs per unit' in meta['loupe.quantization.mixed_precision'], meta
        assert '--keep-fp32 auto' in meta['loupe.quantization.kept_fp32'], meta
        assert meta['loupe.calibration.keep_fp32'] == 'auto:38.5', meta
        """)
        // inspect names every node that now runs float, with calibrate's reason.
        let inspect = try run(["inspect", path("q.onnx")])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        XCTAssertTrue(inspect.out.contains("stay float32 in this quantized model"), inspect.out)
        let kept = inspect.out.split(separator: "\n").filter { $0.contains(": --keep-fp32 auto: ") }
        XCTAssertFalse(kept.isEmpty, inspect.out)
    }

    /// quant-report against ONNX Runtime on the same QDQ file: PNG photos at the model's
    /// exact size, so that both sides see identical input tensors. Per-layer SQNRs agree
    /// within 0.5 dB (the two int8 runtimes may round a few values one code apart).
    func testQuantReportMatchesONNXRuntime() throws {
        try makeTinyModel()
        try python("""
        import os
        from PIL import Image
        kodak = '\(Self.kodak.path)'
        for d, ids in (('calib', range(1, 5)), ('eval', range(5, 13))):
            os.makedirs(f'{out}/{d}')
            for i in ids:
                Image.open(f'{kodak}/kodim{i:02d}.jpg').convert('RGB').resize((64, 48), Image.BILINEAR).save(f'{out}/{d}/k{i:02d}.png')
        """)
        let c = try run(["calibrate", path("tiny.onnx"), "--images", path("calib"), "--count", "4", "-o", path("q.onnx")])
        XCTAssertEqual(c.status, 0, c.err)
        let r = try run(["quant-report", path("tiny.onnx"), path("q.onnx"), "--images", path("eval"), "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        try r.out.write(toFile: path("report.json"), atomically: true, encoding: .utf8)
        try python("""
        import json, glob, onnx, numpy as np, onnxruntime as ort
        from PIL import Image
        rep = json.load(open(out + '/report.json'))
        assert rep['photos'] == 8 and rep['failed'] == 0 and rep['calibration_photos_seen'] == 0, rep
        assert rep['method'] == 'mse' and rep['kept_fp32'] == [], rep  # the default method
        layers = {l['value']: l for l in rep['layers']}
        assert set(layers) == {'x', 'r1', 'c2', 'r2', 'p', 'f', 'logits'}, layers
        assert layers['r1']['node'] == 'conv1' and layers['x']['node'] == '', layers
        assert rep['unmatched'] == [], rep
        def session(path, extra):
            m = onnx.load(path)
            for n in extra: m.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
            return ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider'])
        names = ['r1', 'c2', 'r2', 'p']
        f = session(out + '/tiny.onnx', names)
        q = session(out + '/q.onnx', ['x_dequantized'] + [n + '_dequantized' for n in names])
        sig, noise, fl, ql, agree = {}, {}, [], [], 0
        for p in sorted(glob.glob(out + '/eval/*.png')):
            a = np.asarray(Image.open(p).convert('RGB'), np.float32) / 255
            x = ((a - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).transpose(2, 0, 1)[None].astype(np.float32)
            fa = dict(zip([o.name for o in f.get_outputs()], f.run(None, {'x': x})))
            qa = dict(zip([o.name for o in q.get_outputs()], q.run(None, {'x': x})))
            fa['x'] = x
            for n in ['x'] + names + ['logits']:
                b = qa['logits' if n == 'logits' else n + '_dequantized']
                sig[n] = sig.get(n, 0) + float((fa[n] ** 2).sum()); noise[n] = noise.get(n, 0) + float(((fa[n] - b) ** 2).sum())
            fl += list(fa['logits'].ravel()); ql += list(qa['logits'].ravel())
            agree += int(fa['logits'].argmax() == qa['logits'].argmax())
        for n in ['x'] + names + ['logits']:
            ref = 10 * np.log10(sig[n] / noise[n])
            got = layers[n]['sqnr_db']
            assert abs(got - ref) <= 0.5, (n, got, ref)
        o = rep['outputs'][0]
        assert o['name'] == 'logits' and o['values'] == 32, o
        assert abs(o['plcc'] - np.corrcoef(fl, ql)[0, 1]) <= 0.01, (o, np.corrcoef(fl, ql)[0, 1])
        assert abs(o['top1_agreement'] - agree / 8) <= 1 / 8, (o, agree)
        """)
        // The people's table, and a warning when the report's photos were calibration photos.
        let t = try run(["quant-report", path("tiny.onnx"), path("q.onnx"), "--images", path("calib")])
        XCTAssertEqual(t.status, 0, t.err)
        for text in ["PLCC", "SRCC", "SQNR dB", "top-1 agreement", "conv1", "kept FP32: none"] {
            XCTAssertTrue(t.out.contains(text), "missing '\(text)' in\n\(t.out)")
        }
        XCTAssertTrue(t.err.contains("warning: 4 of the photos were used to calibrate"), t.err)
        // Same model twice: exact, correlation 1.
        let same = try run(["quant-report", path("tiny.onnx"), path("tiny.onnx"), "--images", path("eval"), "--count", "3", "--json"])
        XCTAssertEqual(same.status, 0, same.err)
        let obj = try JSONSerialization.jsonObject(with: Data(same.out.utf8)) as? [String: Any]
        let outs = try XCTUnwrap(obj?["outputs"] as? [[String: Any]])
        XCTAssertEqual(try XCTUnwrap(outs.first?["plcc"] as? Double), 1, accuracy: 1e-9)
        XCTAssertTrue(outs.first?["sqnr_db"] is NSNull, "\(same.out)")
        XCTAssertEqual((obj?["layers"] as? [Any])?.count, 0)
        XCTAssertEqual(obj?["photos"] as? Int, 3)

        // A QDQ file of ONNX Runtime's quantize_static (its own value names) is matched too.
        try python("""
        import glob, numpy as np
        from PIL import Image
        from onnxruntime.quantization import quantize_static, QuantFormat, QuantType, CalibrationDataReader
        def prep(p):
            a = np.asarray(Image.open(p).convert('RGB'), np.float32) / 255
            return ((a - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).transpose(2, 0, 1)[None].astype(np.float32)
        class Reader(CalibrationDataReader):
            def __init__(self): self.it = iter([{'x': prep(p)} for p in sorted(glob.glob(out + '/calib/*.png'))])
            def get_next(self): return next(self.it, None)
        quantize_static(out + '/tiny.onnx', out + '/ort.onnx', Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        """)
        let ort = try run(["quant-report", path("tiny.onnx"), path("ort.onnx"), "--images", path("eval"), "--json"])
        XCTAssertEqual(ort.status, 0, ort.err)
        let ortReport = try JSONSerialization.jsonObject(with: Data(ort.out.utf8)) as? [String: Any]
        let ortLayers = try XCTUnwrap(ortReport?["layers"] as? [[String: Any]]).compactMap { $0["value"] as? String }
        XCTAssertEqual(Set(ortLayers), ["x", "r1", "c2", "r2", "p", "f", "logits"], ort.out)

        let empty = try run(["quant-report", path("tiny.onnx"), path("q.onnx"), "--images", path("nothing")])
        XCTAssertEqual(empty.status, 1)
        XCTAssertTrue(empty.err.contains("no such folder"), empty.err)
    }
}
