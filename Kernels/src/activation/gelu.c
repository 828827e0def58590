#include <math.h>
#include "../common/isa_defs.h"
#include "exp_simd.h"
#include "map_simd.h"

/* erf on SIMD lanes, with a = |z|:
 *   head: erf(a) = a P(a^2), P of degree 6 (relative error 1.2e-9 on [0, 1]);
 *   tail: erfc(a) = exp(-a^2) R(t), t = 1 / (1 + a/2), R of degree 9 fitting
 *         erfc(a) exp(a^2) on [0.5, 10.5] (relative error 1.7e-9).
 * erf takes the head below a = 1 and 1 - tail above (1 - erfc loses nothing there: erfc
 * <= 0.16). Both fits are weighted least squares (Lawson iterations towards minimax).
 * GELU needs 1 + erf(z): for z < -0.5 that is the tail erfc(|z|) itself, so small
 * negative outputs keep their relative accuracy instead of cancelling in 1 + erf; for
 * -0.5 <= z < 1 it is 1 + erf from the head (cancellation at most erf/erfc = 1.1 there). a^2 is
 * carried as a double-float (FMA residual) because exp(-a^2) amplifies its rounding by
 * a^2. Beyond a = 10.5 erfc underflows float, so a is clamped there. Measured (tests):
 * erf within 2 ulp of double erf, erfc within 3 ulp for normal results. */
#define ERF_SPLIT 1.0f
#define GELU_NEGATIVE_SPLIT 0.5f
#define ERFC_CLAMP 10.5f
/* A0 as a float pair: rounding it to one float alone costs 0.9 ulp. */
#define ERF_A0_HI 1.128379107e+00f
#define ERF_A0_LO 5.921074120e-08f
#define ERF_A1 -3.761262596e-01f
#define ERF_A2 1.128358543e-01f
#define ERF_A3 -2.685381658e-02f
#define ERF_A4 5.188334733e-03f
#define ERF_A5 -8.010247839e-04f
#define ERF_A6 7.854026626e-05f
#define ERFC_B0 3.498214028e-06f
#define ERFC_B1 2.819855213e-01f
#define ERFC_B2 2.835836112e-01f
#define ERFC_B3 2.351950705e-01f
#define ERFC_B4 2.339740396e-01f
#define ERFC_B5 -1.045239046e-01f
#define ERFC_B6 4.006792307e-01f
#define ERFC_B7 -6.053901315e-01f
#define ERFC_B8 3.481692374e-01f
#define ERFC_B9 -7.368309051e-02f
#define SQRT1_2 0.707106781186547524f
/* tanh form: u = sqrt(2/pi) (x + 0.044715 x^3) = x (K0 + K1 x^2). */
#define GELU_K0 0.797884560802865356f
#define GELU_K1 0.0356774081363001f

/* ---- scalar references (libm) ------------------------------------------------------ */

void loupe_f32_gelu__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    const float z = v * SQRT1_2;
    /* 1 + erf(z) = erfc(-z): no cancellation for z < 0. */
    y[i] = 0.5f * v * (z < 0.0f ? erfcf(-z) : 1.0f + erff(z));
  }
}

void loupe_f32_gelu_tanh__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    const float u = v * (GELU_K0 + GELU_K1 * v * v);
    /* 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)): the same function without cancellation
     * in 1 + tanh(u) for u < 0. */
    y[i] = v / (1.0f + expf(-2.0f * u));
  }
}

/* ---- AVX2 + FMA ---------------------------------------------------------------------- */
#if LOUPE_X86
/* head = erf(a) for a < ERF_SPLIT, tail = erfc(a) for a >= ERF_SPLIT (a >= 0 or NaN). */
__attribute__((target("avx2,fma")))
static inline void erf_parts_avx2(__m256 a, __m256* head, __m256* tail) {
  const __m256 a2 = _mm256_mul_ps(a, a);
  __m256 p = _mm256_set1_ps(ERF_A6);
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A5));
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A4));
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A3));
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A2));
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A1));
  p = _mm256_fmadd_ps(p, a2, _mm256_set1_ps(ERF_A0_LO));
  *head = _mm256_fmadd_ps(a, _mm256_set1_ps(ERF_A0_HI), _mm256_mul_ps(a, p));
  const __m256 c = _mm256_min_ps(_mm256_set1_ps(ERFC_CLAMP), a);
  const __m256 c2 = _mm256_mul_ps(c, c);
  const __m256 c2lo = _mm256_fmsub_ps(c, c, c2);
  __m256 e = loupe_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), c2));
  e = _mm256_fnmadd_ps(e, c2lo, e);
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(c, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
  __m256 r = _mm256_set1_ps(ERFC_B9);
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B8));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B7));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B6));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B5));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B4));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B3));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B2));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B1));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(ERFC_B0));
  *tail = _mm256_mul_ps(e, r);
}

