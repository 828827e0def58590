// swift-tools-version:5.9
import PackageDescription

// Which target may depend on which: the layering table in docs/architecture.md
// (Tests/PackageLayoutTests checks every dependency below against it).
let package = Package(
    name: "Loupe",
    products: [
        .library(name: "Loupe", targets: ["Loupe", "LoupeNumPy", "LoupeImaging", "LoupeIQA", "LoupeProfile", "LoupeCalibration"]),
        .executable(name: "loupe", targets: ["loupe"]),
        .executable(name: "loupe-bench", targets: ["LoupeBench"]),
    ],
    dependencies: [
        // 1.31 is the oldest runtime of the generated onnx.pb.swift (its name maps); SwiftPM
        // takes the newest release whose manifest the toolchain reads (1.39 needs Swift 6.2,
        // so Swift 6.0 gets an older one).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.31.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Debian's XNNPACK behind one operator API (include/CXNNPACK.h) for its 2022 and 2024
        // versions; which one is compiled follows the installed xnnpack.h.
        .target(
            name: "CXNNPACK",
            linkerSettings: [.linkedLibrary("XNNPACK"), .linkedLibrary("pthreadpool")]),
        // No unsafe flags, so other packages can depend on Loupe: the kernels get SwiftPM's
        // release -O2 (as fast as -O3 here, Kernels/README.md), and ./test.sh passes -Xcc -O2
        // so the tests run them as shipped rather than at debug -O0.
        .target(name: "LoupeKernels", path: "Kernels", exclude: ["README.md"]),
        .target(name: "LoupeIR"),
        .target(
            name: "LoupeONNX",
            dependencies: ["LoupeIR", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Proto/onnx.proto"]),
        .target(name: "LoupePasses", dependencies: ["LoupeIR", "LoupeReference"]),
        .target(name: "LoupeReference", dependencies: ["LoupeIR"]),
        .target(name: "LoupeRuntime", dependencies: ["LoupeIR", "LoupeKernels", "CXNNPACK"]),
        .target(name: "Loupe", dependencies: ["LoupeIR", "LoupeONNX", "LoupePasses", "LoupeReference", "LoupeRuntime"]),
        // NumPy .npy reading and writing: the tensor files of `loupe run` and of the tests.
        .target(name: "LoupeNumPy", dependencies: ["LoupeIR"]),
        // libpng / libjpeg-turbo glue: their errors arrive through longjmp and callbacks,
        // which only C can catch safely.
        .target(
            name: "LoupeCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("turbojpeg")]),
        .target(name: "LoupeImaging", dependencies: ["LoupeIR", "LoupeKernels", "LoupeCodecs"]),
        .target(name: "LoupeIQA", dependencies: ["Loupe", "LoupeImaging"]),
        .target(name: "LoupeProfile", dependencies: ["Loupe", "LoupeImaging", "LoupeKernels"]),
        // INT8 post-training quantization: observers, calibrators, quantizer.
        .target(name: "LoupeCalibration", dependencies: ["LoupeIR", "Loupe"], path: "Calibration",
                exclude: ["README.md"]),
        .executableTarget(
            name: "loupe",
            dependencies: ["Loupe", "LoupeNumPy", "LoupeImaging", "LoupeIQA", "LoupeProfile", "LoupeCalibration",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "LoupeBench", dependencies: ["Loupe"], path: "Bench/Sources/LoupeBench"),
        // Helpers shared by the test targets: seeded generator, subprocesses, python3 references.
        .target(name: "LoupeTestSupport", dependencies: ["LoupeIR"], path: "Tests/LoupeTestSupport"),
        .testTarget(name: "LoupeIRTests", dependencies: ["LoupeIR", "LoupeTestSupport"]),
        .testTarget(name: "LoupeONNXTests", dependencies: ["LoupeONNX", "LoupeIR", "LoupeTestSupport"]),
        .testTarget(name: "LoupePassesTests", dependencies: ["LoupePasses", "LoupeReference", "LoupeIR", "LoupeONNX", "LoupeTestSupport"]),
        .testTarget(name: "LoupeReferenceTests", dependencies: ["LoupeReference", "LoupeIR", "LoupeTestSupport"]),
        .testTarget(name: "LoupeRuntimeTests", dependencies: ["LoupeRuntime", "LoupeReference", "LoupePasses", "LoupeIR", "LoupeTestSupport"]),
        .testTarget(name: "LoupeKernelsTests", dependencies: ["LoupeKernels", "LoupeTestSupport"]),
        .testTarget(name: "ConformanceTests", dependencies: ["Loupe", "LoupeNumPy", "LoupeTestSupport"]),
        .testTarget(name: "LoupeImagingTests", dependencies: ["LoupeImaging", "LoupeKernels", "LoupeTestSupport"]),
        .testTarget(name: "LoupeIQATests", dependencies: ["LoupeIQA", "LoupeTestSupport"]),
        .testTarget(name: "LoupeProfileTests", dependencies: ["LoupeProfile", "LoupeTestSupport"]),
        .testTarget(name: "LoupeCalibrationTests", dependencies: ["LoupeCalibration", "Loupe", "LoupeNumPy", "LoupeTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Loupe", "LoupeTestSupport"]),
        .testTarget(name: "PackageLayoutTests"),
    ]
)
