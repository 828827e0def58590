/* Pillow-exact separable resampling of RGB8 images (see loupe_image_kernels.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../common/isa_defs.h"

#define PREC LOUPE_RESAMPLE_PRECISION_BITS

/* The parameters of every horizontal (loupe_u8_resample_h_rgb_fn) and vertical
 * (loupe_u8_resample_v_fn) pass, and the same names as arguments. */
#define H_PARAMS                                                                                          \
  size_t rows, size_t in_w, const uint8_t *in, size_t in_stride, size_t out_w, uint8_t *out, size_t out_stride, \
      const int32_t *bounds, const int32_t *coeffs, size_t taps
#define H_ARGS rows, in_w, in, in_stride, out_w, out, out_stride, bounds, coeffs, taps
#define V_PARAMS                                                                                          \
  size_t row_bytes, const uint8_t *in, size_t in_stride, size_t out_h, uint8_t *out, size_t out_stride,         \
      const int32_t *bounds, const int32_t *coeffs, size_t taps
#define V_ARGS row_bytes, in, in_stride, out_h, out, out_stride, bounds, coeffs, taps

static double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }
static double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}
static double filter_support(loupe_resample_filter f) { return f == loupe_resample_box ? 0.5 : 1.0; }

static double filter_scale(size_t in_size, size_t out_size) {
  const double scale = (double)in_size / (double)out_size;
  return scale < 1.0 ? 1.0 : scale;
}

