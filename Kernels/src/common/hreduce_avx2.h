/* Horizontal sum and max of the eight lanes of an AVX2 vector, shared by the row-wise
 * kernels (softmax, layer norm). Internal to LoupeKernels. */
#ifndef LOUPE_HREDUCE_AVX2_H
#define LOUPE_HREDUCE_AVX2_H
#include "isa_defs.h"

#if LOUPE_X86
/* The eight lanes folded by op: halves, then pairs, then the last two (op_ss, lane 0). */
__attribute__((target("avx2,fma"), always_inline))
static inline float loupe_hreduce_avx2(__m256 v, __m128 (*op)(__m128, __m128), __m128 (*op_ss)(__m128, __m128)) {
  __m128 s = op(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = op(s, _mm_movehl_ps(s, s));
  s = op_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static inline float loupe_hmax_avx2(__m256 v) { return loupe_hreduce_avx2(v, _mm_max_ps, _mm_max_ss); }

__attribute__((target("avx2,fma")))
static inline float loupe_hsum_avx2(__m256 v) { return loupe_hreduce_avx2(v, _mm_add_ps, _mm_add_ss); }
#endif

#endif
