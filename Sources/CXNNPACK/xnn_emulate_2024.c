// The 2022 signatures of CXNNPACK.h on the 2024 XNNPACK API (Debian trixie, 0.0~git20241108):
// - create functions no longer take channels and strides (those move to reshape), and
//   convolution, deconvolution and fully connected take a code cache and a weights cache
//   (none here: each operator packs its own weights);
// - setup is split into reshape (shapes, thread partition, workspace size) and setup
//   (pointers): loupe_xnn_setup_* calls both, with the shapes kept from create;
// - the typed unary operators are one xnn_create_unary_elementwise_nc, the typed binary
//   ones one xnn_create_binary_elementwise_nd, and PReLU is a binary operator;
// - global average pooling is gone: an average pooling of 1 x pixels;
// - convolution2d_nhwc_qc8 is convolution2d_nhwc_qs8_qc8w;
// - resize_bilinear2d takes the output size at create: the operator is made at setup.
// The 2024 elementwise operators have no output clamp: a clamp narrower than the type's
// range is refused (xnn_status_unsupported_parameter; Loupe's lowering never asks for one
// there). The binary (PReLU) and depth-to-space ones have no strides: PReLU writes a wider
// output stride through a contiguous scratch buffer and a copy operator, depth-to-space
// refuses one.
// Where operators share one body (the unary and binary families, copies, convolutions, max
// pooling), a macro makes them and takes their signatures from the table in CXNNPACK.h.
#include "CXNNPACK.h"

#if LOUPE_XNN_API == 2024

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct loupe_xnn_op {
    xnn_operator_t op;
    // Run before `op`: the int8 -> float conversion of global average pooling.
    xnn_operator_t pre;
    // Run after `op`: copies the contiguous result in `scratch` into a wider output stride
    // (or converts float back to int8).
    xnn_operator_t copy;
    size_t channels, input_stride, output_stride;
    uint32_t flags;
    void* workspace;
    size_t workspace_size;
    void* scratch;
    size_t scratch_size;
    // PReLU: the slope, padded with zeros to the input stride (the binary operator
    // broadcasts it over rows of that width).
    float* slope;
    // resize_bilinear2d: the operator is made at setup, once the output size is known.
    size_t resize_height, resize_width;
    // Global average pooling: the pooling window (1 x pixels) its operator was made for.
    size_t pooled_width;
    // Max pooling with a stride larger than its window: made with stride 1, subsampled
    // after it runs (stride_h == 0: not needed).
    struct loupe_xnn_subsample {
        size_t stride_h, stride_w, element_size, pads_h, pads_w, window_h, window_w;
        size_t batch, full_h, full_w, out_h, out_w;
        void* output;
    } sub;
};

const char* loupe_xnn_api_name(void) { return "2024"; }

static const struct xnn_quantization_params no_quantization = {0, 1.0f};

static enum xnn_status wrap(enum xnn_status s, xnn_operator_t op,
                            size_t channels, size_t input_stride, size_t output_stride, uint32_t flags,
                            loupe_xnn_operator_t* out) {
    *out = NULL;
    if (s != xnn_status_success) return s;
    loupe_xnn_operator_t w = calloc(1, sizeof(*w));
    if (w == NULL) {
        if (op != NULL) xnn_delete_operator(op);
        return xnn_status_out_of_memory;
    }
    w->op = op;
    w->channels = channels;
    w->input_stride = input_stride;
    w->output_stride = output_stride;
    w->flags = flags;
    *out = w;
    return s;
}

// Grows an owned, 64-byte aligned buffer (workspace or scratch); XNNPACK may read
// XNN_EXTRA_BYTES past it.
static enum xnn_status reserve(void** buffer, size_t* size, size_t bytes, size_t alignment) {
    if (bytes <= *size && *buffer != NULL) return xnn_status_success;
    if (alignment < 64) alignment = 64;
    size_t rounded = (bytes + XNN_EXTRA_BYTES + alignment - 1) / alignment * alignment;
    void* p = aligned_alloc(alignment, rounded);
    if (p == NULL) return xnn_status_out_of_memory;
    free(*buffer);
    *buffer = p;
    *size = bytes;
    return xnn_status_success;
}

// After a reshape that reported the workspace its setup needs: grows the operator's to it.
static enum xnn_status reserve_workspace(loupe_xnn_operator_t op, enum xnn_status reshaped, size_t size,
                                         size_t alignment) {
    if (reshaped != xnn_status_success) return reshaped;
    return reserve(&op->workspace, &op->workspace_size, size, alignment);
}

static void subsample(loupe_xnn_operator_t op);

enum xnn_status loupe_xnn_run_operator(loupe_xnn_operator_t op, pthreadpool_t threadpool) {
    enum xnn_status s = op->pre != NULL ? xnn_run_operator(op->pre, threadpool) : xnn_status_success;
    if (s == xnn_status_success) s = xnn_run_operator(op->op, threadpool);
    if (s == xnn_status_success && op->copy != NULL) s = xnn_run_operator(op->copy, threadpool);
    if (s == xnn_status_success && op->sub.stride_h != 0) subsample(op);
    return s;
}

enum xnn_status loupe_xnn_delete_operator(loupe_xnn_operator_t op) {
    if (op == NULL) return xnn_status_success;
    enum xnn_status s = op->op != NULL ? xnn_delete_operator(op->op) : xnn_status_success;
    if (op->pre != NULL) xnn_delete_operator(op->pre);
    if (op->copy != NULL) xnn_delete_operator(op->copy);
    free(op->workspace);
    free(op->scratch);
    free(op->slope);
    free(op);
    return s;
}

