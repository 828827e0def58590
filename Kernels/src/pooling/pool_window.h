/* Window walk shared by the float and int8 average-pool kernels (private to Kernels/). */
#ifndef LOUPE_POOL_WINDOW_H
#define LOUPE_POOL_WINDOW_H
#include <stddef.h>
#include "loupe_kernels.h"

/* The in-bounds taps of output pixel (oy, ox), as pixel offsets y * in_w + x into `taps`
 * (room for kernel_h * kernel_w), and their number; `counted` receives how many taps lie
 * inside the explicitly padded input (the count_include_pad divisor: ceil_mode's extra end
 * padding is never counted). Signed arithmetic: taps may fall in the padding on any side. */
static inline size_t loupe_pool_window_taps(const loupe_pool2d_params* p, size_t oy, size_t ox, size_t in_h,
                                            size_t in_w, size_t* taps, size_t* counted) {
  const ptrdiff_t ih = (ptrdiff_t)in_h, iw = (ptrdiff_t)in_w;
  const ptrdiff_t counted_h = ih + (ptrdiff_t)p->pad_bottom, counted_w = iw + (ptrdiff_t)p->pad_right;
  size_t valid = 0, n = 0;
  for (size_t ky = 0; ky < p->kernel_h; ky++) {
    const ptrdiff_t y = (ptrdiff_t)(oy * p->stride_h + ky * p->dilation_h) - (ptrdiff_t)p->pad_top;
    for (size_t kx = 0; kx < p->kernel_w; kx++) {
      const ptrdiff_t x = (ptrdiff_t)(ox * p->stride_w + kx * p->dilation_w) - (ptrdiff_t)p->pad_left;
      if (y < counted_h && x < counted_w) n++;
      if (y < 0 || y >= ih || x < 0 || x >= iw) continue;
      taps[valid++] = (size_t)y * in_w + (size_t)x;
    }
  }
  *counted = n;
  return valid;
}

#endif
