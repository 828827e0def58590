/* Where and the comparisons (Equal, Less, …) over broadcast N-D tensors. Attention masks
 * and shape checks are small, so one scalar walk serves every ISA: the work per element is
 * a load, a compare and a store, and the walk over strides dominates. */
#include <stdint.h>
#include <string.h>
#include "loupe_kernels.h"

/* Offsets of the first element of outer row `row` (all dims but the last) in each of
 * `count` inputs read through their element strides. */
static void row_offsets(size_t rank, const size_t* shape, size_t row, size_t count,
                        const size_t* const* strides, size_t* offsets) {
    for (size_t k = 0; k < count; k++) offsets[k] = 0;
    for (size_t d = rank - 1; d-- > 0;) {
        const size_t i = row % shape[d];
        row /= shape[d];
        for (size_t k = 0; k < count; k++) offsets[k] += i * strides[k][d];
    }
}

#define WHERE_ROW(T)                                                                        \
    do {                                                                                    \
        const T* px = (const T*)x + o[1];                                                   \
        const T* py = (const T*)y + o[2];                                                   \
        T* dst = (T*)out + row * cols;                                                      \
        for (size_t j = 0; j < cols; j++) dst[j] = pc[j * sc] ? px[j * sx] : py[j * sy];   \
    } while (0)

void loupe_where__scalar(size_t element_size, size_t rank, const size_t* shape, const uint8_t* cond,
                         const size_t* cond_strides, const void* x, const size_t* x_strides, const void* y,
                         const size_t* y_strides, void* out, size_t row_begin, size_t row_end) {
    const size_t cols = shape[rank - 1];
    const size_t* strides[3] = {cond_strides, x_strides, y_strides};
    const size_t sc = cond_strides[rank - 1], sx = x_strides[rank - 1], sy = y_strides[rank - 1];
    for (size_t row = row_begin; row < row_end; row++) {
        size_t o[3];
        row_offsets(rank, shape, row, 3, strides, o);
        const uint8_t* pc = cond + o[0];
        switch (element_size) {
            case 1: WHERE_ROW(uint8_t); break;
            case 2: WHERE_ROW(uint16_t); break;
            case 4: WHERE_ROW(uint32_t); break;
            case 8: WHERE_ROW(uint64_t); break;
            default: break; /* the caller passes 1, 2, 4 or 8 */
        }
    }
}

/* One loop per op and type, so neither is re-decided per element; NaN compares false. */
#define COMPARE_ROW(T, OP)                                                                  \
    do {                                                                                    \
        const T* pa = (const T*)a + o[0];                                                   \
        const T* pb = (const T*)b + o[1];                                                   \
        for (size_t j = 0; j < cols; j++) dst[j] = pa[j * sa] OP pb[j * sb];               \
    } while (0)

#define COMPARE_TYPED(T)                                                                    \
    switch (op) {                                                                           \
        case loupe_compare_equal: COMPARE_ROW(T, ==); break;                                \
        case loupe_compare_less: COMPARE_ROW(T, <); break;                                  \
        case loupe_compare_less_or_equal: COMPARE_ROW(T, <=); break;                        \
        case loupe_compare_greater: COMPARE_ROW(T, >); break;                               \
        case loupe_compare_greater_or_equal: COMPARE_ROW(T, >=); break;                     \
    }

void loupe_compare__scalar(loupe_compare op, loupe_compare_type type, size_t rank, const size_t* shape,
                           const void* a, const size_t* a_strides, const void* b, const size_t* b_strides,
                           uint8_t* out, size_t row_begin, size_t row_end) {
    const size_t cols = shape[rank - 1];
    const size_t* strides[2] = {a_strides, b_strides};
    const size_t sa = a_strides[rank - 1], sb = b_strides[rank - 1];
    for (size_t row = row_begin; row < row_end; row++) {
        size_t o[2];
        row_offsets(rank, shape, row, 2, strides, o);
        uint8_t* dst = out + row * cols;
        switch (type) {
            case loupe_compare_f32: COMPARE_TYPED(float); break;
            case loupe_compare_s32: COMPARE_TYPED(int32_t); break;
            case loupe_compare_s64: COMPARE_TYPED(int64_t); break;
            case loupe_compare_u8: COMPARE_TYPED(uint8_t); break;
        }
    }
}