size_t loupe_resample_taps(size_t in_size, size_t out_size, loupe_resample_filter filter) {
  const double support = filter_support(filter) * filter_scale(in_size, out_size);
  return (size_t)ceil(support) * 2 + 1;
}

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc, same double arithmetic. */
void loupe_resample_coeffs(size_t in_size, size_t out_size, loupe_resample_filter filter,
                           int32_t* bounds, int32_t* coeffs) {
  const double scale = (double)in_size / (double)out_size;
  const double fscale = filter_scale(in_size, out_size);
  const double support = filter_support(filter) * fscale;
  const size_t taps = loupe_resample_taps(in_size, out_size, filter);
  double (*f)(double) = filter == loupe_resample_box ? box_filter : bilinear_filter;
  const double ss = 1.0 / fscale;
  for (size_t xx = 0; xx < out_size; xx++) {
    const double center = ((double)xx + 0.5) * scale;
    int xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = (int)(center + support + 0.5);
    if (xmax > (int)in_size) xmax = (int)in_size;
    xmax -= xmin;
    /* Weights are evaluated twice (sum, then normalized) instead of buffered: the filter
     * is deterministic, so the values are Pillow's without an allocation here. */
    double ww = 0.0;
    for (int x = 0; x < xmax; x++) ww += f(((double)(x + xmin) - center + 0.5) * ss);
    int32_t* out = coeffs + xx * taps;
    for (size_t x = 0; x < taps; x++) {
      double v = 0.0;
      if ((int)x < xmax) {
        v = f(((double)((int)x + xmin) - center + 0.5) * ss);
        if (ww != 0.0) v /= ww;
      }
      out[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PREC)) : (int32_t)(0.5 + v * (1 << PREC));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
}

static inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> PREC;
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline void h_pixel_scalar(const uint8_t* row, const int32_t* k, int32_t xmin, int32_t n, uint8_t* dst) {
  int32_t s0 = 1 << (PREC - 1), s1 = s0, s2 = s0;
  const uint8_t* p = row + (size_t)xmin * 3;
  for (int32_t t = 0; t < n; t++) {
    s0 += p[3 * t] * k[t];
    s1 += p[3 * t + 1] * k[t];
    s2 += p[3 * t + 2] * k[t];
  }
  dst[0] = clip8(s0);
  dst[1] = clip8(s1);
  dst[2] = clip8(s2);
}

/* Output byte b of a vertical pass: n source rows from base, one coefficient each. */
static inline uint8_t v_byte_scalar(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n, size_t b) {
  int32_t s = 1 << (PREC - 1);
  for (int32_t t = 0; t < n; t++) s += base[(size_t)t * in_stride + b] * k[t];
  return clip8(s);
}

/* The low three bytes of v, R G B, to dst. */
static inline void store_rgb(uint8_t* dst, uint32_t v) {
  dst[0] = (uint8_t)v;
  dst[1] = (uint8_t)(v >> 8);
  dst[2] = (uint8_t)(v >> 16);
}

/* One output pixel of a SIMD horizontal pass from its n taps at p with coefficients k,
 * as R | G << 8 | B << 16. */
typedef uint32_t (*h_pixel_fn)(const uint8_t* p, const int32_t* k, int32_t n);

/* The walk of the SIMD horizontal passes. `pixel` loads load_bytes from each group of
 * `group` taps; a pixel whose loads would cross the row end goes through h_pixel_scalar.
 * Always inlined into each variant, so `pixel` is a constant there and is inlined too. */
static inline __attribute__((always_inline)) void h_rows_simd(int32_t group, size_t load_bytes, h_pixel_fn pixel,
                                                             size_t rows, size_t in_w, const uint8_t* in,
                                                             size_t in_stride, size_t out_w, uint8_t* out,
                                                             size_t out_stride, const int32_t* bounds,
                                                             const int32_t* coeffs, size_t taps) {
  const size_t row_bytes = in_w * 3;
  for (size_t y = 0; y < rows; y++) {
    const uint8_t* row = in + y * in_stride;
    uint8_t* dst = out + y * out_stride;
    for (size_t x = 0; x < out_w; x++) {
      const int32_t xmin = bounds[2 * x], n = bounds[2 * x + 1];
      const int32_t* k = coeffs + x * taps;
      const int32_t groups = (n + group - 1) / group;
      if ((size_t)(xmin + group * groups - group) * 3 + load_bytes > row_bytes) {
        h_pixel_scalar(row, k, xmin, n, dst + 3 * x);
        continue;
      }
      store_rgb(dst + 3 * x, pixel(row + (size_t)xmin * 3, k, n));
    }
  }
}

/* The SIMD part of one output row of a vertical pass; returns how many leading bytes of
 * the row it wrote. */
typedef size_t (*v_row_fn)(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n, size_t row_bytes,
                           uint8_t* dst);

static inline size_t v_row_none(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n,
                                size_t row_bytes, uint8_t* dst) {
  (void)base, (void)in_stride, (void)k, (void)n, (void)row_bytes, (void)dst;
  return 0;
}

/* The walk of every vertical pass: `vector_part` first, the rest of the row in scalar
 * code. Always inlined, like h_rows_simd. */
static inline __attribute__((always_inline)) void v_rows(v_row_fn vector_part, size_t row_bytes, const uint8_t* in,
                                                        size_t in_stride, size_t out_h, uint8_t* out,
                                                        size_t out_stride, const int32_t* bounds,
                                                        const int32_t* coeffs, size_t taps) {
  for (size_t y = 0; y < out_h; y++) {
    const int32_t* k = coeffs + y * taps;
    const uint8_t* base = in + (size_t)bounds[2 * y] * in_stride;
    const int32_t n = bounds[2 * y + 1];
    uint8_t* dst = out + y * out_stride;
    for (size_t b = vector_part(base, in_stride, k, n, row_bytes, dst); b < row_bytes; b++)
      dst[b] = v_byte_scalar(base, in_stride, k, n, b);
  }
}

void loupe_u8_resample_h_rgb__scalar(H_PARAMS) {
  (void)in_w;
  for (size_t y = 0; y < rows; y++) {
    const uint8_t* row = in + y * in_stride;
    uint8_t* dst = out + y * out_stride;
    for (size_t x = 0; x < out_w; x++)
      h_pixel_scalar(row, coeffs + x * taps, bounds[2 * x], bounds[2 * x + 1], dst + 3 * x);
  }
}

void loupe_u8_resample_v__scalar(V_PARAMS) {
  v_rows(v_row_none, V_ARGS);
}

#if LOUPE_X86
/* Horizontal: one output pixel at a time, taps in groups (2 for AVX2, 4 for AVX-512);
 * each tap's R,G,B widened to int32 lanes [R G B 0] and multiplied by its coefficient.
 * Loads read 8 (AVX2) or 16 (AVX-512) bytes from a tap's first byte; an output pixel whose
 * loads would cross the row end goes through the scalar code, so nothing is over-read. */
__attribute__((target("avx2,fma")))
static inline uint32_t h_pixel_avx2(const uint8_t* p, const int32_t* k, int32_t n) {
  const __m128i shuf = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i kidx = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  const __m128i round = _mm_set1_epi32(1 << (PREC - 1));
  __m256i acc = _mm256_setzero_si256();
  int32_t t = 0;
  for (; t + 2 <= n; t += 2) {
    __m256i px = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(_mm_loadl_epi64((const __m128i*)(p + 3 * t)), shuf));
    __m256i kv = _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i*)(k + t))), kidx);
    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, kv));
  }
  if (t < n) {
    __m256i px = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(_mm_loadl_epi64((const __m128i*)(p + 3 * t)), shuf));
    __m256i kv = _mm256_setr_epi32(k[t], k[t], k[t], 0, 0, 0, 0, 0);
    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, kv));
  }
  __m128i s = _mm_add_epi32(_mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1)), round);
  s = _mm_srai_epi32(s, PREC);
  s = _mm_packus_epi16(_mm_packus_epi32(s, s), s);
  return (uint32_t)_mm_cvtsi128_si32(s);
}

