/* Element-wise map drivers: full vectors in the main loop, the tail through a stack
 * buffer (AVX2, NEON) or masked loads and stores (AVX-512), so a kernel reads and writes
 * only its n elements. In-place (y == x) is safe: each vector is read before it is
 * written. They are always inlined into kernels of the same target, so f, a constant
 * there, is inlined into the loop.
 */
#ifndef LOUPE_MAP_SIMD_H
#define LOUPE_MAP_SIMD_H
#include <string.h>
#include "../common/isa_defs.h"

#if LOUPE_X86
__attribute__((target("avx2,fma"), always_inline))
static inline void loupe_map_avx2(size_t n, const float* x, float* y, __m256 (*f)(__m256)) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float buf[8] = {0};
    memcpy(buf, x + i, (n - i) * sizeof(float));
    _mm256_storeu_ps(buf, f(_mm256_loadu_ps(buf)));
    memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

__attribute__((target("avx512f"), always_inline))
static inline void loupe_map_avx512(size_t n, const float* x, float* y, __m512 (*f)(__m512)) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}
#endif

#if LOUPE_NEON
__attribute__((always_inline))
static inline void loupe_map_neon(size_t n, const float* x, float* y, float32x4_t (*f)(float32x4_t)) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i)));
  if (i < n) {
    float buf[4] = {0};
    memcpy(buf, x + i, (n - i) * sizeof(float));
    vst1q_f32(buf, f(vld1q_f32(buf)));
    memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}
#endif

/* The same drivers for a map with one parameter p, broadcast to every lane. */
#if LOUPE_X86
__attribute__((target("avx2,fma"), always_inline))
static inline void loupe_map1_avx2(size_t n, const float* x, float* y, float p, __m256 (*f)(__m256, __m256)) {
  const __m256 vp = _mm256_set1_ps(p);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i), vp));
  if (i < n) {
    float buf[8] = {0};
    memcpy(buf, x + i, (n - i) * sizeof(float));
    _mm256_storeu_ps(buf, f(_mm256_loadu_ps(buf), vp));
    memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

__attribute__((target("avx512f"), always_inline))
static inline void loupe_map1_avx512(size_t n, const float* x, float* y, float p, __m512 (*f)(__m512, __m512)) {
  const __m512 vp = _mm512_set1_ps(p);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i), vp));
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i), vp));
  }
}
#endif

#if LOUPE_NEON
__attribute__((always_inline))
static inline void loupe_map1_neon(size_t n, const float* x, float* y, float p,
                                   float32x4_t (*f)(float32x4_t, float32x4_t)) {
  const float32x4_t vp = vdupq_n_f32(p);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i), vp));
  if (i < n) {
    float buf[4] = {0};
    memcpy(buf, x + i, (n - i) * sizeof(float));
    vst1q_f32(buf, f(vld1q_f32(buf), vp));
    memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}
#endif

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
