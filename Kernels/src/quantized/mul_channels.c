/*
 * Int8 multiply by a per-channel gate, the squeeze-excite scaling of MobileNetV3-like
 * networks (x [rows][channels] times g [rows / rows_per_gate][channels]):
 *
 *   y = clamp(rne(float((x - x_zero_point) * (g - g_zero_point)) * scale) + y_zero_point, y_min, y_max)
 *
 * the codes of XNNPACK's qs8 multiply: its fp32 requantization, with scale =
 * x_scale * g_scale / y_scale computed in float by the caller as XNNPACK computes it. The
 * product of two differences of int8 codes fits in 17 bits, so the int32 product is exact,
 * and its conversion to float too; the rounding and clamping are gemm/gemm_qc8w.c's.
 */
#include "../common/qc8_requant.h"

void loupe_s8_mul_channels__scalar(size_t rows_begin, size_t rows_end, size_t rows_per_gate, size_t channels,
                                   const int8_t* x, int8_t x_zero_point, const int8_t* g, int8_t g_zero_point,
                                   float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant rq = qc8_requant_of(params);
  for (size_t r = rows_begin; r < rows_end; r++) {
    const int8_t* xr = x + r * channels;
    const int8_t* gr = g + (r / rows_per_gate) * channels;
    int8_t* yr = y + r * channels;
    for (size_t c = 0; c < channels; c++) {
      const int32_t acc = ((int32_t)xr[c] - x_zero_point) * ((int32_t)gr[c] - g_zero_point);
      yr[c] = requantize(acc, scale, rq.lo, rq.hi, rq.magic_less_zp);
    }
  }
}

#if LOUPE_X86
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void loupe_s8_mul_channels__avx512(size_t rows_begin, size_t rows_end, size_t rows_per_gate, size_t channels,
                                   const int8_t* x, int8_t x_zero_point, const int8_t* g, int8_t g_zero_point,
                                   float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant rq = qc8_requant_of(params);
  const __m512 vscale = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(rq.lo), vhi = _mm512_set1_ps(rq.hi);
  const __m512i vxzp = _mm512_set1_epi32(x_zero_point), vgzp = _mm512_set1_epi32(g_zero_point);
  const __m512i vyzp = _mm512_set1_epi32(params->y_zero_point);
  for (size_t r = rows_begin; r < rows_end; r++) {
    const int8_t* xr = x + r * channels;
    const int8_t* gr = g + (r / rows_per_gate) * channels;
    int8_t* yr = y + r * channels;
    for (size_t c = 0; c < channels; c += 16) {
      const __mmask16 m = channels - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (channels - c)) - 1);
      const __m512i vx = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, xr + c)), vxzp);
      const __m512i vg = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, gr + c)), vgzp);
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(vx, vg)), vscale);
      f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
      _mm_mask_storeu_epi8(yr + c, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), vyzp)));
    }
  }
}

__attribute__((target("avx2,fma")))
static void loupe_s8_mul_channels__avx2(size_t rows_begin, size_t rows_end, size_t rows_per_gate, size_t channels,
                                 const int8_t* x, int8_t x_zero_point, const int8_t* g, int8_t g_zero_point,
                                 float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant rq = qc8_requant_of(params);
  const __m256 vscale = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(rq.lo), vhi = _mm256_set1_ps(rq.hi);
  const __m256i vxzp = _mm256_set1_epi32(x_zero_point), vgzp = _mm256_set1_epi32(g_zero_point);
  const __m256i vyzp = _mm256_set1_epi32(params->y_zero_point);
  const size_t full = channels & ~(size_t)7;
  for (size_t r = rows_begin; r < rows_end; r++) {
    const int8_t* xr = x + r * channels;
    const int8_t* gr = g + (r / rows_per_gate) * channels;
    int8_t* yr = y + r * channels;
    for (size_t c = 0; c < full; c += 8) {
      int64_t a, b;
      memcpy(&a, xr + c, 8);
      memcpy(&b, gr + c, 8);
      const __m256i vx = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(a)), vxzp);
      const __m256i vg = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(b)), vgzp);
      __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(vx, vg)), vscale);
      f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
      const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), vyzp);
      /* In range already: the saturating packs only narrow. */
      const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      _mm_storel_epi64((__m128i*)(yr + c), _mm_packs_epi16(q16, q16));
    }
    for (size_t c = full; c < channels; c++) {
      const int32_t acc = ((int32_t)xr[c] - x_zero_point) * ((int32_t)gr[c] - g_zero_point);
      yr[c] = requantize(acc, scale, rq.lo, rq.hi, rq.magic_less_zp);
    }
  }
}
#endif

void loupe_s8_mul_channels__isa(loupe_s8_gemm_qc8w_isa isa, size_t rows_begin, size_t rows_end, size_t rows_per_gate,
                                size_t channels, const int8_t* x, int8_t x_zero_point, const int8_t* g,
                                int8_t g_zero_point, float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_s8_gemm_qc8w_avx512vnni:
      loupe_s8_mul_channels__avx512(rows_begin, rows_end, rows_per_gate, channels, x, x_zero_point, g, g_zero_point,
                                    scale, y, params);
      return;
    case loupe_s8_gemm_qc8w_avx2:
      loupe_s8_mul_channels__avx2(rows_begin, rows_end, rows_per_gate, channels, x, x_zero_point, g, g_zero_point,
                                  scale, y, params);
      return;
#else
    case loupe_s8_gemm_qc8w_avx512vnni: case loupe_s8_gemm_qc8w_avx2:
#endif
    case loupe_s8_gemm_qc8w_scalar:
      loupe_s8_mul_channels__scalar(rows_begin, rows_end, rows_per_gate, channels, x, x_zero_point, g, g_zero_point,
                                    scale, y, params);
      return;
  }
}
