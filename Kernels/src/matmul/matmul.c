#include <string.h>
#include "../common/isa_defs.h"

void loupe_f32_matmul__scalar(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                              size_t ldb, float* c, size_t ldc) {
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
/* Blocks of 4 rows of C share each load of B (4 x 16 columns in 8 registers), which
 * halves the loads per FMA against one row at a time; the last m % 4 rows go one at a
 * time with 32 columns in registers. Every C element is one FMA chain over p in order,
 * so the blocking does not change results. */
__attribute__((target("avx2,fma")))
static void rows4_avx2(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                       size_t ldc) {
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m256 b0 = _mm256_loadu_ps(b + p * ldb + j), b1 = _mm256_loadu_ps(b + p * ldb + j + 8);
      __m256 v = _mm256_broadcast_ss(a0 + p);
      c00 = _mm256_fmadd_ps(v, b0, c00); c01 = _mm256_fmadd_ps(v, b1, c01);
      v = _mm256_broadcast_ss(a1 + p);
      c10 = _mm256_fmadd_ps(v, b0, c10); c11 = _mm256_fmadd_ps(v, b1, c11);
      v = _mm256_broadcast_ss(a2 + p);
      c20 = _mm256_fmadd_ps(v, b0, c20); c21 = _mm256_fmadd_ps(v, b1, c21);
      v = _mm256_broadcast_ss(a3 + p);
      c30 = _mm256_fmadd_ps(v, b0, c30); c31 = _mm256_fmadd_ps(v, b1, c31);
    }
    _mm256_storeu_ps(c + j, c00); _mm256_storeu_ps(c + j + 8, c01);
    _mm256_storeu_ps(c + ldc + j, c10); _mm256_storeu_ps(c + ldc + j + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc + j, c20); _mm256_storeu_ps(c + 2 * ldc + j + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc + j, c30); _mm256_storeu_ps(c + 3 * ldc + j + 8, c31);
  }
  for (; j < n; j += 8) {
    const size_t rem = n - j < 8 ? n - j : 8;
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m256 bv = rem == 8 ? _mm256_loadu_ps(b + p * ldb + j) : _mm256_maskload_ps(b + p * ldb + j, mask);
      c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + p), bv, c0);
      c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + p), bv, c1);
      c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + p), bv, c2);
      c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + p), bv, c3);
    }
    if (rem == 8) {
      _mm256_storeu_ps(c + j, c0); _mm256_storeu_ps(c + ldc + j, c1);
      _mm256_storeu_ps(c + 2 * ldc + j, c2); _mm256_storeu_ps(c + 3 * ldc + j, c3);
    } else {
      _mm256_maskstore_ps(c + j, mask, c0); _mm256_maskstore_ps(c + ldc + j, mask, c1);
      _mm256_maskstore_ps(c + 2 * ldc + j, mask, c2); _mm256_maskstore_ps(c + 3 * ldc + j, mask, c3);
    }
  }
}

/* One row of C, 32 columns in registers (4 x 8), then 8-wide and masked tails. */
__attribute__((target("avx2,fma")))
static void row1_avx2(size_t n, size_t k, const float* ai, const float* b, size_t ldb, float* ci) {
  size_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m256 av = _mm256_broadcast_ss(ai + p);
      const float* bp = b + p * ldb + j;
      c0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(bp), c0);
      c1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(bp + 8), c1);
      c2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(bp + 16), c2);
      c3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(bp + 24), c3);
    }
    _mm256_storeu_ps(ci + j, c0);
    _mm256_storeu_ps(ci + j + 8, c1);
    _mm256_storeu_ps(ci + j + 16, c2);
    _mm256_storeu_ps(ci + j + 24, c3);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(ai + p), _mm256_loadu_ps(b + p * ldb + j), acc);
    _mm256_storeu_ps(ci + j, acc);
  }
  if (j < n) {
    const size_t rem = n - j;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), idx);
    __m256 acc = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++)
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(ai + p), _mm256_maskload_ps(b + p * ldb + j, mask), acc);
    _mm256_maskstore_ps(ci + j, mask, acc);
  }
}

__attribute__((target("avx2,fma")))
void loupe_f32_matmul__avx2(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) rows4_avx2(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc);
  for (; i < m; i++) row1_avx2(n, k, a + i * lda, b, ldb, c + i * ldc);
}

/* The AVX2 scheme with 16 lanes: 4 rows x 32 columns, then single rows with 64 columns
 * in registers (4 x 16), 16-wide and masked tails. */
