/* Horizontal sum and max of the eight lanes of an AVX2 vector, shared by the row-wise
 * kernels (softmax, layer norm). Internal to LoupeKernels. */
#ifndef LOUPE_HREDUCE_AVX2_H
#define LOUPE_HREDUCE_AVX2_H
#include "isa_defs.h"

#if LOUPE_X86
__attribute__((target("avx2,fma")))
static inline float loupe_hmax_avx2(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static inline float loupe_hsum_avx2(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

#endif
