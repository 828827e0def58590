import Foundation
import Loupe
import LoupeNumPy

// Every input is a candidate .npy file: reading it must give a tensor or a typed error.
// What is read must encode, and read back to the same elements (encoding widens: float
// types come back float32, integer and bool types int64).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let tensor = try? NumPy.read(data: data) else { return 0 }
    guard let again = try? NumPy.read(data: try! NumPy.encode(tensor)) else {
        preconditionFailure("a tensor read from .npy does not read back once encoded")
    }
    precondition(again.shape == tensor.shape, "shape \(tensor.shape) reads back as \(again.shape)")
    switch (tensor.storage, again.storage) {
    case (.float(let a), .float(let b)):
        precondition(again.dtype == .float32 && a.map(\.bitPattern) == b.map(\.bitPattern), "float elements change")
    case (.int(let a), .int(let b)):
        precondition(again.dtype == .int64 && a == b, "integer elements change")
    default:
        preconditionFailure("\(tensor.dtype) reads back as \(again.dtype)")
    }
    return 0
}
