/*
 * A network's first convolution in float32, read straight from the NCHW photo and written
 * NHWC, with the activation fused (one group, few input channels, any window, stride,
 * dilation and padding):
 *
 *   acc[o] = bias[o] + sum over c, ky, kx with the tap inside the input of x[c][iy][ix] * w[o][c][ky][kx]
 *   y[o]   = min(max(acc, min), max), then y * min(max(y + 3, 0), 6) * (1/6) if hardswish
 *
 * Why: behind XNNPACK's NHWC convolution a photo needs a transpose pass first and, for
 * HardSwish, a pass after; with three input channels the convolution itself is a GEMM of
 * k = 27 that XNNPACK runs through an indirection buffer. Here each output row reads the
 * planes' rows it needs, 16 output channels per vector, several pixels per weight load.
 *
 * Packed weights (loupe_f32_conv_nchw_pack): blocks of 16 output channels, each
 *   float bias[16], then float w[in_c][kh][kw][16]     (channels past out_c zero)
 * Every variant accumulates from the bias in (c, ky, kx) order with a fused multiply-add and
 * applies the activation in one order, so all give the scalar twin's bits.
 */
#include <math.h>
#include <string.h>
#include "../common/isa_defs.h"
#include "conv_f32_common.h"

#define OB 16
/* Pixels per tile of the AVX-512 variant: one weight load feeds this many FMAs. */
#define PX 8

static size_t block_floats(const loupe_s8_dwconv_geometry* g) { return OB + g->channels * g->kernel_h * g->kernel_w * OB; }

size_t loupe_f32_conv_nchw_packed_size(const loupe_s8_dwconv_geometry* g, size_t out_channels) {
  return f32_blocks16_bytes(g->channels * g->kernel_h * g->kernel_w, out_channels);
}

/* OIHW weights are [out_channels][in_c * kh * kw]: the depthwise kernel's layout with that
 * many taps. */
void loupe_f32_conv_nchw_pack(const loupe_s8_dwconv_geometry* g, size_t out_channels, const float* w, const float* bias,
                              void* packed) {
  f32_blocks16_pack(g->channels * g->kernel_h * g->kernel_w, out_channels, w, bias, packed);
}

/* One output pixel, every output channel, in scalar code. */
static void pixel_scalar(const loupe_s8_dwconv_geometry* g, size_t out_channels, const float* xb, ptrdiff_t iy0,
                         ptrdiff_t ix0, size_t ky0, size_t ky1, const float* packed, float* out,
                         const loupe_f32_dwconv_params* a) {
  size_t kx0, kx1;
  inside_range(ix0, g->dilation_w, g->kernel_w, g->in_w, &kx0, &kx1);
  const size_t block = block_floats(g), plane = g->in_h * g->in_w;
  for (size_t o = 0; o < out_channels; o++) {
    const float* b = packed + (o / OB) * block;
    const size_t j = o % OB;
    float acc = b[j];
    for (size_t c = 0; c < g->channels; c++) {
      for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = xb + c * plane + (size_t)(iy0 + (ptrdiff_t)(ky * g->dilation_h)) * g->in_w;
        const float* wk = b + OB + ((c * g->kernel_h + ky) * g->kernel_w) * OB + j;
        for (size_t kx = kx0; kx < kx1; kx++) {
          acc = fmaf(row[ix0 + (ptrdiff_t)(kx * g->dilation_w)], wk[kx * OB], acc);
        }
      }
    }
    out[o] = activate(acc, a->min, a->max, a->hardswish);
  }
}

/* What an output row needs: its image, the window's first input row and the window rows
 * inside the input. */
static inline const float* row_setup(const loupe_s8_dwconv_geometry* g, const float* x, size_t row, ptrdiff_t* iy0,
                                     size_t* ky0, size_t* ky1) {
  const size_t b = row / g->out_h, oy = row % g->out_h;
  *iy0 = (ptrdiff_t)(oy * g->stride_h) - (ptrdiff_t)g->pad_top;
  inside_range(*iy0, g->dilation_h, g->kernel_h, g->in_h, ky0, ky1);
  return x + b * g->channels * g->in_h * g->in_w;
}

void loupe_f32_conv_nchw_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t out_channels, size_t rows_begin,
                                      size_t rows_end, const float* x, const void* packed, float* y,
                                      const loupe_f32_dwconv_params* params) {
  for (size_t row = rows_begin; row < rows_end; row++) {
    ptrdiff_t iy0;
    size_t ky0, ky1;
    const float* xb = row_setup(g, x, row, &iy0, &ky0, &ky1);
    for (size_t ox = 0; ox < g->out_w; ox++) {
      pixel_scalar(g, out_channels, xb, iy0, (ptrdiff_t)(ox * g->stride_w) - (ptrdiff_t)g->pad_left, ky0, ky1,
                   (const float*)packed, y + (row * g->out_w + ox) * out_channels, params);
    }
  }
}

#if LOUPE_X86
/* PX pixels whose windows lie inside the input horizontally, one block of 16 output
 * channels: PX accumulators, one weight vector per tap, the input broadcast per pixel. */
/* `n` (PX, or 1 at a border, a constant once inlined) pixels, their window taps kx0..kx1-1
 * inside the input horizontally (all of them for a tile), one block of 16 output channels:
 * n accumulators, one weight vector per tap, the input broadcast per pixel. */
