import XCTest
import LoupeIR

/// Asserts that `body` throws a `LoupeError` whose description contains every fragment.
public func assertThrows(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let e as LoupeError {
        for f in fragments where !e.description.contains(f) {
            XCTFail("error '\(e)' does not mention '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// 2-D convolution attributes with ONNX's defaults, for building test nodes.
public func conv2d(k: [Int], s: [Int] = [1, 1], d: [Int] = [1, 1], p: [Int] = [0, 0, 0, 0], auto: AutoPad = .notSet,
                   group: Int = 1, outputPadding: [Int] = [], outputShape: [Int]? = nil,
                   layout: Layout = .nchw) -> ConvAttributes {
    ConvAttributes(kernelShape: k, strides: s, dilations: d, pads: p, autoPad: auto, group: group,
                   outputPadding: outputPadding, outputShape: outputShape, layout: layout)
}
