/* RGB8 -> float NCHW planes with per-channel scale and bias (see loupe_image_kernels.h). */
#include "../common/isa_defs.h"

static inline void row_scalar(size_t n, const uint8_t* p, const float* scale, const float* bias,
                              float* r, float* g, float* b) {
  for (size_t x = 0; x < n; x++) {
    /* Separate statements keep the compiler from contracting into an FMA: every variant
     * rounds the product, then the sum. */
    const float vr = (float)p[3 * x] * scale[0];
    const float vg = (float)p[3 * x + 1] * scale[1];
    const float vb = (float)p[3 * x + 2] * scale[2];
    r[x] = vr + bias[0];
    g[x] = vg + bias[1];
    b[x] = vb + bias[2];
  }
}

void loupe_u8_rgb_to_f32_planes__scalar(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                        const float* scale, const float* bias, float* out, size_t plane_stride) {
  for (size_t y = 0; y < height; y++)
    row_scalar(width, in + y * in_stride, scale, bias, out + y * width, out + plane_stride + y * width,
               out + 2 * plane_stride + y * width);
}

#if LOUPE_X86
/* 16 pixels per step: three 16-byte loads deinterleaved with byte shuffles, widened to
 * two 8-lane float vectors per channel. */
__attribute__((target("avx2")))
static inline void store16(__m128i bytes, __m256 s, __m256 bi, float* dst) {
  __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
  __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
  _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_mul_ps(lo, s), bi));
  _mm256_storeu_ps(dst + 8, _mm256_add_ps(_mm256_mul_ps(hi, s), bi));
}

__attribute__((target("avx2")))
void loupe_u8_rgb_to_f32_planes__avx2(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride) {
  const __m128i ra = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i rb = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
  const __m128i rc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
  const __m128i ga = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i gb = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
  const __m128i gc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
  const __m128i ba = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i bb = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
  const __m128i bc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
  const __m256 s0 = _mm256_set1_ps(scale[0]), s1 = _mm256_set1_ps(scale[1]), s2 = _mm256_set1_ps(scale[2]);
  const __m256 b0 = _mm256_set1_ps(bias[0]), b1 = _mm256_set1_ps(bias[1]), b2 = _mm256_set1_ps(bias[2]);
  for (size_t y = 0; y < height; y++) {
    const uint8_t* p = in + y * in_stride;
    float* r = out + y * width;
    float* g = r + plane_stride;
    float* b = g + plane_stride;
    size_t x = 0;
    for (; x + 16 <= width; x += 16) {
      const __m128i va = _mm_loadu_si128((const __m128i*)(p + 3 * x));
      const __m128i vb = _mm_loadu_si128((const __m128i*)(p + 3 * x + 16));
      const __m128i vc = _mm_loadu_si128((const __m128i*)(p + 3 * x + 32));
      const __m128i R = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(va, ra), _mm_shuffle_epi8(vb, rb)), _mm_shuffle_epi8(vc, rc));
      const __m128i G = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(va, ga), _mm_shuffle_epi8(vb, gb)), _mm_shuffle_epi8(vc, gc));
      const __m128i B = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(va, ba), _mm_shuffle_epi8(vb, bb)), _mm_shuffle_epi8(vc, bc));
      store16(R, s0, b0, r + x);
      store16(G, s1, b1, g + x);
      store16(B, s2, b2, b + x);
    }
    row_scalar(width - x, p + 3 * x, scale, bias, r + x, g + x, b + x);
  }
}
#else
void loupe_u8_rgb_to_f32_planes__avx2(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride) {
  loupe_u8_rgb_to_f32_planes__scalar(width, height, in, in_stride, scale, bias, out, plane_stride);
}
#endif

#if LOUPE_NEON_A64
/* 16 pixels per step: vld3q_u8 deinterleaves R, G, B; each channel widens to four 4-lane
 * float vectors. vmulq then vaddq, never vfmaq: two roundings, as the scalar code. */
static inline void store16_neon(uint8x16_t bytes, float32x4_t s, float32x4_t bi, float* dst) {
  const uint16x8_t lo = vmovl_u8(vget_low_u8(bytes)), hi = vmovl_high_u8(bytes);
  const float32x4_t f0 = vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo)));
  const float32x4_t f1 = vcvtq_f32_u32(vmovl_high_u16(lo));
  const float32x4_t f2 = vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi)));
  const float32x4_t f3 = vcvtq_f32_u32(vmovl_high_u16(hi));
  vst1q_f32(dst, vaddq_f32(vmulq_f32(f0, s), bi));
  vst1q_f32(dst + 4, vaddq_f32(vmulq_f32(f1, s), bi));
  vst1q_f32(dst + 8, vaddq_f32(vmulq_f32(f2, s), bi));
  vst1q_f32(dst + 12, vaddq_f32(vmulq_f32(f3, s), bi));
}

void loupe_u8_rgb_to_f32_planes__neon(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride) {
  const float32x4_t s0 = vdupq_n_f32(scale[0]), s1 = vdupq_n_f32(scale[1]), s2 = vdupq_n_f32(scale[2]);
  const float32x4_t b0 = vdupq_n_f32(bias[0]), b1 = vdupq_n_f32(bias[1]), b2 = vdupq_n_f32(bias[2]);
  for (size_t y = 0; y < height; y++) {
    const uint8_t* p = in + y * in_stride;
    float* r = out + y * width;
    float* g = r + plane_stride;
    float* b = g + plane_stride;
    size_t x = 0;
    for (; x + 16 <= width; x += 16) {
      const uint8x16x3_t v = vld3q_u8(p + 3 * x);
      store16_neon(v.val[0], s0, b0, r + x);
      store16_neon(v.val[1], s1, b1, g + x);
      store16_neon(v.val[2], s2, b2, b + x);
    }
    row_scalar(width - x, p + 3 * x, scale, bias, r + x, g + x, b + x);
  }
}
#else
void loupe_u8_rgb_to_f32_planes__neon(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride) {
  loupe_u8_rgb_to_f32_planes__scalar(width, height, in, in_stride, scale, bias, out, plane_stride);
}
#endif

void loupe_u8_rgb_to_f32_planes(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                const float* scale, const float* bias, float* out, size_t plane_stride) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: case loupe_isa_avx2:
      loupe_u8_rgb_to_f32_planes__avx2(width, height, in, in_stride, scale, bias, out, plane_stride);
      return;
    case loupe_isa_neon:
      loupe_u8_rgb_to_f32_planes__neon(width, height, in, in_stride, scale, bias, out, plane_stride);
      return;
    case loupe_isa_sse2: case loupe_isa_scalar:
      loupe_u8_rgb_to_f32_planes__scalar(width, height, in, in_stride, scale, bias, out, plane_stride);
      return;
  }
}
