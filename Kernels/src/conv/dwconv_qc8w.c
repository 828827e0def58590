/*
 * Int8 depthwise convolution (NHWC, one filter per channel) with per-channel int8 weights:
 *
 *   acc[c] = bias[c] + sum_taps (x[tap][c] - x_zero_point) * w[c][tap]   (taps outside the
 *            input contribute nothing: they read x_zero_point)
 *   y[c]   = clamp(rne(float(acc[c]) * scale[c]) + y_zero_point, y_min, y_max)
 *
 * The requantization is gemm/gemm_qc8w.c's, XNNPACK's qc8 "fp32" one bit for bit, so the
 * codes equal those of xnn_create_convolution2d_nhwc_qc8 on the same depthwise layer.
 *
 * Packed (loupe_s8_dwconv_qc8w_pack), blocks of 16 channels:
 *   int32 bias[16]         bias - x_zero_point * sum_taps w   (wrapping)
 *   float scale[16]
 *   int32 w[taps][16]      weights in the low 16 bits of each 32 (vpmaddwd with a sign-
 *                          extended input gives the exact product)
 * then one row of round_up(channels, 64) bytes of x_zero_point: the input of the taps that
 * fall in the padding, so that every tap runs the same code.
 */
#include <string.h>
#include "../common/qc8_requant.h"

#define CB 16

static size_t block_bytes(size_t taps) { return 2 * CB * 4 + taps * CB * 4; }
static size_t blocks_of(size_t channels) { return (channels + CB - 1) / CB; }

size_t loupe_s8_dwconv_qc8w_packed_size(size_t taps, size_t channels) {
  return blocks_of(channels) * block_bytes(taps) + ((channels + 63) / 64) * 64;
}

/* The weights of one channel, one int32 per tap. */
static void put_weights(uint8_t* b, size_t j, const int8_t* wc, size_t taps) {
  for (size_t t = 0; t < taps; t++) {
    /* The weight in the low 16 bits, zeros above: vpmaddwd of a sign-extended input with it
     * is the exact 32-bit product (the high halves multiply zero). */
    const uint32_t lo16 = (uint32_t)(uint16_t)(int16_t)wc[t];
    memcpy(b + 2 * CB * 4 + (t * CB + j) * 4, &lo16, 4);
  }
}

void loupe_s8_dwconv_qc8w_pack(size_t taps, size_t channels, const int8_t* w, const int32_t* bias,
                               const float* scale, int8_t x_zero_point, void* packed) {
  const size_t block = block_bytes(taps);
  qc8_pack(packed, loupe_s8_dwconv_qc8w_packed_size(taps, channels), channels, CB, block, w, taps, bias, scale,
           x_zero_point, 1, put_weights);
  memset((uint8_t*)packed + blocks_of(channels) * block, (uint8_t)x_zero_point, ((channels + 63) / 64) * 64);
}

/* Input pointers of the taps of output pixel (b, oy, ox): the pixel's channel 0, or the
 * zero-point row where the tap falls in the padding. */
static inline void tap_pointers(const loupe_s8_dwconv_geometry* g, size_t b, size_t oy, size_t ox,
                                const int8_t* x, const int8_t* zero, const int8_t** ptrs) {
  size_t t = 0;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const ptrdiff_t iy = (ptrdiff_t)(oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t)g->pad_top;
    const int row_ok = iy >= 0 && iy < (ptrdiff_t)g->in_h;
    for (size_t kx = 0; kx < g->kernel_w; kx++, t++) {
      const ptrdiff_t ix = (ptrdiff_t)(ox * g->stride_w + kx * g->dilation_w) - (ptrdiff_t)g->pad_left;
      ptrs[t] = row_ok && ix >= 0 && ix < (ptrdiff_t)g->in_w
                    ? x + ((b * g->in_h + (size_t)iy) * g->in_w + (size_t)ix) * g->channels
                    : zero;
    }
  }
}

#define MAX_TAPS 64

