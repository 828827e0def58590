import LoupeKernels

/// An 8-bit RGB image: `width * height * 3` bytes, interleaved R, G, B, rows top to bottom
/// with no padding. What the decoders produce and the presets consume.
public struct RGBImage: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// RGB8 interleaved, row-major, `width * height * 3` bytes.
    public var pixels: [UInt8]

    /// An image over `pixels`; `pixels.count` must equal `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// A rectangle of pixels: origin (`x`, `y`) at the top-left, `width` by `height`.
public struct PixelRect: Sendable, Hashable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The `width` x `height` rectangle centred in a `outerWidth` x `outerHeight` image
    /// (offsets rounded down).
    public static func centered(width: Int, height: Int, in outerWidth: Int, _ outerHeight: Int) -> PixelRect {
        PixelRect(x: (outerWidth - width) / 2, y: (outerHeight - height) / 2, width: width, height: height)
    }
}

/// Resampling filters with Pillow's semantics (`Image.resize(size, filter)`).
public enum ResampleFilter: Sendable, CaseIterable {
    /// Pillow `BILINEAR`: triangle filter whose support grows with the downscale factor
    /// (antialiased).
    case bilinear
    /// Pillow `BOX`: area average.
    case box

    var kernel: loupe_resample_filter {
        switch self {
        case .bilinear: return loupe_resample_bilinear
        case .box: return loupe_resample_box
        }
    }
}

extension RGBImage {
    /// The pixels inside `rect`, which must lie within the image.
    public func cropped(_ rect: PixelRect) -> RGBImage {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.width >= 0 && rect.height >= 0
                     && rect.x + rect.width <= width && rect.y + rect.height <= height,
                     "crop \(rect) outside \(width)x\(height)")
        if rect == PixelRect(x: 0, y: 0, width: width, height: height) { return self }
        let rowBytes = rect.width * 3
        var out = [UInt8](repeating: 0, count: rowBytes * rect.height)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rect.height {
                    let from = ((rect.y + row) * width + rect.x) * 3
                    UnsafeMutableRawPointer(dst.baseAddress! + row * rowBytes)
                        .copyMemory(from: src.baseAddress! + from, byteCount: rowBytes)
                }
            }
        }
        return RGBImage(width: rect.width, height: rect.height, pixels: out)
    }

    /// This image (or the part inside `region`) resized to `width` x `height`, equal to
    /// Pillow's `im.crop(region).resize((width, height), filter)` byte for byte.
    /// `isa` forces a kernel variant (tests); nil picks the best for this CPU.
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResampleFilter = .bilinear,
                        region: PixelRect? = nil, isa: loupe_isa? = nil) -> RGBImage {
        let r = region ?? PixelRect(x: 0, y: 0, width: width, height: height)
        precondition(outWidth > 0 && outHeight > 0 && r.width > 0 && r.height > 0, "resize to or from an empty image")
        precondition(r.x >= 0 && r.y >= 0 && r.x + r.width <= width && r.y + r.height <= height,
                     "resize region \(r) outside \(width)x\(height)")
        let count = outWidth * outHeight * 3
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let rc = pixels.withUnsafeBufferPointer { src in
                loupe_u8_resize_rgb(r.width, r.height, src.baseAddress! + (r.y * width + r.x) * 3, width * 3,
                                    outWidth, outHeight, buffer.baseAddress!, outWidth * 3, filter.kernel,
                                    isa.map { Int32($0.rawValue) } ?? LOUPE_RESAMPLE_AUTO)
            }
            precondition(rc == 0, "resize: out of memory")
            initialized = count
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// The image as a viewer shows it given its EXIF orientation tag (1...8; others act as 1):
    /// Pillow's `ImageOps.exif_transpose`. Orientations 5...8 swap width and height.
    public func oriented(exif orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation), width > 0, height > 0 else { return self }
        let swap = orientation >= 5
        let out = [UInt8](unsafeUninitializedCapacity: pixels.count) { buffer, initialized in
            pixels.withUnsafeBufferPointer { src in
                loupe_u8_rgb_orient__scalar(width, height, src.baseAddress!, Int32(orientation), buffer.baseAddress!)
            }
            initialized = pixels.count
        }
        return RGBImage(width: swap ? height : width, height: swap ? width : height, pixels: out)
    }
}
