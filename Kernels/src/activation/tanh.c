#include <math.h>
#include "../common/vec_f32.h"
#include "map_simd.h"

/* Clamped odd/even rational approximation p(x)/q(x) of tanh (the coefficients Eigen uses).
 * Beyond |x| = 7.9053 tanh rounds to +-1 within float precision; below 4e-4 tanh(x) = x
 * to float precision. */
#define TANH_CLAMP 7.90531110763549805f
#define TANH_TINY 0.0004f
#define A1 4.89352455891786e-03f
#define A3 6.37261928875436e-04f
#define A5 1.48572235717979e-05f
#define A7 5.12229709037114e-08f
#define A9 -8.60467152213735e-11f
#define A11 2.00018790482477e-13f
#define A13 -2.76076847742355e-16f
#define B0 4.89352518554385e-03f
#define B2 2.26843463243900e-03f
#define B4 1.18534705686654e-04f
#define B6 1.19825839466702e-06f
/* The odd and even polynomials, highest degree first (vf_horner's order). */
static const float tanh_p[] = {A13, A11, A9, A7, A5, A3, A1};
static const float tanh_q[] = {B6, B4, B2, B0};

void loupe_f32_tanh__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

static inline float tanh_approx(float v) {
  float c = v > TANH_CLAMP ? TANH_CLAMP : (v < -TANH_CLAMP ? -TANH_CLAMP : v);
  float x2 = c * c;
  float p = A13;
  p = p * x2 + A11; p = p * x2 + A9; p = p * x2 + A7; p = p * x2 + A5; p = p * x2 + A3; p = p * x2 + A1;
  p *= c;
  float q = B6;
  q = q * x2 + B4; q = q * x2 + B2; q = q * x2 + B0;
  float r = p / q;
  return fabsf(v) < TANH_TINY ? v : r;
}

void loupe_f32_tanh__approx_scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = tanh_approx(x[i]);
}

#if LOUPE_X86

#define LOUPE_V_BODY "../activation/tanh_body.h"
#include "../common/vec_f32_each.h"
#else
void loupe_f32_tanh__avx2(size_t n, const float* x, float* y) { loupe_f32_tanh__approx_scalar(n, x, y); }
void loupe_f32_tanh__avx512(size_t n, const float* x, float* y) { loupe_f32_tanh__approx_scalar(n, x, y); }
#endif

#if LOUPE_NEON
static inline float32x4_t tanh4(float32x4_t v) {
  float32x4_t c = vmaxq_f32(vminq_f32(v, vdupq_n_f32(TANH_CLAMP)), vdupq_n_f32(-TANH_CLAMP));
  float32x4_t x2 = vmulq_f32(c, c);
  const float32x4_t p = vmulq_f32(vf_horner_neon(x2, tanh_p, vmlaq_f32), c);
  const float32x4_t q = vf_horner_neon(x2, tanh_q, vmlaq_f32);
  /* reciprocal estimate + two Newton steps (armv7 has no vdivq_f32) */
  float32x4_t rq = vrecpeq_f32(q);
  rq = vmulq_f32(rq, vrecpsq_f32(q, rq));
  rq = vmulq_f32(rq, vrecpsq_f32(q, rq));
  float32x4_t r = vmulq_f32(p, rq);
  uint32x4_t tiny = vcltq_f32(vabsq_f32(v), vdupq_n_f32(TANH_TINY));
  return vbslq_f32(tiny, v, r);
}
void loupe_f32_tanh__neon(size_t n, const float* x, float* y) { loupe_map_neon(n, x, y, tanh4); }
#else
void loupe_f32_tanh__neon(size_t n, const float* x, float* y) { loupe_f32_tanh__approx_scalar(n, x, y); }
#endif

void loupe_f32_tanh(size_t n, const float* x, float* y) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_tanh__avx512(n, x, y); return;
    case loupe_isa_avx2: loupe_f32_tanh__avx2(n, x, y); return;
    case loupe_isa_neon: loupe_f32_tanh__neon(n, x, y); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_tanh__approx_scalar(n, x, y); return;
  }
}
