// swift-tools-version:5.9
import PackageDescription

// libFuzzer targets for Loupe's readers of untrusted files. A package of its own, so that
// the main package never carries fuzzer flags: scripts/fuzz/run.sh builds it with
// `swift build --sanitize=fuzzer --sanitize=address`, which instruments Loupe's targets
// too (they come in through the path dependency below). Each target defines
// LLVMFuzzerTestOneInput; libFuzzer provides main.
let package = Package(
    name: "LoupeFuzz",
    dependencies: [
        .package(name: "Loupe", path: ".."),
    ],
    targets: [
        // ONNX bytes → importer → optimization pipeline → executor, then one run on zeros.
        .executableTarget(name: "FuzzONNX", dependencies: [.product(name: "Loupe", package: "Loupe")]),
        // .npy bytes → NumPy.read(data:) → encode → read again.
        .executableTarget(name: "FuzzNumPy", dependencies: [.product(name: "Loupe", package: "Loupe")]),
        // PNG/JPEG bytes → header, full decode, DCT-scaled decode for a preset.
        .executableTarget(name: "FuzzImage", dependencies: [.product(name: "Loupe", package: "Loupe")]),
        // CSV text → CSVTable → UHD-IQA metadata, label tables, challenge results, score files.
        .executableTarget(name: "FuzzCSV", dependencies: [.product(name: "Loupe", package: "Loupe")]),
    ]
)