__attribute__((target("avx512f"), always_inline))
static inline void tile_avx512(const loupe_s8_dwconv_geometry* g, int n, const float* xb, ptrdiff_t iy0, ptrdiff_t ix0,
                               size_t ky0, size_t ky1, size_t kx0, size_t kx1, const float* b, float* out,
                               size_t out_stride, __mmask16 m, const loupe_f32_dwconv_params* a) {
  const size_t plane = g->in_h * g->in_w, sw = g->stride_w, dw = g->dilation_w;
  __m512 acc[PX];
  const __m512 vb = _mm512_load_ps(b);
  for (int p = 0; p < n; p++) acc[p] = vb;
  for (size_t c = 0; c < g->channels; c++) {
    for (size_t ky = ky0; ky < ky1; ky++) {
      const float* row = xb + c * plane + (size_t)(iy0 + (ptrdiff_t)(ky * g->dilation_h)) * g->in_w + ix0;
      const float* wk = b + OB + ((c * g->kernel_h + ky) * g->kernel_w) * OB;
      for (size_t kx = kx0; kx < kx1; kx++) {
        const __m512 w = _mm512_load_ps(wk + kx * OB);
        const float* xk = row + kx * dw;
        for (int p = 0; p < n; p++) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(xk[p * sw]), w, acc[p]);
      }
    }
  }
  const __m512 vmin = _mm512_set1_ps(a->min), vmax = _mm512_set1_ps(a->max);
  const __m512 vzero = _mm512_setzero_ps(), vthree = _mm512_set1_ps(3.0f), vsix = _mm512_set1_ps(6.0f);
  const __m512 vsixth = _mm512_set1_ps(1.0f / 6.0f);
  for (int p = 0; p < n; p++) {
    __m512 v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, acc[p]));
    if (a->hardswish) {
      const __m512 t = _mm512_min_ps(vsix, _mm512_max_ps(vzero, _mm512_add_ps(v, vthree)));
      v = _mm512_mul_ps(_mm512_mul_ps(v, t), vsixth);
    }
    _mm512_mask_storeu_ps(out + p * out_stride, m, v);
  }
}

__attribute__((target("avx512f")))
static void loupe_f32_conv_nchw_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t out_channels,
                                             size_t rows_begin, size_t rows_end, const float* x, const void* packed,
                                             float* y, const loupe_f32_dwconv_params* params) {
  const size_t block = block_floats(g), blocks = (out_channels + OB - 1) / OB;
  const ptrdiff_t span = (ptrdiff_t)((g->kernel_w - 1) * g->dilation_w);
  for (size_t row = rows_begin; row < rows_end; row++) {
    ptrdiff_t iy0;
    size_t ky0, ky1;
    const float* xb = row_setup(g, x, row, &iy0, &ky0, &ky1);
    float* yr = y + row * g->out_w * out_channels;
    for (size_t ox = 0; ox < g->out_w;) {
      const ptrdiff_t ix0 = (ptrdiff_t)(ox * g->stride_w) - (ptrdiff_t)g->pad_left;
      const ptrdiff_t last = ix0 + (ptrdiff_t)((PX - 1) * g->stride_w) + span;
      const int whole = ox + PX <= g->out_w && ix0 >= 0 && last < (ptrdiff_t)g->in_w;
      size_t kx0 = 0, kx1 = g->kernel_w;
      if (!whole) inside_range(ix0, g->dilation_w, g->kernel_w, g->in_w, &kx0, &kx1);
      for (size_t cb = 0; cb < blocks; cb++) {
        const size_t left = out_channels - cb * OB;
        const __mmask16 m = left >= OB ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const float* b = (const float*)packed + cb * block;
        float* out = yr + ox * out_channels + cb * OB;
        if (whole) {
          tile_avx512(g, PX, xb, iy0, ix0, ky0, ky1, 0, g->kernel_w, b, out, out_channels, m, params);
        } else {
          tile_avx512(g, 1, xb, iy0, ix0, ky0, ky1, kx0, kx1, b, out, out_channels, m, params);
        }
      }
      ox += whole ? PX : 1;
    }
  }
}
#endif

int loupe_f32_conv_nchw_isa_available(loupe_f32_dwconv_isa isa) {
  switch (isa) {
    case loupe_f32_dwconv_scalar: return 1;
    case loupe_f32_dwconv_avx512: return loupe_isa_available(loupe_isa_avx512);
    case loupe_f32_dwconv_avx2: case loupe_f32_dwconv_neon: return 0;
  }
  return 0;
}

void loupe_f32_conv_nchw_nhwc__isa(loupe_f32_dwconv_isa isa, const loupe_s8_dwconv_geometry* g, size_t out_channels,
                                   size_t rows_begin, size_t rows_end, const float* x, const void* packed, float* y,
                                   const loupe_f32_dwconv_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_f32_dwconv_avx512:
      loupe_f32_conv_nchw_nhwc__avx512(g, out_channels, rows_begin, rows_end, x, packed, y, params);
      return;
#else
    case loupe_f32_dwconv_avx512:
#endif
    case loupe_f32_dwconv_scalar: case loupe_f32_dwconv_avx2: case loupe_f32_dwconv_neon:
      loupe_f32_conv_nchw_nhwc__scalar(g, out_channels, rows_begin, rows_end, x, packed, y, params);
      return;
  }
}
