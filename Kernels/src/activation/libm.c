#include <math.h>
#include "loupe_kernels.h"

/* Scalar libm maps: correct to libm's accuracy, no SIMD variant yet. In-place allowed. */
void loupe_f32_exp__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}
void loupe_f32_log__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = logf(x[i]);
}
void loupe_f32_erf__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = erff(x[i]);
}
void loupe_f32_reciprocal__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = 1.0f / x[i];
}
