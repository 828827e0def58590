#include "../common/isa_defs.h"

void loupe_f32_global_max_pool_nhwc__scalar(size_t batch, size_t pixels, size_t channels,
                                            const float* in, float* out) {
  for (size_t b = 0; b < batch; b++) {
    const float* x = in + b * pixels * channels;
    float* y = out + b * channels;
    for (size_t c = 0; c < channels; c++) y[c] = x[c];
    for (size_t p = 1; p < pixels; p++)
      for (size_t c = 0; c < channels; c++) {
        const float v = x[p * channels + c];
        if (v > y[c]) y[c] = v;
      }
  }
}

#if LOUPE_X86
__attribute__((target("avx2")))
void loupe_f32_global_max_pool_nhwc__avx2(size_t batch, size_t pixels, size_t channels,
                                          const float* in, float* out) {
  for (size_t b = 0; b < batch; b++) {
    const float* x = in + b * pixels * channels;
    float* y = out + b * channels;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      __m256 m = _mm256_loadu_ps(x + c);
      for (size_t p = 1; p < pixels; p++) m = _mm256_max_ps(_mm256_loadu_ps(x + p * channels + c), m);
      _mm256_storeu_ps(y + c, m);
    }
    for (; c < channels; c++) {
      float m = x[c];
      for (size_t p = 1; p < pixels; p++) { const float v = x[p * channels + c]; if (v > m) m = v; }
      y[c] = m;
    }
  }
}
#else
void loupe_f32_global_max_pool_nhwc__avx2(size_t batch, size_t pixels, size_t channels,
                                          const float* in, float* out) {
  loupe_f32_global_max_pool_nhwc__scalar(batch, pixels, channels, in, out);
}
#endif

void loupe_f32_global_max_pool_nhwc(size_t batch, size_t pixels, size_t channels,
                                    const float* in, float* out) {
#if LOUPE_X86
  static int cached = -1;
  if (loupe_cached_has_avx2(&cached)) { loupe_f32_global_max_pool_nhwc__avx2(batch, pixels, channels, in, out); return; }
#endif
  loupe_f32_global_max_pool_nhwc__scalar(batch, pixels, channels, in, out);
}
