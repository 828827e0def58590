/* Element-wise map drivers: full vectors in the main loop, the tail through a stack
 * buffer (AVX2, NEON) or masked loads and stores (AVX-512), so a kernel reads and writes
 * only its n elements. In-place (y == x) is safe: each vector is read before it is
 * written. F is a function or macro taking one vector.
 */
#ifndef LOUPE_MAP_SIMD_H
#define LOUPE_MAP_SIMD_H
#include <string.h>
#include "loupe_kernels.h"

#define LOUPE_MAP_AVX2(n, x, y, F)                                             \
  do {                                                                         \
    size_t i_ = 0;                                                             \
    for (; i_ + 8 <= (n); i_ += 8) _mm256_storeu_ps((y) + i_, F(_mm256_loadu_ps((x) + i_))); \
    if (i_ < (n)) {                                                            \
      float buf_[8] = {0};                                                     \
      memcpy(buf_, (x) + i_, ((n) - i_) * sizeof(float));                      \
      _mm256_storeu_ps(buf_, F(_mm256_loadu_ps(buf_)));                        \
      memcpy((y) + i_, buf_, ((n) - i_) * sizeof(float));                      \
    }                                                                          \
  } while (0)

#define LOUPE_MAP_AVX512(n, x, y, F)                                           \
  do {                                                                         \
    size_t i_ = 0;                                                             \
    for (; i_ + 16 <= (n); i_ += 16) _mm512_storeu_ps((y) + i_, F(_mm512_loadu_ps((x) + i_))); \
    if (i_ < (n)) {                                                            \
      const __mmask16 m_ = (__mmask16)((1u << ((n) - i_)) - 1u);               \
      _mm512_mask_storeu_ps((y) + i_, m_, F(_mm512_maskz_loadu_ps(m_, (x) + i_))); \
    }                                                                          \
  } while (0)

#define LOUPE_MAP_NEON(n, x, y, F)                                             \
  do {                                                                         \
    size_t i_ = 0;                                                             \
    for (; i_ + 4 <= (n); i_ += 4) vst1q_f32((y) + i_, F(vld1q_f32((x) + i_))); \
    if (i_ < (n)) {                                                            \
      float buf_[4] = {0};                                                     \
      memcpy(buf_, (x) + i_, ((n) - i_) * sizeof(float));                      \
      vst1q_f32(buf_, F(vld1q_f32(buf_)));                                     \
      memcpy((y) + i_, buf_, ((n) - i_) * sizeof(float));                      \
    }                                                                          \
  } while (0)

typedef void (*loupe_unary_fn)(size_t, const float*, float*);

/* The variant of an element-wise kernel for the running CPU, chosen at the first call and
 * kept in *cache; racing first calls store the same value. */
static inline loupe_unary_fn loupe_pick_unary(loupe_unary_fn* cache, loupe_unary_fn scalar, loupe_unary_fn avx2,
                                              loupe_unary_fn avx512, loupe_unary_fn neon) {
  loupe_unary_fn f = __atomic_load_n(cache, __ATOMIC_RELAXED);
  if (f) return f;
  switch (loupe_detect_isa()) {
    case loupe_isa_avx512: f = avx512; break;
    case loupe_isa_avx2: f = avx2; break;
    case loupe_isa_neon: f = neon; break;
    case loupe_isa_sse2: case loupe_isa_scalar: f = scalar; break;
  }
  __atomic_store_n(cache, f, __ATOMIC_RELAXED);
  return f;
}

#endif