__attribute__((target("avx2,fma")))
static inline __m256 erf_avx2(__m256 z) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_andnot_ps(sign, z);
  __m256 head, tail;
  erf_parts_avx2(a, &head, &tail);
  const __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(ERF_SPLIT), _CMP_LT_OQ);
  const __m256 v = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), tail), head, small);
  return _mm256_or_ps(v, _mm256_and_ps(sign, z));
}

__attribute__((target("avx2,fma")))
static inline __m256 gelu_avx2(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(SQRT1_2));
  const __m256 a = _mm256_andnot_ps(sign, z);
  __m256 head, tail;
  erf_parts_avx2(a, &head, &tail);
  const __m256 one = _mm256_set1_ps(1.0f);
  /* g = 1 + erf(z): 1 +- erf(a) near 0, else erfc(a) for z < 0 and 2 - erfc(a) for z > 0
   * (the head's range is [-0.5, 1), see above). */
  const __m256 g_small = _mm256_add_ps(one, _mm256_or_ps(head, _mm256_and_ps(sign, z)));
  const __m256 negative = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 g_big = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), tail), tail, negative);
  const __m256 split = _mm256_blendv_ps(_mm256_set1_ps(ERF_SPLIT), _mm256_set1_ps(GELU_NEGATIVE_SPLIT), negative);
  const __m256 small = _mm256_cmp_ps(a, split, _CMP_LT_OQ);
  const __m256 g = _mm256_blendv_ps(g_big, g_small, small);
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), g);
}

__attribute__((target("avx2,fma")))
static inline __m256 gelu_tanh_avx2(__m256 x) {
  const __m256 w = _mm256_fmadd_ps(_mm256_set1_ps(-2.0f * GELU_K1), _mm256_mul_ps(x, x), _mm256_set1_ps(-2.0f * GELU_K0));
  const __m256 e = loupe_exp_avx2(_mm256_mul_ps(x, w));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma")))
void loupe_f32_erf__avx2(size_t n, const float* x, float* y) { loupe_map_avx2(n, x, y, erf_avx2); }
__attribute__((target("avx2,fma")))
void loupe_f32_gelu__avx2(size_t n, const float* x, float* y) { loupe_map_avx2(n, x, y, gelu_avx2); }
__attribute__((target("avx2,fma")))
void loupe_f32_gelu_tanh__avx2(size_t n, const float* x, float* y) { loupe_map_avx2(n, x, y, gelu_tanh_avx2); }

/* ---- AVX-512F ------------------------------------------------------------------------ */
__attribute__((target("avx512f")))
static inline void erf_parts_avx512(__m512 a, __m512* head, __m512* tail) {
  const __m512 a2 = _mm512_mul_ps(a, a);
  __m512 p = _mm512_set1_ps(ERF_A6);
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A5));
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A4));
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A3));
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A2));
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A1));
  p = _mm512_fmadd_ps(p, a2, _mm512_set1_ps(ERF_A0_LO));
  *head = _mm512_fmadd_ps(a, _mm512_set1_ps(ERF_A0_HI), _mm512_mul_ps(a, p));
  const __m512 c = _mm512_min_ps(_mm512_set1_ps(ERFC_CLAMP), a);
  const __m512 c2 = _mm512_mul_ps(c, c);
  const __m512 c2lo = _mm512_fmsub_ps(c, c, c2);
  __m512 e = loupe_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), c2));
  e = _mm512_fnmadd_ps(e, c2lo, e);
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(c, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
  __m512 r = _mm512_set1_ps(ERFC_B9);
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B8));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B7));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B6));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B5));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B4));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B3));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B2));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B1));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(ERFC_B0));
  *tail = _mm512_mul_ps(e, r);
}

/* AVX-512F has no float and/or (that is AVX-512DQ): sign bits go through integer ops. */
__attribute__((target("avx512f")))
static inline __m512 or_sign_avx512(__m512 v, __m512 z) {
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), _mm512_and_si512(sign, _mm512_castps_si512(z))));
}

