/* ReduceSum over the middle axis of [batch, pixels, channels] (sentence embeddings' masked
 * sums): XNNPACK 2022 has global average pooling but no sum. Float accumulation in pixel
 * order, as ONNX Runtime's reduction does. */
#include "loupe_kernels.h"

void loupe_f32_global_sum_pool_nwc(size_t batch, size_t pixels, size_t channels, const float* x, float* y) {
    for (size_t b = 0; b < batch; b++) {
        float* out = y + b * channels;
        const float* in = x + b * pixels * channels;
        for (size_t c = 0; c < channels; c++) out[c] = 0.0f;
        for (size_t p = 0; p < pixels; p++) {
            for (size_t c = 0; c < channels; c++) out[c] += in[p * channels + c];
        }
    }
}