__attribute__((target("avx2,fma")))
void loupe_u8_resample_h_rgb__avx2(H_PARAMS) {
  h_rows_simd(2, 8, h_pixel_avx2, H_ARGS);
}

__attribute__((target("avx512f,avx2,fma")))
static inline uint32_t h_pixel_avx512(const uint8_t* p, const int32_t* k, int32_t n) {
  const __m128i shuf = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const __m512i kidx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  const __m128i round = _mm_set1_epi32(1 << (PREC - 1));
  __m512i acc = _mm512_setzero_si512();
  int32_t t = 0;
  for (; t + 4 <= n; t += 4) {
    __m512i px = _mm512_cvtepu8_epi32(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 3 * t)), shuf));
    __m512i kv = _mm512_permutexvar_epi32(kidx, _mm512_castsi128_si512(_mm_loadu_si128((const __m128i*)(k + t))));
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(px, kv));
  }
  if (t < n) {
    /* Masked load of the last 1-3 coefficients (no read past them, and no stack
     * round trip, which stalls store forwarding). */
    const __mmask16 m = (__mmask16)((1u << (n - t)) - 1u);
    __m512i px = _mm512_cvtepu8_epi32(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 3 * t)), shuf));
    __m512i kv = _mm512_permutexvar_epi32(kidx, _mm512_maskz_loadu_epi32(m, k + t));
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(px, kv));
  }
  __m128i s = _mm_add_epi32(_mm_add_epi32(_mm512_extracti32x4_epi32(acc, 0), _mm512_extracti32x4_epi32(acc, 1)),
                            _mm_add_epi32(_mm512_extracti32x4_epi32(acc, 2), _mm512_extracti32x4_epi32(acc, 3)));
  s = _mm_srai_epi32(_mm_add_epi32(s, round), PREC);
  s = _mm_packus_epi16(_mm_packus_epi32(s, s), s);
  return (uint32_t)_mm_cvtsi128_si32(s);
}

__attribute__((target("avx512f,avx2,fma")))
void loupe_u8_resample_h_rgb__avx512(H_PARAMS) {
  h_rows_simd(4, 16, h_pixel_avx512, H_ARGS);
}

/* Vertical: across the row's bytes, 8 (AVX2) or 16 (AVX-512) int32 lanes per vector,
 * four vectors per step; tail bytes in scalar code. */
