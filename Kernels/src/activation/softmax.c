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

/* The parameters of every variant (loupe_kernels.h), and the same names as arguments. */
#define SOFTMAX_PARAMS                                                                                \
  size_t cols, const float *x, float *y, float scale, const float *mask, size_t mask_rows, size_t row_begin, \
      size_t row_end
#define SOFTMAX_ARGS cols, x, y, scale, mask, mask_rows, row_begin, row_end

/* One row of a variant: xr to yr, with mask row mr (NULL without a mask). */
typedef void (*softmax_row_fn)(size_t cols, const float* xr, const float* mr, float* yr, float scale);

/* The walk of the scalar and NEON variants over rows row_begin..row_end (the x86 body walks
 * its rows itself, with its vector constants made once). Always inlined, so `row` is a
 * constant there and is inlined too. */
static inline __attribute__((always_inline)) void softmax_rows(softmax_row_fn row, SOFTMAX_PARAMS) {
  for (size_t r = row_begin; r < row_end; r++) row(cols, x + r * cols, mask_row(mask, mask_rows, cols, r), y + r * cols, scale);
}

static inline void softmax_row_scalar(size_t cols, const float* xr, const float* mr, float* yr, float scale) {
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

void loupe_f32_softmax__scalar(SOFTMAX_PARAMS) { softmax_rows(softmax_row_scalar, SOFTMAX_ARGS); }

#if LOUPE_X86
#define LOUPE_V_BODY "../activation/softmax_body.h"
#include "../common/vec_f32_each.h"
#else
void loupe_f32_softmax__avx2(SOFTMAX_PARAMS) { loupe_f32_softmax__scalar(SOFTMAX_ARGS); }
void loupe_f32_softmax__avx512(SOFTMAX_PARAMS) { loupe_f32_softmax__scalar(SOFTMAX_ARGS); }
#endif

#if LOUPE_NEON_A64
static inline void softmax_row_neon(size_t cols, const float* xr, const float* mr, float* yr, float scale) {
  const size_t body = cols - cols % 4;
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

void loupe_f32_softmax__neon(SOFTMAX_PARAMS) { softmax_rows(softmax_row_neon, SOFTMAX_ARGS); }
#else
void loupe_f32_softmax__neon(SOFTMAX_PARAMS) { loupe_f32_softmax__scalar(SOFTMAX_ARGS); }
#endif

void loupe_f32_softmax(SOFTMAX_PARAMS) {
  static int cached = -1;
  switch (loupe_cached_isa(&cached)) {
    case loupe_isa_avx512: loupe_f32_softmax__avx512(SOFTMAX_ARGS); return;
    case loupe_isa_avx2: loupe_f32_softmax__avx2(SOFTMAX_ARGS); return;
    case loupe_isa_neon: loupe_f32_softmax__neon(SOFTMAX_ARGS); return;
    case loupe_isa_sse2: case loupe_isa_scalar: loupe_f32_softmax__scalar(SOFTMAX_ARGS); return;
  }
}
