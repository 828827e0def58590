#include "../common/isa_defs.h"

/* The parameters of every variant (loupe_kernels.h), and the same names as arguments. */
#define RESIZE_PARAMS                                                                                   \
  size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h, size_t out_w, const uint32_t *y_index, \
      const float *y_weight, const uint32_t *x_index, const float *x_weight, const float *in, float *out,       \
      size_t rows_begin, size_t rows_end
#define RESIZE_ARGS batch, in_h, in_w, channels, out_h, out_w, y_index, y_weight, x_index, x_weight, in, out, rows_begin, rows_end

/* Both variants blend with the same expression, a + w * (b - a), per axis: a weight of 0
 * copies the first tap exactly, which the table builder uses for clamped edges. */

/* Output row `row` (over batch * out_h) reads rows top and bottom of its image with
 * vertical weight wy and writes dst. */
typedef struct {
  const float* top;
  const float* bottom;
  float wy;
  float* dst;
} source_rows;

static inline source_rows source_rows_at(size_t row, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                         size_t out_w, const uint32_t* y_index, const float* y_weight,
                                         const float* in, float* out) {
  const size_t b = row / out_h, oy = row % out_h;
  const source_rows rows = {
      .top = in + (b * in_h + y_index[2 * oy]) * in_w * channels,
      .bottom = in + (b * in_h + y_index[2 * oy + 1]) * in_w * channels,
      .wy = y_weight[oy],
      .dst = out + row * out_w * channels,
  };
  return rows;
}

/* One output value from the taps l and r of both rows. */
static inline float blend(const float* top, const float* bottom, size_t l, size_t r, float wx, float wy) {
  const float t = top[l] + wx * (top[r] - top[l]);
  const float u = bottom[l] + wx * (bottom[r] - bottom[l]);
  return t + wy * (u - t);
}

void loupe_f32_resize_linear_nhwc__scalar(RESIZE_PARAMS) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  for (size_t row = rows_begin; row < rows_end; row++) {
    const source_rows src = source_rows_at(row, in_h, in_w, channels, out_h, out_w, y_index, y_weight, in, out);
    float* dst = src.dst;
    for (size_t ox = 0; ox < out_w; ox++) {
      const size_t l = (size_t)x_index[2 * ox] * channels, r = (size_t)x_index[2 * ox + 1] * channels;
      const float wx = x_weight[ox];
      for (size_t c = 0; c < channels; c++) dst[c] = blend(src.top, src.bottom, l + c, r + c, wx, src.wy);
      dst += channels;
    }
  }
}

#if LOUPE_X86
__attribute__((target("avx2,fma")))
void loupe_f32_resize_linear_nhwc__avx2(RESIZE_PARAMS) {
  const size_t rows = batch * out_h;
  if (rows_end > rows) rows_end = rows;
  for (size_t row = rows_begin; row < rows_end; row++) {
    const source_rows src = source_rows_at(row, in_h, in_w, channels, out_h, out_w, y_index, y_weight, in, out);
    const float *top = src.top, *bottom = src.bottom;
    const float wy = src.wy;
    const __m256 vwy = _mm256_set1_ps(wy);
    float* dst = src.dst;
    if (channels == 1) {
      /* Single-channel maps (masks, depth): vectorise over output columns with gathers. */
      size_t ox = 0;
      for (; ox + 8 <= out_w; ox += 8) {
        const __m256i lo = _mm256_loadu_si256((const __m256i*)(x_index + 2 * ox));
        const __m256i hi = _mm256_loadu_si256((const __m256i*)(x_index + 2 * ox + 8));
        /* De-interleave (l, r) pairs: evens are left taps, odds right taps. */
        const __m256i perm = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        const __m256i a = _mm256_permutevar8x32_epi32(lo, perm), c = _mm256_permutevar8x32_epi32(hi, perm);
        const __m256i li = _mm256_permute2x128_si256(a, c, 0x20), ri = _mm256_permute2x128_si256(a, c, 0x31);
        const __m256 wx = _mm256_loadu_ps(x_weight + ox);
        const __m256 tl = _mm256_i32gather_ps(top, li, 4), tr = _mm256_i32gather_ps(top, ri, 4);
        const __m256 bl = _mm256_i32gather_ps(bottom, li, 4), br = _mm256_i32gather_ps(bottom, ri, 4);
        const __m256 t = _mm256_fmadd_ps(wx, _mm256_sub_ps(tr, tl), tl);
        const __m256 u = _mm256_fmadd_ps(wx, _mm256_sub_ps(br, bl), bl);
        _mm256_storeu_ps(dst + ox, _mm256_fmadd_ps(vwy, _mm256_sub_ps(u, t), t));
      }
      for (; ox < out_w; ox++) {
        dst[ox] = blend(top, bottom, x_index[2 * ox], x_index[2 * ox + 1], x_weight[ox], wy);
      }
      continue;
    }
    for (size_t ox = 0; ox < out_w; ox++) {
      const size_t l = (size_t)x_index[2 * ox] * channels, r = (size_t)x_index[2 * ox + 1] * channels;
      const float wx = x_weight[ox];
      const __m256 vwx = _mm256_set1_ps(wx);
      size_t c = 0;
      for (; c + 8 <= channels; c += 8) {
        const __m256 tl = _mm256_loadu_ps(top + l + c), tr = _mm256_loadu_ps(top + r + c);
        const __m256 bl = _mm256_loadu_ps(bottom + l + c), br = _mm256_loadu_ps(bottom + r + c);
        const __m256 t = _mm256_fmadd_ps(vwx, _mm256_sub_ps(tr, tl), tl);
        const __m256 u = _mm256_fmadd_ps(vwx, _mm256_sub_ps(br, bl), bl);
        _mm256_storeu_ps(dst + c, _mm256_fmadd_ps(vwy, _mm256_sub_ps(u, t), t));
      }
      for (; c < channels; c++) dst[c] = blend(top, bottom, l + c, r + c, wx, wy);
      dst += channels;
    }
  }
}
#else
void loupe_f32_resize_linear_nhwc__avx2(RESIZE_PARAMS) {
  loupe_f32_resize_linear_nhwc__scalar(RESIZE_ARGS);
}
#endif

void loupe_f32_resize_linear_nhwc(RESIZE_PARAMS) {
#if LOUPE_X86
  static int cached = -1;
  if (loupe_cached_has_avx2(&cached)) {
    loupe_f32_resize_linear_nhwc__avx2(RESIZE_ARGS);
    return;
  }
#endif
  loupe_f32_resize_linear_nhwc__scalar(RESIZE_ARGS);
}
