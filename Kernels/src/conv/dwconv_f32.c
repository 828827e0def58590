/*
 * Float depthwise convolution (NHWC, one filter per channel) with the activation fused:
 *
 *   acc[c] = fma(x[tap_n][c], w[c][tap_n], ... fma(x[tap_1][c], w[c][tap_1], bias[c]))
 *            over the taps inside the input, in row-major (ky, kx) order
 *   y[c]   = min(max(acc, min), max), then y * min(max(y + 3, 0), 6) * (1/6) if hardswish
 *
 * Every variant runs that exact sequence of roundings (the scalar twin through fmaf, the
 * SIMD ones through their fused multiply-add), so all of them give the same bits. Taps in
 * the padding are skipped rather than multiplied by zero: fma(0, w, -0) is +0 for w > 0,
 * so adding zeros would not even be neutral on the sign of a zero.
 *
 * Packed layout (one for every variant), blocks of 16 channels:
 *   float bias[16]
 *   float w[taps][16]
 * channels past `channels` zero. 16 is one zmm, two ymm or four NEON q registers.
 *
 * The walk: for each output row, the tap rows inside the input form a range [ky0, ky1), and
 * for each output pixel the tap columns inside form a range [kx0, kx1): the taps of a pixel
 * are that rectangle, so no per-tap test is needed anywhere. Pixels whose columns are all
 * inside (the interior of the row, the same for every row) go in groups of 8 and 4 in the
 * SIMD variants (see groups_pay for when): one weight vector loaded serves the group's 8 or
 * 4 accumulators, which are also independent FMA chains that hide the FMA latency. Edge
 * pixels go one by one with their own rectangle.
 * Within a group, the channel blocks are the inner loop: the weights of the layer
 * (taps * channels floats) stay in L1/L2 while the input streams through once.
 */
#include <math.h>
#include <string.h>
#include "../common/isa_defs.h"
#include "conv_f32_common.h"

#define CB 16

static size_t blocks_of(size_t channels) { return (channels + CB - 1) / CB; }
/* Floats per packed block. */
static size_t block_floats(size_t taps) { return (1 + taps) * CB; }

size_t loupe_f32_dwconv_packed_size(size_t taps, size_t channels) { return f32_blocks16_bytes(taps, channels); }

void loupe_f32_dwconv_pack(size_t taps, size_t channels, const float* w, const float* bias, void* packed) {
  f32_blocks16_pack(taps, channels, w, bias, packed);
}

/* ---- The walk shared by the variants ---------------------------------------------- */

/* What a pixel function needs: the layer, the current row's tap rows, the activation. */
typedef struct dwf_ctx {
  const float* packed;
  size_t block, blocks, channels, kw;
  size_t ky0, ky1;  /* the current row's tap rows inside the input */
  size_t row_step;  /* floats from one tap row to the next: dilation_h * in_w * channels */
  size_t dx;        /* floats from one tap column to the next: dilation_w * channels */
  size_t px;        /* floats from one output pixel's window to the next: stride_w * channels */
  size_t y_stride;  /* floats per output pixel */
  float min, max;
  int hardswish;
} dwf_ctx;

/* Output pixels 0..n-1 of a group (n a constant once inlined): pixel p's taps are rows
 * [ky0, ky1) x columns [kx0, kx1), its tap (ky0, kx0) at xp + p * px; it goes to
 * out + p * y_stride. xp is only dereferenced when the rectangle is not empty. */
typedef void (*dwf_pixels_fn)(const dwf_ctx* c, size_t n, const float* xp, size_t kx0, size_t kx1, float* out);

/* Always inlined into each variant, so the pixel function is a constant there and is inlined
 * with n = 8, 4 or 1. */
