/* Cast between the element types a graph moves at run time (token ids, masks, codes): a
 * value conversion, not a reinterpretation. Float to integer truncates toward zero like a
 * C cast (ONNX leaves out-of-range results undefined; NaN becomes 0 here); anything to
 * bool is "not zero". */
#include <math.h>
#include <stdint.h>
#include "loupe_kernels.h"

static double load(loupe_element from, const void* in, size_t i) {
    switch (from) {
        case loupe_element_f32: return ((const float*)in)[i];
        case loupe_element_s32: return ((const int32_t*)in)[i];
        case loupe_element_s64: return (double)((const int64_t*)in)[i];
        case loupe_element_s8: return ((const int8_t*)in)[i];
        case loupe_element_u8: return ((const uint8_t*)in)[i];
        case loupe_element_bool: return ((const uint8_t*)in)[i] != 0;
    }
    return 0;
}

static int64_t to_integer(double v, double lo, double hi) {
    if (isnan(v)) return 0;
    if (v < lo) return (int64_t)lo;
    if (v > hi) return (int64_t)hi;
    return (int64_t)v;
}

void loupe_convert(loupe_element from, loupe_element to, size_t n, const void* in, void* out) {
    /* int64 → int64/float keeps every bit the double cannot: handle it without the double. */
    if (from == loupe_element_s64 && to == loupe_element_f32) {
        for (size_t i = 0; i < n; i++) ((float*)out)[i] = (float)((const int64_t*)in)[i];
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const double v = load(from, in, i);
        switch (to) {
            case loupe_element_f32: ((float*)out)[i] = (float)v; break;
            case loupe_element_s32: ((int32_t*)out)[i] = (int32_t)to_integer(v, -2147483648.0, 2147483647.0); break;
            case loupe_element_s64:
                ((int64_t*)out)[i] = from == loupe_element_s64 ? ((const int64_t*)in)[i]
                                                               : to_integer(v, -9223372036854775808.0, 9223372036854774784.0);
                break;
            case loupe_element_s8: ((int8_t*)out)[i] = (int8_t)to_integer(v, -128, 127); break;
            case loupe_element_u8: ((uint8_t*)out)[i] = (uint8_t)to_integer(v, 0, 255); break;
            case loupe_element_bool: ((uint8_t*)out)[i] = v != 0; break;
        }
    }
}
