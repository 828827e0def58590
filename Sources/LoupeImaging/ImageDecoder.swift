import Foundation
import LoupeCodecs
import LoupeIR

/// How photos are decoded.
public struct DecodeOptions: Sendable {
    /// Largest accepted image, in pixels (width x height as the file's header declares it,
    /// before any DCT scaling). Default 100,000,000 (100 MP: a 3840x2160 photo is 8.3 MP,
    /// the largest consumer sensors ~ 100-200 MP). Checked from the header, before the
    /// pixel buffer is allocated, so a file declaring 100000x100000 costs nothing.
    public var maxPixels: Int
    /// The smallest size (in display orientation, i.e. after EXIF rotation) the caller
    /// needs. A JPEG is then decoded with the largest DCT-domain reduction (1/8, 1/4, 1/2)
    /// whose output still covers this size in both dimensions; nil decodes at full size.
    /// PNG ignores it. Use ``Preset/minimumDecodeSize(width:height:)`` or
    /// ``ImageDecoder/decode(contentsOf:for:options:)``.
    public var minimumSize: (width: Int, height: Int)?
    /// Apply the JPEG's EXIF orientation (APP1 Exif, IFD0 tag 0x0112), as
    /// Pillow's `ImageOps.exif_transpose` does. PNG eXIf chunks are not read.
    public var applyEXIFOrientation: Bool = true

    public init(maxPixels: Int = 100_000_000, minimumSize: (width: Int, height: Int)? = nil,
                applyEXIFOrientation: Bool = true) {
        self.maxPixels = maxPixels
        self.minimumSize = minimumSize
        self.applyEXIFOrientation = applyEXIFOrientation
    }
}

/// Image formats Loupe decodes. The format comes from the file's first bytes, never its name.
public enum ImageFormat: String, Sendable {
    case jpeg, png
}

/// What a file's header says, read without decoding pixels.
public struct ImageHeader: Sendable, Hashable {
    public var format: ImageFormat
    /// Size as stored in the file.
    public var width: Int
    public var height: Int
    /// EXIF orientation 1...8 (1 when absent or not a JPEG).
    public var orientation: Int
    /// Size as displayed: width and height swapped for orientations 5...8.
    public var displayWidth: Int { orientation >= 5 ? height : width }
    public var displayHeight: Int { orientation >= 5 ? width : height }
}

/// Decodes JPEG (libjpeg-turbo, TurboJPEG API) and PNG (libpng) photos to ``RGBImage``.
///
/// Everything a file can get wrong becomes ``LoupeIR/LoupeError/badImage(path:reason:)``:
/// an empty file, an unknown or unsupported format, a corrupt or truncated stream, a
/// declared size over ``DecodeOptions/maxPixels``. JPEG is strict: libjpeg warnings
/// (premature end of data, corrupt entropy-coded data) are errors, so a partially
/// decoded photo is never scored. Alpha is dropped, not composited (as Pillow's
/// `convert("RGB")`); 16-bit samples keep their high byte. Thread-safe: no shared state.
public enum ImageDecoder {
    /// Decodes the file at `path`. A file that cannot be read is ``LoupeIR/LoupeError/io(_:)``.
    public static func decode(contentsOf path: String, options: DecodeOptions = .init()) throws -> RGBImage {
        try decode(data: read(path), name: path, options: options)
    }

    /// Decodes the file at `path` at the smallest size `preset` needs (JPEG DCT scaling).
    public static func decode(contentsOf path: String, for preset: Preset, options: DecodeOptions = .init()) throws -> RGBImage {
        try decode(data: read(path), name: path, for: preset, options: options)
    }

    /// Decodes in-memory file bytes; `name` only labels errors.
    public static func decode(data: Data, name: String, options: DecodeOptions = .init()) throws -> RGBImage {
        let format = try detectFormat(data, name: name)
        return try data.withUnsafeBytes { raw -> RGBImage in
            let bytes = raw.bindMemory(to: UInt8.self)
            switch format {
            case .png: return try decodePNG(bytes, name: name, options: options)
            case .jpeg: return try decodeJPEG(bytes, name: name, options: options)
            }
        }
    }

    /// Decodes in-memory bytes at the smallest size `preset` needs.
    public static func decode(data: Data, name: String, for preset: Preset, options: DecodeOptions = .init()) throws -> RGBImage {
        var options = options
        let h = try header(data: data, name: name, applyEXIFOrientation: options.applyEXIFOrientation)
        options.minimumSize = preset.minimumDecodeSize(width: h.displayWidth, height: h.displayHeight)
        return try decode(data: data, name: name, options: options)
    }

    /// Reads format, size and orientation without decoding pixels.
    public static func header(data: Data, name: String, applyEXIFOrientation: Bool = true) throws -> ImageHeader {
        let format = try detectFormat(data, name: name)
        return try data.withUnsafeBytes { raw -> ImageHeader in
            let bytes = raw.bindMemory(to: UInt8.self)
            switch format {
            case .png:
                let h = try pngHeader(bytes, name: name)
                return ImageHeader(format: .png, width: Int(h.width), height: Int(h.height), orientation: 1)
            case .jpeg:
                let h = try jpegHeader(bytes, name: name)
                let o = applyEXIFOrientation ? EXIF.orientation(jpeg: bytes) : 1
                return ImageHeader(format: .jpeg, width: Int(h.width), height: Int(h.height), orientation: o)
            }
        }
    }

