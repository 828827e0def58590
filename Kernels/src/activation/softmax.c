#include <math.h>
#include "../common/hreduce_avx2.h"
#include "exp_simd.h"

/* Three passes per row: v = scale * x + mask written to y while tracking the max, then
 * y = exp(v - max) while summing, then y *= 1 / sum. Subtracting the max keeps every
 * exponent <= 0 (no overflow) and the largest term exactly 1. The scale and mask are
 * applied as a multiply then an add (not an FMA) in every variant, so all variants see
 * the same v. */

static inline const float* mask_row(const float* mask, size_t mask_rows, size_t cols, size_t r) {
  return mask ? mask + (r % mask_rows) * cols : NULL;
}

void loupe_f32_softmax__scalar(size_t cols, const float* x, float* y, float scale, const float* mask,
                               size_t mask_rows, size_t row_begin, size_t row_end) {
  for (size_t r = row_begin; r < row_end; r++) {
    const float* xr = x + r * cols;
    const float* mr = mask_row(mask, mask_rows, cols, r);
    float* yr = y + r * cols;
    float mx = -INFINITY;
    for (size_t c = 0; c < cols; c++) {
      const float v = scale * xr[c] + (mr ? mr[c] : 0.0f);
      yr[c] = v;
      mx = v > mx ? v : mx;
    }
    /* Summed in double: the reference for the float-lane sums of the SIMD variants. */
    double sum = 0.0;
    for (size_t c = 0; c < cols; c++) {
      yr[c] = expf(yr[c] - mx);
      sum += yr[c];
    }
    const float inv = (float)(1.0 / sum);
    for (size_t c = 0; c < cols; c++) yr[c] *= inv;
  }
}

#if LOUPE_X86
__attribute__((target("avx2,fma")))
void loupe_f32_softmax__avx2(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end) {
  const size_t rem = cols % 8;
  const size_t body = cols - rem;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  for (size_t r = row_begin; r < row_end; r++) {
    const float* xr = x + r * cols;
    const float* mr = mask_row(mask, mask_rows, cols, r);
    float* yr = y + r * cols;
    /* Whole vectors with plain loads and stores (masked stores are slow on some cores),
     * the tail masked. */
    __m256 vmax = ninf;
    for (size_t c = 0; c < body; c += 8) {
      __m256 v = _mm256_mul_ps(vscale, _mm256_loadu_ps(xr + c));
      if (mr) v = _mm256_add_ps(v, _mm256_loadu_ps(mr + c));
      _mm256_storeu_ps(yr + c, v);
      vmax = _mm256_max_ps(vmax, v);
    }
    if (rem) {
      __m256 v = _mm256_mul_ps(vscale, _mm256_maskload_ps(xr + body, tail));
      if (mr) v = _mm256_add_ps(v, _mm256_maskload_ps(mr + body, tail));
      _mm256_maskstore_ps(yr + body, tail, v);
      /* Masked-off lanes must not win the max: they become -inf. */
      vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(tail)));
    }
    const __m256 mx = _mm256_set1_ps(loupe_hmax_avx2(vmax));
    __m256 acc = _mm256_setzero_ps();
    for (size_t c = 0; c < body; c += 8) {
      const __m256 e = loupe_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(yr + c), mx));
      _mm256_storeu_ps(yr + c, e);
      acc = _mm256_add_ps(acc, e);
    }
    if (rem) {
      const __m256 e = _mm256_and_ps(loupe_exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(yr + body, tail), mx)),
                                     _mm256_castsi256_ps(tail));
      _mm256_maskstore_ps(yr + body, tail, e);
      acc = _mm256_add_ps(acc, e);
    }
    const __m256 inv = _mm256_set1_ps(1.0f / loupe_hsum_avx2(acc));
    for (size_t c = 0; c < body; c += 8) _mm256_storeu_ps(yr + c, _mm256_mul_ps(_mm256_loadu_ps(yr + c), inv));
    if (rem) _mm256_maskstore_ps(yr + body, tail, _mm256_mul_ps(_mm256_maskload_ps(yr + body, tail), inv));
  }
}

