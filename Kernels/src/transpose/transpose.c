#include <string.h>
#include "../common/isa_defs.h"

void loupe_x32_transpose2d__scalar(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                   uint32_t* out, size_t out_stride) {
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) out[c * out_stride + r] = in[r * in_stride + c];
}

/* Cache-blocked scalar walk over the tile edges the SIMD variants leave. */
static void transpose2d_block_scalar(size_t r0, size_t r1, size_t c0, size_t c1, const uint32_t* in,
                                     size_t in_stride, uint32_t* out, size_t out_stride) {
  for (size_t r = r0; r < r1; r++)
    for (size_t c = c0; c < c1; c++) out[c * out_stride + r] = in[r * in_stride + c];
}

#if LOUPE_X86
typedef void (*transpose_tile_fn)(const uint32_t* in, size_t in_stride, uint32_t* out, size_t out_stride);

/* The SIMD variants' walk: tile x tile transposes over 64 x 64 cache blocks of the
 * rows and columns that fill whole tiles, the edges in scalar code. Always inlined into
 * each variant, so tile_fn is a constant there and its body is inlined in the loop. */
static inline __attribute__((always_inline)) void transpose2d_tiled(size_t tile, transpose_tile_fn tile_fn,
                                                                   size_t rows, size_t cols, const uint32_t* in,
                                                                   size_t in_stride, uint32_t* out,
                                                                   size_t out_stride) {
  const size_t rows_t = rows & ~(tile - 1), cols_t = cols & ~(tile - 1);
  const size_t block = 64;
  for (size_t rb = 0; rb < rows_t; rb += block) {
    const size_t re = rb + block < rows_t ? rb + block : rows_t;
    for (size_t cb = 0; cb < cols_t; cb += block) {
      const size_t ce = cb + block < cols_t ? cb + block : cols_t;
      for (size_t r = rb; r < re; r += tile)
        for (size_t c = cb; c < ce; c += tile)
          tile_fn(in + r * in_stride + c, in_stride, out + c * out_stride + r, out_stride);
    }
  }
  transpose2d_block_scalar(0, rows_t, cols_t, cols, in, in_stride, out, out_stride);
  transpose2d_block_scalar(rows_t, rows, 0, cols, in, in_stride, out, out_stride);
}

__attribute__((target("sse2")))
static inline void transpose4x4(const uint32_t* in, size_t in_stride, uint32_t* out, size_t out_stride) {
  __m128 a = _mm_loadu_ps((const float*)(in + 0 * in_stride));
  __m128 b = _mm_loadu_ps((const float*)(in + 1 * in_stride));
  __m128 d = _mm_loadu_ps((const float*)(in + 2 * in_stride));
  __m128 e = _mm_loadu_ps((const float*)(in + 3 * in_stride));
  _MM_TRANSPOSE4_PS(a, b, d, e);
  _mm_storeu_ps((float*)(out + 0 * out_stride), a);
  _mm_storeu_ps((float*)(out + 1 * out_stride), b);
  _mm_storeu_ps((float*)(out + 2 * out_stride), d);
  _mm_storeu_ps((float*)(out + 3 * out_stride), e);
}

__attribute__((target("sse2")))
void loupe_x32_transpose2d__sse2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride) {
  transpose2d_tiled(4, transpose4x4, rows, cols, in, in_stride, out, out_stride);
}