static inline __attribute__((always_inline)) void dwf_walk(dwf_pixels_fn pixels, size_t group, const loupe_s8_dwconv_geometry* g,
                                                           size_t rows_begin, size_t rows_end, const float* x,
                                                           const void* packed, float* y, size_t y_pixel_stride,
                                                           const loupe_f32_dwconv_params* params) {
  const size_t C = g->channels, kw = g->kernel_w;
  dwf_ctx c;
  c.packed = (const float*)packed;
  c.block = block_floats(g->kernel_h * kw);
  c.blocks = blocks_of(C);
  c.channels = C;
  c.kw = kw;
  c.row_step = g->dilation_h * g->in_w * C;
  c.dx = g->dilation_w * C;
  c.px = g->stride_w * C;
  c.y_stride = y_pixel_stride;
  c.min = params->min;
  c.max = params->max;
  c.hardswish = params->hardswish;
  /* The interior: output columns whose whole window is inside the input. */
  const ptrdiff_t span = (ptrdiff_t)((kw - 1) * g->dilation_w);
  const ptrdiff_t sw = (ptrdiff_t)g->stride_w, pl = (ptrdiff_t)g->pad_left;
  size_t ox_a = (size_t)((pl + sw - 1) / sw);
  const ptrdiff_t hi = (ptrdiff_t)g->in_w + pl - span; /* interior: ox * sw < hi */
  size_t ox_b = hi <= 0 ? 0 : (size_t)((hi + sw - 1) / sw);
  if (ox_b > g->out_w) ox_b = g->out_w;
  if (ox_a > ox_b) ox_a = ox_b;
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    const ptrdiff_t iy0 = (ptrdiff_t)(oy * g->stride_h) - (ptrdiff_t)g->pad_top;
    inside_range(iy0, g->dilation_h, g->kernel_h, g->in_h, &c.ky0, &c.ky1);
    /* Input row of tap row ky0 (only used when ky0 < ky1). */
    const float* xrow =
        c.ky0 < c.ky1 ? x + (b * g->in_h + (size_t)(iy0 + (ptrdiff_t)(c.ky0 * g->dilation_h))) * g->in_w * C : x;
    float* yrow = y + row * g->out_w * y_pixel_stride;
    size_t ox = 0;
    while (ox < g->out_w) {
      const ptrdiff_t ix0 = (ptrdiff_t)ox * sw - pl;
      if (ox >= ox_a && ox + group <= ox_b) {
        pixels(&c, group, xrow + (size_t)ix0 * C, 0, kw, yrow + ox * y_pixel_stride);
        ox += group;
      } else if (group > 4 && ox >= ox_a && ox + 4 <= ox_b) {
        pixels(&c, 4, xrow + (size_t)ix0 * C, 0, kw, yrow + ox * y_pixel_stride);
        ox += 4;
      } else {
        size_t kx0, kx1;
        inside_range(ix0, g->dilation_w, kw, g->in_w, &kx0, &kx1);
        const float* xp = kx0 < kx1 ? xrow + (size_t)(ix0 + (ptrdiff_t)(kx0 * g->dilation_w)) * C : x;
        pixels(&c, 1, xp, kx0, kx1, yrow + ox * y_pixel_stride);
        ox++;
      }
    }
  }
}

/* Whether the SIMD variants should take the interior pixels in groups. Measured on an AMD
 * EPYC (Zen 4) against one pixel at a time: groups win with stride 1 (each input pixel
 * serves up to kernel_w taps of the group from L1) and with stride 2 at 240 channels, and
 * lose by up to 1.5x with stride 2 at 64 and 72 channels, where the layer streams from DRAM
 * and a group's loads hop between pixels 2 * channels floats apart instead of running along
 * one pixel's channels. */
static inline int groups_pay(const loupe_s8_dwconv_geometry* g) { return g->stride_w == 1 || g->channels >= 128; }

/* ---- Scalar ------------------------------------------------------------------------ */

/* Channels [c_begin, c_end) of pixels 0..n-1, one channel at a time, fmaf in tap order. */
static inline __attribute__((always_inline)) void pixels_scalar_range(const dwf_ctx* c, size_t n, const float* xp, size_t kx0,
                                                                      size_t kx1, float* out, size_t c_begin,
                                                                      size_t c_end) {
  for (size_t p = 0; p < n; p++) {
    for (size_t ch = c_begin; ch < c_end; ch++) {
      const float* blk = c->packed + (ch / CB) * c->block;
      const size_t j = ch % CB;
      float acc = blk[j];
      const float* xr = xp + p * c->px + ch;
      for (size_t ky = c->ky0; ky < c->ky1; ky++, xr += c->row_step) {
        const float* wk = blk + CB + (ky * c->kw + kx0) * CB + j;
        const float* xk = xr;
        for (size_t kx = kx0; kx < kx1; kx++, xk += c->dx, wk += CB) acc = fmaf(*xk, *wk, acc);
      }
      out[p * c->y_stride + ch] = activate(acc, c->min, c->max, c->hardswish);
    }
  }
}

