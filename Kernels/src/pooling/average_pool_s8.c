#include <math.h>
#include "loupe_kernels.h"
#include "pool_window.h"

/* Channels are summed in blocks of BLOCK int32 accumulators on the stack, tap-major inside a
 * block so that the channel loop is contiguous (and vectorises at -O3). The window's taps
 * come from loupe_pool_window_taps, shared with the float kernel. */
#define BLOCK 256

void loupe_s8_average_pool_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                        size_t out_w, const loupe_pool2d_params* p, int32_t in_zero_point,
                                        double scale, int32_t out_zero_point, const int8_t* in, int8_t* out,
                                        size_t out_stride, size_t rows_begin, size_t rows_end) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  size_t taps[p->kernel_h * p->kernel_w];
  int32_t acc[BLOCK];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / out_h, oy = row % out_h;
    const int8_t* image = in + b * in_h * in_w * channels;
    int8_t* dst = out + row * out_w * out_stride;
    for (size_t ox = 0; ox < out_w; ox++, dst += out_stride) {
      size_t counted;
      const size_t valid = loupe_pool_window_taps(p, oy, ox, in_h, in_w, taps, &counted);
      /* Padding taps are real zeros (code == in_zero_point): they add nothing to the sum of
       * (x - zero point) but count in the divisor when count_include_pad. */
      const int32_t n = (int32_t)(p->count_include_pad ? counted : valid);
      for (size_t c0 = 0; c0 < channels; c0 += BLOCK) {
        const size_t cn = channels - c0 < BLOCK ? channels - c0 : BLOCK;
        for (size_t c = 0; c < cn; c++) acc[c] = 0;
        for (size_t t = 0; t < valid; t++) {
          const int8_t* src = image + taps[t] * channels + c0;
          for (size_t c = 0; c < cn; c++) acc[c] += src[c];
        }
        for (size_t c = 0; c < cn; c++) {
          long q = out_zero_point;
          if (n > 0) {
            const double real = (double)(acc[c] - (int32_t)valid * in_zero_point) * scale / (double)n;
            q = lrint(real) + out_zero_point;  /* the default rounding mode: half to even */
          }
          dst[c0 + c] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
        }
      }
    }
  }
}
