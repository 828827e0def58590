#include <string.h>
#include "loupe_kernels.h"

/* Tiles of the two-axis case: 32 x 32 bytes read and written stay in L1. */
#define TILE 32

/* out[i * oq + j] = in[i + j * s] for i < nq, j < nj, in tiles. */
static void transpose_plane(const int8_t* in, int8_t* out, size_t nq, size_t oq, size_t nj, size_t s) {
  for (size_t i0 = 0; i0 < nq; i0 += TILE) {
    const size_t i1 = i0 + TILE < nq ? i0 + TILE : nq;
    for (size_t j0 = 0; j0 < nj; j0 += TILE) {
      const size_t j1 = j0 + TILE < nj ? j0 + TILE : nj;
      for (size_t i = i0; i < i1; i++) {
        int8_t* o = out + i * oq;
        const int8_t* x = in + i;
        for (size_t j = j0; j < j1; j++) o[j] = x[j * s];
      }
    }
  }
}

void loupe_x8_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out) {
  if (rank == 0) { out[0] = in[0]; return; }
  size_t in_strides[LOUPE_MAX_DIMS];
  size_t acc = 1;
  for (size_t i = rank; i-- > 0;) { in_strides[i] = acc; acc *= shape[i]; }
  if (acc == 0) return;
  size_t out_shape[LOUPE_MAX_DIMS], strides[LOUPE_MAX_DIMS], out_strides[LOUPE_MAX_DIMS], index[LOUPE_MAX_DIMS];
  for (size_t i = 0; i < rank; i++) {
    out_shape[i] = shape[perm[i]];
    strides[i] = in_strides[perm[i]];
    index[i] = 0;
  }
  size_t oacc = 1;
  for (size_t i = rank; i-- > 0;) { out_strides[i] = oacc; oacc *= out_shape[i]; }
  const size_t inner = out_shape[rank - 1], inner_stride = strides[rank - 1];

  /* The output axis q that reads the input's contiguous axis: when it is not the last one
   * (NCHW -> NHWC and the like), byte-by-byte gathers along the last axis would touch one
   * byte per cache line. Instead, for every index of the other axes, a two-axis transpose of
   * (q, last) in tiles: reads along q are contiguous, writes stay within a tile. */
  size_t q = rank;
  for (size_t i = 0; i < rank; i++) if (strides[i] == 1 && out_shape[i] > 1) q = i;
  if (inner_stride != 1 && inner > 1 && q < rank - 1) {
    size_t ext[LOUPE_MAX_DIMS], ist[LOUPE_MAX_DIMS], ost[LOUPE_MAX_DIMS], n = 0;
    for (size_t i = 0; i + 1 < rank; i++) {
      if (i == q) continue;
      ext[n] = out_shape[i]; ist[n] = strides[i]; ost[n] = out_strides[i]; n++;
    }
    size_t idx[LOUPE_MAX_DIMS] = {0}, si = 0, so = 0;
    for (;;) {
      transpose_plane(in + si, out + so, out_shape[q], out_strides[q], inner, inner_stride);
      size_t a = n;
      while (a > 0) { /* odometer over the other axes */
        a--;
        si += ist[a];
        so += ost[a];
        if (++idx[a] < ext[a]) break;
        si -= ist[a] * ext[a];
        so -= ost[a] * ext[a];
        idx[a] = 0;
        if (a == 0) return;
      }
      if (n == 0) return;
    }
  }

  const size_t rows = acc / inner;
  size_t src = 0;
  for (size_t r = 0; r < rows; r++) {
    if (inner_stride == 1) {
      memcpy(out, in + src, inner);
    } else {
      for (size_t j = 0; j < inner; j++) out[j] = in[src + j * inner_stride];
    }
    out += inner;
    /* Odometer over the outer output axes. */
    for (size_t a = rank - 1; a-- > 0;) {
      src += strides[a];
      if (++index[a] < out_shape[a]) break;
      src -= strides[a] * out_shape[a];
      index[a] = 0;
    }
  }
}