static inline __attribute__((always_inline)) void pixels_scalar(const dwf_ctx* c, size_t n, const float* xp, size_t kx0,
                                                                size_t kx1, float* out) {
  pixels_scalar_range(c, n, xp, kx0, kx1, out, 0, c->channels);
}

void loupe_f32_dwconv_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                   const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                   const loupe_f32_dwconv_params* params) {
  /* Groups of 1: the scalar code gains nothing from sharing a weight between pixels. */
  dwf_walk(pixels_scalar, 1, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}

/* ---- AVX-512 and AVX2 ---------------------------------------------------------------- */

#if LOUPE_X86
/* 16 channels per zmm; the last block's missing channels are masked off in the loads (no
 * read past a pixel's channels) and the stores. Up to 8 accumulators, one weight, one input:
 * well inside 32 registers. */
/* One block of 16 channels at c0 of pixels 0..n-1; `masked` (a constant once inlined) for
 * the last block when it has fewer than 16 channels: the whole blocks use plain loads and
 * stores, which the memory system streams better than masked ones. */
__attribute__((target("avx512f"), always_inline))
static inline void block_avx512(const dwf_ctx* c, size_t n, const float* xp, size_t kx0, size_t kx1, float* out,
                                const float* blk, size_t c0, int masked, __mmask16 m) {
  __m512 acc[8];
  const __m512 vb = _mm512_load_ps(blk);
  for (size_t p = 0; p < n; p++) acc[p] = vb;
  const float* xr = xp + c0;
  const float* wr = blk + CB + (c->ky0 * c->kw + kx0) * CB;
  for (size_t ky = c->ky0; ky < c->ky1; ky++, xr += c->row_step, wr += c->kw * CB) {
    const float* xk = xr;
    const float* wk = wr;
    for (size_t kx = kx0; kx < kx1; kx++, xk += c->dx, wk += CB) {
      const __m512 w = _mm512_load_ps(wk);
      for (size_t p = 0; p < n; p++) {
        const __m512 vx = masked ? _mm512_maskz_loadu_ps(m, xk + p * c->px) : _mm512_loadu_ps(xk + p * c->px);
        acc[p] = _mm512_fmadd_ps(vx, w, acc[p]);
      }
    }
  }
  const __m512 vmin = _mm512_set1_ps(c->min), vmax = _mm512_set1_ps(c->max);
  const __m512 vzero = _mm512_setzero_ps(), vthree = _mm512_set1_ps(3.0f), vsix = _mm512_set1_ps(6.0f);
  const __m512 vsixth = _mm512_set1_ps(1.0f / 6.0f);
  for (size_t p = 0; p < n; p++) {
    __m512 v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, acc[p]));
    if (c->hardswish) {
      __m512 t = _mm512_min_ps(vsix, _mm512_max_ps(vzero, _mm512_add_ps(v, vthree)));
      v = _mm512_mul_ps(v, t);
      v = _mm512_mul_ps(v, vsixth);
    }
    if (masked) {
      _mm512_mask_storeu_ps(out + p * c->y_stride + c0, m, v);
    } else {
      _mm512_storeu_ps(out + p * c->y_stride + c0, v);
    }
  }
}

/* 16 channels per zmm; the last block's missing channels are masked off in the loads (no
 * read past a pixel's channels) and the stores. Up to 8 accumulators, one weight, one input:
 * well inside 32 registers. */
__attribute__((target("avx512f"), always_inline))
static inline void pixels_avx512(const dwf_ctx* c, size_t n, const float* xp, size_t kx0, size_t kx1, float* out) {
  const size_t whole = c->channels / CB;
  const float* blk = c->packed;
  for (size_t cb = 0; cb < whole; cb++, blk += c->block) block_avx512(c, n, xp, kx0, kx1, out, blk, cb * CB, 0, 0);
  const size_t tail = c->channels % CB;
  if (tail) block_avx512(c, n, xp, kx0, kx1, out, blk, whole * CB, 1, (__mmask16)((1u << tail) - 1));
}

