/*
 * A float NCHW tensor (a photo as a quantized model's input) quantized to int8 and moved to
 * NHWC in one pass:
 *
 *   y[b][h][w][c] = clamp(rne(x[b][c][h][w] * inv_scale) + y_zero_point, y_min, y_max)
 *
 * the codes of XNNPACK's f32 -> qs8 convert (xnn_create_convert_nc_f32_qs8, whose inv_scale
 * is 1.0f / scale computed in float) followed by a transpose: one multiply, the clamp in
 * float to [y_min - zp, y_max - zp], rounding half to even, plus the zero point. A NaN input
 * gives y_max (XNNPACK's AVX-512 variant's vminps answer). Instead of writing the NCHW
 * codes and reading them back for the transpose, each group of 16 pixels is quantized per
 * channel plane and interleaved in registers.
 */
#include <string.h>
#include "../common/qc8_requant.h"

/* One code in the scalar rounding of qc8_requant.h; NaN first becomes hi. */
static inline int8_t quantize1(float v, float inv_scale, qc8_requant rq) {
  float f = v * inv_scale;
  if (!(f <= rq.hi)) f = rq.hi;
  if (f < rq.lo) f = rq.lo;
  f += 12582912.0f; /* 1.5 * 2^23: rounds half to even */
  uint32_t bits;
  memcpy(&bits, &f, 4);
  return (int8_t)((int32_t)bits - rq.magic_less_zp);
}

void loupe_f32_qs8_nchw_to_nhwc__scalar(size_t channels, size_t height, size_t width, size_t rows_begin,
                                        size_t rows_end, const float* x, float inv_scale, int8_t* y,
                                        const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant rq = qc8_requant_of(params);
  const size_t plane = height * width;
  for (size_t r = rows_begin; r < rows_end; r++) {
    const size_t b = r / height, h = r % height;
    const float* xr = x + b * channels * plane + h * width;
    int8_t* yr = y + r * width * channels;
    for (size_t w = 0; w < width; w++) {
      for (size_t c = 0; c < channels; c++) yr[w * channels + c] = quantize1(xr[c * plane + w], inv_scale, rq);
    }
  }
}

#if LOUPE_X86

/* 16 codes of one plane as int32 lanes (masked: lanes past m read nothing, give junk). */
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline __m512i quantize16_avx512(const float* p, __mmask16 m, __m512 vinv, __m512 vlo, __m512 vhi, __m512i vzp) {
  __m512 f = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p), vinv);
  f = _mm512_max_ps(_mm512_min_ps(f, vhi), vlo); /* vminps returns vhi for NaN */
  return _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp);
}

/*
 * Three channels (RGB), the common case, in registers: the three planes' 16 codes each go to
 * 48 int32 lanes in pixel order by two two-source permutes per output vector, then narrow to
 * bytes. Other channel counts quantize 16 pixels per plane into a small buffer and
 * interleave from there.
 */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void loupe_f32_qs8_nchw_to_nhwc__avx512(size_t channels, size_t height, size_t width, size_t rows_begin,
                                               size_t rows_end, const float* x, float inv_scale, int8_t* y,
                                               const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant rq = qc8_requant_of(params);
  const __m512 vinv = _mm512_set1_ps(inv_scale), vlo = _mm512_set1_ps(rq.lo), vhi = _mm512_set1_ps(rq.hi);
  const __m512i vzp = _mm512_set1_epi32(params->y_zero_point);
  const size_t plane = height * width;
  /* Output vector v holds interleaved positions 16 v .. 16 v + 15 (position 3 p + c is pixel
   * p, channel c). First permute: R and G (indices 0-15 R, 16-31 G) with B's places taken
   * by anything; second: those and B (16-31). */
  const __m512i rg0 = _mm512_setr_epi32(0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
  const __m512i rg1 = _mm512_setr_epi32(21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
  const __m512i rg2 = _mm512_setr_epi32(0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
  const __m512i b0 = _mm512_setr_epi32(0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15);
  const __m512i b1 = _mm512_setr_epi32(0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15);
  const __m512i b2 = _mm512_setr_epi32(26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31);
  for (size_t r = rows_begin; r < rows_end; r++) {
    const size_t b = r / height, h = r % height;
    const float* xr = x + b * channels * plane + h * width;
    int8_t* yr = y + r * width * channels;
    for (size_t w = 0; w < width; w += 16) {
      const size_t n = width - w < 16 ? width - w : 16;
      const __mmask16 m = (__mmask16)((1u << n) - 1);
      if (channels == 3) {
        const __m512i qr = quantize16_avx512(xr + w, m, vinv, vlo, vhi, vzp);
        const __m512i qg = quantize16_avx512(xr + plane + w, m, vinv, vlo, vhi, vzp);
        const __m512i qb = quantize16_avx512(xr + 2 * plane + w, m, vinv, vlo, vhi, vzp);
        const __m512i o0 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(qr, rg0, qg), b0, qb);
        const __m512i o1 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(qr, rg1, qg), b1, qb);
        const __m512i o2 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(qr, rg2, qg), b2, qb);
        int8_t* dst = yr + w * 3;
        if (n == 16) {
          _mm_storeu_si128((__m128i*)dst, _mm512_cvtepi32_epi8(o0));
          _mm_storeu_si128((__m128i*)(dst + 16), _mm512_cvtepi32_epi8(o1));
          _mm_storeu_si128((__m128i*)(dst + 32), _mm512_cvtepi32_epi8(o2));
        } else {
          int8_t tmp[48];
          _mm_storeu_si128((__m128i*)tmp, _mm512_cvtepi32_epi8(o0));
          _mm_storeu_si128((__m128i*)(tmp + 16), _mm512_cvtepi32_epi8(o1));
          _mm_storeu_si128((__m128i*)(tmp + 32), _mm512_cvtepi32_epi8(o2));
          memcpy(dst, tmp, n * 3);
        }
        continue;
      }
      for (size_t c = 0; c < channels; c++) {
        int8_t codes[16];
        _mm_storeu_si128((__m128i*)codes,
                         _mm512_cvtepi32_epi8(quantize16_avx512(xr + c * plane + w, m, vinv, vlo, vhi, vzp)));
        for (size_t p = 0; p < n; p++) yr[(w + p) * channels + c] = codes[p];
      }
    }
  }
}

#endif

void loupe_f32_qs8_nchw_to_nhwc__isa(loupe_s8_gemm_qc8w_isa isa, size_t channels, size_t height, size_t width,
                                     size_t rows_begin, size_t rows_end, const float* x, float inv_scale, int8_t* y,
                                     const loupe_s8_gemm_qc8w_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_s8_gemm_qc8w_avx512vnni:
      loupe_f32_qs8_nchw_to_nhwc__avx512(channels, height, width, rows_begin, rows_end, x, inv_scale, y, params);
      return;
#else
    case loupe_s8_gemm_qc8w_avx512vnni:
#endif
    case loupe_s8_gemm_qc8w_avx2:
    case loupe_s8_gemm_qc8w_scalar:
      loupe_f32_qs8_nchw_to_nhwc__scalar(channels, height, width, rows_begin, rows_end, x, inv_scale, y, params);
      return;
  }
}
