// Sizes of tensors whose shapes come from untrusted files: every product is checked for
// overflow, so a hostile shape gives nil (and an error upstream) instead of a trap.

/// Element count of `shape`: nil when a dimension is negative or the product overflows `Int`.
public func checkedElementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        n = p
    }
    return n
}

extension TensorType {
    /// Bytes a tensor of this type takes: nil when the shape is not static, or when the
    /// element count or byte count overflows `Int`.
    public var byteCount: Int? {
        guard let shape = staticShape, let n = checkedElementCount(shape) else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }
}

/// `bytes` for messages: "4398046511104 bytes (4.0 TiB)".
public func formatByteCount(_ bytes: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes), unit = -1
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    guard unit >= 0 else { return "\(bytes) bytes" }
    let rounded = (value * 10).rounded() / 10
    return "\(bytes) bytes (\(rounded) \(units[unit]))"
}