__attribute__((target("avx2,fma")))
static inline size_t v_row_avx2(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n,
                                size_t row_bytes, uint8_t* dst) {
  const __m256i round = _mm256_set1_epi32(1 << (PREC - 1));
  size_t b = 0;
  for (; b + 32 <= row_bytes; b += 32) {
    __m256i a0 = round, a1 = round, a2 = round, a3 = round;
    for (int32_t t = 0; t < n; t++) {
      const uint8_t* p = base + (size_t)t * in_stride + b;
      const __m256i kv = _mm256_set1_epi32(k[t]);
      a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)p)), kv));
      a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(p + 8))), kv));
      a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(p + 16))), kv));
      a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(p + 24))), kv));
    }
    a0 = _mm256_srai_epi32(a0, PREC);
    a1 = _mm256_srai_epi32(a1, PREC);
    a2 = _mm256_srai_epi32(a2, PREC);
    a3 = _mm256_srai_epi32(a3, PREC);
    /* packs work per 128-bit lane: (a0,a1) -> a0lo a1lo a0hi a1hi; fix the order after. */
    __m256i w01 = _mm256_packus_epi32(a0, a1), w23 = _mm256_packus_epi32(a2, a3);
    __m256i bytes = _mm256_packus_epi16(w01, w23);
    bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i*)(dst + b), bytes);
  }
  return b;
}

__attribute__((target("avx2,fma")))
void loupe_u8_resample_v__avx2(V_PARAMS) {
  v_rows(v_row_avx2, V_ARGS);
}

__attribute__((target("avx512f,avx2,fma")))
static inline size_t v_row_avx512(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n,
                                  size_t row_bytes, uint8_t* dst) {
  const __m512i round = _mm512_set1_epi32(1 << (PREC - 1));
  const __m512i zero = _mm512_setzero_si512();
  size_t b = 0;
  for (; b + 64 <= row_bytes; b += 64) {
    __m512i a0 = round, a1 = round, a2 = round, a3 = round;
    for (int32_t t = 0; t < n; t++) {
      const uint8_t* p = base + (size_t)t * in_stride + b;
      const __m512i kv = _mm512_set1_epi32(k[t]);
      a0 = _mm512_add_epi32(a0, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)p)), kv));
      a1 = _mm512_add_epi32(a1, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(p + 16))), kv));
      a2 = _mm512_add_epi32(a2, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(p + 32))), kv));
      a3 = _mm512_add_epi32(a3, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(p + 48))), kv));
    }
    /* max(., 0) first: the unsigned-saturating narrow would turn negatives into 255. */
    _mm_storeu_si128((__m128i*)(dst + b), _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(a0, PREC), zero)));
    _mm_storeu_si128((__m128i*)(dst + b + 16), _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(a1, PREC), zero)));
    _mm_storeu_si128((__m128i*)(dst + b + 32), _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(a2, PREC), zero)));
    _mm_storeu_si128((__m128i*)(dst + b + 48), _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(a3, PREC), zero)));
  }
  for (; b + 16 <= row_bytes; b += 16) {
    __m512i a = round;
    for (int32_t t = 0; t < n; t++)
      a = _mm512_add_epi32(a, _mm512_mullo_epi32(
          _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(base + (size_t)t * in_stride + b))), _mm512_set1_epi32(k[t])));
    _mm_storeu_si128((__m128i*)(dst + b), _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(a, PREC), zero)));
  }
  return b;
}

__attribute__((target("avx512f,avx2,fma")))
void loupe_u8_resample_v__avx512(V_PARAMS) {
  v_rows(v_row_avx512, V_ARGS);
}
#else
void loupe_u8_resample_h_rgb__avx2(H_PARAMS) {
  loupe_u8_resample_h_rgb__scalar(H_ARGS);
}
void loupe_u8_resample_h_rgb__avx512(H_PARAMS) {
  loupe_u8_resample_h_rgb__scalar(H_ARGS);
}
void loupe_u8_resample_v__avx2(V_PARAMS) {
  loupe_u8_resample_v__scalar(V_ARGS);
}
void loupe_u8_resample_v__avx512(V_PARAMS) {
  loupe_u8_resample_v__scalar(V_ARGS);
}
#endif

#if LOUPE_NEON_A64
/* Horizontal: one output pixel at a time, taps in groups of 4 from one 16-byte load; a
 * table lookup spreads each tap's R,G,B to int32 lanes [R G B 0] (index 16 reads as 0),
 * multiplied by its coefficient lane. The guard in h_rows_simd keeps the loads inside
 * the row, as for the x86 variants. */
