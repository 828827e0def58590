import Foundation
import LoupeIR

extension ONNXImporter {
    /// The Loupe element type of an ONNX `TensorProto.DataType` code, nil for types Loupe
    /// does not hold (string, bfloat16, complex, float8, 4-bit and 2-bit types).
    static func dtype(onnx code: Int32) -> DType? {
        switch code {
        case 1: return .float32
        case 2: return .uint8
        case 3: return .int8
        case 4: return .uint16
        case 5: return .int16
        case 6: return .int32
        case 7: return .int64
        case 9: return .bool
        case 10: return .float16
        case 11: return .float64
        case 12: return .uint32
        case 13: return .uint64
        default: return nil
        }
    }

    static func onnxCode(_ d: DType) -> Int32 {
        switch d {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        case .uint32: return 12
        case .uint64: return 13
        }
    }

    static func onnxTypeName(_ code: Int32) -> String {
        if let e = Onnx_TensorProto.DataType(rawValue: Int(code)) { return "\(e)".uppercased() }
        return "unknown (\(code))"
    }

    /// The declared type of a graph input/output or value_info entry.
    static func tensorType(of vi: Onnx_ValueInfoProto, what: String, requireShape: Bool) throws -> TensorType {
        guard vi.hasType, case .tensorType(let tt)? = vi.type.value else {
            throw LoupeError.malformedModel("\(what) is not a tensor (Loupe supports tensor values only)")
        }
        guard let dtype = dtype(onnx: tt.elemType) else {
            throw LoupeError.malformedModel("\(what) has element type \(onnxTypeName(tt.elemType)), which Loupe does not support")
        }
        guard tt.hasShape else {
            if requireShape { throw LoupeError.malformedModel("\(what) has no shape; Loupe needs at least its rank") }
            return TensorType(dtype, [])
        }
        let dims: [Dim] = try tt.shape.dim.map { d in
            switch d.value {
            case .dimValue(let v)?:
                guard v >= 0, let i = Int(exactly: v) else {
                    throw LoupeError.malformedModel("\(what) has dimension \(v)")
                }
                return .value(i)
            case .dimParam(let p)?:
                return p.isEmpty ? .unknown : .param(p)
            case nil:
                return .unknown
            }
        }
        return TensorType(dtype, dims)
    }

    // MARK: - TensorProto → Tensor

