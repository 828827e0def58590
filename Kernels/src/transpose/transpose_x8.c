#include <string.h>
#include "loupe_kernels.h"

void loupe_x8_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out) {
  if (rank == 0) { out[0] = in[0]; return; }
  size_t in_strides[LOUPE_MAX_DIMS];
  size_t acc = 1;
  for (size_t i = rank; i-- > 0;) { in_strides[i] = acc; acc *= shape[i]; }
  if (acc == 0) return;
  size_t out_shape[LOUPE_MAX_DIMS], strides[LOUPE_MAX_DIMS], index[LOUPE_MAX_DIMS];
  for (size_t i = 0; i < rank; i++) {
    out_shape[i] = shape[perm[i]];
    strides[i] = in_strides[perm[i]];
    index[i] = 0;
  }
  const size_t inner = out_shape[rank - 1], inner_stride = strides[rank - 1];
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
