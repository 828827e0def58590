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

/* The polynomials P (without its A0 term) and R, highest degree first (vf_horner's order). */
static const float erf_head[] = {ERF_A6, ERF_A5, ERF_A4, ERF_A3, ERF_A2, ERF_A1, ERF_A0_LO};
static const float erfc_tail[] = {ERFC_B9, ERFC_B8, ERFC_B7, ERFC_B6, ERFC_B5,
                                  ERFC_B4, ERFC_B3, ERFC_B2, ERFC_B1, ERFC_B0};

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

/* ---- AVX2 + FMA, AVX-512F: one body (gelu_body.h) per vector width ------------------ */
#if LOUPE_X86

#define LOUPE_V_BODY "../activation/gelu_body.h"
#include "../common/vec_f32_each.h"
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
  const float32x4_t p = vf_horner_neon(a2, erf_head, vfmaq_f32);
  *head = vfmaq_f32(vmulq_f32(a, p), a, vdupq_n_f32(ERF_A0_HI));
  const float32x4_t c = vminq_f32(vdupq_n_f32(ERFC_CLAMP), a);
  const float32x4_t c2 = vmulq_f32(c, c);
  /* c*c - c2 exactly: vfmsq computes c2 - c*c with one rounding; its negation. */
  const float32x4_t c2lo = vnegq_f32(vfmsq_f32(c2, c, c));
  float32x4_t e = loupe_exp_neon(vnegq_f32(c2));
  e = vfmsq_f32(e, e, c2lo);
  const float32x4_t t = vdivq_f32(vdupq_n_f32(1.0f), vfmaq_f32(vdupq_n_f32(1.0f), c, vdupq_n_f32(0.5f)));
  *tail = vmulq_f32(e, vf_horner_neon(t, erfc_tail, vfmaq_f32));
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
