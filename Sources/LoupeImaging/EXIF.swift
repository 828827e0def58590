/// The EXIF orientation of a JPEG: APP1 "Exif\0\0" segment, TIFF header, IFD0 tag 0x0112
/// (SHORT). Every read is bounds-checked; anything malformed or absent means 1 (as stored).
enum EXIF {
    static func orientation(jpeg d: UnsafeBufferPointer<UInt8>) -> Int {
        let n = d.count
        guard n >= 4, d[0] == 0xFF, d[1] == 0xD8 else { return 1 }
        var i = 2
        while i + 4 <= n {
            guard d[i] == 0xFF else { return 1 }
            let marker = d[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { i += 2; continue }  // no length
            if marker == 0xDA || marker == 0xD9 { return 1 }  // scan data / end: no more headers
            let length = Int(d[i + 2]) << 8 | Int(d[i + 3])
            guard length >= 2, i + 2 + length <= n else { return 1 }
            let start = i + 4, end = i + 2 + length
            if marker == 0xE1, end - start >= 14,
               Array(d[start..<start + 6]) == [0x45, 0x78, 0x69, 0x66, 0x00, 0x00] {
                return tiffOrientation(d, from: start + 6, to: end) ?? 1
            }
            i = end
        }
        return 1
    }

    /// Orientation from a TIFF structure occupying d[from..<to].
    static func tiffOrientation(_ d: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let count = to - from
        guard count >= 8 else { return nil }
        let little: Bool
        switch (d[from], d[from + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= count else { return nil }
            let a = Int(d[from + o]), b = Int(d[from + o + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for e in 0..<entries {
            let entry = ifd + 2 + 12 * e
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}
