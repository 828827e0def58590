#include <string.h>
#include "../common/vec_f32.h"

/* The parameters of every variant (loupe_kernels.h), and the same names as arguments. */
#define MATMUL_PARAMS \
  size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc
#define MATMUL_ARGS m, n, k, a, lda, b, ldb, c, ldc

void loupe_f32_matmul__scalar(MATMUL_PARAMS) {
  for (size_t i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    for (size_t j = 0; j < n; j++) ci[j] = 0.0f;
    for (size_t p = 0; p < k; p++) {
      const float av = a[i * lda + p];
      const float* bp = b + p * ldb;
      for (size_t j = 0; j < n; j++) ci[j] += av * bp[j];
    }
  }
}

#if LOUPE_X86
#define LOUPE_V_BODY "../matmul/matmul_body.h"
#include "../common/vec_f32_each.h"
#else
void loupe_f32_matmul__avx2(MATMUL_PARAMS) {
  loupe_f32_matmul__scalar(MATMUL_ARGS);
}
void loupe_f32_matmul__avx512(MATMUL_PARAMS) {
  loupe_f32_matmul__scalar(MATMUL_ARGS);
}
#endif

#if LOUPE_NEON
void loupe_f32_matmul__neon(MATMUL_PARAMS) {
  for (size_t i = 0; i < m; i++) {
    const float* ai = a + i * lda;
    float* ci = c + i * ldc;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
      float32x4_t acc = vdupq_n_f32(0.0f);
      for (size_t p = 0; p < k; p++) acc = vmlaq_n_f32(acc, vld1q_f32(b + p * ldb + j), ai[p]);
      vst1q_f32(ci + j, acc);
    }
    for (; j < n; j++) {
      float acc = 0.0f;
      for (size_t p = 0; p < k; p++) acc += ai[p] * b[p * ldb + j];
      ci[j] = acc;
    }
  }
}
#else
void loupe_f32_matmul__neon(MATMUL_PARAMS) {
  loupe_f32_matmul__scalar(MATMUL_ARGS);
}
#endif

void loupe_f32_matmul(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                      float* c, size_t ldc) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_matmul__avx512(MATMUL_ARGS); return;
    case loupe_isa_avx2: loupe_f32_matmul__avx2(MATMUL_ARGS); return;
    case loupe_isa_neon: loupe_f32_matmul__neon(MATMUL_ARGS); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_matmul__scalar(MATMUL_ARGS); return;
  }
}