__attribute__((target("avx512f")))
void loupe_f32_dwconv_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                   const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                   const loupe_f32_dwconv_params* params) {
  if (groups_pay(g)) {
    dwf_walk(pixels_avx512, 8, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  } else {
    dwf_walk(pixels_avx512, 1, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  }
}

/* 8 channels per ymm (each 16-channel block as two halves); up to 8 accumulators, one
 * weight, one input: 10 of the 16 registers. A remainder of channels past the last multiple
 * of 8 runs the scalar code (fmaf is vfmadd231ss here: the same bits). */
__attribute__((target("avx2,fma"), always_inline))
static inline void pixels_avx2(const dwf_ctx* c, size_t n, const float* xp, size_t kx0, size_t kx1, float* out) {
  const __m256 vmin = _mm256_set1_ps(c->min), vmax = _mm256_set1_ps(c->max);
  const __m256 vzero = _mm256_setzero_ps(), vthree = _mm256_set1_ps(3.0f), vsix = _mm256_set1_ps(6.0f);
  const __m256 vsixth = _mm256_set1_ps(1.0f / 6.0f);
  const size_t whole = c->channels & ~(size_t)7;
  for (size_t c0 = 0; c0 < whole; c0 += 8) {
    const float* blk = c->packed + (c0 / CB) * c->block + c0 % CB;
    __m256 acc[8];
    const __m256 vb = _mm256_load_ps(blk);
    for (size_t p = 0; p < n; p++) acc[p] = vb;
    const float* xr = xp + c0;
    const float* wr = blk + CB + (c->ky0 * c->kw + kx0) * CB;
    for (size_t ky = c->ky0; ky < c->ky1; ky++, xr += c->row_step, wr += c->kw * CB) {
      const float* xk = xr;
      const float* wk = wr;
      for (size_t kx = kx0; kx < kx1; kx++, xk += c->dx, wk += CB) {
        const __m256 w = _mm256_load_ps(wk);
        for (size_t p = 0; p < n; p++) acc[p] = _mm256_fmadd_ps(_mm256_loadu_ps(xk + p * c->px), w, acc[p]);
      }
    }
    for (size_t p = 0; p < n; p++) {
      __m256 v = _mm256_min_ps(vmax, _mm256_max_ps(vmin, acc[p]));
      if (c->hardswish) {
        __m256 t = _mm256_min_ps(vsix, _mm256_max_ps(vzero, _mm256_add_ps(v, vthree)));
        v = _mm256_mul_ps(v, t);
        v = _mm256_mul_ps(v, vsixth);
      }
      _mm256_storeu_ps(out + p * c->y_stride + c0, v);
    }
  }
  if (whole < c->channels) pixels_scalar_range(c, n, xp, kx0, kx1, out, whole, c->channels);
}

__attribute__((target("avx2,fma")))
void loupe_f32_dwconv_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params) {
  if (groups_pay(g)) {
    dwf_walk(pixels_avx2, 8, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  } else {
    dwf_walk(pixels_avx2, 1, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  }
}
#else
void loupe_f32_dwconv_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                   const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                   const loupe_f32_dwconv_params* params) {
  loupe_f32_dwconv_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}

void loupe_f32_dwconv_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params) {
  loupe_f32_dwconv_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}
#endif /* LOUPE_X86 */

/* ---- NEON (AArch64) ------------------------------------------------------------------ */

#if LOUPE_NEON_A64
/* x86's maxps(a, b) = a > b ? a : b, and minps(a, b) = a < b ? a : b, as compare + select:
 * vmaxq/vminq order -0 below +0 and return NaN for a NaN in either operand, which the scalar
 * twin's (and x86's) choice of operand does not. */
static inline float32x4_t max_sel(float32x4_t a, float32x4_t b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline float32x4_t min_sel(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), a, b); }

/* 4 channels per q register; up to 8 accumulators, one weight, one input of the 32
 * registers. A remainder past the last multiple of 4 runs the scalar code (fmaf is fmadd
 * here: the same bits). */
