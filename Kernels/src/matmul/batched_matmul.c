#include "loupe_kernels.h"

typedef void (*matmul_fn)(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                          float* c, size_t ldc);

/* Panel of B^T for the transposed case: k x width floats on the stack (32 KiB), so the
 * row-major kernels run unchanged on Q K^T. */
#define PANEL_FLOATS 8192

size_t loupe_f32_batched_matmul_rows(const loupe_f32_batched_matmul_params* params) {
  size_t rows = params->m;
  for (size_t d = 0; d < params->batch_rank; d++) rows *= params->batch_shape[d];
  return rows;
}

/* c[i, j] = sum_p a[i, p] * bt[j, p], p in order: the k > PANEL_FLOATS fallback. */
static void matmul_bt_dot(size_t m, size_t n, size_t k, const float* a, const float* bt, float* c, size_t ldc) {
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < n; j++) {
      float acc = 0.0f;
      for (size_t p = 0; p < k; p++) acc += a[i * k + p] * bt[j * k + p];
      c[i * ldc + j] = acc;
    }
  }
}

static void matmul_bt(matmul_fn core, size_t m, size_t n, size_t k, const float* a, const float* bt, float* c) {
  size_t width = k ? PANEL_FLOATS / k : n;
  if (width == 0) { matmul_bt_dot(m, n, k, a, bt, c, n); return; }
  if (width > 16) width -= width % 16; /* whole vectors for the SIMD kernels */
  if (width > n) width = n;
  float panel[PANEL_FLOATS];
  for (size_t j0 = 0; j0 < n; j0 += width) {
    const size_t w = n - j0 < width ? n - j0 : width;
    for (size_t jj = 0; jj < w; jj++) {
      const float* src = bt + (j0 + jj) * k;
      for (size_t p = 0; p < k; p++) panel[p * w + jj] = src[p];
    }
    core(m, w, k, a, k, panel, w, c + j0, n);
  }
}

static void batched(matmul_fn core, const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                    float* c, size_t row_begin, size_t row_end) {
  const size_t m = params->m, n = params->n, k = params->k;
  if (m == 0) return;
  for (size_t row = row_begin; row < row_end;) {
    const size_t bi = row / m, i0 = row % m;
    const size_t i1 = row_end - row < m - i0 ? i0 + (row_end - row) : m;
    size_t off_a = 0, off_b = 0, rest = bi;
    for (size_t d = params->batch_rank; d-- > 0;) {
      const size_t idx = rest % params->batch_shape[d];
      rest /= params->batch_shape[d];
      off_a += idx * params->a_batch_stride[d];
      off_b += idx * params->b_batch_stride[d];
    }
    const float* ab = a + off_a + i0 * k;
    const float* bb = b + off_b;
    float* cb = c + (bi * m + i0) * n;
    if (params->transpose_b) matmul_bt(core, i1 - i0, n, k, ab, bb, cb);
    else core(i1 - i0, n, k, ab, k, bb, n, cb, n);
    row += i1 - i0;
  }
}

/* loupe_f32_batched_matmul__<isa> runs loupe_f32_matmul__<isa> on each slice. */
#define BATCHED_VARIANT(isa)                                                                                 \
  void loupe_f32_batched_matmul__##isa(const loupe_f32_batched_matmul_params* params, const float* a,          \
                                       const float* b, float* c, size_t row_begin, size_t row_end) {           \
    batched(loupe_f32_matmul__##isa, params, a, b, c, row_begin, row_end);                                     \
  }
BATCHED_VARIANT(scalar)
BATCHED_VARIANT(avx2)
BATCHED_VARIANT(avx512)
BATCHED_VARIANT(neon)

/* loupe_f32_matmul picks the variant for the running CPU (cached), so each slice runs
 * the same kernel the matching __isa entry point would. */
void loupe_f32_batched_matmul(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                              float* c, size_t row_begin, size_t row_end) {
  batched(loupe_f32_matmul, params, a, b, c, row_begin, row_end);
}