__attribute__((target("avx512f")))
void loupe_f32_softmax__avx512(size_t cols, const float* x, float* y, float scale, const float* mask,
                               size_t mask_rows, size_t row_begin, size_t row_end) {
  const size_t rem = cols % 16;
  const size_t body = cols - rem;
  const __mmask16 tail = (__mmask16)((1u << rem) - 1u);
  const __m512 vscale = _mm512_set1_ps(scale);
  for (size_t r = row_begin; r < row_end; r++) {
    const float* xr = x + r * cols;
    const float* mr = mask_row(mask, mask_rows, cols, r);
    float* yr = y + r * cols;
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = c < body ? (__mmask16)0xFFFF : tail;
      __m512 v = _mm512_mul_ps(vscale, _mm512_maskz_loadu_ps(m, xr + c));
      if (mr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, mr + c));
      _mm512_mask_storeu_ps(yr + c, m, v);
      vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
    }
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 acc = _mm512_setzero_ps();
    for (size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = c < body ? (__mmask16)0xFFFF : tail;
      const __m512 e = loupe_exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, yr + c), mx));
      _mm512_mask_storeu_ps(yr + c, m, e);
      acc = _mm512_mask_add_ps(acc, m, acc, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(acc));
    for (size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = c < body ? (__mmask16)0xFFFF : tail;
      _mm512_mask_storeu_ps(yr + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, yr + c), inv));
    }
  }
}
#else
void loupe_f32_softmax__avx2(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end) {
  loupe_f32_softmax__scalar(cols, x, y, scale, mask, mask_rows, row_begin, row_end);
}
void loupe_f32_softmax__avx512(size_t cols, const float* x, float* y, float scale, const float* mask,
                               size_t mask_rows, size_t row_begin, size_t row_end) {
  loupe_f32_softmax__scalar(cols, x, y, scale, mask, mask_rows, row_begin, row_end);
}
#endif

#if LOUPE_NEON_A64
void loupe_f32_softmax__neon(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end) {
  const size_t body = cols - cols % 4;
  for (size_t r = row_begin; r < row_end; r++) {
    const float* xr = x + r * cols;
    const float* mr = mask_row(mask, mask_rows, cols, r);
    float* yr = y + r * cols;
    float32x4_t vmax = vdupq_n_f32(-INFINITY);
    for (size_t c = 0; c < body; c += 4) {
      float32x4_t v = vmulq_f32(vdupq_n_f32(scale), vld1q_f32(xr + c));
      if (mr) v = vaddq_f32(v, vld1q_f32(mr + c));
      vst1q_f32(yr + c, v);
      vmax = vmaxq_f32(vmax, v);
    }
    float mx = vmaxvq_f32(vmax);
    for (size_t c = body; c < cols; c++) {
      const float v = scale * xr[c] + (mr ? mr[c] : 0.0f);
      yr[c] = v;
      mx = v > mx ? v : mx;
    }
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (size_t c = 0; c < body; c += 4) {
      const float32x4_t e = loupe_exp_neon(vsubq_f32(vld1q_f32(yr + c), vdupq_n_f32(mx)));
      vst1q_f32(yr + c, e);
      acc = vaddq_f32(acc, e);
    }
    float sum = vaddvq_f32(acc);
    for (size_t c = body; c < cols; c++) {
      float buf[4] = {yr[c] - mx, 0.0f, 0.0f, 0.0f};
      vst1q_f32(buf, loupe_exp_neon(vld1q_f32(buf)));
      yr[c] = buf[0];
      sum += buf[0];
    }
    const float inv = 1.0f / sum;
    for (size_t c = 0; c < body; c += 4) vst1q_f32(yr + c, vmulq_n_f32(vld1q_f32(yr + c), inv));
    for (size_t c = body; c < cols; c++) yr[c] *= inv;
  }
}
#else
void loupe_f32_softmax__neon(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end) {
  loupe_f32_softmax__scalar(cols, x, y, scale, mask, mask_rows, row_begin, row_end);
}
#endif

void loupe_f32_softmax(size_t cols, const float* x, float* y, float scale, const float* mask, size_t mask_rows,
                       size_t row_begin, size_t row_end) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_softmax__avx512(cols, x, y, scale, mask, mask_rows, row_begin, row_end); return;
    case loupe_isa_avx2: loupe_f32_softmax__avx2(cols, x, y, scale, mask, mask_rows, row_begin, row_end); return;
    case loupe_isa_neon: loupe_f32_softmax__neon(cols, x, y, scale, mask, mask_rows, row_begin, row_end); return;
    case loupe_isa_sse2: case loupe_isa_scalar:
      loupe_f32_softmax__scalar(cols, x, y, scale, mask, mask_rows, row_begin, row_end); return;
  }
}
