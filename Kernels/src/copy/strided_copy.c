#include <string.h>
#include "loupe_kernels.h"

/* Rows are the output's elements grouped by its innermost axis; row r's input address is
 * found from its multi-index once, then the row is copied (memcpy when the innermost input
 * stride is one element, element by element otherwise). */
void loupe_strided_copy(size_t rank, const size_t* shape, const ptrdiff_t* in_strides, size_t element_size,
                        const void* in, void* out, size_t row_begin, size_t row_end) {
  if (rank == 0) {
    if (row_begin == 0 && row_end > 0) memcpy(out, in, element_size);
    return;
  }
  const size_t rows = loupe_strided_copy_rows(rank, shape);
  if (row_end > rows) row_end = rows;
  const size_t n = shape[rank - 1];
  const ptrdiff_t inner = in_strides[rank - 1];
  const int contiguous = inner == (ptrdiff_t)element_size;
  for (size_t r = row_begin; r < row_end; r++) {
    /* Multi-index of row r over the outer axes (innermost outer axis varies fastest). */
    const char* src = (const char*)in;
    size_t rest = r;
    for (size_t i = rank - 1; i-- > 0;) {
      src += (ptrdiff_t)(rest % shape[i]) * in_strides[i];
      rest /= shape[i];
    }
    char* dst = (char*)out + r * n * element_size;
    if (contiguous) {
      memcpy(dst, src, n * element_size);
    } else if (element_size == 4) {
      for (size_t j = 0; j < n; j++) memcpy(dst + 4 * j, src + (ptrdiff_t)j * inner, 4);
    } else {
      for (size_t j = 0; j < n; j++) memcpy(dst + j * element_size, src + (ptrdiff_t)j * inner, element_size);
    }
  }
}

size_t loupe_strided_copy_rows(size_t rank, const size_t* shape) {
  size_t rows = 1;
  for (size_t i = 0; i + 1 < rank; i++) rows *= shape[i];
  return rank == 0 ? 1 : rows;
}
