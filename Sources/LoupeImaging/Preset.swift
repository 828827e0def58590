import LoupeIR

/// The preprocessing recipes of the AIM 2024 UHD-IQA challenge report (Hosu et al., "AIM
/// 2024 Challenge on UHD Blind Photo Quality Assessment", ECCV 2024 workshops): how each
/// team turned a 4K photo into model input. Each recipe is deterministic; where a team
/// sampled at random, positions come from ``SplitMix64`` seeded with `seed`.
///
/// All resizes are Pillow `BILINEAR` with antialiasing (``ResampleFilter/bilinear``), all
/// crops integer and centred with offsets rounded down. The Python reference
/// Tests/Tools/imaging/reference.py implements the same recipes with Pillow and numpy;
/// the tests hold the two to ±1 LSB on average.
public enum Preset: String, CaseIterable, Sendable {
    /// Section 2 (challenge baseline): centre crop 1920 wide x 960 high, resized to
    /// 1280x720. A photo smaller than 1920x960 gives its largest centred 1:2 region
    /// (height = min(H, W/2), width = 2 x height). One view, one input [1,3,720,1280].
    case baseline
    /// Section 2.2 (SJTU MMLab, FAST-VQA-style fragments): three inputs, one view —
    /// 0: the whole photo resized to 480x480 (aspect not kept);
    /// 1: fragments: a 15x15 grid over the photo, one 32x32 patch per cell at a seeded
    ///    random position inside the cell, spliced in grid order into 480x480;
    /// 2: the centre 480x480 crop.
    /// A photo under 480 in either side is first upscaled (bilinear, aspect kept, sides
    /// rounded up) to cover 480x480 for inputs 1 and 2.
    case sjtu
    /// Section 2.3 (GS-PIQA, grid mini-patch sampling): a 16x16 grid, one 24x24 patch per
    /// cell at a seeded random position, spliced into 384x384. One input; a photo under
    /// 384 is first upscaled to cover 384x384.
    case gsPiqa = "gs-piqa"
    /// Section 2.4 (CIPLAB, multi-scale): three inputs [1,3,224,224], one view — the centre
    /// 224x224 patch of the photo at 0: full resolution, 1: width 960 (1/4 of a 3840-wide
    /// photo), 2: width 256 ("tiny"). Heights keep the aspect (rounded). A scale whose
    /// shorter side would be under 224 is instead resized to the smallest size that covers
    /// 224x224 with the photo's aspect (sides rounded up), so a 16:9 tiny scale is 399x224.
    case ciplab
    /// Section 2.8 (CLIP-IQA+ style): 11 views of one [1,3,224,224] input, scores averaged —
    /// view 0: the whole photo resized to 224x224; views 1-9: the 3x3 grid cells
    /// (each W/3 x H/3, rounded down, row-major) resized to 224x224; view 10: the nine cells
    /// recomposed in a seeded shuffled order (Fisher-Yates) into a 3x3 mosaic, resized to
    /// 224x224.
    case clipIqa = "clip-iqa"
    /// Section 2.7 (NF-RegNets, aspect-ratio crops): three inputs, one view — the largest
    /// centred region of aspect (height:width) 1:1, 1:2 and 1:3 (height = min(H, W/k)),
    /// resized to 384x384, 384x768 and 384x1152 (height x width).
    case nfRegnets = "nf-regnets"
}

extension Preset {
    /// One line on the recipe and where it comes from (without the preset's name: help
    /// texts list it beside the name).
    public var summary: String {
        switch self {
        case .baseline:
            return "challenge baseline (report §2): centre crop 1920x960 (or the largest 1:2 region), resized to 1280x720"
        case .sjtu:
            return "SJTU MMLab (§2.2): 3 inputs 480x480 — whole photo resized; 15x15 grid of 32x32 fragments (seeded); centre crop"
        case .gsPiqa:
            return "GS-PIQA (§2.3): 16x16 grid mini-patch sampling, 24x24 patches (seeded), spliced into 384x384"
        case .ciplab:
            return "CIPLAB (§2.4): 3 inputs — centre 224x224 patch at full resolution, width 960 and width 256"
        case .clipIqa:
            return "CLIP-IQA+ style (§2.8): 11 views 224x224 — whole photo, 3x3 grid patches, shuffled 3x3 recomposition (seeded); scores averaged"
        case .nfRegnets:
            return "NF-RegNets (§2.7): 3 inputs — centre 1:1, 1:2, 1:3 crops resized to 384x384, 384x768, 384x1152"
        }
    }

    /// Shapes of the model inputs this preset produces, in input order (NCHW).
    public var inputShapes: [[Int]] {
        switch self {
        case .baseline: return [[1, 3, 720, 1280]]
        case .sjtu: return Array(repeating: [1, 3, 480, 480], count: 3)
        case .gsPiqa: return [[1, 3, 384, 384]]
        case .ciplab: return Array(repeating: [1, 3, 224, 224], count: 3)
        case .clipIqa: return [[1, 3, 224, 224]]
        case .nfRegnets: return [[1, 3, 384, 384], [1, 3, 384, 768], [1, 3, 384, 1152]]
        }
    }

    /// Views per photo (their scores are averaged).
    public var viewCount: Int { self == .clipIqa ? 11 : 1 }

    /// Smallest decode size (display orientation) this preset needs from a `width` x `height`
    /// photo, so the decoder can pick JPEG DCT scaling. Recipes that read native-resolution
    /// pixels (crops, fragments, full-resolution patches) need the full size; the others
    /// need their resize sources to stay at least as large as their outputs.
    public func minimumDecodeSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .baseline, .sjtu, .gsPiqa, .ciplab:
            return (width, height)
        case .clipIqa:
            // 3x3 cells of at least 224x224.
            return (min(width, 3 * 224), min(height, 3 * 224))
        case .nfRegnets:
            // The 1:3 crop (height min(H, W/3)) at least 384 high.
            return (min(width, 3 * 384), min(height, 384))
        }
    }

    /// Views of one photo; each view is one float32 NCHW tensor per model input, in input
    /// order. Multi-view presets average the views' scores.
    public func prepare(_ image: RGBImage, normalization: Normalization = .imagenet, seed: UInt64 = 0) throws -> [[Tensor]] {
        try normalization.validate()
        guard image.width > 0, image.height > 0 else {
            throw LoupeError.badInput("preset \(rawValue): empty image \(image.width)x\(image.height)")
        }
        return try images(image, seed: seed).map { view in try view.map { try normalization.tensor($0) } }
    }

    /// The views as 8-bit images (before normalization): views x inputs.
    public func images(_ image: RGBImage, seed: UInt64 = 0) -> [[RGBImage]] {
        switch self {
        case .baseline: return [[Recipes.baseline(image)]]
        case .sjtu: return [Recipes.sjtu(image, seed: seed)]
        case .gsPiqa: return [[Recipes.fragments(Recipes.covering(image, 384, 384), grid: 16, patch: 24, seed: seed)]]
        case .ciplab: return [Recipes.ciplab(image)]
        case .clipIqa: return Recipes.clipIqa(image, seed: seed).map { [$0] }
        case .nfRegnets: return [Recipes.nfRegnets(image)]
        }
    }
}
