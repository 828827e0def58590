#include <string.h>
#include "../common/vec_f32.h"

void loupe_f32_hardsigmoid__scalar(size_t n, const float* x, float* y, float alpha, float beta) {
  for (size_t i = 0; i < n; i++) {
    float v = alpha * x[i] + beta;
    v = v < 0.0f ? 0.0f : v;
    y[i] = v > 1.0f ? 1.0f : v;
  }
}

#if LOUPE_X86
#define LOUPE_V_BODY "../activation/hardsigmoid_body.h"
#include "../common/vec_f32_each.h"
#else
void loupe_f32_hardsigmoid__avx2(size_t n, const float* x, float* y, float alpha, float beta) {
  loupe_f32_hardsigmoid__scalar(n, x, y, alpha, beta);
}
void loupe_f32_hardsigmoid__avx512(size_t n, const float* x, float* y, float alpha, float beta) {
  loupe_f32_hardsigmoid__scalar(n, x, y, alpha, beta);
}
#endif

#if LOUPE_NEON
void loupe_f32_hardsigmoid__neon(size_t n, const float* x, float* y, float alpha, float beta) {
  const float32x4_t a = vdupq_n_f32(alpha), b = vdupq_n_f32(beta);
  const float32x4_t zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(x + i), a), b);
    vst1q_f32(y + i, vminq_f32(vmaxq_f32(v, zero), one));
  }
  loupe_f32_hardsigmoid__scalar(n - i, x + i, y + i, alpha, beta);
}
#else
void loupe_f32_hardsigmoid__neon(size_t n, const float* x, float* y, float alpha, float beta) {
  loupe_f32_hardsigmoid__scalar(n, x, y, alpha, beta);
}
#endif

void loupe_f32_hardsigmoid(size_t n, const float* x, float* y, float alpha, float beta) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_hardsigmoid__avx512(n, x, y, alpha, beta); return;
    case loupe_isa_avx2: loupe_f32_hardsigmoid__avx2(n, x, y, alpha, beta); return;
    case loupe_isa_neon: loupe_f32_hardsigmoid__neon(n, x, y, alpha, beta); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_hardsigmoid__scalar(n, x, y, alpha, beta); return;
  }
}

void loupe_f32_prelu__scalar(size_t n, const float* x, const float* slope, size_t slope_period, float* y) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = v < 0.0f ? v * slope[k] : v;
    if (++k == slope_period) k = 0;
  }
}

void loupe_f32_prelu(size_t n, const float* x, const float* slope, size_t slope_period, float* y) {
  loupe_f32_prelu__scalar(n, x, slope, slope_period, y);
}
