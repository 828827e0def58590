import Foundation
import LoupeIR

/// Reads and writes NumPy `.npy` files: the tensor format of `loupe run` and of the test
/// fixtures.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0, C order, and the little-endian (or
/// byte-order-free) element types float32, float64, float16, int8, uint8, int16, uint16,
/// int32, uint32, int64 and bool. float64 and float16 are converted to `Float`; integer and
/// bool elements are held as `Int64`; the tensor's `dtype` keeps the file's type.
/// Writing emits version 1.0 (2.0 when the header needs it): float tensors as `<f4`,
/// integer and bool tensors as `<i8`.
///
/// Every malformed file — bad magic, truncated header or data, a header that is not the
/// dictionary NumPy writes, Fortran order, big-endian or structured types — throws
/// ``LoupeError/badInput(_:)``; I/O failures throw ``LoupeError/io(_:)``.
public enum NumPy {
    /// The first six bytes of every `.npy` file.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads the `.npy` file at `path`.
    public static func read(contentsOf path: String) throws -> Tensor {
        // A FIFO or a device is refused by name instead of blocking or reading forever.
        let data = try RegularFile.read(path, what: ".npy file")
        do {
            return try read(data: data)
        } catch LoupeError.badInput(let message) {
            throw LoupeError.badInput("\(path): \(message)")
        }
    }

