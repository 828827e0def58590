/* Swish (ONNX opset 24): x * sigmoid(alpha * x). alpha = 1.702 is CLIP's QuickGELU, alpha = 1
 * SiLU. With u = alpha * x and e = exp(-|u|) (never overflows), sigmoid(u) = 1 / (1 + e) for
 * u >= 0 and e / (1 + e) for u < 0, so large negative u underflows gracefully instead of
 * dividing by an infinite exp(-u). The SIMD variants use the polynomial exp of exp_simd.h
 * (a few ulp). */
#include <math.h>
#include "../common/isa_defs.h"
#include "exp_simd.h"
#include "map_simd.h"

void loupe_f32_swish__scalar(size_t n, const float* x, float* y, float alpha) {
  for (size_t i = 0; i < n; i++) {
    const float u = alpha * x[i];
    const float e = expf(-fabsf(u));
    y[i] = x[i] * (u >= 0.0f ? 1.0f : e) / (1.0f + e);
  }
}

#if LOUPE_X86
__attribute__((target("avx2,fma")))
static inline __m256 swish_avx2(__m256 x, __m256 alpha) {
  const __m256 u = _mm256_mul_ps(alpha, x);
  const __m256 e = loupe_exp_avx2(_mm256_or_ps(u, _mm256_set1_ps(-0.0f)));  /* exp(-|u|) */
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 num = _mm256_blendv_ps(one, e, _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_div_ps(_mm256_mul_ps(x, num), _mm256_add_ps(one, e));
}

__attribute__((target("avx512f")))
static inline __m512 swish_avx512(__m512 x, __m512 alpha) {
  const __m512 u = _mm512_mul_ps(alpha, x);
  const __m512 e = loupe_exp_avx512(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(u),
                                                                        _mm512_set1_epi32((int)0x80000000u))));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 num = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_LT_OQ), one, e);
  return _mm512_div_ps(_mm512_mul_ps(x, num), _mm512_add_ps(one, e));
}

__attribute__((target("avx2,fma")))
void loupe_f32_swish__avx2(size_t n, const float* x, float* y, float alpha) { loupe_map1_avx2(n, x, y, alpha, swish_avx2); }
__attribute__((target("avx512f")))
void loupe_f32_swish__avx512(size_t n, const float* x, float* y, float alpha) {
  loupe_map1_avx512(n, x, y, alpha, swish_avx512);
}
#else
void loupe_f32_swish__avx2(size_t n, const float* x, float* y, float alpha) { loupe_f32_swish__scalar(n, x, y, alpha); }
void loupe_f32_swish__avx512(size_t n, const float* x, float* y, float alpha) { loupe_f32_swish__scalar(n, x, y, alpha); }
#endif

#if LOUPE_NEON_A64
static inline float32x4_t swish_neon(float32x4_t x, float32x4_t alpha) {
  const float32x4_t u = vmulq_f32(alpha, x);
  const float32x4_t e = loupe_exp_neon(vnegq_f32(vabsq_f32(u)));
  const float32x4_t one = vdupq_n_f32(1.0f);
  const float32x4_t num = vbslq_f32(vcltq_f32(u, vdupq_n_f32(0.0f)), e, one);
  return vdivq_f32(vmulq_f32(x, num), vaddq_f32(one, e));
}
void loupe_f32_swish__neon(size_t n, const float* x, float* y, float alpha) { loupe_map1_neon(n, x, y, alpha, swish_neon); }
#else
void loupe_f32_swish__neon(size_t n, const float* x, float* y, float alpha) { loupe_f32_swish__scalar(n, x, y, alpha); }
#endif

void loupe_f32_swish(size_t n, const float* x, float* y, float alpha) {
  static int cache = -1;
  switch (loupe_cached_isa(&cache)) {
    case loupe_isa_avx512: loupe_f32_swish__avx512(n, x, y, alpha); break;
    case loupe_isa_avx2: loupe_f32_swish__avx2(n, x, y, alpha); break;
    case loupe_isa_neon: loupe_f32_swish__neon(n, x, y, alpha); break;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_swish__scalar(n, x, y, alpha); break;
  }
}
