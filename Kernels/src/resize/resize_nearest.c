#include <string.h>
#include "loupe_kernels.h"

/* One implementation for every element size: a pixel is `pixel_bytes` contiguous bytes. */
static void resize_nearest_bytes(size_t batch, size_t in_h, size_t in_w, size_t pixel_bytes, size_t out_h,
                                 size_t out_w, const uint32_t* y_index, const uint32_t* x_index,
                                 const unsigned char* in, unsigned char* out, size_t rows_begin, size_t rows_end) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / out_h, oy = row % out_h;
    const unsigned char* src_row = in + (b * in_h + y_index[oy]) * in_w * pixel_bytes;
    unsigned char* dst = out + row * out_w * pixel_bytes;
    for (size_t ox = 0; ox < out_w; ox++)
      memcpy(dst + ox * pixel_bytes, src_row + (size_t)x_index[ox] * pixel_bytes, pixel_bytes);
  }
}

void loupe_x32_resize_nearest_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                           size_t out_h, size_t out_w, const uint32_t* y_index,
                                           const uint32_t* x_index, const uint32_t* in, uint32_t* out,
                                           size_t rows_begin, size_t rows_end) {
  resize_nearest_bytes(batch, in_h, in_w, channels * sizeof(uint32_t), out_h, out_w, y_index, x_index,
                       (const unsigned char*)in, (unsigned char*)out, rows_begin, rows_end);
}

void loupe_x8_resize_nearest_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                          size_t out_h, size_t out_w, const uint32_t* y_index,
                                          const uint32_t* x_index, const int8_t* in, int8_t* out,
                                          size_t rows_begin, size_t rows_end) {
  resize_nearest_bytes(batch, in_h, in_w, channels, out_h, out_w, y_index, x_index, (const unsigned char*)in,
                       (unsigned char*)out, rows_begin, rows_end);
}
