import Foundation
import LoupeKernels
import XCTest
@testable import LoupeImaging

/// Timings on a large photo, run only when LOUPE_IMAGING_BENCH names a JPEG (use a release
/// build: `LOUPE_IMAGING_BENCH=photo.jpg swift test -c release --filter ImagingBenchmarks`).
final class ImagingBenchmarks: XCTestCase {
    func median(_ runs: Int = 7, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let t = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        }
        return times.sorted()[runs / 2]
    }

    func testTimings() throws {
        guard let path = ProcessInfo.processInfo.environment["LOUPE_IMAGING_BENCH"] else {
            throw XCTSkip("set LOUPE_IMAGING_BENCH to a JPEG path")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let full = try ImageDecoder.decode(data: data, name: path)
        print("photo \(full.width)x\(full.height), \(data.count) bytes, ISA \(String(cString: loupe_isa_name(loupe_detect_isa())))")
        for d in [1, 2, 4, 8] {
            let m = ((full.width + d - 1) / d, (full.height + d - 1) / d)
            let ms = try median { _ = try ImageDecoder.decode(data: data, name: path, options: DecodeOptions(minimumSize: m)) }
            print(String(format: "decode 1/%d: %.1f ms", d, ms))
        }
        for (name, isa) in [("scalar", loupe_isa_scalar), ("avx2", loupe_isa_avx2), ("avx512", loupe_isa_avx512)]
        where loupe_isa_available(isa) != 0 {
            for filter in ResampleFilter.allCases {
                let ms = median { _ = full.resized(width: 1280, height: 720, filter: filter, isa: isa) }
                print(String(format: "resize %dx%d -> 1280x720 %@ %@: %.1f ms", full.width, full.height, "\(filter)", name, ms))
            }
            let crop = PixelRect.centered(width: 1920, height: 960, in: full.width, full.height)
            let ms = median { _ = full.resized(width: 1280, height: 720, region: crop, isa: isa) }
            print(String(format: "resize crop 1920x960 -> 1280x720 bilinear %@: %.1f ms", name, ms))
        }
        let small = full.resized(width: 1280, height: 720)
        print(String(format: "normalize 1280x720 -> NCHW float: %.2f ms", try median { _ = try Normalization.imagenet.tensor(small) }))
        print(String(format: "EXIF orientation 6 (rotate 90) of the full photo: %.1f ms", median { _ = full.oriented(exif: 6) }))
        for preset in Preset.allCases {
            let prep = try median(5) { _ = try preset.prepare(full) }
            let e2e = try median(5) { _ = try preset.prepare(try ImageDecoder.decode(data: data, name: path, for: preset)) }
            print(String(format: "preset %@: prepare %.1f ms, decode(for:) + prepare %.1f ms", preset.rawValue, prep, e2e))
        }
    }
}
