import Foundation
import Loupe

// Every input is a candidate ONNX file. Importing, optimizing and compiling must end in a
// typed LoupeError for any bytes; a trap, an out-of-bounds access or an allocation over
// libFuzzer's limit is a finding. The memory limit keeps a valid model declaring large
// tensors from spending the fuzzer's time on allocation: refusing it is the expected answer.
let memoryLimit = 16 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let graph = try? ONNXImporter.load(data: data) else { return 0 }
    guard let model = try? Model(graph: graph, options: CompileOptions(threads: 1, memoryLimit: memoryLimit)) else {
        return 0
    }
    // One run on zeros: the lowering's shapes and the kernels' bounds meet real buffers.
    var feeds: [String: Tensor] = [:]
    for input in model.inputs {
        guard let shape = input.type.staticShape, let n = checkedElementCount(shape), n <= 1 << 20 else { return 0 }
        let dtype = input.type.dtype
        feeds[input.name] = dtype.isFloat ? Tensor(shape: shape, floats: Array(repeating: 0, count: n), dtype: dtype)
            : Tensor(shape: shape, ints: Array(repeating: 0, count: n), dtype: dtype)
    }
    _ = try? model.run(feeds)
    return 0
}
