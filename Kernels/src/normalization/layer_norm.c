#include <math.h>
#include "../common/hreduce_avx2.h"

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

void loupe_f32_layer_norm__scalar(size_t rows, size_t cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double mean, rstd;
    row_moments(xr, cols, epsilon, &mean, &rstd);
    for (size_t c = 0; c < cols; c++) {
      const double d = ((double)xr[c] - mean) * rstd;
      yr[c] = (float)(d * (gamma ? (double)gamma[c] : 1.0) + (beta ? (double)beta[c] : 0.0));
    }
  }
}

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
__attribute__((target("avx2,fma")))
void loupe_f32_layer_norm__avx2(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y) {
  const size_t rem = cols % 8;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const size_t body = cols - rem;
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    /* Masked-off lanes load 0: they add nothing to the sum; for the squares they are
     * masked again because 0 - mean is not 0. */
    __m256 acc = _mm256_setzero_ps();
    for (size_t c = 0; c < body; c += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + c));
    if (rem) acc = _mm256_add_ps(acc, _mm256_maskload_ps(xr + body, tail));
    const float mean = loupe_hsum_avx2(acc) / (float)cols;
    const __m256 vmean = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (size_t c = 0; c < body; c += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + c), vmean);
      acc = _mm256_fmadd_ps(d, d, acc);
    }
    if (rem) {
      const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, tail), vmean), _mm256_castsi256_ps(tail));
      acc = _mm256_fmadd_ps(d, d, acc);
    }
    const float rstd = 1.0f / sqrtf(loupe_hsum_avx2(acc) / (float)cols + epsilon);
    const __m256 vrstd = _mm256_set1_ps(rstd);
    /* Plain loads and stores for whole vectors (masked stores are slow on some cores). */
    for (size_t c = 0; c < body; c += 8) {
      const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vmean), vrstd);
      const __m256 g = gamma ? _mm256_loadu_ps(gamma + c) : _mm256_set1_ps(1.0f);
      const __m256 b = beta ? _mm256_loadu_ps(beta + c) : _mm256_setzero_ps();
      _mm256_storeu_ps(yr + c, _mm256_fmadd_ps(d, g, b));
    }
    if (rem) {
      const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xr + body, tail), vmean), vrstd);
      const __m256 g = gamma ? _mm256_maskload_ps(gamma + body, tail) : _mm256_set1_ps(1.0f);
      const __m256 b = beta ? _mm256_maskload_ps(beta + body, tail) : _mm256_setzero_ps();
      _mm256_maskstore_ps(yr + body, tail, _mm256_fmadd_ps(d, g, b));
    }
  }
}

__attribute__((target("avx512f")))
void loupe_f32_layer_norm__avx512(size_t rows, size_t cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y) {
  const size_t rem = cols % 16;
  const __mmask16 tail = (__mmask16)((1u << rem) - 1u);
  const size_t body = cols - rem;
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    __m512 acc = _mm512_setzero_ps();
    for (size_t c = 0; c < body; c += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(xr + c));
    if (rem) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(tail, xr + body));
    const float mean = _mm512_reduce_add_ps(acc) / (float)cols;
    const __m512 vmean = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (size_t c = 0; c < body; c += 16) {
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(xr + c), vmean);
      acc = _mm512_fmadd_ps(d, d, acc);
    }
    if (rem) {
      const __m512 d = _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, xr + body), vmean);
      acc = _mm512_fmadd_ps(d, d, acc);
    }
    const float rstd = 1.0f / sqrtf(_mm512_reduce_add_ps(acc) / (float)cols + epsilon);
    const __m512 vrstd = _mm512_set1_ps(rstd);
    for (size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = c < body ? (__mmask16)0xFFFF : tail;
      const __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + c), vmean), vrstd);
      const __m512 g = gamma ? _mm512_maskz_loadu_ps(m, gamma + c) : _mm512_set1_ps(1.0f);
      const __m512 b = beta ? _mm512_maskz_loadu_ps(m, beta + c) : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(yr + c, m, _mm512_fmadd_ps(d, g, b));
    }
  }
}
#else
void loupe_f32_layer_norm__avx2(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y) {
  loupe_f32_layer_norm__scalar(rows, cols, x, gamma, beta, epsilon, y);
}
void loupe_f32_layer_norm__avx512(size_t rows, size_t cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y) {
  loupe_f32_layer_norm__scalar(rows, cols, x, gamma, beta, epsilon, y);
}
#endif

#if LOUPE_NEON_A64
void loupe_f32_layer_norm__neon(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y) {
  const size_t body = cols - cols % 4;
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
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
}
#else
void loupe_f32_layer_norm__neon(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y) {
  loupe_f32_layer_norm__scalar(rows, cols, x, gamma, beta, epsilon, y);
}
#endif

void loupe_f32_layer_norm(size_t rows, size_t cols, const float* x, const float* gamma, const float* beta,
                          float epsilon, float* y) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_layer_norm__avx512(rows, cols, x, gamma, beta, epsilon, y); return;
    case loupe_isa_avx2: loupe_f32_layer_norm__avx2(rows, cols, x, gamma, beta, epsilon, y); return;
    case loupe_isa_neon: loupe_f32_layer_norm__neon(rows, cols, x, gamma, beta, epsilon, y); return;
    case loupe_isa_sse2: case loupe_isa_scalar:
      loupe_f32_layer_norm__scalar(rows, cols, x, gamma, beta, epsilon, y); return;
  }
}