static inline __attribute__((always_inline)) void pixels_neon(const dwf_ctx* c, size_t n, const float* xp, size_t kx0,
                                                              size_t kx1, float* out) {
  const float32x4_t vmin = vdupq_n_f32(c->min), vmax = vdupq_n_f32(c->max);
  const float32x4_t vzero = vdupq_n_f32(0.0f), vthree = vdupq_n_f32(3.0f), vsix = vdupq_n_f32(6.0f);
  const float32x4_t vsixth = vdupq_n_f32(1.0f / 6.0f);
  const size_t whole = c->channels & ~(size_t)3;
  for (size_t c0 = 0; c0 < whole; c0 += 4) {
    const float* blk = c->packed + (c0 / CB) * c->block + c0 % CB;
    float32x4_t acc[8];
    const float32x4_t vb = vld1q_f32(blk);
    for (size_t p = 0; p < n; p++) acc[p] = vb;
    const float* xr = xp + c0;
    const float* wr = blk + CB + (c->ky0 * c->kw + kx0) * CB;
    for (size_t ky = c->ky0; ky < c->ky1; ky++, xr += c->row_step, wr += c->kw * CB) {
      const float* xk = xr;
      const float* wk = wr;
      for (size_t kx = kx0; kx < kx1; kx++, xk += c->dx, wk += CB) {
        const float32x4_t w = vld1q_f32(wk);
        for (size_t p = 0; p < n; p++) acc[p] = vfmaq_f32(acc[p], vld1q_f32(xk + p * c->px), w);
      }
    }
    for (size_t p = 0; p < n; p++) {
      float32x4_t v = min_sel(vmax, max_sel(vmin, acc[p]));
      if (c->hardswish) {
        float32x4_t t = min_sel(vsix, max_sel(vzero, vaddq_f32(v, vthree)));
        v = vmulq_f32(v, t);
        v = vmulq_f32(v, vsixth);
      }
      vst1q_f32(out + p * c->y_stride + c0, v);
    }
  }
  if (whole < c->channels) pixels_scalar_range(c, n, xp, kx0, kx1, out, whole, c->channels);
}

void loupe_f32_dwconv_nhwc__neon(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params) {
  if (groups_pay(g)) {
    dwf_walk(pixels_neon, 8, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  } else {
    dwf_walk(pixels_neon, 1, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
  }
}
#else
void loupe_f32_dwconv_nhwc__neon(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params) {
  loupe_f32_dwconv_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}
#endif /* LOUPE_NEON_A64 */

/* ---- Dispatch ------------------------------------------------------------------------ */

int loupe_f32_dwconv_isa_available(loupe_f32_dwconv_isa isa) {
  switch (isa) {
    case loupe_f32_dwconv_scalar: return 1;
    /* loupe_isa_avx2 means AVX2 + FMA, loupe_isa_avx512 AVX-512F: what the variants use. */
    case loupe_f32_dwconv_avx2: return loupe_isa_available(loupe_isa_avx2);
    case loupe_f32_dwconv_avx512: return loupe_isa_available(loupe_isa_avx512);
    case loupe_f32_dwconv_neon:
#if LOUPE_NEON_A64
      return 1;
#else
      return 0;
#endif
  }
  return 0;
}

loupe_f32_dwconv_isa loupe_f32_dwconv_best_isa(void) {
  if (loupe_f32_dwconv_isa_available(loupe_f32_dwconv_avx512)) return loupe_f32_dwconv_avx512;
  if (loupe_f32_dwconv_isa_available(loupe_f32_dwconv_avx2)) return loupe_f32_dwconv_avx2;
  if (loupe_f32_dwconv_isa_available(loupe_f32_dwconv_neon)) return loupe_f32_dwconv_neon;
  return loupe_f32_dwconv_scalar;
}

void loupe_f32_dwconv_nhwc__isa(loupe_f32_dwconv_isa isa, const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                size_t rows_end, const float* x, const void* packed, float* y,
                                size_t y_pixel_stride, const loupe_f32_dwconv_params* params) {
  switch (isa) {
    case loupe_f32_dwconv_avx512:
      loupe_f32_dwconv_nhwc__avx512(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_f32_dwconv_avx2:
      loupe_f32_dwconv_nhwc__avx2(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_f32_dwconv_neon:
      loupe_f32_dwconv_nhwc__neon(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_f32_dwconv_scalar:
      break;
  }
  loupe_f32_dwconv_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}
