#include <string.h>
#include "loupe_kernels.h"

static size_t source_index(loupe_pad_mode mode, size_t o, size_t pre, size_t size, int* outside) {
  /* o is the output coordinate; i = o - pre may be outside [0, size). */
  long i = (long)o - (long)pre;
  *outside = 0;
  if (i >= 0 && i < (long)size) return (size_t)i;
  switch (mode) {
    case loupe_pad_constant: *outside = 1; return 0;
    case loupe_pad_edge: return i < 0 ? 0 : size - 1;
    case loupe_pad_reflect: {
      const long period = 2 * ((long)size - 1);
      if (period == 0) return 0;
      long m = i % period;
      if (m < 0) m += period;
      return (size_t)(m < (long)size ? m : period - m);
    }
  }
  return 0;
}

static void pad_axis(size_t axis, size_t rank, const size_t* shape, const size_t* pre, const size_t* post,
                     loupe_pad_mode mode, uint32_t value, const uint32_t* in, uint32_t* out,
                     const size_t* in_strides, const size_t* out_strides, int outside) {
  const size_t out_size = shape[axis] + pre[axis] + post[axis];
  for (size_t o = 0; o < out_size; o++) {
    int here = 0;
    size_t i = source_index(mode, o, pre[axis], shape[axis], &here);
    uint32_t* dst = out + o * out_strides[axis];
    const int off = outside || here;
    if (axis + 1 == rank) {
      *dst = off ? value : in[i];
    } else {
      pad_axis(axis + 1, rank, shape, pre, post, mode, value, in + i * in_strides[axis], dst,
               in_strides, out_strides, off);
    }
  }
}

void loupe_x32_pad__scalar(size_t rank, const size_t* shape, const size_t* pre, const size_t* post,
                           loupe_pad_mode mode, uint32_t value, const uint32_t* in, uint32_t* out) {
  size_t in_strides[LOUPE_MAX_DIMS], out_strides[LOUPE_MAX_DIMS];
  size_t a = 1, b = 1;
  for (size_t i = rank; i-- > 0;) {
    in_strides[i] = a; a *= shape[i];
    out_strides[i] = b; b *= shape[i] + pre[i] + post[i];
  }
  if (rank == 0) { out[0] = in[0]; return; }
  pad_axis(0, rank, shape, pre, post, mode, value, in, out, in_strides, out_strides, 0);
}
