/* Gather with indices computed at run time (token ids into an embedding table): for each
 * outer index and each of `count` indices, one slab of `inner` elements copied from
 * position index along an axis of length `axis_length`. Indices are checked here, since
 * they come from the caller's data. */
#include <stdint.h>
#include <string.h>
#include "loupe_kernels.h"

size_t loupe_gather(size_t element_size, size_t outer, size_t axis_length, size_t inner, const void* data,
                    const void* indices, int indices_are_64bit, size_t count, void* out) {
    const size_t slab = inner * element_size;
    const uint8_t* src = data;
    uint8_t* dst = out;
    size_t bad = 0;
    for (size_t k = 0; k < count; k++) {
        int64_t i = indices_are_64bit ? ((const int64_t*)indices)[k] : ((const int32_t*)indices)[k];
        if (i < 0) i += (int64_t)axis_length;
        const int in_range = i >= 0 && (uint64_t)i < axis_length;
        if (!in_range) bad++;
        for (size_t o = 0; o < outer; o++) {
            uint8_t* to = dst + (o * count + k) * slab;
            if (in_range) {
                memcpy(to, src + (o * axis_length + (size_t)i) * slab, slab);
            } else {
                memset(to, 0, slab);
            }
        }
    }
    return bad;
}