void loupe_s8_dwconv_qc8w_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params) {
  const size_t taps = g->kernel_h * g->kernel_w;
  const size_t block = block_bytes(taps);
  const int8_t* zero = (const int8_t*)packed + blocks_of(g->channels) * block;
  const qc8_requant rq = qc8_requant_of(params);
  const int8_t* ptrs[MAX_TAPS];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    for (size_t ox = 0; ox < g->out_w; ox++) {
      tap_pointers(g, b, oy, ox, x, zero, ptrs);
      int8_t* out = y + (row * g->out_w + ox) * y_pixel_stride;
      for (size_t c = 0; c < g->channels; c++) {
        size_t j;
        const uint8_t* blk = qc8_block_of(packed, c, CB, block, &j);
        int32_t bias, w;
        float s;
        memcpy(&bias, blk + 4 * j, 4);
        memcpy(&s, blk + 4 * (CB + j), 4);
        uint32_t acc = (uint32_t)bias;
        for (size_t t = 0; t < taps; t++) {
          memcpy(&w, blk + 2 * CB * 4 + (t * CB + j) * 4, 4);
          acc += (uint32_t)((int32_t)ptrs[t][c] * (int32_t)(int16_t)w);
        }
        out[c] = requantize((int32_t)acc, s, rq.lo, rq.hi, rq.magic_less_zp);
      }
    }
  }
}


/* Addresses of the taps of an output pixel as base + off[t]: for a pixel whose window lies
 * inside the input, the window's top-left pixel and offsets fixed for the layer (no
 * per-tap test); otherwise base 0 and each tap's own address (tap_pointers). */
typedef struct tap_walk {
  uintptr_t interior[MAX_TAPS];
  uintptr_t edge[MAX_TAPS];
} tap_walk;

static inline void tap_walk_init(const loupe_s8_dwconv_geometry* g, tap_walk* w) {
  size_t t = 0;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    for (size_t kx = 0; kx < g->kernel_w; kx++, t++) {
      w->interior[t] = (uintptr_t)((ky * g->dilation_h * g->in_w + kx * g->dilation_w) * g->channels);
    }
  }
}

static inline const uintptr_t* tap_walk_pixel(const loupe_s8_dwconv_geometry* g, tap_walk* w, size_t b, size_t oy,
                                              size_t ox, const int8_t* x, const int8_t* zero, uintptr_t* base) {
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * g->stride_h) - (ptrdiff_t)g->pad_top;
  const ptrdiff_t ix0 = (ptrdiff_t)(ox * g->stride_w) - (ptrdiff_t)g->pad_left;
  if (iy0 >= 0 && iy0 + (ptrdiff_t)((g->kernel_h - 1) * g->dilation_h) < (ptrdiff_t)g->in_h && ix0 >= 0 &&
      ix0 + (ptrdiff_t)((g->kernel_w - 1) * g->dilation_w) < (ptrdiff_t)g->in_w) {
    *base = (uintptr_t)(x + ((b * g->in_h + (size_t)iy0) * g->in_w + (size_t)ix0) * g->channels);
    return w->interior;
  }
  const int8_t* ptrs[MAX_TAPS];
  tap_pointers(g, b, oy, ox, x, zero, ptrs);
  for (size_t t = 0; t < g->kernel_h * g->kernel_w; t++) w->edge[t] = (uintptr_t)ptrs[t];
  *base = 0;
  return w->edge;
}

#if LOUPE_X86
/* What every output pixel of a SIMD variant needs: the layer's sizes and requantization. */
typedef struct dw_layer {
  size_t taps, block, blocks, channels;
  qc8_requant rq;
  int32_t y_zero_point;
} dw_layer;

/* One output pixel of a SIMD variant: its taps at base + off[t], its channels to out. */
typedef void (*dw_pixel_fn)(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                            int8_t* out);

/* The walk of the SIMD variants over the output pixels of rows rows_begin..rows_end (over
 * batch * out_h). Always inlined into each variant, so `pixel` is a constant there and is
 * inlined too; its per-layer constants are hoisted out of the loops. */
