/* What the float convolutions with a window share (conv/dwconv_f32.c, conv/conv_nchw_f32.c):
 * the taps of a window that fall inside the input, and the fused activation in the order the
 * SIMD variants compute it. Internal to LoupeKernels. */
#ifndef LOUPE_CONV_F32_COMMON_H
#define LOUPE_CONV_F32_COMMON_H
#include <stddef.h>
#include <string.h>

/* The first k in [0, kmax] with start + k * step >= 0, and the first with start + k * step >=
 * limit (no smaller than the first): the taps of a window starting at `start` that fall
 * inside [0, limit). */
static inline void inside_range(ptrdiff_t start, size_t step, size_t kmax, size_t limit, size_t* k0, size_t* k1) {
  const ptrdiff_t s = (ptrdiff_t)step;
  ptrdiff_t a = start >= 0 ? 0 : (-start + s - 1) / s;
  ptrdiff_t b = (ptrdiff_t)limit - start <= 0 ? 0 : ((ptrdiff_t)limit - start + s - 1) / s;
  if (a > (ptrdiff_t)kmax) a = (ptrdiff_t)kmax;
  if (b > (ptrdiff_t)kmax) b = (ptrdiff_t)kmax;
  if (b < a) b = a;
  *k0 = (size_t)a;
  *k1 = (size_t)b;
}

/* The activation, written as the SIMD variants compute it: max(min, acc) is x86's
 * maxps(min, acc) = min > acc ? min : acc (a NaN accumulator passes through), and the
 * hardswish in separate statements so that no compiler contracts y * t * (1/6) into
 * anything else. */
static inline float activate(float acc, float mn, float mx, int hardswish) {
  float v = mn > acc ? mn : acc;
  v = mx < v ? mx : v;
  if (hardswish) {
    float t = v + 3.0f;
    t = 0.0f > t ? 0.0f : t;
    t = 6.0f < t ? 6.0f : t;
    v = v * t;
    v = v * (1.0f / 6.0f);
  }
  return v;
}

/* The packed weights of both kernels: blocks of 16 channels, each bias[16] then w[taps][16]
 * (channels past `channels` zero), from w [channels][taps] (bias may be NULL). */
static inline size_t f32_blocks16_bytes(size_t taps, size_t channels) {
  return ((channels + 15) / 16) * (1 + taps) * 16 * sizeof(float);
}

static inline void f32_blocks16_pack(size_t taps, size_t channels, const float* w, const float* bias, void* packed) {
  float* p = (float*)packed;
  const size_t block = (1 + taps) * 16;
  memset(p, 0, f32_blocks16_bytes(taps, channels));
  for (size_t c = 0; c < channels; c++) {
    float* b = p + (c / 16) * block;
    const size_t j = c % 16;
    b[j] = bias ? bias[c] : 0.0f;
    for (size_t t = 0; t < taps; t++) b[16 + t * 16 + j] = w[c * taps + t];
  }
}

#endif