__attribute__((target("avx512f")))
static inline __m512 erf_avx512(__m512 z) {
  const __m512 a = _mm512_abs_ps(z);
  __m512 head, tail;
  erf_parts_avx512(a, &head, &tail);
  const __mmask16 small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(ERF_SPLIT), _CMP_LT_OQ);
  const __m512 v = _mm512_mask_blend_ps(small, _mm512_sub_ps(_mm512_set1_ps(1.0f), tail), head);
  return or_sign_avx512(v, z);
}

__attribute__((target("avx512f")))
static inline __m512 gelu_avx512(__m512 x) {
  const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(SQRT1_2));
  const __m512 a = _mm512_abs_ps(z);
  __m512 head, tail;
  erf_parts_avx512(a, &head, &tail);
  const __m512 g_small = _mm512_add_ps(_mm512_set1_ps(1.0f), or_sign_avx512(head, z));
  const __mmask16 negative = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
  const __m512 g_big = _mm512_mask_blend_ps(negative, _mm512_sub_ps(_mm512_set1_ps(2.0f), tail), tail);
  const __m512 split = _mm512_mask_blend_ps(negative, _mm512_set1_ps(ERF_SPLIT), _mm512_set1_ps(GELU_NEGATIVE_SPLIT));
  const __mmask16 small = _mm512_cmp_ps_mask(a, split, _CMP_LT_OQ);
  const __m512 g = _mm512_mask_blend_ps(small, g_big, g_small);
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), g);
}

__attribute__((target("avx512f")))
static inline __m512 gelu_tanh_avx512(__m512 x) {
  const __m512 w = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f * GELU_K1), _mm512_mul_ps(x, x), _mm512_set1_ps(-2.0f * GELU_K0));
  const __m512 e = loupe_exp_avx512(_mm512_mul_ps(x, w));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

__attribute__((target("avx512f")))
void loupe_f32_erf__avx512(size_t n, const float* x, float* y) { loupe_map_avx512(n, x, y, erf_avx512); }
__attribute__((target("avx512f")))
void loupe_f32_gelu__avx512(size_t n, const float* x, float* y) { loupe_map_avx512(n, x, y, gelu_avx512); }
__attribute__((target("avx512f")))
void loupe_f32_gelu_tanh__avx512(size_t n, const float* x, float* y) { loupe_map_avx512(n, x, y, gelu_tanh_avx512); }
#else
void loupe_f32_erf__avx2(size_t n, const float* x, float* y) { loupe_f32_erf__scalar(n, x, y); }
void loupe_f32_gelu__avx2(size_t n, const float* x, float* y) { loupe_f32_gelu__scalar(n, x, y); }
void loupe_f32_gelu_tanh__avx2(size_t n, const float* x, float* y) { loupe_f32_gelu_tanh__scalar(n, x, y); }
void loupe_f32_erf__avx512(size_t n, const float* x, float* y) { loupe_f32_erf__scalar(n, x, y); }
void loupe_f32_gelu__avx512(size_t n, const float* x, float* y) { loupe_f32_gelu__scalar(n, x, y); }
void loupe_f32_gelu_tanh__avx512(size_t n, const float* x, float* y) { loupe_f32_gelu_tanh__scalar(n, x, y); }
#endif

/* ---- NEON (AArch64) -------------------------------------------------------------------- */
#if LOUPE_NEON_A64
static inline void erf_parts_neon(float32x4_t a, float32x4_t* head, float32x4_t* tail) {
  const float32x4_t a2 = vmulq_f32(a, a);
  float32x4_t p = vdupq_n_f32(ERF_A6);
  p = vfmaq_f32(vdupq_n_f32(ERF_A5), p, a2);
  p = vfmaq_f32(vdupq_n_f32(ERF_A4), p, a2);
  p = vfmaq_f32(vdupq_n_f32(ERF_A3), p, a2);
  p = vfmaq_f32(vdupq_n_f32(ERF_A2), p, a2);
  p = vfmaq_f32(vdupq_n_f32(ERF_A1), p, a2);
  p = vfmaq_f32(vdupq_n_f32(ERF_A0_LO), p, a2);
  *head = vfmaq_f32(vmulq_f32(a, p), a, vdupq_n_f32(ERF_A0_HI));
  const float32x4_t c = vminq_f32(vdupq_n_f32(ERFC_CLAMP), a);
  const float32x4_t c2 = vmulq_f32(c, c);
  /* c*c - c2 exactly: vfmsq computes c2 - c*c with one rounding; its negation. */
  const float32x4_t c2lo = vnegq_f32(vfmsq_f32(c2, c, c));
  float32x4_t e = loupe_exp_neon(vnegq_f32(c2));
  e = vfmsq_f32(e, e, c2lo);
  const float32x4_t t = vdivq_f32(vdupq_n_f32(1.0f), vfmaq_f32(vdupq_n_f32(1.0f), c, vdupq_n_f32(0.5f)));
  float32x4_t r = vdupq_n_f32(ERFC_B9);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B8), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B7), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B6), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B5), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B4), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B3), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B2), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B1), r, t);
  r = vfmaq_f32(vdupq_n_f32(ERFC_B0), r, t);
  *tail = vmulq_f32(e, r);
}