static inline __attribute__((always_inline)) void dw_walk(dw_pixel_fn pixel, const loupe_s8_dwconv_geometry* g,
                                                          size_t rows_begin, size_t rows_end, const int8_t* x,
                                                          const void* packed, int8_t* y, size_t y_pixel_stride,
                                                          const loupe_s8_gemm_qc8w_params* params) {
  const size_t taps = g->kernel_h * g->kernel_w;
  const dw_layer l = {taps, block_bytes(taps), blocks_of(g->channels), g->channels, qc8_requant_of(params),
                      params->y_zero_point};
  const int8_t* zero = (const int8_t*)packed + l.blocks * l.block;
  tap_walk walk;
  tap_walk_init(g, &walk);
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    for (size_t ox = 0; ox < g->out_w; ox++) {
      uintptr_t base;
      const uintptr_t* off = tap_walk_pixel(g, &walk, b, oy, ox, x, zero, &base);
      pixel(&l, packed, base, off, y + (row * g->out_w + ox) * y_pixel_stride);
    }
  }
}

/* AVX-512: 16 channels per zmm, inputs widened with vpmovsxbd, products by vpmaddwd against
 * the low-16-bit weights (exact). The pixel is written once; `mac` is the multiply-add of
 * one tap (vpmaddwd + vpaddd, or VNNI's vpdpwssd), inlined into each variant. */
typedef __m512i (*dw_mac512)(__m512i acc, __m512i x, __m512i w);

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline __m512i mac_madd512(__m512i acc, __m512i x, __m512i w) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(x, w));
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline __m512i mac_dpwssd512(__m512i acc, __m512i x, __m512i w) {
  return _mm512_dpwssd_epi32(acc, x, w);
}

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline void pixel_avx512(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                int8_t* out, dw_mac512 mac) {
  const size_t taps = l->taps, block = l->block, blocks = l->blocks;
  const __m512 vlo = _mm512_set1_ps(l->rq.lo), vhi = _mm512_set1_ps(l->rq.hi);
  const __m512i vzp = _mm512_set1_epi32(l->y_zero_point);
  const size_t tail = l->channels - (blocks - 1) * CB;
  const __mmask16 tail_mask = (__mmask16)((1u << tail) - 1);
  const uint8_t* blk = (const uint8_t*)packed;
  for (size_t cb = 0; cb < blocks; cb++, blk += block) {
    const size_t c0 = cb * CB;
    const __mmask16 m = cb + 1 == blocks ? tail_mask : (__mmask16)0xFFFF;
    const int32_t* wp = (const int32_t*)(blk + 2 * CB * 4);
    __m512i acc0 = _mm512_load_si512(blk);
    __m512i acc1 = _mm512_setzero_si512();
    size_t t = 0;
    /* Two chains: the multiply's latency is hidden behind the other. */
    for (; t + 2 <= taps; t += 2) {
      const __m512i x0 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t]) + c0));
      const __m512i x1 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t + 1]) + c0));
      acc0 = mac(acc0, x0, _mm512_load_si512(wp + t * CB));
      acc1 = mac(acc1, x1, _mm512_load_si512(wp + (t + 1) * CB));
    }
    if (t < taps) {
      const __m512i x0 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t]) + c0));
      acc0 = mac(acc0, x0, _mm512_load_si512(wp + t * CB));
    }
    const __m512i acc = _mm512_add_epi32(acc0, acc1);
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_load_ps(blk + CB * 4));
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
    const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp);
    _mm_mask_storeu_epi8(out + c0, m, _mm512_cvtepi32_epi8(q));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline void pixel_avx512_madd(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                     int8_t* out) {
  pixel_avx512(l, packed, base, off, out, mac_madd512);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void pixel_avx512_vnni(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                     int8_t* out) {
  pixel_avx512(l, packed, base, off, out, mac_dpwssd512);
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void loupe_s8_dwconv_qc8w_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params) {
  dw_walk(pixel_avx512_madd, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}

/* AVX-512 VNNI: vpdpwssd multiplies and accumulates in one instruction. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
void loupe_s8_dwconv_qc8w_nhwc__avx512vnni(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                           const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                           const loupe_s8_gemm_qc8w_params* params) {
  dw_walk(pixel_avx512_vnni, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}

/* AVX2: 8 channels per ymm, vpmovsxbd + vpmaddwd. */
__attribute__((target("avx2,fma"), always_inline))
static inline void pixel_avx2(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                              int8_t* out) {
  const size_t taps = l->taps, block = l->block, channels = l->channels;
  const __m256 vlo = _mm256_set1_ps(l->rq.lo), vhi = _mm256_set1_ps(l->rq.hi);
  const __m256i vzp = _mm256_set1_epi32(l->y_zero_point);
  for (size_t c0 = 0; c0 < channels; c0 += 8) {
    const uint8_t* blk = (const uint8_t*)packed + (c0 / CB) * block;
    const size_t half = (c0 % CB) / 8;
    const size_t nc = channels - c0 < 8 ? channels - c0 : 8;
    const int32_t* wp = (const int32_t*)(blk + 2 * CB * 4) + half * 8;
    __m256i acc0 = _mm256_load_si256((const __m256i*)((const int32_t*)blk + half * 8));
    __m256i acc1 = _mm256_setzero_si256();
    size_t t = 0;
    if (nc == 8) {
      for (; t + 2 <= taps; t += 2) {
        int64_t a, bb;
        memcpy(&a, (const int8_t*)(base + off[t]) + c0, 8);
        memcpy(&bb, (const int8_t*)(base + off[t + 1]) + c0, 8);
        const __m256i x0 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(a));
        const __m256i x1 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(bb));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_load_si256((const __m256i*)(wp + t * CB))));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(x1, _mm256_load_si256((const __m256i*)(wp + (t + 1) * CB))));
      }
    }
    for (; t < taps; t++) {
      int64_t a = 0;
      memcpy(&a, (const int8_t*)(base + off[t]) + c0, nc); /* tail: no read past the channels */
      const __m256i x0 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(a));
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_load_si256((const __m256i*)(wp + t * CB))));
    }
    const __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_load_ps((const float*)(blk + CB * 4) + half * 8));
    f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), vzp);
    /* In range already: the saturating packs only narrow. */
    const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i q8 = _mm_packs_epi16(q16, q16);
    if (nc == 8) {
      _mm_storel_epi64((__m128i*)(out + c0), q8);
    } else {
      int8_t buf[16];
      _mm_storeu_si128((__m128i*)buf, q8);
      memcpy(out + c0, buf, nc);
    }
  }
}