__attribute__((target("avx512f")))
static void rows4_avx512(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                         size_t ldc) {
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  size_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m512 b0 = _mm512_loadu_ps(b + p * ldb + j), b1 = _mm512_loadu_ps(b + p * ldb + j + 16);
      __m512 v = _mm512_set1_ps(a0[p]);
      c00 = _mm512_fmadd_ps(v, b0, c00); c01 = _mm512_fmadd_ps(v, b1, c01);
      v = _mm512_set1_ps(a1[p]);
      c10 = _mm512_fmadd_ps(v, b0, c10); c11 = _mm512_fmadd_ps(v, b1, c11);
      v = _mm512_set1_ps(a2[p]);
      c20 = _mm512_fmadd_ps(v, b0, c20); c21 = _mm512_fmadd_ps(v, b1, c21);
      v = _mm512_set1_ps(a3[p]);
      c30 = _mm512_fmadd_ps(v, b0, c30); c31 = _mm512_fmadd_ps(v, b1, c31);
    }
    _mm512_storeu_ps(c + j, c00); _mm512_storeu_ps(c + j + 16, c01);
    _mm512_storeu_ps(c + ldc + j, c10); _mm512_storeu_ps(c + ldc + j + 16, c11);
    _mm512_storeu_ps(c + 2 * ldc + j, c20); _mm512_storeu_ps(c + 2 * ldc + j + 16, c21);
    _mm512_storeu_ps(c + 3 * ldc + j, c30); _mm512_storeu_ps(c + 3 * ldc + j + 16, c31);
  }
  for (; j < n; j += 16) {
    const __mmask16 mask = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m512 bv = _mm512_maskz_loadu_ps(mask, b + p * ldb + j);
      c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[p]), bv, c0);
      c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[p]), bv, c1);
      c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[p]), bv, c2);
      c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[p]), bv, c3);
    }
    _mm512_mask_storeu_ps(c + j, mask, c0); _mm512_mask_storeu_ps(c + ldc + j, mask, c1);
    _mm512_mask_storeu_ps(c + 2 * ldc + j, mask, c2); _mm512_mask_storeu_ps(c + 3 * ldc + j, mask, c3);
  }
}

__attribute__((target("avx512f")))
static void row1_avx512(size_t n, size_t k, const float* ai, const float* b, size_t ldb, float* ci) {
  size_t j = 0;
  for (; j + 64 <= n; j += 64) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++) {
      const __m512 av = _mm512_set1_ps(ai[p]);
      const float* bp = b + p * ldb + j;
      c0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(bp), c0);
      c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(bp + 16), c1);
      c2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(bp + 32), c2);
      c3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(bp + 48), c3);
    }
    _mm512_storeu_ps(ci + j, c0);
    _mm512_storeu_ps(ci + j + 16, c1);
    _mm512_storeu_ps(ci + j + 32, c2);
    _mm512_storeu_ps(ci + j + 48, c3);
  }
  for (; j < n; j += 16) {
    const __mmask16 mask = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
    __m512 acc = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++)
      acc = _mm512_fmadd_ps(_mm512_set1_ps(ai[p]), _mm512_maskz_loadu_ps(mask, b + p * ldb + j), acc);
    _mm512_mask_storeu_ps(ci + j, mask, acc);
  }
}

__attribute__((target("avx512f")))
void loupe_f32_matmul__avx512(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                              size_t ldb, float* c, size_t ldc) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) rows4_avx512(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc);
  for (; i < m; i++) row1_avx512(n, k, a + i * lda, b, ldb, c + i * ldc);
}
#else
void loupe_f32_matmul__avx2(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc) {
  loupe_f32_matmul__scalar(m, n, k, a, lda, b, ldb, c, ldc);
}
void loupe_f32_matmul__avx512(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                              size_t ldb, float* c, size_t ldc) {
  loupe_f32_matmul__scalar(m, n, k, a, lda, b, ldb, c, ldc);
}
#endif

#if LOUPE_NEON
void loupe_f32_matmul__neon(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc) {
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
void loupe_f32_matmul__neon(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc) {
  loupe_f32_matmul__scalar(m, n, k, a, lda, b, ldb, c, ldc);
}
#endif

void loupe_f32_matmul(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                      float* c, size_t ldc) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_matmul__avx512(m, n, k, a, lda, b, ldb, c, ldc); return;
    case loupe_isa_avx2: loupe_f32_matmul__avx2(m, n, k, a, lda, b, ldb, c, ldc); return;
    case loupe_isa_neon: loupe_f32_matmul__neon(m, n, k, a, lda, b, ldb, c, ldc); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_matmul__scalar(m, n, k, a, lda, b, ldb, c, ldc); return;
  }
}