    /// Decodes a tensor, checking that its data holds exactly the number of elements its
    /// dims say. `what` names it in errors; `baseDirectory` resolves external data.
    static func tensor(from p: Onnx_TensorProto, what: String, baseDirectory: URL?) throws -> Tensor {
        guard let dtype = dtype(onnx: p.dataType) else {
            throw LoupeError.malformedModel("\(what) has data type \(onnxTypeName(p.dataType)), which Loupe does not support")
        }
        var shape: [Int] = []
        shape.reserveCapacity(p.dims.count)
        var count = 1
        for d in p.dims {
            guard d >= 0, let i = Int(exactly: d) else {
                throw LoupeError.malformedModel("\(what) has dimension \(d) in dims \(p.dims)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: i)
            guard !overflow else { throw LoupeError.malformedModel("\(what) has dims \(p.dims) whose element count overflows") }
            shape.append(i)
            count = product
        }
        let dims = "dims \(shape) (\(count) elements)"

        func mismatch(_ field: String, _ n: Int) -> LoupeError {
            .malformedModel("\(what) has \(dims) but \(n) values in \(field)")
        }
        func byteSize() throws -> Int {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw LoupeError.malformedModel("\(what) with \(dims) overflows its byte size") }
            return bytes
        }

        if p.hasDataLocation && p.dataLocation == .external {
            let raw = try externalData(of: p, what: what, bytes: try byteSize(), baseDirectory: baseDirectory)
            return decodeRaw(raw, dtype: dtype, shape: shape, count: count)
        }
        if p.hasRawData {
            let bytes = try byteSize()
            guard p.rawData.count == bytes else {
                throw LoupeError.malformedModel("\(what) has \(dims) of \(dtype) (\(bytes) bytes) but \(p.rawData.count) bytes of raw_data")
            }
            return decodeRaw(p.rawData, dtype: dtype, shape: shape, count: count)
        }
        switch dtype {
        case .float32:
            guard p.floatData.count == count else { throw mismatch("float_data", p.floatData.count) }
            return Tensor(shape: shape, floats: p.floatData, dtype: dtype)
        case .float64:
            guard p.doubleData.count == count else { throw mismatch("double_data", p.doubleData.count) }
            return Tensor(shape: shape, floats: p.doubleData.map { Float($0) }, dtype: dtype)
        case .float16:
            // float16 bit patterns travel in the low 16 bits of int32_data.
            guard p.int32Data.count == count else { throw mismatch("int32_data", p.int32Data.count) }
            return Tensor(shape: shape, floats: p.int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) }, dtype: dtype)
        case .int8, .uint8, .int16, .uint16, .int32, .bool:
            guard p.int32Data.count == count else { throw mismatch("int32_data", p.int32Data.count) }
            return Tensor(shape: shape, ints: p.int32Data.map { normalise(Int64($0), dtype) }, dtype: dtype)
        case .int64:
            guard p.int64Data.count == count else { throw mismatch("int64_data", p.int64Data.count) }
            return Tensor(shape: shape, ints: p.int64Data, dtype: dtype)
        case .uint32, .uint64:
            // uint64 values above Int64.max wrap (Loupe holds integers as Int64).
            guard p.uint64Data.count == count else { throw mismatch("uint64_data", p.uint64Data.count) }
            return Tensor(shape: shape, ints: p.uint64Data.map { normalise(Int64(bitPattern: $0), dtype) }, dtype: dtype)
        }
    }

    /// Reduces a value to the range of its declared integer type (bool to 0/1), as a cast
    /// of the stored bits would.
    static func normalise(_ v: Int64, _ d: DType) -> Int64 {
        switch d {
        case .bool: return v != 0 ? 1 : 0
        case .int8: return Int64(Int8(truncatingIfNeeded: v))
        case .uint8: return Int64(UInt8(truncatingIfNeeded: v))
        case .int16: return Int64(Int16(truncatingIfNeeded: v))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: v))
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .uint32: return Int64(UInt32(truncatingIfNeeded: v))
        case .int64, .uint64, .float32, .float16, .float64: return v
        }
    }

    /// Decodes little-endian raw bytes; the caller has checked `raw.count == count * byteSize`.
    static func decodeRaw(_ raw: Data, dtype: DType, shape: [Int], count: Int) -> Tensor {
        raw.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Tensor in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: buf.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            }
            switch dtype {
            case .float32:
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) }, dtype: dtype)
            case .float16:
                return Tensor(shape: shape, floats: (0..<count).map { halfToFloat(load(UInt16.self, $0)) }, dtype: dtype)
            case .float64:
                return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) }, dtype: dtype)
            case .int8: return Tensor(shape: shape, int8: (0..<count).map { load(Int8.self, $0) })
            case .uint8: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt8.self, $0)) }, dtype: dtype)
            case .bool: return Tensor(shape: shape, ints: (0..<count).map { load(UInt8.self, $0) != 0 ? 1 : 0 }, dtype: dtype)
            case .int16: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int16.self, $0)) }, dtype: dtype)
            case .uint16: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt16.self, $0)) }, dtype: dtype)
            case .int32: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int32.self, $0)) }, dtype: dtype)
            case .uint32: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt32.self, $0)) }, dtype: dtype)
            case .int64: return Tensor(shape: shape, ints: (0..<count).map { load(Int64.self, $0) }, dtype: dtype)
            case .uint64: return Tensor(shape: shape, ints: (0..<count).map { Int64(bitPattern: load(UInt64.self, $0)) }, dtype: dtype)
            }
        }
    }

    /// Reads `bytes` bytes of external data. The location must be a relative path inside
    /// the model's directory (no absolute paths, no `..`), as ONNX's checker requires, and
    /// must resolve, symbolic links followed, to a regular file inside that directory.
    static func externalData(of p: Onnx_TensorProto, what: String, bytes: Int, baseDirectory: URL?) throws -> Data {
        var entries: [String: String] = [:]
        for e in p.externalData { entries[e.key] = e.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw LoupeError.malformedModel("\(what) has external data without a location")
        }
        guard let base = baseDirectory else {
            throw LoupeError.malformedModel(
                "\(what) stores its data in external file '\(location)'; load the model from a file path so it can be found")
        }
        let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        guard !location.hasPrefix("/"), !location.hasPrefix("\\"), !components.contains("..") else {
            throw LoupeError.malformedModel("\(what) has external data location '\(location)' outside the model's directory")
        }
        func intEntry(_ key: String) throws -> Int? {
            guard let s = entries[key] else { return nil }
            guard let v = Int(s), v >= 0 else {
                throw LoupeError.malformedModel("\(what) has external data \(key) '\(s)'")
            }
            return v
        }
        let offset = try intEntry("offset") ?? 0
        if let length = try intEntry("length"), length != bytes {
            throw LoupeError.malformedModel("\(what) needs \(bytes) bytes but its external data length is \(length)")
        }
        let url = base.appendingPathComponent(location)
        let file = try resolveExternalData(url.path, location: location, base: base, what: what)
        let handle = try RegularFile.open(file, what: "external data of \(what)")
        defer { try? handle.close() }
        do {
            let size = try handle.seekToEnd()
            let (end, overflow) = offset.addingReportingOverflow(bytes)
            guard !overflow, UInt64(end) <= size else {
                throw LoupeError.malformedModel(
                    "\(what) needs \(bytes) bytes at offset \(offset) of '\(location)', which has \(size) bytes")
            }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: bytes) ?? Data()
            guard data.count == bytes else {
                throw LoupeError.io("read \(data.count) of \(bytes) bytes from '\(url.path)' for \(what)")
            }
            return data
        } catch let e as LoupeError {
            throw e
        } catch {
            throw LoupeError.io("cannot read external data '\(url.path)' of \(what): \(error.localizedDescription)")
        }
    }

    /// The real path of external data `path`: symbolic links (of the file or of a folder on
    /// the way) may not lead outside the model's directory, itself taken by its real path.
    static func resolveExternalData(_ path: String, location: String, base: URL, what: String) throws -> String {
        guard let root = RegularFile.realPath(base.path) else {
            throw LoupeError.io("cannot resolve the model's directory '\(base.path)' for the external data of \(what)")
        }
        guard let real = RegularFile.realPath(path) else {
            throw LoupeError.io("cannot open external data '\(path)' of \(what): \(RegularFile.errnoDescription)")
        }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard real.hasPrefix(prefix) else {
            throw LoupeError.malformedModel(
                "\(what) has external data location '\(location)', which resolves to '\(real)' outside the model's directory '\(root)'")
        }
        return real
    }

    // MARK: - Tensor → TensorProto

    static func tensorProto(from t: Tensor, name: String) -> Onnx_TensorProto {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = t.shape.map { Int64($0) }
        p.dataType = onnxCode(t.dtype)
        var raw = Data()
        raw.reserveCapacity(t.count * t.dtype.byteSize)
        func append<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) }
        }
        // Integer dtypes normally hold `.int` storage; a float-stored one is converted
        // saturating (NaN → 0) instead of trapping like `Int64(Float)`.
        let ints: [Int64]
        switch t.storage {
        case .int(let v): ints = v
        case .float(let v):
            ints = t.dtype.isFloat ? [] : v.map { f in
                f.isNaN ? 0 : f >= 9.2e18 ? .max : f <= -9.2e18 ? .min : Int64(f)
            }
        }
        switch t.dtype {
        case .float32: for v in t.floats { append(v.bitPattern) }
        case .float16: for v in t.floats { append(floatToHalf(v)) }
        case .float64: for v in t.floats { append(Double(v).bitPattern) }
        case .int8: for v in ints { append(Int8(truncatingIfNeeded: v)) }
        case .uint8: for v in ints { append(UInt8(truncatingIfNeeded: v)) }
        case .bool: for v in ints { append(UInt8(v != 0 ? 1 : 0)) }
        case .int16: for v in ints { append(Int16(truncatingIfNeeded: v)) }
        case .uint16: for v in ints { append(UInt16(truncatingIfNeeded: v)) }
        case .int32: for v in ints { append(Int32(truncatingIfNeeded: v)) }
        case .uint32: for v in ints { append(UInt32(truncatingIfNeeded: v)) }
        case .int64: for v in ints { append(v) }
        case .uint64: for v in ints { append(UInt64(bitPattern: v)) }
        }
        p.rawData = raw
        return p
    }

    // MARK: - float16

    /// IEEE 754 binary16 bits to Float (exact; written out because `Float16` is not
    /// available on every platform Loupe targets).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Float to binary16 bits, rounding to nearest even; overflow gives infinity.
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0)
        }
        let e = exponent - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            let m = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var half = m >> shift
            let rest = m & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
