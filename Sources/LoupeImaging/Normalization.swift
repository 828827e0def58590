import LoupeIR
import LoupeKernels

/// Per-channel normalization applied when pixels become model input:
/// `(value / 255 - mean[c]) / std[c]` for c in R, G, B.
public struct Normalization: Sendable, Hashable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// ImageNet statistics (torchvision): mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// `value / 255`: mean 0, std 1.
    public static let unit = Normalization(mean: [0, 0, 0], std: [1, 1, 1])
    /// OpenAI CLIP statistics (CLIP-IQA): mean (0.48145466, 0.4578275, 0.40821073),
    /// std (0.26862954, 0.26130258, 0.27577711).
    public static let clip = Normalization(mean: [0.48145466, 0.4578275, 0.40821073],
                                           std: [0.26862954, 0.26130258, 0.27577711])

    func validate() throws {
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 != 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw LoupeError.badInput("normalization needs 3 finite means and 3 finite non-zero stds, got mean \(mean) std \(std)")
        }
    }

    /// The image as a float32 tensor of shape [1, 3, height, width] (NCHW), written straight
    /// into the planes by the `loupe_u8_rgb_to_f32_planes` kernel.
    public func tensor(_ image: RGBImage) throws -> Tensor {
        try validate()
        let scale = (0..<3).map { 1 / (255 * std[$0]) }
        let bias = (0..<3).map { -mean[$0] / std[$0] }
        let plane = image.width * image.height
        let values = [Float](unsafeUninitializedCapacity: plane * 3) { buffer, initialized in
            if plane > 0 {
                image.pixels.withUnsafeBufferPointer { src in
                    loupe_u8_rgb_to_f32_planes(image.width, image.height, src.baseAddress!, image.width * 3,
                                               scale, bias, buffer.baseAddress!, plane)
                }
            }
            initialized = plane * 3
        }
        return Tensor(shape: [1, 3, image.height, image.width], floats: values)
    }
}
