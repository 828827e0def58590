#include <math.h>
#include <string.h>
#include "loupe_kernels.h"
#include "pool_window.h"

void loupe_f32_average_pool_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                         size_t out_w, const loupe_pool2d_params* p, const float* in, float* out,
                                         size_t out_stride, size_t rows_begin, size_t rows_end) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  size_t taps[p->kernel_h * p->kernel_w];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / out_h, oy = row % out_h;
    const float* image = in + b * in_h * in_w * channels;
    float* dst = out + row * out_w * out_stride;
    for (size_t ox = 0; ox < out_w; ox++, dst += out_stride) {
      for (size_t c = 0; c < channels; c++) dst[c] = 0.0f;
      size_t counted;
      const size_t valid = loupe_pool_window_taps(p, oy, ox, in_h, in_w, taps, &counted);
      for (size_t t = 0; t < valid; t++) {
        const float* src = image + taps[t] * channels;
        for (size_t c = 0; c < channels; c++) dst[c] += src[c];
      }
      const size_t n = p->count_include_pad ? counted : valid;
      const float scale = n > 0 ? 1.0f / (float)n : NAN;
      for (size_t c = 0; c < channels; c++) dst[c] = n > 0 ? dst[c] * scale : NAN;
    }
  }
}

void loupe_x32_subsample_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                      size_t out_w, size_t stride_h, size_t stride_w, size_t offset_y,
                                      size_t offset_x, const uint32_t* in, uint32_t* out, size_t out_stride,
                                      size_t rows_begin, size_t rows_end) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / out_h, oy = row % out_h;
    const uint32_t* src = in + ((b * in_h + offset_y + oy * stride_h) * in_w + offset_x) * channels;
    uint32_t* dst = out + row * out_w * out_stride;
    for (size_t ox = 0; ox < out_w; ox++)
      memcpy(dst + ox * out_stride, src + ox * stride_w * channels, channels * sizeof(uint32_t));
  }
}
