#include <string.h>
#include "loupe_kernels.h"

void loupe_x32_resize_nearest_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                           size_t out_h, size_t out_w, const uint32_t* y_index,
                                           const uint32_t* x_index, const uint32_t* in, uint32_t* out,
                                           size_t rows_begin, size_t rows_end) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  const size_t bytes = channels * sizeof(uint32_t);
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / out_h, oy = row % out_h;
    const uint32_t* src_row = in + (b * in_h + y_index[oy]) * in_w * channels;
    uint32_t* dst = out + row * out_w * channels;
    for (size_t ox = 0; ox < out_w; ox++) memcpy(dst + ox * channels, src_row + (size_t)x_index[ox] * channels, bytes);
  }
}