static inline uint32_t h_pixel_neon(const uint8_t* p, const int32_t* k, int32_t n) {
  static const uint8_t spread[16] = {0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11, 16};
  const uint8x16_t idx = vld1q_u8(spread);
  int32x4_t acc = vdupq_n_s32(1 << (PREC - 1));
  int32_t t = 0;
  for (; t < n; t += 4) {
    const uint8x16_t px = vqtbl1q_u8(vld1q_u8(p + 3 * t), idx);
    const uint16x8_t lo = vmovl_u8(vget_low_u8(px)), hi = vmovl_high_u8(px);
    const int32x4_t t0 = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
    const int32x4_t t1 = vreinterpretq_s32_u32(vmovl_high_u16(lo));
    const int32x4_t t2 = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
    const int32x4_t t3 = vreinterpretq_s32_u32(vmovl_high_u16(hi));
    if (t + 4 <= n) {
      const int32x4_t kv = vld1q_s32(k + t);
      acc = vmlaq_laneq_s32(acc, t0, kv, 0);
      acc = vmlaq_laneq_s32(acc, t1, kv, 1);
      acc = vmlaq_laneq_s32(acc, t2, kv, 2);
      acc = vmlaq_laneq_s32(acc, t3, kv, 3);
    } else {
      /* The last 1-3 taps: their coefficients one by one (no read past them). */
      acc = vmlaq_n_s32(acc, t0, k[t]);
      if (t + 1 < n) acc = vmlaq_n_s32(acc, t1, k[t + 1]);
      if (t + 2 < n) acc = vmlaq_n_s32(acc, t2, k[t + 2]);
    }
  }
  /* >> PREC (arithmetic, as clip8), then saturate to [0, 255] in two narrowing steps. */
  const uint16x4_t w = vqmovun_s32(vshrq_n_s32(acc, PREC));
  const uint8x8_t bytes = vqmovn_u16(vcombine_u16(w, w));
  return vget_lane_u32(vreinterpret_u32_u8(bytes), 0);
}

void loupe_u8_resample_h_rgb__neon(H_PARAMS) {
  h_rows_simd(4, 16, h_pixel_neon, H_ARGS);
}

/* Vertical: across the row's bytes, 16 bytes (four int32x4 accumulators) per step; tail
 * bytes in scalar code. */
static inline int32x4_t v_acc_neon(int32x4_t acc, uint16x4_t px, int32_t k) {
  return vmlaq_n_s32(acc, vreinterpretq_s32_u32(vmovl_u16(px)), k);
}

static inline size_t v_row_neon(const uint8_t* base, size_t in_stride, const int32_t* k, int32_t n,
                                size_t row_bytes, uint8_t* dst) {
  const int32x4_t round = vdupq_n_s32(1 << (PREC - 1));
  size_t b = 0;
  for (; b + 16 <= row_bytes; b += 16) {
    int32x4_t a0 = round, a1 = round, a2 = round, a3 = round;
    for (int32_t t = 0; t < n; t++) {
      const uint8x16_t v = vld1q_u8(base + (size_t)t * in_stride + b);
      const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_high_u8(v);
      a0 = v_acc_neon(a0, vget_low_u16(lo), k[t]);
      a1 = v_acc_neon(a1, vget_high_u16(lo), k[t]);
      a2 = v_acc_neon(a2, vget_low_u16(hi), k[t]);
      a3 = v_acc_neon(a3, vget_high_u16(hi), k[t]);
    }
    const uint16x8_t w01 = vcombine_u16(vqmovun_s32(vshrq_n_s32(a0, PREC)), vqmovun_s32(vshrq_n_s32(a1, PREC)));
    const uint16x8_t w23 = vcombine_u16(vqmovun_s32(vshrq_n_s32(a2, PREC)), vqmovun_s32(vshrq_n_s32(a3, PREC)));
    vst1q_u8(dst + b, vcombine_u8(vqmovn_u16(w01), vqmovn_u16(w23)));
  }
  return b;
}

void loupe_u8_resample_v__neon(V_PARAMS) {
  v_rows(v_row_neon, V_ARGS);
}
#else
void loupe_u8_resample_h_rgb__neon(H_PARAMS) {
  loupe_u8_resample_h_rgb__scalar(H_ARGS);
}
void loupe_u8_resample_v__neon(V_PARAMS) {
  loupe_u8_resample_v__scalar(V_ARGS);
}
#endif