static inline float32x4_t or_sign_neon(float32x4_t v, float32x4_t z) {
  const uint32x4_t sign = vdupq_n_u32(0x80000000u);
  return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(v), vandq_u32(sign, vreinterpretq_u32_f32(z))));
}

static inline float32x4_t erf_neon(float32x4_t z) {
  const float32x4_t a = vabsq_f32(z);
  float32x4_t head, tail;
  erf_parts_neon(a, &head, &tail);
  const uint32x4_t small = vcltq_f32(a, vdupq_n_f32(ERF_SPLIT));
  return or_sign_neon(vbslq_f32(small, head, vsubq_f32(vdupq_n_f32(1.0f), tail)), z);
}

static inline float32x4_t gelu_neon(float32x4_t x) {
  const float32x4_t z = vmulq_f32(x, vdupq_n_f32(SQRT1_2));
  const float32x4_t a = vabsq_f32(z);
  float32x4_t head, tail;
  erf_parts_neon(a, &head, &tail);
  const float32x4_t g_small = vaddq_f32(vdupq_n_f32(1.0f), or_sign_neon(head, z));
  const uint32x4_t negative = vcltq_f32(z, vdupq_n_f32(0.0f));
  const float32x4_t g_big = vbslq_f32(negative, tail, vsubq_f32(vdupq_n_f32(2.0f), tail));
  const float32x4_t split = vbslq_f32(negative, vdupq_n_f32(GELU_NEGATIVE_SPLIT), vdupq_n_f32(ERF_SPLIT));
  const uint32x4_t small = vcltq_f32(a, split);
  const float32x4_t g = vbslq_f32(small, g_small, g_big);
  return vmulq_f32(vmulq_f32(vdupq_n_f32(0.5f), x), g);
}

static inline float32x4_t gelu_tanh_neon(float32x4_t x) {
  const float32x4_t w = vfmaq_f32(vdupq_n_f32(-2.0f * GELU_K0), vdupq_n_f32(-2.0f * GELU_K1), vmulq_f32(x, x));
  const float32x4_t e = loupe_exp_neon(vmulq_f32(x, w));
  return vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), e));
}

void loupe_f32_erf__neon(size_t n, const float* x, float* y) { loupe_map_neon(n, x, y, erf_neon); }
void loupe_f32_gelu__neon(size_t n, const float* x, float* y) { loupe_map_neon(n, x, y, gelu_neon); }
void loupe_f32_gelu_tanh__neon(size_t n, const float* x, float* y) { loupe_map_neon(n, x, y, gelu_tanh_neon); }
#else
void loupe_f32_erf__neon(size_t n, const float* x, float* y) { loupe_f32_erf__scalar(n, x, y); }
void loupe_f32_gelu__neon(size_t n, const float* x, float* y) { loupe_f32_gelu__scalar(n, x, y); }
void loupe_f32_gelu_tanh__neon(size_t n, const float* x, float* y) { loupe_f32_gelu_tanh__scalar(n, x, y); }
#endif

/* ---- dispatch ---------------------------------------------------------------------------- */

void loupe_f32_erf(size_t n, const float* x, float* y) {
  static loupe_unary_fn cache;
  loupe_pick_unary(&cache, loupe_f32_erf__scalar, loupe_f32_erf__avx2, loupe_f32_erf__avx512, loupe_f32_erf__neon)(n, x, y);
}
void loupe_f32_gelu(size_t n, const float* x, float* y) {
  static loupe_unary_fn cache;
  loupe_pick_unary(&cache, loupe_f32_gelu__scalar, loupe_f32_gelu__avx2, loupe_f32_gelu__avx512, loupe_f32_gelu__neon)(n, x, y);
}
void loupe_f32_gelu_tanh(size_t n, const float* x, float* y) {
  static loupe_unary_fn cache;
  loupe_pick_unary(&cache, loupe_f32_gelu_tanh__scalar, loupe_f32_gelu_tanh__avx2, loupe_f32_gelu_tanh__avx512,
       loupe_f32_gelu_tanh__neon)(n, x, y);
}