__attribute__((target("avx2,fma")))
void loupe_s8_dwconv_qc8w_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                     const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                     const loupe_s8_gemm_qc8w_params* params) {
  dw_walk(pixel_avx2, g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
}
#endif /* LOUPE_X86 */

int loupe_s8_dwconv_qc8w_isa_available(loupe_s8_dwconv_qc8w_isa isa) {
  switch (isa) {
    case loupe_s8_dwconv_qc8w_scalar: return 1;
#if LOUPE_X86
    case loupe_s8_dwconv_qc8w_avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case loupe_s8_dwconv_qc8w_avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    case loupe_s8_dwconv_qc8w_avx512vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    case loupe_s8_dwconv_qc8w_avx2: case loupe_s8_dwconv_qc8w_avx512: case loupe_s8_dwconv_qc8w_avx512vnni: return 0;
#endif
  }
  return 0;
}

void loupe_s8_dwconv_qc8w_nhwc__isa(loupe_s8_dwconv_qc8w_isa isa, const loupe_s8_dwconv_geometry* g,
                                    size_t rows_begin, size_t rows_end, const int8_t* x, const void* packed,
                                    int8_t* y, size_t y_pixel_stride, const loupe_s8_gemm_qc8w_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_s8_dwconv_qc8w_avx512:
      loupe_s8_dwconv_qc8w_nhwc__avx512(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_s8_dwconv_qc8w_avx512vnni:
      loupe_s8_dwconv_qc8w_nhwc__avx512vnni(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_s8_dwconv_qc8w_avx2:
      loupe_s8_dwconv_qc8w_nhwc__avx2(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
#else
    case loupe_s8_dwconv_qc8w_avx512: case loupe_s8_dwconv_qc8w_avx2: case loupe_s8_dwconv_qc8w_avx512vnni:
#endif
    case loupe_s8_dwconv_qc8w_scalar:
      loupe_s8_dwconv_qc8w_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
  }
}
