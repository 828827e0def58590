/* exp(x) on SIMD lanes, shared by the softmax and GELU/erf kernels.
 *
 * Cody-Waite reduction x = n ln2 + r with |r| <= ln2/2 (ln2 split in a float-exact high
 * part and a low part, so r is exact to ~1 ulp for |n| <= 150), then
 * exp(r) = 1 + r + r^2 Q(r) with Q a degree-4 weighted least-squares fit of
 * (exp(r) - 1 - r) / r^2 (relative error 1.3e-7 on Q, 1.6e-8 on exp(r)), then 2^n applied
 * in two halves so that n = 128 overflows to +inf and n < -126 underflows gradually,
 * without a blend. Measured against double exp: 1.3 ulp at most for normal results (tests).
 * x is clamped to [-104, 89]: below, the result rounds to +0; above, it overflows to +inf.
 * The clamps keep NaN (the NaN operand is the one returned), so NaN propagates.
 */
#ifndef LOUPE_EXP_SIMD_H
#define LOUPE_EXP_SIMD_H
#include "../common/vec_f32.h"

#define LOUPE_EXP_LOG2E 1.44269504088896341f
#define LOUPE_EXP_LN2_HI 0.693145751953125f /* 12 significant bits: n * LN2_HI is exact */
#define LOUPE_EXP_LN2_LO 1.42860682030941723e-06f
#define LOUPE_EXP_MIN -104.0f
#define LOUPE_EXP_MAX 89.0f
#define LOUPE_EXP_C0 5.000000000e-01f
#define LOUPE_EXP_C1 1.666657776e-01f
#define LOUPE_EXP_C2 4.166685417e-02f
#define LOUPE_EXP_C3 8.363140747e-03f
#define LOUPE_EXP_C4 1.390128047e-03f

/* The polynomial Q, highest degree first (vf_horner's order). */
static const float loupe_exp_q[] = {LOUPE_EXP_C4, LOUPE_EXP_C3, LOUPE_EXP_C2, LOUPE_EXP_C1, LOUPE_EXP_C0};

#if LOUPE_X86
/* p * 2^n for AVX2: 2^n in two halves 2^n1 * 2^n2 (each a normal float for the clamped n),
 * so that n = 128 overflows to +inf and n < -126 underflows gradually. */
__attribute__((target("avx2,fma")))
static inline __m256 loupe_exp_scale_256(__m256 p, __m256 n) {
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}
/* AVX-512: scalef computes p * 2^n with IEEE overflow and gradual underflow. */
#define loupe_exp_scale_512(p, n) _mm512_scalef_ps(p, n)

/* loupe_exp_avx2 and loupe_exp_avx512. */
#define LOUPE_V_BODY "../activation/exp_body.h"
#include "../common/vec_f32_each.h"
#endif

#if LOUPE_NEON_A64
/* 2^n for integer lanes -126 <= n <= 127: n + 127 in the exponent field. */
static inline float32x4_t loupe_exp2i_neon(int32x4_t n) {
  return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}

static inline float32x4_t loupe_exp_neon(float32x4_t x) {
  /* AArch64 fmax/fmin return NaN when either operand is NaN. */
  x = vminq_f32(vdupq_n_f32(LOUPE_EXP_MAX), vmaxq_f32(vdupq_n_f32(LOUPE_EXP_MIN), x));
  const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(LOUPE_EXP_LOG2E)));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(LOUPE_EXP_LN2_HI));
  r = vfmsq_f32(r, n, vdupq_n_f32(LOUPE_EXP_LN2_LO));
  const float32x4_t q = vf_horner_neon(r, loupe_exp_q, vfmaq_f32);
  const float32x4_t p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(r, r), q);
  /* p * 2^n in two halves, as loupe_exp_scale_256 (see there). */
  const int32x4_t ni = vcvtnq_s32_f32(n);
  const int32x4_t n1 = vshrq_n_s32(ni, 1);
  return vmulq_f32(vmulq_f32(p, loupe_exp2i_neon(n1)), loupe_exp2i_neon(vsubq_s32(ni, n1)));
}
#endif

#endif