    /// Parses the bytes of a `.npy` file.
    public static func read(data: Data) throws -> Tensor {
        try data.withUnsafeBytes { try parse(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `tensor` to `path` as `.npy` (float tensors as float32, integer and bool
    /// tensors as int64), replacing any existing regular file. A path that exists and is
    /// not a regular file (a device such as `/dev/stdout`, a FIFO) is written in place, and
    /// a failed write (`/dev/full`) is `LoupeError.io` naming the path.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let data = try encode(tensor)
        var st = stat()
        let exists = stat(path, &st) == 0
        let kind = st.st_mode & mode_t(S_IFMT)
        if exists && kind != mode_t(S_IFREG) && kind != mode_t(S_IFDIR) {
            // An atomic write renames a new file over the path: run as root, it put a
            // regular file in the place of /dev/full and reported success.
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw LoupeError.io("cannot open \(path) for writing")
            }
            do {
                try handle.write(contentsOf: data)
                try handle.close()
            } catch {
                throw LoupeError.io("cannot write \(path): \(error.localizedDescription)")
            }
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LoupeError.io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The bytes of `tensor` as a `.npy` file (float tensors as float32, integer and bool
    /// tensors as int64).
    public static func encode(_ tensor: Tensor) throws -> Data {
        let descr: String
        switch tensor.storage {
        case .float: descr = "<f4"
        case .int: descr = "<i8"
        }
        let shape: String
        switch tensor.shape.count {
        case 0: shape = "()"
        case 1: shape = "(\(tensor.shape[0]),)"
        default: shape = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Version 1.0 has a 2-byte header length, 2.0 a 4-byte one; the total preamble is
        // padded with spaces to a multiple of 64 bytes and ends with a newline, as NumPy does.
        let version: UInt8 = header.utf8.count + 1 + 10 + 63 < 65536 ? 1 : 2
        let preamble = version == 1 ? 10 : 12
        let unpadded = preamble + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"

        var out = Data(magic)
        out.append(contentsOf: [version, 0])
        let length = header.utf8.count
        if version == 1 {
            out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        } else {
            out.append(contentsOf: (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) })
        }
        out.append(contentsOf: Array(header.utf8))
        switch tensor.storage {
        case .float(let values):
            out.reserveCapacity(out.count + values.count * 4)
            for v in values { appendLittleEndian(v.bitPattern, to: &out) }
        case .int(let values):
            out.reserveCapacity(out.count + values.count * 8)
            for v in values { appendLittleEndian(UInt64(bitPattern: v), to: &out) }
        }
        return out
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    // MARK: - Parsing

    /// Element types a `.npy` file may hold, by their `descr` without byte-order character.
    private enum Element {
        case f2, f4, f8, i1, u1, i2, u2, i4, u4, i8, b1

        init?(_ code: Substring) {
            switch code {
            case "f2": self = .f2
            case "f4": self = .f4
            case "f8": self = .f8
            case "i1": self = .i1
            case "u1": self = .u1
            case "i2": self = .i2
            case "u2": self = .u2
            case "i4": self = .i4
            case "u4": self = .u4
            case "i8": self = .i8
            case "b1", "?": self = .b1
            default: return nil
            }
        }

        var size: Int {
            switch self {
            case .i1, .u1, .b1: return 1
            case .f2, .i2, .u2: return 2
            case .f4, .i4, .u4: return 4
            case .f8, .i8: return 8
            }
        }

        var dtype: DType {
            switch self {
            case .f2: return .float16
            case .f4: return .float32
            case .f8: return .float64
            case .i1: return .int8
            case .u1: return .uint8
            case .i2: return .int16
            case .u2: return .uint16
            case .i4: return .int32
            case .u4: return .uint32
            case .i8: return .int64
            case .b1: return .bool
            }
        }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Tensor {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw LoupeError.badInput("not a .npy file (\(bytes.count) bytes; expected the magic \\x93NUMPY)")
        }
        let major = bytes[6], minor = bytes[7]
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else {
                throw LoupeError.badInput("truncated .npy preamble (\(bytes.count) bytes)")
            }
            headerStart = 12
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw LoupeError.badInput("unsupported .npy format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw LoupeError.badInput(
                "truncated .npy header: it declares \(headerLength) bytes, the file has \(bytes.count - headerStart) after the preamble")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        // Versions 1 and 2 encode the header as latin-1, version 3 as UTF-8; the keys and
        // values we accept are ASCII either way, so any non-ASCII byte is an error below.
        var parser = HeaderParser(Array(headerBytes))
        let fields = try parser.parseDictionary()

        guard case .string(let descr)? = fields["descr"] else {
            throw LoupeError.badInput(
                fields["descr"] == nil ? ".npy header has no 'descr'" : ".npy 'descr' is not a simple type string (structured dtypes are not supported)")
        }
        guard case .bool(let fortranOrder)? = fields["fortran_order"] else {
            throw LoupeError.badInput(".npy header has no boolean 'fortran_order'")
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw LoupeError.badInput(".npy header has no 'shape' tuple")
        }
        for key in fields.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw LoupeError.badInput(".npy header has an unexpected key '\(key)'")
        }
        if fortranOrder {
            throw LoupeError.badInput(
                ".npy array is in Fortran order; Loupe reads C order only (save with np.ascontiguousarray)")
        }
        guard let order = descr.first, "<|=>".contains(order) else {
            throw LoupeError.badInput("unsupported .npy dtype '\(descr)' (bad byte-order character)")
        }
        guard let element = Element(descr.dropFirst()) else {
            throw LoupeError.badInput(
                "unsupported .npy dtype '\(descr)' (expected float32/64/16, int8/16/32/64, uint8/16/32 or bool)")
        }
        switch order {
        case "<", "|":
            break
        case "=":
            #if !_endian(little)
            throw LoupeError.badInput("native-order .npy dtype '\(descr)' on a big-endian host is not supported")
            #endif
            break
        case ">":
            if element.size != 1 {
                throw LoupeError.badInput("big-endian .npy dtype '\(descr)' is not supported (save with '<' order)")
            }
        default:
            throw LoupeError.badInput("unsupported .npy dtype '\(descr)' (bad byte-order character)")
        }

        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw LoupeError.badInput(".npy shape \(shape) is too large") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: element.size)
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard !overflow, byteCount == available else {
            throw LoupeError.badInput(
                ".npy data of shape \(shape) and dtype '\(descr)' needs \(overflow ? "too many" : String(byteCount)) bytes, the file has \(available)")
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        switch element {
        case .f4:
            return Tensor(shape: shape, floats: load(payload, count) { Float(bitPattern: UInt32(littleEndian: $0)) })
        case .f8:
            return Tensor(shape: shape, floats: load(payload, count) { Float(Double(bitPattern: UInt64(littleEndian: $0))) }, dtype: .float64)
        case .f2:
            return Tensor(shape: shape, floats: load(payload, count) { floatFromHalf(UInt16(littleEndian: $0)) }, dtype: .float16)
        case .i1:
            return Tensor(shape: shape, ints: load(payload, count) { (v: UInt8) in Int64(Int8(bitPattern: v)) }, dtype: .int8)
        case .u1:
            return Tensor(shape: shape, ints: load(payload, count) { (v: UInt8) in Int64(v) }, dtype: .uint8)
        case .b1:
            return Tensor(shape: shape, ints: load(payload, count) { (v: UInt8) in v != 0 ? 1 : 0 }, dtype: .bool)
        case .i2:
            return Tensor(shape: shape, ints: load(payload, count) { Int64(Int16(bitPattern: UInt16(littleEndian: $0))) }, dtype: .int16)
        case .u2:
            return Tensor(shape: shape, ints: load(payload, count) { Int64(UInt16(littleEndian: $0)) }, dtype: .uint16)
        case .i4:
            return Tensor(shape: shape, ints: load(payload, count) { Int64(Int32(bitPattern: UInt32(littleEndian: $0))) }, dtype: .int32)
        case .u4:
            return Tensor(shape: shape, ints: load(payload, count) { Int64(UInt32(littleEndian: $0)) }, dtype: .uint32)
        case .i8:
            return Tensor(shape: shape, ints: load(payload, count) { Int64(bitPattern: UInt64(littleEndian: $0)) }, dtype: .int64)
        }
    }

    /// Decodes `count` unaligned raw elements of type `Raw` with `convert`.
    private static func load<Raw: FixedWidthInteger, Out>(
        _ payload: UnsafeRawBufferPointer, _ count: Int, _ convert: (Raw) -> Out
    ) -> [Out] {
        let stride = MemoryLayout<Raw>.size
        return [Out](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                buffer[i] = convert(payload.loadUnaligned(fromByteOffset: i * stride, as: Raw.self))
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN included).
    static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }

    // MARK: - Header dictionary

    enum HeaderValue: Equatable {
        case string(String)
        case bool(Bool)
        case int(Int)
        case tuple([Int])
        case other
    }

    /// Parses the Python dictionary literal NumPy writes, e.g.
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }`.
    /// Only string keys and string / True / False / tuple-of-int values are understood;
    /// anything else (a structured dtype's list) parses as `.other` so the caller can say why.
    struct HeaderParser {
        let bytes: [UInt8]
        var i = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        private func fail(_ what: String) -> LoupeError {
            let text = String(decoding: bytes.prefix(200).map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            return LoupeError.badInput("malformed .npy header (\(what) at offset \(i)): \(text.debugDescription)")
        }

        private mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        private mutating func expect(_ c: Character) throws {
            skipSpace()
            guard i < bytes.count, bytes[i] == c.asciiValue! else { throw fail("expected '\(c)'") }
            i += 1
        }

        private mutating func peek() -> UInt8? {
            skipSpace()
            return i < bytes.count ? bytes[i] : nil
        }

        mutating func parseDictionary() throws -> [String: HeaderValue] {
            var out: [String: HeaderValue] = [:]
            try expect("{")
            while true {
                if peek() == UInt8(ascii: "}") { i += 1; break }
                let key = try parseString()
                try expect(":")
                guard out[key] == nil else { throw fail("duplicate key '\(key)'") }
                out[key] = try parseValue(depth: 0)
                switch peek() {
                case UInt8(ascii: ","): i += 1
                case UInt8(ascii: "}"): i += 1; skipSpace()
                    guard i == bytes.count else { throw fail("trailing characters") }
                    return out
                default: throw fail("expected ',' or '}'")
                }
            }
            skipSpace()
            guard i == bytes.count else { throw fail("trailing characters") }
            return out
        }

        private mutating func parseString() throws -> String {
            guard let quote = peek(), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
                throw fail("expected a quoted string")
            }
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != quote {
                guard bytes[i] >= 0x20, bytes[i] < 0x7F, bytes[i] != UInt8(ascii: "\\") else {
                    throw fail("unexpected character in string")
                }
                i += 1
            }
            guard i < bytes.count else { throw fail("unterminated string") }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return s
        }

        private mutating func parseWord() -> String {
            let start = i
            while i < bytes.count, (bytes[i] >= UInt8(ascii: "a") && bytes[i] <= UInt8(ascii: "z"))
                || (bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "Z"))
                || (bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")) || bytes[i] == UInt8(ascii: "_") {
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        private mutating func parseValue(depth: Int) throws -> HeaderValue {
            guard depth < 16 else { throw fail("nesting too deep") }
            guard let c = peek() else { throw fail("expected a value") }
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try parseString())
            case UInt8(ascii: "("), UInt8(ascii: "["):
                let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
                i += 1
                var ints: [Int] = []
                var allInts = true
                while true {
                    if peek() == close { i += 1; break }
                    let v = try parseValue(depth: depth + 1)
                    if case .int(let n) = v {
                        ints.append(n)
                    } else {
                        allInts = false
                    }
                    switch peek() {
                    case UInt8(ascii: ","): i += 1
                    case close: i += 1
                        return allInts ? .tuple(ints) : .other
                    default: throw fail("expected ',' or a closing bracket")
                    }
                }
                return allInts ? .tuple(ints) : .other
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                var word = parseWord()
                if word.hasSuffix("L") { word.removeLast() }  // Python 2 long literals
                guard let v = Int(word) else { throw fail("bad integer '\(word)'") }
                return .int(v)
            default:
                let word = parseWord()
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "": throw fail("unexpected character")
                default: return .other
                }
            }
        }
    }
}
