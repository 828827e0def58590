/// The sliding-window attributes that Conv, ConvTranspose and the pools share: one entry per
/// spatial axis, `pads` all begins then all ends (as in ONNX). Code that only moves or
/// reshapes the window (lifting a 1-D op to 2-D) is written once against this.
public protocol SlidingWindowAttributes {
    var kernelShape: [Int] { get set }
    var strides: [Int] { get set }
    var dilations: [Int] { get set }
    var pads: [Int] { get set }
}

extension ConvAttributes: SlidingWindowAttributes {}
extension PoolAttributes: SlidingWindowAttributes {}