// Where an operator that can only write `rows` contiguous rows of `width` elements of
// `element_size` bytes puts them: straight into `output` when those rows are exactly the
// output's (width, channels and output stride equal), else into scratch, from which a copy
// operator moves the first `channels` of each row into the `output_stride`-wide output rows
// (the columns past `channels` belong to other tensors, a Concat's other inputs).
static enum xnn_status strided_output(loupe_xnn_operator_t op, size_t rows, size_t width, size_t element_size,
                                      void* output, pthreadpool_t threadpool, void** target) {
    if (width == op->channels && op->output_stride == width) {
        *target = output;
        return xnn_status_success;
    }
    enum xnn_status s = reserve(&op->scratch, &op->scratch_size, rows * width * element_size, 64);
    if (s != xnn_status_success) return s;
    if (op->copy == NULL) {
        s = element_size == 4 ? xnn_create_copy_nc_x32(0, &op->copy) : xnn_create_copy_nc_x8(0, &op->copy);
        if (s != xnn_status_success) return s;
    }
    s = element_size == 4
        ? xnn_reshape_copy_nc_x32(op->copy, rows, op->channels, width, op->output_stride, threadpool)
        : xnn_reshape_copy_nc_x8(op->copy, rows, op->channels, width, op->output_stride, threadpool);
    if (s != xnn_status_success) return s;
    s = element_size == 4 ? xnn_setup_copy_nc_x32(op->copy, op->scratch, output)
                          : xnn_setup_copy_nc_x8(op->copy, op->scratch, output);
    *target = op->scratch;
    return s;
}

static int full_range_f32(float lo, float hi) { return lo == -INFINITY && hi == INFINITY; }
static int full_range_s8(int8_t lo, int8_t hi) { return lo == INT8_MIN && hi == INT8_MAX; }

// ---- unary elementwise ----

static enum xnn_status create_unary(enum xnn_unary_operator type, enum xnn_datatype in_type,
                                    enum xnn_datatype out_type, const union xnn_unary_params* params,
                                    const struct xnn_quantization_params* in_q,
                                    const struct xnn_quantization_params* out_q, size_t channels,
                                    size_t input_stride, size_t output_stride, uint32_t flags,
                                    loupe_xnn_operator_t* out) {
    const union xnn_unary_params no_params = {{0}};
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_unary_elementwise_nc(type, in_type, out_type, params ? params : &no_params,
                                                        in_q ? in_q : &no_quantization,
                                                        out_q ? out_q : &no_quantization, flags, &op);
    return wrap(s, op, channels, input_stride, output_stride, flags, out);
}

// A float unary operator (no quantization); `params` may be NULL.
static enum xnn_status create_unary_f32(enum xnn_unary_operator type, const union xnn_unary_params* params,
                                        size_t channels, size_t input_stride, size_t output_stride, uint32_t flags,
                                        loupe_xnn_operator_t* out) {
    return create_unary(type, xnn_datatype_fp32, xnn_datatype_fp32, params, NULL, NULL, channels, input_stride,
                        output_stride, flags, out);
}

static enum xnn_status setup_unary(loupe_xnn_operator_t op, size_t batch_size, const void* input, void* output,
                                   pthreadpool_t threadpool) {
    enum xnn_status s = xnn_reshape_unary_elementwise_nc(op->op, batch_size, op->channels, op->input_stride,
                                                         op->output_stride, threadpool);
    return s != xnn_status_success ? s : xnn_setup_unary_elementwise_nc(op->op, input, output);
}

// The setup of every unary operator: the input is read with the shapes kept from create.
#define LOUPE_UNARY_SETUP(name, In, Out)                                                                \
    LOUPE_XNN_SETUP_SIGNATURE(name, LOUPE_XNN_SETUP_NC, In, Out) {                                      \
        return setup_unary(op, batch_size, input, output, threadpool);                                  \
    }
// The unary float operators without parameters.
#define LOUPE_UNARY_F32(name, type)                                                                     \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_NC, float, float) {                               \
        return create_unary_f32(type, NULL, channels, input_stride, output_stride, flags, op_out);      \
    }                                                                                                   \
    LOUPE_UNARY_SETUP(name, float, float)

LOUPE_UNARY_F32(abs_nc_f32, xnn_unary_abs)
LOUPE_UNARY_F32(ceiling_nc_f32, xnn_unary_ceiling)
LOUPE_UNARY_F32(floor_nc_f32, xnn_unary_floor)
LOUPE_UNARY_F32(hardswish_nc_f32, xnn_unary_hardswish)
LOUPE_UNARY_F32(negate_nc_f32, xnn_unary_negate)
LOUPE_UNARY_F32(sigmoid_nc_f32, xnn_unary_sigmoid)
LOUPE_UNARY_F32(square_root_nc_f32, xnn_unary_square_root)

