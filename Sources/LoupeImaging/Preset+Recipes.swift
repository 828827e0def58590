import LoupeIR

/// The presets' building blocks. Integer arithmetic throughout (no float rounding), so the
/// Python reference computes identical sizes and positions.
enum Recipes {
    /// The smallest size with the aspect of `width` x `height` that covers `minWidth` x
    /// `minHeight` (the other side rounded up).
    static func coveringSize(_ width: Int, _ height: Int, _ minWidth: Int, _ minHeight: Int) -> (Int, Int) {
        if minWidth * height >= minHeight * width {
            return (minWidth, (height * minWidth + width - 1) / width)
        }
        return ((width * minHeight + height - 1) / height, minHeight)
    }

    /// The image itself when it covers `minWidth` x `minHeight`, else upscaled to cover it.
    static func covering(_ image: RGBImage, _ minWidth: Int, _ minHeight: Int) -> RGBImage {
        if image.width >= minWidth && image.height >= minHeight { return image }
        let (w, h) = coveringSize(image.width, image.height, minWidth, minHeight)
        return image.resized(width: w, height: h)
    }

    static func centerCrop(_ image: RGBImage, _ width: Int, _ height: Int) -> RGBImage {
        image.cropped(.centered(width: width, height: height, in: image.width, image.height))
    }

    /// §2: 1920x960 centre crop (or the largest 1:2 region) resized to 1280x720.
    static func baseline(_ image: RGBImage) -> RGBImage {
        var cw = 1920, ch = 960
        if image.width < cw || image.height < ch {
            ch = max(1, min(image.height, image.width / 2))
            cw = min(image.width, 2 * ch)
        }
        return image.resized(width: 1280, height: 720,
                             region: .centered(width: cw, height: ch, in: image.width, image.height))
    }

    /// Grid fragments: a `grid` x `grid` grid of cells (boundaries at floor(i * size / grid)),
    /// one `patch` x `patch` patch per cell at offset (dy, dx) = (draw % (cellH - patch + 1),
    /// draw % (cellW - patch + 1)), cells in row-major order, dy drawn before dx. The image
    /// must be at least grid * patch on each side.
    static func fragments(_ image: RGBImage, grid: Int, patch: Int, seed: UInt64) -> RGBImage {
        precondition(image.width >= grid * patch && image.height >= grid * patch)
        let side = grid * patch
        var rng = SplitMix64(seed: seed)
        var out = [UInt8](repeating: 0, count: side * side * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for gy in 0..<grid {
                    let y0 = gy * image.height / grid, y1 = (gy + 1) * image.height / grid
                    for gx in 0..<grid {
                        let x0 = gx * image.width / grid, x1 = (gx + 1) * image.width / grid
                        let dy = rng.below(y1 - y0 - patch + 1)
                        let dx = rng.below(x1 - x0 - patch + 1)
                        for row in 0..<patch {
                            let from = ((y0 + dy + row) * image.width + x0 + dx) * 3
                            let to = ((gy * patch + row) * side + gx * patch) * 3
                            UnsafeMutableRawPointer(dst.baseAddress! + to)
                                .copyMemory(from: src.baseAddress! + from, byteCount: patch * 3)
                        }
                    }
                }
            }
        }
        return RGBImage(width: side, height: side, pixels: out)
    }

    /// §2.2: whole photo at 480x480, 15x15 fragments of 32x32, centre crop 480x480.
    static func sjtu(_ image: RGBImage, seed: UInt64) -> [RGBImage] {
        let big = covering(image, 480, 480)
        return [image.resized(width: 480, height: 480),
                fragments(big, grid: 15, patch: 32, seed: seed),
                centerCrop(big, 480, 480)]
    }

    /// Size of a CIPLAB scale of target width `target` (nil: full resolution).
    static func ciplabScaleSize(_ width: Int, _ height: Int, target: Int?) -> (Int, Int) {
        var size = (width, height)
        if let target { size = (target, max(1, (height * target + width / 2) / width)) }
        if size.0 < 224 || size.1 < 224 { size = coveringSize(width, height, 224, 224) }
        return size
    }

    /// §2.4: centre 224x224 patch at full resolution, width 960 and width 256.
    static func ciplab(_ image: RGBImage) -> [RGBImage] {
        [nil, 960, 256].map { target -> RGBImage in
            let (w, h) = ciplabScaleSize(image.width, image.height, target: target)
            let scaled = (w, h) == (image.width, image.height) ? image : image.resized(width: w, height: h)
            return centerCrop(scaled, 224, 224)
        }
    }

    /// The 3x3 cells of §2.8: cell (row i, column j) at (j * W/3, i * H/3), W/3 x H/3.
    static func clipCells(_ image: RGBImage) -> [PixelRect] {
        let cw = image.width / 3, ch = image.height / 3
        return (0..<9).map { PixelRect(x: ($0 % 3) * cw, y: ($0 / 3) * ch, width: cw, height: ch) }
    }

    /// The seeded Fisher-Yates permutation of the 9 cells: for i = 8...1, swap p[i] with
    /// p[draw % (i + 1)]. Mosaic position k holds cell p[k].
    static func clipPermutation(seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        var p = Array(0..<9)
        for i in stride(from: 8, through: 1, by: -1) { p.swapAt(i, rng.below(i + 1)) }
        return p
    }

    /// §2.8: whole photo, 9 cells, shuffled mosaic; each 224x224.
    static func clipIqa(_ image: RGBImage, seed: UInt64) -> [RGBImage] {
        let image = covering(image, 3, 3)
        let cells = clipCells(image)
        var views = [image.resized(width: 224, height: 224)]
        views += cells.map { image.resized(width: 224, height: 224, region: $0) }
        let cw = cells[0].width, ch = cells[0].height
        var mosaic = [UInt8](repeating: 0, count: 9 * cw * ch * 3)
        for (k, cell) in clipPermutation(seed: seed).enumerated() {
            let src = cells[cell]
            let ox = (k % 3) * cw, oy = (k / 3) * ch
            for row in 0..<ch {
                let from = ((src.y + row) * image.width + src.x) * 3
                let to = ((oy + row) * 3 * cw + ox) * 3
                mosaic.replaceSubrange(to..<to + cw * 3, with: image.pixels[from..<from + cw * 3])
            }
        }
        views.append(RGBImage(width: 3 * cw, height: 3 * ch, pixels: mosaic).resized(width: 224, height: 224))
        return views
    }

    /// §2.7: centred 1:k crops (height min(H, W/k)) resized to 384 x 384k, k = 1, 2, 3.
    static func nfRegnets(_ image: RGBImage) -> [RGBImage] {
        (1...3).map { k -> RGBImage in
            let ch = max(1, min(image.height, image.width / k))
            let cw = min(image.width, k * ch)
            return image.resized(width: 384 * k, height: 384,
                                 region: .centered(width: cw, height: ch, in: image.width, image.height))
        }
    }
}