static loupe_isa cached_isa(void) {
  static int cached = -1;
  return loupe_cached_isa(&cached);
}

typedef loupe_u8_resample_h_rgb_fn* h_fn;
typedef loupe_u8_resample_v_fn* v_fn;

static h_fn pick_h(loupe_isa isa) {
  switch (isa) {
    case loupe_isa_avx512: return loupe_u8_resample_h_rgb__avx512;
    case loupe_isa_avx2: return loupe_u8_resample_h_rgb__avx2;
    case loupe_isa_neon: return loupe_u8_resample_h_rgb__neon;
    case loupe_isa_sse2: case loupe_isa_scalar: return loupe_u8_resample_h_rgb__scalar;
  }
  return loupe_u8_resample_h_rgb__scalar;
}

static v_fn pick_v(loupe_isa isa) {
  switch (isa) {
    case loupe_isa_avx512: return loupe_u8_resample_v__avx512;
    case loupe_isa_avx2: return loupe_u8_resample_v__avx2;
    case loupe_isa_neon: return loupe_u8_resample_v__neon;
    case loupe_isa_sse2: case loupe_isa_scalar: return loupe_u8_resample_v__scalar;
  }
  return loupe_u8_resample_v__scalar;
}

void loupe_u8_resample_h_rgb(H_PARAMS) {
  pick_h(cached_isa())(H_ARGS);
}

void loupe_u8_resample_v(V_PARAMS) {
  pick_v(cached_isa())(V_ARGS);
}

/* Pillow's ImagingResampleInner: horizontal pass on the rows the vertical pass reads. */
int loupe_u8_resize_rgb(size_t in_w, size_t in_h, const uint8_t* in, size_t in_stride,
                        size_t out_w, size_t out_h, uint8_t* out, size_t out_stride,
                        loupe_resample_filter filter, int isa) {
  if (in_w == 0 || in_h == 0 || out_w == 0 || out_h == 0) return 0;
  const loupe_isa chosen = isa < 0 ? cached_isa() : (loupe_isa)isa;
  const h_fn hpass = pick_h(chosen);
  const v_fn vpass = pick_v(chosen);
  const int need_h = out_w != in_w, need_v = out_h != in_h;
  if (!need_h && !need_v) {
    for (size_t y = 0; y < in_h; y++) memcpy(out + y * out_stride, in + y * in_stride, in_w * 3);
    return 0;
  }
  const size_t th = loupe_resample_taps(in_w, out_w, filter), tv = loupe_resample_taps(in_h, out_h, filter);
  int32_t* bh = (int32_t*)malloc(2 * out_w * sizeof(int32_t));
  int32_t* kh = (int32_t*)malloc(out_w * th * sizeof(int32_t));
  int32_t* bv = (int32_t*)malloc(2 * out_h * sizeof(int32_t));
  int32_t* kv = (int32_t*)malloc(out_h * tv * sizeof(int32_t));
  uint8_t* tmp = NULL;
  int rc = 1;
  if (!bh || !kh || !bv || !kv) goto done;
  loupe_resample_coeffs(in_w, out_w, filter, bh, kh);
  loupe_resample_coeffs(in_h, out_h, filter, bv, kv);
  if (need_h && need_v) {
    const int32_t first = bv[0], last = bv[2 * out_h - 2] + bv[2 * out_h - 1];
    for (size_t i = 0; i < out_h; i++) bv[2 * i] -= first;
    const size_t rows = (size_t)(last - first);
    tmp = (uint8_t*)malloc(rows * out_w * 3);
    if (!tmp) goto done;
    hpass(rows, in_w, in + (size_t)first * in_stride, in_stride, out_w, tmp, out_w * 3, bh, kh, th);
    vpass(out_w * 3, tmp, out_w * 3, out_h, out, out_stride, bv, kv, tv);
  } else if (need_h) {
    hpass(in_h, in_w, in, in_stride, out_w, out, out_stride, bh, kh, th);
  } else {
    vpass(in_w * 3, in, in_stride, out_h, out, out_stride, bv, kv, tv);
  }
  rc = 0;
done:
  free(bh);
  free(kh);
  free(bv);
  free(kv);
  free(tmp);
  return rc;
}
