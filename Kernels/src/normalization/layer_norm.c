#include <math.h>
#include "../common/hreduce_avx2.h"
#include "../common/vec_f32.h"

/* Each variant makes three passes over a row: the mean, the mean of squared deviations
 * from it (two-pass variance: no cancellation when |mean| >> std), then the affine map. */

/* One row's mean and 1 / sqrt(variance + epsilon), in double: the scalar kernel and the
 * statistics below share it. */
static void row_moments(const float* xr, size_t cols, float epsilon, double* mean, double* rstd) {
  double sum = 0.0;
  for (size_t c = 0; c < cols; c++) sum += xr[c];
  const double m = sum / (double)cols;
  double sq = 0.0;
  for (size_t c = 0; c < cols; c++) sq += ((double)xr[c] - m) * ((double)xr[c] - m);
  *mean = m;
  *rstd = 1.0 / sqrt(sq / (double)cols + (double)epsilon);
}

/* The parameters of every variant (loupe_kernels.h), and the same names as arguments. */
#define LAYER_NORM_PARAMS \
  size_t rows, size_t cols, const float *x, const float *gamma, const float *beta, float epsilon, float *y
#define LAYER_NORM_ARGS rows, cols, x, gamma, beta, epsilon, y

/* One row of a variant, xr to yr. */
typedef void (*layer_norm_row_fn)(size_t cols, const float* xr, const float* gamma, const float* beta, float epsilon,
                                  float* yr);

/* The walk of every variant over the rows. Always inlined, so `row` is a constant there and
 * is inlined too. */
static inline __attribute__((always_inline)) void layer_norm_rows(layer_norm_row_fn row, LAYER_NORM_PARAMS) {
  for (size_t r = 0; r < rows; r++) row(cols, x + r * cols, gamma, beta, epsilon, y + r * cols);
}

static inline void layer_norm_row_scalar(size_t cols, const float* xr, const float* gamma, const float* beta,
                                         float epsilon, float* yr) {
  double mean, rstd;
  row_moments(xr, cols, epsilon, &mean, &rstd);
  for (size_t c = 0; c < cols; c++) {
    const double d = ((double)xr[c] - mean) * rstd;
    yr[c] = (float)(d * (gamma ? (double)gamma[c] : 1.0) + (beta ? (double)beta[c] : 0.0));
  }
}

void loupe_f32_layer_norm__scalar(LAYER_NORM_PARAMS) { layer_norm_rows(layer_norm_row_scalar, LAYER_NORM_ARGS); }

/* The statistics LayerNormalization may also output, per row, in double as the scalar kernel
 * computes them: the mean and 1 / sqrt(variance + epsilon). Scalar only: inference graphs
 * rarely read them. */
void loupe_f32_layer_norm_statistics(size_t rows, size_t cols, const float* x, float epsilon, float* mean,
                                     float* inv_std_dev) {
  for (size_t r = 0; r < rows; r++) {
    double m, rstd;
    row_moments(x + r * cols, cols, epsilon, &m, &rstd);
    if (mean) mean[r] = (float)m;
    if (inv_std_dev) inv_std_dev[r] = (float)rstd;
  }
}

#if LOUPE_X86
#define LOUPE_V_BODY "../normalization/layer_norm_body.h"
#include "../common/vec_f32_each.h"
#else
void loupe_f32_layer_norm__avx2(LAYER_NORM_PARAMS) { loupe_f32_layer_norm__scalar(LAYER_NORM_ARGS); }
void loupe_f32_layer_norm__avx512(LAYER_NORM_PARAMS) { loupe_f32_layer_norm__scalar(LAYER_NORM_ARGS); }
#endif

#if LOUPE_NEON_A64
static inline void layer_norm_row_neon(size_t cols, const float* xr, const float* gamma, const float* beta,
                                       float epsilon, float* yr) {
  const size_t body = cols - cols % 4;
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (size_t c = 0; c < body; c += 4) acc = vaddq_f32(acc, vld1q_f32(xr + c));
  float sum = vaddvq_f32(acc);
  for (size_t c = body; c < cols; c++) sum += xr[c];
  const float mean = sum / (float)cols;
  const float32x4_t vmean = vdupq_n_f32(mean);
  acc = vdupq_n_f32(0.0f);
  for (size_t c = 0; c < body; c += 4) {
    const float32x4_t d = vsubq_f32(vld1q_f32(xr + c), vmean);
    acc = vfmaq_f32(acc, d, d);
  }
  float sq = vaddvq_f32(acc);
  for (size_t c = body; c < cols; c++) sq += (xr[c] - mean) * (xr[c] - mean);
  const float rstd = 1.0f / sqrtf(sq / (float)cols + epsilon);
  const float32x4_t vrstd = vdupq_n_f32(rstd);
  for (size_t c = 0; c < body; c += 4) {
    const float32x4_t d = vmulq_f32(vsubq_f32(vld1q_f32(xr + c), vmean), vrstd);
    const float32x4_t g = gamma ? vld1q_f32(gamma + c) : vdupq_n_f32(1.0f);
    const float32x4_t b = beta ? vld1q_f32(beta + c) : vdupq_n_f32(0.0f);
    vst1q_f32(yr + c, vfmaq_f32(b, d, g));
  }
  for (size_t c = body; c < cols; c++) {
    const float d = (xr[c] - mean) * rstd;
    yr[c] = d * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
  }
}

void loupe_f32_layer_norm__neon(LAYER_NORM_PARAMS) { layer_norm_rows(layer_norm_row_neon, LAYER_NORM_ARGS); }
#else
void loupe_f32_layer_norm__neon(LAYER_NORM_PARAMS) { loupe_f32_layer_norm__scalar(LAYER_NORM_ARGS); }
#endif

void loupe_f32_layer_norm(LAYER_NORM_PARAMS) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_layer_norm__avx512(LAYER_NORM_ARGS); return;
    case loupe_isa_avx2: loupe_f32_layer_norm__avx2(LAYER_NORM_ARGS); return;
    case loupe_isa_neon: loupe_f32_layer_norm__neon(LAYER_NORM_ARGS); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_layer_norm__scalar(LAYER_NORM_ARGS); return;
  }
}