    /// The format from the first bytes. Known but unsupported formats are named in the error.
    public static func detectFormat(_ data: Data, name: String) throws -> ImageFormat {
        if data.isEmpty { throw LoupeError.badImage(path: name, reason: "empty file (0 bytes)") }
        let head = [UInt8](data.prefix(16))
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + sig.count && Array(head[offset..<offset + sig.count]) == sig
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        let others: [(String, [UInt8], Int)] = [
            ("GIF", Array("GIF8".utf8), 0), ("WebP", Array("WEBP".utf8), 8), ("BMP", Array("BM".utf8), 0),
            ("TIFF", [0x49, 0x49, 0x2A, 0x00], 0), ("TIFF", [0x4D, 0x4D, 0x00, 0x2A], 0),
            ("HEIF/AVIF", Array("ftyp".utf8), 4), ("JPEG 2000", [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50], 0),
            ("JPEG XL", [0xFF, 0x0A], 0),
        ]
        for (format, sig, offset) in others where starts(sig, at: offset) {
            throw LoupeError.badImage(path: name, reason: "unsupported format \(format) (Loupe decodes JPEG and PNG)")
        }
        let hex = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw LoupeError.badImage(path: name, reason: "not a JPEG or PNG file (starts with \(hex))")
    }

    // MARK: - Internals

    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw LoupeError.io("cannot read \(path): \(error.localizedDescription)")
        }
    }

    private static func checkSize(_ width: Int, _ height: Int, name: String, options: DecodeOptions) throws {
        guard width > 0, height > 0 else {
            throw LoupeError.badImage(path: name, reason: "header declares an empty image (\(width)x\(height))")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > options.maxPixels {
            throw LoupeError.badImage(path: name, reason: "\(width)x\(height) exceeds the pixel cap of \(options.maxPixels) pixels")
        }
    }

    private static func withError<R>(_ body: (UnsafeMutablePointer<CChar>, Int) -> R) -> (R, String) {
        var buffer = [CChar](repeating: 0, count: 256)
        let r = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (r, message)
    }

    private static func pngHeader(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> loupe_png_header {
        var h = loupe_png_header()
        let (rc, message) = withError { loupe_png_read_header(bytes.baseAddress, bytes.count, &h, $0, $1) }
        if rc != 0 { throw LoupeError.badImage(path: name, reason: "PNG: \(message)") }
        return h
    }

    private static func jpegHeader(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> loupe_jpeg_header {
        var h = loupe_jpeg_header()
        let (rc, message) = withError { loupe_jpeg_read_header(bytes.baseAddress, bytes.count, &h, $0, $1) }
        if rc != 0 { throw LoupeError.badImage(path: name, reason: "JPEG: \(message)") }
        return h
    }

    private static func decodePNG(_ bytes: UnsafeBufferPointer<UInt8>, name: String, options: DecodeOptions) throws -> RGBImage {
        let h = try pngHeader(bytes, name: name)
        let width = Int(h.width), height = Int(h.height)
        try checkSize(width, height, name: name, options: options)
        let count = width * height * 3
        var message = ""
        let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let (rc, m) = withError {
                loupe_png_decode_rgb8(bytes.baseAddress, bytes.count, h.width, h.height, buffer.baseAddress, count, $0, $1)
            }
            message = m
            if rc != 0 {
                initialized = 0
                throw LoupeError.badImage(path: name, reason: "PNG: \(message)")
            }
            initialized = count
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The largest DCT reduction 1/d (d in 8, 4, 2) whose output covers `minimum` (in stored
    /// orientation), else 1.
    static func jpegScale(width: Int, height: Int, minimum: (width: Int, height: Int)?) -> Int {
        guard let minimum else { return 1 }
        for d in [8, 4, 2] {
            let w = Int(loupe_jpeg_scaled_dim(Int32(width), Int32(d)))
            let h = Int(loupe_jpeg_scaled_dim(Int32(height), Int32(d)))
            if w >= minimum.width && h >= minimum.height { return d }
        }
        return 1
    }

    private static func decodeJPEG(_ bytes: UnsafeBufferPointer<UInt8>, name: String, options: DecodeOptions) throws -> RGBImage {
        let h = try jpegHeader(bytes, name: name)
        try checkSize(Int(h.width), Int(h.height), name: name, options: options)
        let orientation = options.applyEXIFOrientation ? EXIF.orientation(jpeg: bytes) : 1
        var minimum = options.minimumSize
        if orientation >= 5, let m = minimum { minimum = (m.height, m.width) }
        let d = jpegScale(width: Int(h.width), height: Int(h.height), minimum: minimum)
        let width = Int(loupe_jpeg_scaled_dim(h.width, Int32(d))), height = Int(loupe_jpeg_scaled_dim(h.height, Int32(d)))
        let count = width * height * 3
        let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let (rc, message) = withError {
                loupe_jpeg_decode_rgb8(bytes.baseAddress, bytes.count, Int32(d), buffer.baseAddress, count, $0, $1)
            }
            if rc != 0 {
                initialized = 0
                throw LoupeError.badImage(path: name, reason: "JPEG: \(message)")
            }
            initialized = count
        }
        return RGBImage(width: width, height: height, pixels: pixels).oriented(exif: orientation)
    }
}