__attribute__((target("avx2")))
static inline void transpose8x8(const uint32_t* in, size_t in_stride, uint32_t* out, size_t out_stride) {
  __m256 r0 = _mm256_loadu_ps((const float*)(in + 0 * in_stride));
  __m256 r1 = _mm256_loadu_ps((const float*)(in + 1 * in_stride));
  __m256 r2 = _mm256_loadu_ps((const float*)(in + 2 * in_stride));
  __m256 r3 = _mm256_loadu_ps((const float*)(in + 3 * in_stride));
  __m256 r4 = _mm256_loadu_ps((const float*)(in + 4 * in_stride));
  __m256 r5 = _mm256_loadu_ps((const float*)(in + 5 * in_stride));
  __m256 r6 = _mm256_loadu_ps((const float*)(in + 6 * in_stride));
  __m256 r7 = _mm256_loadu_ps((const float*)(in + 7 * in_stride));
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps((float*)(out + 0 * out_stride), _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps((float*)(out + 1 * out_stride), _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps((float*)(out + 2 * out_stride), _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps((float*)(out + 3 * out_stride), _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps((float*)(out + 4 * out_stride), _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps((float*)(out + 5 * out_stride), _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps((float*)(out + 6 * out_stride), _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps((float*)(out + 7 * out_stride), _mm256_permute2f128_ps(s3, s7, 0x31));
}

__attribute__((target("avx2")))
void loupe_x32_transpose2d__avx2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride) {
  transpose2d_tiled(8, transpose8x8, rows, cols, in, in_stride, out, out_stride);
}
#else
void loupe_x32_transpose2d__sse2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride) {
  loupe_x32_transpose2d__scalar(rows, cols, in, in_stride, out, out_stride);
}
void loupe_x32_transpose2d__avx2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride) {
  loupe_x32_transpose2d__scalar(rows, cols, in, in_stride, out, out_stride);
}
#endif

/* Few rows (an RGB image going NCHW -> NHWC has 3): walk the output sequentially, reading
 * `rows` input streams; the tiled variants would leave everything to their scalar edge. */
static void transpose2d_few_rows(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride) {
  if (rows == 3) {
    const uint32_t *a = in, *b = in + in_stride, *c = in + 2 * in_stride;
    for (size_t j = 0; j < cols; j++) {
      uint32_t* o = out + j * out_stride;
      o[0] = a[j]; o[1] = b[j]; o[2] = c[j];
    }
    return;
  }
  for (size_t j = 0; j < cols; j++)
    for (size_t r = 0; r < rows; r++) out[j * out_stride + r] = in[r * in_stride + j];
}

void loupe_x32_transpose2d(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                           uint32_t* out, size_t out_stride) {
  if (rows < 4) { transpose2d_few_rows(rows, cols, in, in_stride, out, out_stride); return; }
#if LOUPE_X86
  static int cached = -1;
  if (loupe_cached_has_avx2(&cached)) { loupe_x32_transpose2d__avx2(rows, cols, in, in_stride, out, out_stride); return; }
  loupe_x32_transpose2d__sse2(rows, cols, in, in_stride, out, out_stride);
#else
  loupe_x32_transpose2d__scalar(rows, cols, in, in_stride, out, out_stride);
#endif
}

void loupe_x32_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm,
                                 const uint32_t* in, uint32_t* out) {
  size_t in_strides[LOUPE_MAX_DIMS], out_shape[LOUPE_MAX_DIMS], idx[LOUPE_MAX_DIMS] = {0};
  size_t total = 1;
  for (size_t i = rank; i-- > 0;) { in_strides[i] = total; total *= shape[i]; }
  for (size_t i = 0; i < rank; i++) out_shape[i] = shape[perm[i]];
  for (size_t o = 0; o < total; o++) {
    size_t src = 0;
    for (size_t i = 0; i < rank; i++) src += idx[i] * in_strides[perm[i]];
    out[o] = in[src];
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < out_shape[i]) break;
      idx[i] = 0;
    }
  }
}

/* Simplified problem: drop size-1 axes, merge axes adjacent in input and output order. */
typedef struct {
  size_t rank;
  size_t shape[LOUPE_MAX_DIMS]; /* input shape */
  size_t perm[LOUPE_MAX_DIMS];
} simple_perm;

static void simplify(size_t rank, const size_t* shape, const size_t* perm, simple_perm* s) {
  size_t keep[LOUPE_MAX_DIMS], newpos[LOUPE_MAX_DIMS], n = 0;
  for (size_t i = 0; i < rank; i++) {
    if (shape[i] != 1) { newpos[i] = n; keep[n++] = shape[i]; } else newpos[i] = SIZE_MAX;
  }
  size_t p[LOUPE_MAX_DIMS], m = 0;
  for (size_t i = 0; i < rank; i++) if (newpos[perm[i]] != SIZE_MAX) p[m++] = newpos[perm[i]];
  /* merge: output axes i, i+1 with p[i+1] == p[i] + 1 */
  size_t merged_shape[LOUPE_MAX_DIMS];
  for (size_t i = 0; i < n; i++) merged_shape[i] = keep[i];
  size_t groups_first[LOUPE_MAX_DIMS], groups_size[LOUPE_MAX_DIMS], g = 0;
  for (size_t i = 0; i < m; i++) {
    if (g > 0 && p[i] == groups_first[g - 1] + groups_size[g - 1]) {
      groups_size[g - 1]++;
    } else {
      groups_first[g] = p[i]; groups_size[g] = 1; g++;
    }
  }
  /* groups in output order; input order = sorted by first input axis */
  size_t order[LOUPE_MAX_DIMS];
  for (size_t i = 0; i < g; i++) order[i] = i;
  for (size_t i = 1; i < g; i++)
    for (size_t j = i; j > 0 && groups_first[order[j]] < groups_first[order[j - 1]]; j--) {
      size_t t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  size_t input_axis_of_group[LOUPE_MAX_DIMS];
  for (size_t k = 0; k < g; k++) {
    size_t grp = order[k], sz = 1;
    for (size_t a = 0; a < groups_size[grp]; a++) sz *= merged_shape[groups_first[grp] + a];
    s->shape[k] = sz;
    input_axis_of_group[grp] = k;
  }
  for (size_t i = 0; i < g; i++) s->perm[i] = input_axis_of_group[i];
  s->rank = g;
  if (g == 0) { s->rank = 1; s->shape[0] = 1; s->perm[0] = 0; }
}

size_t loupe_x32_transpose_batches(size_t rank, const size_t* shape, const size_t* perm) {
  simple_perm s;
  simplify(rank, shape, perm, &s);
  if (s.rank == 1) return 1;
  return s.shape[s.perm[0]];
}

/* A 2-D transpose of `es`-byte elements: out[c * out_stride + r] = in[r * in_stride + c]. */
typedef void (*transpose2d_fn)(size_t rows, size_t cols, const void* in, size_t in_stride, void* out,
                               size_t out_stride);

/* The walk loupe_x32_transpose and loupe_x8_transpose share, on elements of es bytes (a
 * constant where it is inlined): the simplified problem, split into batches over the
 * outermost output axis; two-axis problems go to `t2d`, the rest to an odometer over the
 * output with the innermost axis gathered. */
static inline __attribute__((always_inline)) void transpose_walk(size_t es, transpose2d_fn t2d, size_t rank,
                                                                 const size_t* shape, const size_t* perm,
                                                                 const uint8_t* in, uint8_t* out,
                                                                 size_t batch_begin, size_t batch_end) {
  simple_perm s;
  simplify(rank, shape, perm, &s);
  if (s.rank == 1) {
    if (batch_begin == 0 && batch_end > 0) memcpy(out, in, s.shape[0] * es);
    return;
  }
  const size_t outer = s.shape[s.perm[0]];
  if (batch_end > outer) batch_end = outer;
  if (batch_begin >= batch_end) return;
  if (s.rank == 2) {
    /* out[c, r] = in[r, c]: output rows (input columns) batch_begin..batch_end. */
    const size_t rows = s.shape[0], cols = s.shape[1];
    t2d(rows, batch_end - batch_begin, in + batch_begin * es, cols, out + batch_begin * rows * es, rows);
    return;
  }
  if (s.rank == 3 && s.perm[0] == 0 && s.perm[1] == 2 && s.perm[2] == 1) {
    const size_t rows = s.shape[1], cols = s.shape[2];
    for (size_t b = batch_begin; b < batch_end; b++)
      t2d(rows, cols, in + b * rows * cols * es, cols, out + b * rows * cols * es, rows);
    return;
  }
  /* Generic odometer over the outer axis range; innermost output axis gathered. */
  size_t in_strides[LOUPE_MAX_DIMS], out_shape[LOUPE_MAX_DIMS], idx[LOUPE_MAX_DIMS] = {0};
  size_t total = 1;
  for (size_t i = s.rank; i-- > 0;) { in_strides[i] = total; total *= s.shape[i]; }
  for (size_t i = 0; i < s.rank; i++) out_shape[i] = s.shape[s.perm[i]];
  const size_t per_batch = total / outer;
  const size_t inner = out_shape[s.rank - 1], inner_stride = in_strides[s.perm[s.rank - 1]];
  for (size_t b = batch_begin; b < batch_end; b++) {
    uint8_t* o = out + b * per_batch * es;
    for (size_t i = 1; i < s.rank; i++) idx[i] = 0;
    idx[0] = b;
    for (size_t k = 0; k < per_batch; k += inner) {
      size_t src = 0;
      for (size_t i = 0; i + 1 < s.rank; i++) src += idx[i] * in_strides[s.perm[i]];
      for (size_t j = 0; j < inner; j++) memcpy(o + (k + j) * es, in + (src + j * inner_stride) * es, es);
      for (size_t i = s.rank - 1; i-- > 1;) {
        if (++idx[i] < out_shape[i]) break;
        idx[i] = 0;
      }
    }
  }
}

static void x32_transpose2d(size_t rows, size_t cols, const void* in, size_t in_stride, void* out,
                            size_t out_stride) {
  loupe_x32_transpose2d(rows, cols, (const uint32_t*)in, in_stride, (uint32_t*)out, out_stride);
}

void loupe_x32_transpose(size_t rank, const size_t* shape, const size_t* perm,
                         const uint32_t* in, uint32_t* out, size_t batch_begin, size_t batch_end) {
  transpose_walk(4, x32_transpose2d, rank, shape, perm, (const uint8_t*)in, (uint8_t*)out, batch_begin, batch_end);
}

/* ---- Bytes (int8 codes) ------------------------------------------------------------ */

/* out[c * out_stride + r] = in[r * in_stride + c] for r < rows, c < cols, in 32 x 32 tiles:
 * a tile's reads and writes stay in L1. Each input row of a tile is read contiguously (with
 * 3 rows, an NCHW -> NHWC photo, the other order ran about 3x slower). */
static void x8_transpose2d(size_t rows, size_t cols, const int8_t* in, size_t in_stride, int8_t* out,
                           size_t out_stride) {
  for (size_t rb = 0; rb < rows; rb += 32) {
    const size_t re = rb + 32 < rows ? rb + 32 : rows;
    for (size_t cb = 0; cb < cols; cb += 32) {
      const size_t ce = cb + 32 < cols ? cb + 32 : cols;
      for (size_t r = rb; r < re; r++) {
        const int8_t* s = in + r * in_stride;
        int8_t* o = out + r;
        for (size_t c = cb; c < ce; c++) o[c * out_stride] = s[c];
      }
    }
  }
}

size_t loupe_x8_transpose_batches(size_t rank, const size_t* shape, const size_t* perm) {
  return loupe_x32_transpose_batches(rank, shape, perm);
}

static void x8_transpose2d_any(size_t rows, size_t cols, const void* in, size_t in_stride, void* out,
                               size_t out_stride) {
  x8_transpose2d(rows, cols, (const int8_t*)in, in_stride, (int8_t*)out, out_stride);
}

/* loupe_x32_transpose's walk on bytes, with byte tiles for the two-axis cases. */
void loupe_x8_transpose(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out,
                        size_t batch_begin, size_t batch_end) {
  transpose_walk(1, x8_transpose2d_any, rank, shape, perm, (const uint8_t*)in, (uint8_t*)out, batch_begin, batch_end);
}

void loupe_x8_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out) {
  loupe_x8_transpose(rank, shape, perm, in, out, 0, SIZE_MAX);
}
