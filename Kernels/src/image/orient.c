/* EXIF orientation of packed RGB8 (see loupe_image_kernels.h). */
#include <string.h>
#include "loupe_kernels.h"

void loupe_u8_rgb_orient__scalar(size_t width, size_t height, const uint8_t* in, int orientation, uint8_t* out) {
  const ptrdiff_t W = (ptrdiff_t)width, H = (ptrdiff_t)height;
  /* Output pixel (ox, oy) reads input pixel origin + ox * sx + oy * sy (pixel units). */
  ptrdiff_t origin = 0, sx = 1, sy = W;
  size_t ow = width, oh = height;
  switch (orientation) {
    case 2: origin = W - 1; sx = -1; sy = W; break;                  /* mirror horizontal */
    case 3: origin = (H - 1) * W + W - 1; sx = -1; sy = -W; break;   /* rotate 180 */
    case 4: origin = (H - 1) * W; sx = 1; sy = -W; break;            /* mirror vertical */
    case 5: origin = 0; sx = W; sy = 1; break;                       /* transpose */
    case 6: origin = (H - 1) * W; sx = -W; sy = 1; break;            /* rotate 90 clockwise */
    case 7: origin = (H - 1) * W + W - 1; sx = -W; sy = -1; break;   /* transverse */
    case 8: origin = W - 1; sx = W; sy = -1; break;                  /* rotate 90 counter-clockwise */
    default:
      memcpy(out, in, width * height * 3);
      return;
  }
  if (orientation >= 5) { ow = height; oh = width; }
  /* Tiles keep the strided reads of the 90-degree cases inside the cache. */
  enum { T = 64 };
  for (size_t ty = 0; ty < oh; ty += T) {
    const size_t ey = ty + T < oh ? ty + T : oh;
    for (size_t tx = 0; tx < ow; tx += T) {
      const size_t ex = tx + T < ow ? tx + T : ow;
      for (size_t oy = ty; oy < ey; oy++) {
        uint8_t* d = out + (oy * ow + tx) * 3;
        const uint8_t* s = in + (origin + (ptrdiff_t)tx * sx + (ptrdiff_t)oy * sy) * 3;
        for (size_t ox = tx; ox < ex; ox++) {
          d[0] = s[0];
          d[1] = s[1];
          d[2] = s[2];
          d += 3;
          s += sx * 3;
        }
      }
    }
  }
}
