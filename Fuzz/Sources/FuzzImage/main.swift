import Foundation
import Loupe
import LoupeImaging

// Every input is a candidate photo (the format comes from its first bytes): reading the
// header, decoding at full size and decoding at the size a preset needs (JPEG DCT scaling,
// EXIF orientation) must give an image or LoupeError.badImage. The pixel cap is lower than
// the library's default so that one input cannot take the fuzzer's whole memory budget.
let options = DecodeOptions(maxPixels: 16_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let header = try? ImageDecoder.header(data: data, name: "fuzz") else { return 0 }
    if let image = try? ImageDecoder.decode(data: data, name: "fuzz", options: options) {
        precondition(image.width == header.displayWidth && image.height == header.displayHeight,
                     "decoded size \(image.width)x\(image.height) differs from the header's \(header.displayWidth)x\(header.displayHeight)")
    }
    _ = try? ImageDecoder.decode(data: data, name: "fuzz", for: .baseline, options: options)
    return 0
}
