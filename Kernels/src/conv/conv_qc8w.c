/*
 * Int8 convolution with one group (any window, stride, dilation, padding) and per-channel
 * int8 weights, as a GEMM: each chunk of output pixels gathers its windows into a local
 * im2col buffer ([pixels][kernel_h * kernel_w * channels], taps in the padding filled with
 * the input zero point, so they contribute nothing) and runs loupe_s8_gemm_qc8w on it.
 * The weights are packed by loupe_s8_gemm_qc8w_pack with k = kernel_h * kernel_w * channels
 * in OHWI order; the codes are therefore the GEMM's: XNNPACK's qc8 ones.
 *
 * Over-read: up to 15 bytes past the input tensor (the 16-byte copies of a window's rows;
 * the runtime's planner gives every tensor XNN_EXTRA_BYTES = 16 of slack).
 *
 * The buffer is per call and small (a chunk of pixels), so a first layer on a large image
 * (3 input channels, a 3x3 window: k = 27) costs no image-sized im2col copy.
 */
#include <stdlib.h>
#include <string.h>
#include "../common/isa_defs.h"

/* Output pixels gathered per GEMM call: whole VNNI tiles (8 rows). */
#define CHUNK 64
#define STACK_BYTES (65536 + 16)
/* Window rows whose starts are kept per output row; taller windows take the general path. */
#define MAX_KH 16

void loupe_s8_conv_qc8w_nhwc__isa(loupe_s8_gemm_qc8w_isa isa, const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                  size_t rows_end, const int8_t* x, int8_t x_zero_point, size_t out_channels,
                                  const void* packed, int8_t* y, size_t y_pixel_stride,
                                  const loupe_s8_gemm_qc8w_params* params) {
  const size_t c = g->channels;
  const size_t k = g->kernel_h * g->kernel_w * c;
  const size_t bytes = CHUNK * k + 16; /* + the last 16-byte piece's overrun */
  int8_t stack[STACK_BYTES];
  int8_t* buf = bytes <= STACK_BYTES ? stack : (int8_t*)malloc(bytes);
  if (!buf) return;
  const size_t run = g->kernel_w * c; /* one window row's bytes when the window is inside */
  /* The window rows' starts in the input for the current output row, when every one of them
   * lies inside it (most rows): then an inside pixel is kernel_h plain copies. */
  const int8_t* row_src[MAX_KH];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    int rows_inside = g->kernel_h <= MAX_KH && g->dilation_w == 1;
    for (size_t ky = 0; rows_inside && ky < g->kernel_h; ky++) {
      const ptrdiff_t iy = (ptrdiff_t)(oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t)g->pad_top;
      if (iy < 0 || iy >= (ptrdiff_t)g->in_h) rows_inside = 0;
      else row_src[ky] = x + (b * g->in_h + (size_t)iy) * g->in_w * c;
    }
    for (size_t ox0 = 0; ox0 < g->out_w; ox0 += CHUNK) {
      const size_t px = g->out_w - ox0 < CHUNK ? g->out_w - ox0 : CHUNK;
      for (size_t p = 0; p < px; p++) {
        const size_t ox = ox0 + p;
        int8_t* dst = buf + p * k;
        const ptrdiff_t ix0 = (ptrdiff_t)(ox * g->stride_w) - (ptrdiff_t)g->pad_left;
        const int x_inside = g->dilation_w == 1 && ix0 >= 0 && ix0 + (ptrdiff_t)g->kernel_w <= (ptrdiff_t)g->in_w;
        if (rows_inside && x_inside) {
          /* Each window row is one contiguous run of kernel_w * c bytes, copied in 16-byte
           * pieces (fixed-size copies, no library call per tap); the last piece may run up
           * to 15 bytes past the run, in the input (over-read, within the planner's 16 bytes
           * of slack) and in buf (rewritten by the next row's copy, or slack). */
          const size_t off = (size_t)ix0 * c;
          for (size_t ky = 0; ky < g->kernel_h; ky++, dst += run) {
            for (size_t i = 0; i < run; i += 16) memcpy(dst + i, row_src[ky] + off + i, 16);
          }
          continue;
        }
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const ptrdiff_t iy = (ptrdiff_t)(oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t)g->pad_top;
          if (x_inside && iy >= 0 && iy < (ptrdiff_t)g->in_h) {
            const int8_t* src = x + ((b * g->in_h + (size_t)iy) * g->in_w + (size_t)ix0) * c;
            for (size_t i = 0; i < run; i += 16) memcpy(dst + i, src + i, 16);
            dst += run;
            continue;
          }
          for (size_t kx = 0; kx < g->kernel_w; kx++, dst += c) {
            const ptrdiff_t ix = (ptrdiff_t)(ox * g->stride_w + kx * g->dilation_w) - (ptrdiff_t)g->pad_left;
            if (iy >= 0 && iy < (ptrdiff_t)g->in_h && ix >= 0 && ix < (ptrdiff_t)g->in_w) {
              memcpy(dst, x + ((b * g->in_h + (size_t)iy) * g->in_w + (size_t)ix) * c, c);
            } else {
              memset(dst, (uint8_t)x_zero_point, c);
            }
          }
        }
      }
      loupe_s8_gemm_qc8w__isa(isa, 0, px, k, out_channels, buf, k, packed,
                              y + (row * g->out_w + ox0) * y_pixel_stride, y_pixel_stride, params);
    }
  }
  if (buf != stack) free(buf);
}