enum xnn_status loupe_xnn_create_clamp_nc_f32(size_t channels, size_t input_stride, size_t output_stride,
                                              float output_min, float output_max, uint32_t flags,
                                              loupe_xnn_operator_t* out) {
    const union xnn_unary_params p = {.clamp = {.min = output_min, .max = output_max}};
    return create_unary_f32(xnn_unary_clamp, &p, channels, input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(clamp_nc_f32, float, float)

enum xnn_status loupe_xnn_create_elu_nc_f32(size_t channels, size_t input_stride, size_t output_stride,
                                            float alpha, uint32_t flags, loupe_xnn_operator_t* out) {
    const union xnn_unary_params p = {.elu = {.alpha = alpha}};
    return create_unary_f32(xnn_unary_elu, &p, channels, input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(elu_nc_f32, float, float)

enum xnn_status loupe_xnn_create_leaky_relu_nc_f32(size_t channels, size_t input_stride, size_t output_stride,
                                                   float negative_slope, uint32_t flags,
                                                   loupe_xnn_operator_t* out) {
    const union xnn_unary_params p = {.leaky_relu = {.negative_slope = negative_slope}};
    return create_unary_f32(xnn_unary_leaky_relu, &p, channels, input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(leaky_relu_nc_f32, float, float)

enum xnn_status loupe_xnn_create_sigmoid_nc_qs8(size_t channels, size_t input_stride, size_t output_stride,
                                                int8_t input_zero_point, float input_scale,
                                                int8_t output_zero_point, float output_scale, int8_t output_min,
                                                int8_t output_max, uint32_t flags, loupe_xnn_operator_t* out) {
    *out = NULL;
    if (!full_range_s8(output_min, output_max)) return xnn_status_unsupported_parameter;
    const struct xnn_quantization_params in_q = {input_zero_point, input_scale};
    const struct xnn_quantization_params out_q = {output_zero_point, output_scale};
    return create_unary(xnn_unary_sigmoid, xnn_datatype_qint8, xnn_datatype_qint8, NULL, &in_q, &out_q, channels,
                        input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(sigmoid_nc_qs8, int8_t, int8_t)

enum xnn_status loupe_xnn_create_convert_nc_f32_qs8(size_t channels, size_t input_stride, size_t output_stride,
                                                    float output_scale, int8_t output_zero_point,
                                                    int8_t output_min, int8_t output_max, uint32_t flags,
                                                    loupe_xnn_operator_t* out) {
    *out = NULL;
    if (!full_range_s8(output_min, output_max)) return xnn_status_unsupported_parameter;
    const struct xnn_quantization_params out_q = {output_zero_point, output_scale};
    return create_unary(xnn_unary_convert, xnn_datatype_fp32, xnn_datatype_qint8, NULL, NULL, &out_q, channels,
                        input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(convert_nc_f32_qs8, float, int8_t)

enum xnn_status loupe_xnn_create_convert_nc_qs8_f32(size_t channels, size_t input_stride, size_t output_stride,
                                                    float input_scale, int8_t input_zero_point, uint32_t flags,
                                                    loupe_xnn_operator_t* out) {
    const struct xnn_quantization_params in_q = {input_zero_point, input_scale};
    return create_unary(xnn_unary_convert, xnn_datatype_qint8, xnn_datatype_fp32, NULL, &in_q, NULL, channels,
                        input_stride, output_stride, flags, out);
}
LOUPE_UNARY_SETUP(convert_nc_qs8_f32, int8_t, float)

// ---- binary elementwise ----

static enum xnn_status create_binary(enum xnn_binary_operator type, enum xnn_datatype datatype,
                                     const struct xnn_quantization_params* in1_q,
                                     const struct xnn_quantization_params* in2_q,
                                     const struct xnn_quantization_params* out_q, uint32_t flags,
                                     loupe_xnn_operator_t* out) {
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_binary_elementwise_nd(type, datatype, in1_q ? in1_q : &no_quantization,
                                                         in2_q ? in2_q : &no_quantization,
                                                         out_q ? out_q : &no_quantization, flags, &op);
    return wrap(s, op, 0, 0, 0, flags, out);
}

static enum xnn_status setup_binary(loupe_xnn_operator_t op, size_t num_input1_dims, const size_t* input1_shape,
                                    size_t num_input2_dims, const size_t* input2_shape, const void* input1,
                                    const void* input2, void* output, pthreadpool_t threadpool) {
    enum xnn_status s = xnn_reshape_binary_elementwise_nd(op->op, num_input1_dims, input1_shape, num_input2_dims,
                                                          input2_shape, threadpool);
    return s != xnn_status_success ? s : xnn_setup_binary_elementwise_nd(op->op, input1, input2, output);
}

// The setup of every binary operator: XNNPACK broadcasts the two shapes.
#define LOUPE_BINARY_SETUP(name, T)                                                                     \
    LOUPE_XNN_SETUP_SIGNATURE(name, LOUPE_XNN_SETUP_BINARY, T, T) {                                     \
        return setup_binary(op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1,   \
                            input2, output, threadpool);                                                \
    }
// Float, with the 2022 output clamp (only the full range is taken).
#define LOUPE_BINARY_F32_CLAMPED(name, type)                                                            \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_CLAMP, float, float) {                            \
        *op_out = NULL;                                                                                 \
        if (!full_range_f32(output_min, output_max)) return xnn_status_unsupported_parameter;           \
        return create_binary(type, xnn_datatype_fp32, NULL, NULL, NULL, flags, op_out);                 \
    }                                                                                                   \
    LOUPE_BINARY_SETUP(name, float)
// Float, without a clamp in 2022 either.
#define LOUPE_BINARY_F32_PLAIN(name, type)                                                              \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_NONE, float, float) {                             \
        return create_binary(type, xnn_datatype_fp32, NULL, NULL, NULL, flags, op_out);                 \
    }                                                                                                   \
    LOUPE_BINARY_SETUP(name, float)
// int8, with the quantization of both inputs and the output (only the full output range).
#define LOUPE_BINARY_QS8(name, type)                                                                    \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_BINARY_QS8, int8_t, int8_t) {                     \
        *op_out = NULL;                                                                                 \
        if (!full_range_s8(output_min, output_max)) return xnn_status_unsupported_parameter;            \
        const struct xnn_quantization_params q1 = {input1_zero_point, input1_scale};                    \
        const struct xnn_quantization_params q2 = {input2_zero_point, input2_scale};                    \
        const struct xnn_quantization_params qo = {output_zero_point, output_scale};                    \
        return create_binary(type, xnn_datatype_qint8, &q1, &q2, &qo, flags, op_out);                   \
    }                                                                                                   \
    LOUPE_BINARY_SETUP(name, int8_t)

LOUPE_BINARY_F32_CLAMPED(add_nd_f32, xnn_binary_add)
LOUPE_BINARY_F32_CLAMPED(subtract_nd_f32, xnn_binary_subtract)
LOUPE_BINARY_F32_CLAMPED(multiply_nd_f32, xnn_binary_multiply)
LOUPE_BINARY_F32_CLAMPED(divide_nd_f32, xnn_binary_divide)
LOUPE_BINARY_F32_PLAIN(maximum_nd_f32, xnn_binary_maximum)
LOUPE_BINARY_F32_PLAIN(minimum_nd_f32, xnn_binary_minimum)
LOUPE_BINARY_QS8(add_nd_qs8, xnn_binary_add)
LOUPE_BINARY_QS8(subtract_nd_qs8, xnn_binary_subtract)
LOUPE_BINARY_QS8(multiply_nd_qs8, xnn_binary_multiply)

// ---- PReLU: a binary operator with the slope broadcast over the rows ----

enum xnn_status loupe_xnn_create_prelu_nc_f32(size_t channels, size_t input_stride, size_t output_stride,
                                              const float* negative_slope, uint32_t flags,
                                              loupe_xnn_operator_t* out) {
    *out = NULL;
    if (channels == 0 || input_stride < channels || output_stride < channels) return xnn_status_invalid_parameter;
    // The 2022 operator packed the slope at create; the caller's buffer may be gone by setup.
    float* slope = calloc(input_stride + XNN_EXTRA_BYTES / sizeof(float), sizeof(float));
    if (slope == NULL) return xnn_status_out_of_memory;
    memcpy(slope, negative_slope, channels * sizeof(float));
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_binary_elementwise_nd(xnn_binary_prelu, xnn_datatype_fp32, &no_quantization,
                                                         &no_quantization, &no_quantization, flags, &op);
    s = wrap(s, op, channels, input_stride, output_stride, flags, out);
    if (s != xnn_status_success) {
        free(slope);
        return s;
    }
    (*out)->slope = slope;
    return s;
}

enum xnn_status loupe_xnn_setup_prelu_nc_f32(loupe_xnn_operator_t op, size_t batch_size, const float* input,
                                             float* output, pthreadpool_t threadpool) {
    // Rows as wide as the input stride (the padding columns get slope 0 and are not copied
    // out), written contiguously, then copied into the output stride when it differs.
    const size_t width = op->input_stride;
    void* target = NULL;
    enum xnn_status s = strided_output(op, batch_size, width, sizeof(float), output, threadpool, &target);
    if (s != xnn_status_success) return s;
    const size_t x_shape[2] = {batch_size, width};
    const size_t slope_shape[1] = {width};
    return setup_binary(op, 2, x_shape, 1, slope_shape, input, op->slope, target, threadpool);
}

// ---- global average pooling: a 1 x pixels average pooling ----
// The 2024 reduce operator would be the natural mean, but trixie's build crashes in it
// (xnn_run_operator calls a null task for every fp32 reduce_nd tried: mean and sum, inner
// and outer axes), so the pixels are one row of a 1 x width average pooling, which keeps
// the channel strides. A single pixel is a copy (XNNPACK refuses a 1x1 pooling window).
// int8 has no average pooling in the 2024 API: it is dequantized to float, pooled and
// quantized again (exact int8 -> float, one rounding back, as the 2022 operator's).

// Reshapes an average pooling made at create (or by setup_mean_f32) and sets it up, with
// the workspace it asks for.
static enum xnn_status setup_average_pooling(loupe_xnn_operator_t op, size_t batch_size, size_t input_height,
                                             size_t input_width, size_t input_stride, size_t output_stride,
                                             const float* input, float* output, pthreadpool_t threadpool) {
    size_t out_h = 0, out_w = 0;  // Loupe checked the output size already
    size_t workspace_size = 0, workspace_alignment = 0;
    enum xnn_status s = xnn_reshape_average_pooling2d_nhwc_f32(
        op->op, batch_size, input_height, input_width, op->channels, input_stride, output_stride, &workspace_size,
        &workspace_alignment, &out_h, &out_w, threadpool);
    s = reserve_workspace(op, s, workspace_size, workspace_alignment);
    return s != xnn_status_success ? s : xnn_setup_average_pooling2d_nhwc_f32(op->op, op->workspace, input, output);
}

static enum xnn_status create_global_mean(size_t channels, size_t input_stride, size_t output_stride,
                                          uint32_t flags, loupe_xnn_operator_t* out) {
    if (channels == 0 || input_stride < channels || output_stride < channels) return xnn_status_invalid_parameter;
    return wrap(xnn_status_success, NULL, channels, input_stride, output_stride, flags, out);
}

// Makes (again, when the pixel count changed) and sets up the float pooling of `batch`
// rows of `width` pixels from `input` (pixels `input_stride` apart) into `output`.
static enum xnn_status setup_mean_f32(loupe_xnn_operator_t op, size_t batch_size, size_t width,
                                      size_t input_stride, size_t output_stride, const float* input, float* output,
                                      pthreadpool_t threadpool) {
    enum xnn_status s;
    if (op->op == NULL || op->pooled_width != width) {
        if (op->op != NULL) xnn_delete_operator(op->op);
        op->op = NULL;
        s = width == 1 ? xnn_create_copy_nc_x32(op->flags, &op->op)
                       : xnn_create_average_pooling2d_nhwc_f32(0, 0, 0, 0, 1, (uint32_t) width, 1, 1, -INFINITY,
                                                               INFINITY, op->flags, &op->op);
        if (s != xnn_status_success) return s;
        op->pooled_width = width;
    }
    if (width == 1) {
        s = xnn_reshape_copy_nc_x32(op->op, batch_size, op->channels, input_stride, output_stride, threadpool);
        return s != xnn_status_success ? s : xnn_setup_copy_nc_x32(op->op, input, output);
    }
    return setup_average_pooling(op, batch_size, 1, width, input_stride, output_stride, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_global_average_pooling_nwc_f32(size_t channels, size_t input_stride,
                                                                size_t output_stride, float output_min,
                                                                float output_max, uint32_t flags,
                                                                loupe_xnn_operator_t* out) {
    *out = NULL;
    if (!full_range_f32(output_min, output_max)) return xnn_status_unsupported_parameter;
    return create_global_mean(channels, input_stride, output_stride, flags, out);
}

enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_f32(loupe_xnn_operator_t op, size_t batch_size,
                                                               size_t width, const float* input, float* output,
                                                               pthreadpool_t threadpool) {
    return setup_mean_f32(op, batch_size, width, op->input_stride, op->output_stride, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_global_average_pooling_nwc_qs8(
    size_t channels, size_t input_stride, size_t output_stride, int8_t input_zero_point, float input_scale,
    int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags,
    loupe_xnn_operator_t* out) {
    *out = NULL;
    if (!full_range_s8(output_min, output_max)) return xnn_status_unsupported_parameter;
    enum xnn_status s = create_global_mean(channels, input_stride, output_stride, flags, out);
    if (s != xnn_status_success) return s;
    const struct xnn_quantization_params in_q = {input_zero_point, input_scale};
    const struct xnn_quantization_params out_q = {output_zero_point, output_scale};
    const union xnn_unary_params no_params = {{0}};
    s = xnn_create_unary_elementwise_nc(xnn_unary_convert, xnn_datatype_qint8, xnn_datatype_fp32, &no_params, &in_q,
                                        &no_quantization, flags, &(*out)->pre);
    if (s == xnn_status_success) {
        s = xnn_create_unary_elementwise_nc(xnn_unary_convert, xnn_datatype_fp32, xnn_datatype_qint8, &no_params,
                                            &no_quantization, &out_q, flags, &(*out)->copy);
    }
    if (s != xnn_status_success) {
        loupe_xnn_delete_operator(*out);
        *out = NULL;
    }
    return s;
}

enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_qs8(loupe_xnn_operator_t op, size_t batch_size,
                                                               size_t width, const int8_t* input, int8_t* output,
                                                               pthreadpool_t threadpool) {
    // scratch: the dequantized pixels, then the float means.
    const size_t c = op->channels, pixels = batch_size * width;
    enum xnn_status s = reserve(&op->scratch, &op->scratch_size, (pixels + batch_size) * c * sizeof(float), 64);
    if (s != xnn_status_success) return s;
    float* pixels_f32 = op->scratch;
    float* means_f32 = pixels_f32 + pixels * c;
    s = xnn_reshape_unary_elementwise_nc(op->pre, pixels, c, op->input_stride, c, threadpool);
    if (s == xnn_status_success) s = xnn_setup_unary_elementwise_nc(op->pre, input, pixels_f32);
    if (s == xnn_status_success) s = setup_mean_f32(op, batch_size, width, c, c, pixels_f32, means_f32, threadpool);
    if (s == xnn_status_success) s = xnn_reshape_unary_elementwise_nc(op->copy, batch_size, c, c, op->output_stride,
                                                                      threadpool);
    if (s == xnn_status_success) s = xnn_setup_unary_elementwise_nc(op->copy, means_f32, output);
    return s;
}

// ---- convolution, deconvolution, fully connected ----
// Their 2024 create functions take the 2022 parameters unchanged, then a code cache and a
// weights cache (none here: each operator packs its own weights).

#define LOUPE_CREATE_WITHOUT_CACHES(name, xnn_name, create, T)                                              \
    LOUPE_XNN_CREATE_SIGNATURE(name, create, T, T) {                                                        \
        xnn_operator_t op = NULL;                                                                           \
        enum xnn_status s = xnn_create_##xnn_name(create(LOUPE_XNN_ARGUMENT, T, T) flags, NULL, NULL, &op); \
        return wrap(s, op, 0, 0, 0, flags, op_out);                                                         \
    }
// A convolution's reshape says how much workspace its setup needs.
#define LOUPE_CONVOLUTION(name, xnn_name, create, T)                                                      \
    LOUPE_CREATE_WITHOUT_CACHES(name, xnn_name, create, T)                                                \
    LOUPE_XNN_SETUP_SIGNATURE(name, LOUPE_XNN_SETUP_NHWC, T, T) {                                         \
        size_t out_h = 0, out_w = 0; /* Loupe checked the output size already */                          \
        size_t workspace_size = 0, workspace_alignment = 0;                                               \
        enum xnn_status s = xnn_reshape_##xnn_name(op->op, batch_size, input_height, input_width,         \
                                                   &workspace_size, &workspace_alignment, &out_h, &out_w, \
                                                   threadpool);                                           \
        s = reserve_workspace(op, s, workspace_size, workspace_alignment);                                \
        return s != xnn_status_success ? s : xnn_setup_##xnn_name(op->op, op->workspace, input, output);  \
    }

LOUPE_CONVOLUTION(convolution2d_nhwc_f32, convolution2d_nhwc_f32, LOUPE_XNN_CREATE_CONVOLUTION_F32, float)
LOUPE_CONVOLUTION(convolution2d_nhwc_qc8, convolution2d_nhwc_qs8_qc8w, LOUPE_XNN_CREATE_CONVOLUTION_QC8, int8_t)
LOUPE_CREATE_WITHOUT_CACHES(deconvolution2d_nhwc_f32, deconvolution2d_nhwc_f32, LOUPE_XNN_CREATE_DECONVOLUTION, float)
LOUPE_CREATE_WITHOUT_CACHES(fully_connected_nc_f32, fully_connected_nc_f32, LOUPE_XNN_CREATE_FULLY_CONNECTED, float)

enum xnn_status loupe_xnn_setup_deconvolution2d_nhwc_f32(loupe_xnn_operator_t op, size_t batch_size,
                                                         size_t input_height, size_t input_width,
                                                         uint32_t adjustment_height, uint32_t adjustment_width,
                                                         const float* input, float* output,
                                                         pthreadpool_t threadpool) {
    size_t out_h = 0, out_w = 0;  // Loupe checked the output size already
    enum xnn_status s = xnn_reshape_deconvolution2d_nhwc_f32(op->op, batch_size, input_height, input_width,
                                                             adjustment_height, adjustment_width, &out_h, &out_w,
                                                             threadpool);
    return s != xnn_status_success ? s : xnn_setup_deconvolution2d_nhwc_f32(op->op, input, output);
}

enum xnn_status loupe_xnn_setup_fully_connected_nc_f32(loupe_xnn_operator_t op, size_t batch_size,
                                                       const float* input, float* output,
                                                       pthreadpool_t threadpool) {
    enum xnn_status s = xnn_reshape_fully_connected_nc_f32(op->op, batch_size, threadpool);
    return s != xnn_status_success ? s : xnn_setup_fully_connected_nc_f32(op->op, input, output);
}

// ---- pooling ----

// Max pooling without an output clamp (Loupe asks for none), in one signature for both types.
static enum xnn_status xnn_create_max_pooling2d_nhwc_f32_unclamped(uint32_t pt, uint32_t pr, uint32_t pb, uint32_t pl,
                                                                   uint32_t kh, uint32_t kw, uint32_t sh, uint32_t sw,
                                                                   uint32_t dh, uint32_t dw, uint32_t flags,
                                                                   xnn_operator_t* out) {
    return xnn_create_max_pooling2d_nhwc_f32(pt, pr, pb, pl, kh, kw, sh, sw, dh, dw, -INFINITY, INFINITY, flags, out);
}

static enum xnn_status xnn_create_max_pooling2d_nhwc_s8_unclamped(uint32_t pt, uint32_t pr, uint32_t pb, uint32_t pl,
                                                                  uint32_t kh, uint32_t kw, uint32_t sh, uint32_t sw,
                                                                  uint32_t dh, uint32_t dw, uint32_t flags,
                                                                  xnn_operator_t* out) {
    return xnn_create_max_pooling2d_nhwc_s8(pt, pr, pb, pl, kh, kw, sh, sw, dh, dw, INT8_MIN, INT8_MAX, flags, out);
}

enum xnn_status loupe_xnn_create_average_pooling2d_nhwc_f32(
    uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom,
    uint32_t input_padding_left, uint32_t pooling_height, uint32_t pooling_width, uint32_t stride_height,
    uint32_t stride_width, size_t channels, size_t input_pixel_stride, size_t output_pixel_stride,
    float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* out) {
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_average_pooling2d_nhwc_f32(
        input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, pooling_height,
        pooling_width, stride_height, stride_width, output_min, output_max, flags, &op);
    return wrap(s, op, channels, input_pixel_stride, output_pixel_stride, flags, out);
}

enum xnn_status loupe_xnn_setup_average_pooling2d_nhwc_f32(loupe_xnn_operator_t op, size_t batch_size,
                                                           size_t input_height, size_t input_width,
                                                           const float* input, float* output,
                                                           pthreadpool_t threadpool) {
    return setup_average_pooling(op, batch_size, input_height, input_width, op->input_stride, op->output_stride,
                                 input, output, threadpool);
}

// The 2024 max pooling refuses a stride larger than its window, which the 2022 one ran. Such
// a pooling is made with stride 1 into scratch, and every stride-th row and column of that
// is copied out after it runs (the windows at stride 1 include those at the larger stride).

static void subsample(loupe_xnn_operator_t op) {
    const struct loupe_xnn_subsample* p = &op->sub;
    const size_t bytes = op->channels * p->element_size;
    const char* src = op->scratch;
    char* dst = p->output;
    for (size_t n = 0; n < p->batch; n++) {
        for (size_t y = 0; y < p->out_h; y++) {
            for (size_t x = 0; x < p->out_w; x++) {
                const size_t from = (n * p->full_h + y * p->stride_h) * p->full_w + x * p->stride_w;
                const size_t to = (n * p->out_h + y) * p->out_w + x;
                memcpy(dst + to * op->output_stride * p->element_size, src + from * bytes, bytes);
            }
        }
    }
}

static enum xnn_status create_max_pooling(enum xnn_status (*create)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                                                                    uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                                                                    uint32_t, xnn_operator_t*),
                                          uint32_t pad_top, uint32_t pad_right, uint32_t pad_bottom, uint32_t pad_left,
                                          uint32_t pool_h, uint32_t pool_w, uint32_t stride_h, uint32_t stride_w,
                                          uint32_t dilation_h, uint32_t dilation_w, size_t channels,
                                          size_t input_stride, size_t output_stride, uint32_t flags,
                                          size_t element_size, loupe_xnn_operator_t* out) {
    const int strided = stride_h > pool_h || stride_w > pool_w;
    xnn_operator_t op = NULL;
    enum xnn_status s = create(pad_top, pad_right, pad_bottom, pad_left, pool_h, pool_w, strided ? 1 : stride_h,
                               strided ? 1 : stride_w, dilation_h, dilation_w, flags, &op);
    s = wrap(s, op, channels, input_stride, output_stride, flags, out);
    if (s == xnn_status_success && strided) {
        struct loupe_xnn_subsample* p = &(*out)->sub;
        p->stride_h = stride_h;
        p->stride_w = stride_w;
        p->element_size = element_size;
        p->pads_h = pad_top + pad_bottom;
        p->pads_w = pad_left + pad_right;
        p->window_h = (pool_h - 1) * dilation_h + 1;
        p->window_w = (pool_w - 1) * dilation_w + 1;
    }
    return s;
}

// Sets the geometry of a strided max pooling's subsampling up; returns where the stride-1
// pooling writes (scratch) and its output pixel stride through `target`/`stride`.
static enum xnn_status setup_subsample(loupe_xnn_operator_t op, size_t batch, size_t in_h, size_t in_w, void* output,
                                       void** target, size_t* stride) {
    struct loupe_xnn_subsample* p = &op->sub;
    if (p->stride_h == 0) {
        *target = output;
        *stride = op->output_stride;
        return xnn_status_success;
    }
    if (in_h + p->pads_h < p->window_h || in_w + p->pads_w < p->window_w) return xnn_status_invalid_parameter;
    p->batch = batch;
    p->full_h = in_h + p->pads_h - p->window_h + 1;
    p->full_w = in_w + p->pads_w - p->window_w + 1;
    p->out_h = (p->full_h - 1) / p->stride_h + 1;
    p->out_w = (p->full_w - 1) / p->stride_w + 1;
    p->output = output;
    *target = NULL;
    *stride = op->channels;
    enum xnn_status s = reserve(&op->scratch, &op->scratch_size,
                                batch * p->full_h * p->full_w * op->channels * p->element_size, 64);
    if (s == xnn_status_success) *target = op->scratch;
    return s;
}

// Max pooling of either type: `name` is the 2022 (and 2024) operator, `full_range` the test
// of its clamp.
#define LOUPE_MAX_POOLING(name, T, full_range)                                                             \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_MAX_POOLING, T, T) {                                 \
        *op_out = NULL;                                                                                    \
        if (!full_range(output_min, output_max)) return xnn_status_unsupported_parameter;                  \
        return create_max_pooling(xnn_create_##name##_unclamped, input_padding_top, input_padding_right,   \
                                  input_padding_bottom, input_padding_left, pooling_height, pooling_width, \
                                  stride_height, stride_width, dilation_height, dilation_width, channels,  \
                                  input_pixel_stride, output_pixel_stride, flags, sizeof(T), op_out);      \
    }                                                                                                      \
    LOUPE_XNN_SETUP_SIGNATURE(name, LOUPE_XNN_SETUP_NHWC, T, T) {                                          \
        void* target = NULL;                                                                               \
        size_t stride = 0, out_h = 0, out_w = 0; /* Loupe checked the output size already */               \
        enum xnn_status s =                                                                                \
            setup_subsample(op, batch_size, input_height, input_width, output, &target, &stride);          \
        if (s == xnn_status_success) {                                                                     \
            s = xnn_reshape_##name(op->op, batch_size, input_height, input_width, op->channels,            \
                                   op->input_stride, stride, &out_h, &out_w, threadpool);                  \
        }                                                                                                  \
        return s != xnn_status_success ? s : xnn_setup_##name(op->op, input, target);                      \
    }

LOUPE_MAX_POOLING(max_pooling2d_nhwc_f32, float, full_range_f32)
LOUPE_MAX_POOLING(max_pooling2d_nhwc_s8, int8_t, full_range_s8)

// ---- softmax, resize ----

enum xnn_status loupe_xnn_create_softmax_nc_f32(size_t channels, size_t input_stride, size_t output_stride,
                                                uint32_t flags, loupe_xnn_operator_t* out) {
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_softmax_nc_f32(flags, &op);
    return wrap(s, op, channels, input_stride, output_stride, flags, out);
}

enum xnn_status loupe_xnn_setup_softmax_nc_f32(loupe_xnn_operator_t op, size_t batch_size, const float* input,
                                               float* output, pthreadpool_t threadpool) {
    enum xnn_status s = xnn_reshape_softmax_nc_f32(op->op, op->channels, op->input_stride, op->output_stride,
                                                   batch_size, threadpool);
    return s != xnn_status_success ? s : xnn_setup_softmax_nc_f32(op->op, input, output);
}

enum xnn_status loupe_xnn_create_resize_bilinear2d_nhwc_f32(size_t channels, size_t input_pixel_stride,
                                                            size_t output_pixel_stride, uint32_t flags,
                                                            loupe_xnn_operator_t* out) {
    if (channels == 0 || input_pixel_stride < channels || output_pixel_stride < channels) {
        *out = NULL;
        return xnn_status_invalid_parameter;
    }
    return wrap(xnn_status_success, NULL, channels, input_pixel_stride, output_pixel_stride, flags,
                out);
}

enum xnn_status loupe_xnn_setup_resize_bilinear2d_nhwc_f32(loupe_xnn_operator_t op, size_t batch_size,
                                                           size_t input_height, size_t input_width,
                                                           size_t output_height, size_t output_width,
                                                           const float* input, float* output,
                                                           pthreadpool_t threadpool) {
    enum xnn_status s;
    if (op->op == NULL || op->resize_height != output_height || op->resize_width != output_width) {
        if (op->op != NULL) {
            xnn_delete_operator(op->op);
            op->op = NULL;
        }
        s = xnn_create_resize_bilinear2d_nhwc_f32(output_height, output_width, op->flags, &op->op);
        if (s != xnn_status_success) return s;
        op->resize_height = output_height;
        op->resize_width = output_width;
    }
    size_t workspace_size = 0, workspace_alignment = 0;
    s = xnn_reshape_resize_bilinear2d_nhwc_f32(op->op, batch_size, input_height, input_width, op->channels,
                                               op->input_stride, op->output_stride, &workspace_size,
                                               &workspace_alignment, threadpool);
    s = reserve_workspace(op, s, workspace_size, workspace_alignment);
    return s != xnn_status_success ? s : xnn_setup_resize_bilinear2d_nhwc_f32(op->op, op->workspace, input, output);
}

// ---- data movement ----

#define LOUPE_COPY(name)                                                                                \
    LOUPE_XNN_CREATE_SIGNATURE(name, LOUPE_XNN_CREATE_NC, void, void) {                                 \
        xnn_operator_t op = NULL;                                                                       \
        enum xnn_status s = xnn_create_##name(flags, &op);                                              \
        return wrap(s, op, channels, input_stride, output_stride, flags, op_out);                       \
    }                                                                                                   \
    LOUPE_XNN_SETUP_SIGNATURE(name, LOUPE_XNN_SETUP_NC, void, void) {                                   \
        enum xnn_status s = xnn_reshape_##name(op->op, batch_size, op->channels, op->input_stride,      \
                                               op->output_stride, threadpool);                          \
        return s != xnn_status_success ? s : xnn_setup_##name(op->op, input, output);                   \
    }

LOUPE_COPY(copy_nc_x8)
LOUPE_COPY(copy_nc_x32)

enum xnn_status loupe_xnn_create_constant_pad_nd_x32(const void* padding_value, uint32_t flags,
                                                     loupe_xnn_operator_t* out) {
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_constant_pad_nd_x32(padding_value, flags, &op);
    return wrap(s, op, 0, 0, 0, flags, out);
}

enum xnn_status loupe_xnn_setup_constant_pad_nd_x32(loupe_xnn_operator_t op, size_t num_dims,
                                                    const size_t* input_shape, const size_t* pre_padding,
                                                    const size_t* post_padding, const void* input, void* output,
                                                    pthreadpool_t threadpool) {
    enum xnn_status s = xnn_reshape_constant_pad_nd_x32(op->op, num_dims, input_shape, pre_padding, post_padding,
                                                        threadpool);
    return s != xnn_status_success ? s : xnn_setup_constant_pad_nd_x32(op->op, input, output);
}

enum xnn_status loupe_xnn_create_depth_to_space_nhwc_x32(size_t output_channels, size_t input_channel_stride,
                                                         size_t output_channel_stride, uint32_t block_size,
                                                         uint32_t flags, loupe_xnn_operator_t* out) {
    *out = NULL;
    // The 2024 operator reads and writes dense pixels only.
    if (input_channel_stride != output_channels * block_size * block_size ||
        output_channel_stride != output_channels) {
        return xnn_status_unsupported_parameter;
    }
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_depth_to_space_nhwc_x32(block_size, flags, &op);
    return wrap(s, op, output_channels, input_channel_stride, output_channel_stride, flags, out);
}

enum xnn_status loupe_xnn_setup_depth_to_space_nhwc_x32(loupe_xnn_operator_t op, size_t batch_size,
                                                        size_t input_height, size_t input_width, const void* input,
                                                        void* output, pthreadpool_t threadpool) {
    size_t out_h = 0, out_w = 0, out_c = 0;  // Loupe checked the output size already
    enum xnn_status s = xnn_reshape_depth_to_space_nhwc_x32(op->op, batch_size, input_height, input_width,
                                                            op->input_stride, &out_h, &out_w, &out_c, threadpool);
    return s != xnn_status_success ? s : xnn_setup_depth_to_space_nhwc_x32(op->op, input, output);
}

#endif  // LOUPE_XNN_API == 2024
