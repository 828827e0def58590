// One signature for XNNPACK's operator API, whichever Debian ships: the 2022 library of
// bookworm (0.0~git20220216) or the 2024 one of trixie (0.0~git20241108). The functions
// keep the 2022 signatures (create with the channels and strides, one setup with shapes
// and pointers); xnn_forward_2022.c passes them through, xnn_emulate_2024.c maps them onto
// the 2024 API (reshape + setup, unary/binary elementwise operators, a 1 x pixels average
// pooling for global average pooling). Which one is compiled follows the installed xnnpack.h.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <xnnpack.h>
#include <pthreadpool.h>

// XNN_FLAG_KEEP_DIMS came with the reduce operators of the 2024 API (it is absent from the
// 2022 header); the 2024 mapping needs those, the unary and binary elementwise operators and
// reshape/setup, all in trixie's 0.0~git20241108. -DLOUPE_XNN_API=2022|2024 overrides.
#ifndef LOUPE_XNN_API
#  ifdef XNN_FLAG_KEEP_DIMS
#    define LOUPE_XNN_API 2024
#  else
#    define LOUPE_XNN_API 2022
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// An operator made by a loupe_xnn_create_* function: the XNNPACK operator(s) behind it
/// and what the 2024 API wants at reshape time.
typedef struct loupe_xnn_op* loupe_xnn_operator_t;

/// The XNNPACK operator API this build is compiled against: "2022" or "2024".
const char* loupe_xnn_api_name(void);

enum xnn_status loupe_xnn_run_operator(loupe_xnn_operator_t op, pthreadpool_t threadpool);
enum xnn_status loupe_xnn_delete_operator(loupe_xnn_operator_t op);

// ---- The operator table ----
// Every operator has
//   enum xnn_status loupe_xnn_create_NAME(<create parameters>, uint32_t flags, loupe_xnn_operator_t* op_out);
//   enum xnn_status loupe_xnn_setup_NAME(loupe_xnn_operator_t op, <setup parameters>, pthreadpool_t threadpool);
// with the parameters of the 2022 xnn_create_NAME / xnn_setup_NAME. The parameter lists are
// written once, here, as X-macros, because they are needed twice over: as the declarations
// below and as the 2022 forwarders (xnn_forward_2022.c), which must pass every parameter
// through by name in the same order. Written out by hand, each list would stand three times
// (declaration, forwarder definition, forwarded call), and a forwarder that swapped two
// arguments of the same type would still compile. The 2024 emulation takes the signatures
// of the operators whose bodies it shares from here too. Swift sees only the expanded
// declarations (it imports no function-like macros).
//
// A parameter list is a macro LIST(P, In, Out): P(type, name) once per parameter, in order;
// In and Out are the element types of the operator's input and output pointers (void for
// the typeless data movement ones, int8_t for the quantized ones).

// The create parameters before `flags`.
#define LOUPE_XNN_CREATE_NONE(P, In, Out)
#define LOUPE_XNN_CREATE_CLAMP(P, In, Out) P(Out, output_min) P(Out, output_max)
#define LOUPE_XNN_CREATE_NC(P, In, Out) P(size_t, channels) P(size_t, input_stride) P(size_t, output_stride)
#define LOUPE_XNN_CREATE_NC_CLAMP(P, In, Out) LOUPE_XNN_CREATE_NC(P, In, Out) LOUPE_XNN_CREATE_CLAMP(P, In, Out)
#define LOUPE_XNN_CREATE_ELU(P, In, Out) LOUPE_XNN_CREATE_NC(P, In, Out) P(float, alpha)
#define LOUPE_XNN_CREATE_LEAKY_RELU(P, In, Out) LOUPE_XNN_CREATE_NC(P, In, Out) P(float, negative_slope)
#define LOUPE_XNN_CREATE_PRELU(P, In, Out) LOUPE_XNN_CREATE_NC(P, In, Out) P(const float*, negative_slope)
// int8 quantization: of the input, and of the output with its clamp.
#define LOUPE_XNN_QS8_INPUT(P) P(int8_t, input_zero_point) P(float, input_scale)
#define LOUPE_XNN_QS8_OUTPUT(P)                                                                         \
    P(int8_t, output_zero_point) P(float, output_scale) P(int8_t, output_min) P(int8_t, output_max)
#define LOUPE_XNN_CREATE_NC_QS8(P, In, Out)                                                             \
    LOUPE_XNN_CREATE_NC(P, In, Out) LOUPE_XNN_QS8_INPUT(P) LOUPE_XNN_QS8_OUTPUT(P)
#define LOUPE_XNN_CREATE_CONVERT_TO_QS8(P, In, Out)                                                     \
    LOUPE_XNN_CREATE_NC(P, In, Out) P(float, output_scale) P(int8_t, output_zero_point)                 \
    P(int8_t, output_min) P(int8_t, output_max)
#define LOUPE_XNN_CREATE_CONVERT_FROM_QS8(P, In, Out)                                                   \
    LOUPE_XNN_CREATE_NC(P, In, Out) P(float, input_scale) P(int8_t, input_zero_point)
#define LOUPE_XNN_CREATE_BINARY_QS8(P, In, Out)                                                         \
    P(int8_t, input1_zero_point) P(float, input1_scale) P(int8_t, input2_zero_point)                    \
    P(float, input2_scale) LOUPE_XNN_QS8_OUTPUT(P)
#define LOUPE_XNN_CREATE_CONSTANT_PAD(P, In, Out) P(const void*, padding_value)
#define LOUPE_XNN_CREATE_DEPTH_TO_SPACE(P, In, Out)                                                     \
    P(size_t, output_channels) P(size_t, input_channel_stride) P(size_t, output_channel_stride)         \
    P(uint32_t, block_size)
#define LOUPE_XNN_PADDING(P, side)                                                                      \
    P(uint32_t, side##_padding_top) P(uint32_t, side##_padding_right)                                   \
    P(uint32_t, side##_padding_bottom) P(uint32_t, side##_padding_left)
#define LOUPE_XNN_PIXELS(P) P(size_t, channels) P(size_t, input_pixel_stride) P(size_t, output_pixel_stride)
#define LOUPE_XNN_CREATE_RESIZE(P, In, Out) LOUPE_XNN_PIXELS(P)
#define LOUPE_XNN_CREATE_AVERAGE_POOLING(P, In, Out)                                                    \
    LOUPE_XNN_PADDING(P, input) P(uint32_t, pooling_height) P(uint32_t, pooling_width)                  \
    P(uint32_t, stride_height) P(uint32_t, stride_width) LOUPE_XNN_PIXELS(P)                            \
    LOUPE_XNN_CREATE_CLAMP(P, In, Out)
#define LOUPE_XNN_CREATE_MAX_POOLING(P, In, Out)                                                        \
    LOUPE_XNN_PADDING(P, input) P(uint32_t, pooling_height) P(uint32_t, pooling_width)                  \
    P(uint32_t, stride_height) P(uint32_t, stride_width) P(uint32_t, dilation_height)                   \
    P(uint32_t, dilation_width) LOUPE_XNN_PIXELS(P) LOUPE_XNN_CREATE_CLAMP(P, In, Out)
#define LOUPE_XNN_CONVOLUTION_GEOMETRY(P)                                                               \
    LOUPE_XNN_PADDING(P, input) P(uint32_t, kernel_height) P(uint32_t, kernel_width)                    \
    P(uint32_t, subsampling_height) P(uint32_t, subsampling_width) P(uint32_t, dilation_height)         \
    P(uint32_t, dilation_width) P(uint32_t, groups) P(size_t, group_input_channels)                     \
    P(size_t, group_output_channels) P(size_t, input_channel_stride) P(size_t, output_channel_stride)
#define LOUPE_XNN_CREATE_CONVOLUTION_F32(P, In, Out)                                                    \
    LOUPE_XNN_CONVOLUTION_GEOMETRY(P) P(const float*, kernel) P(const float*, bias)                     \
    LOUPE_XNN_CREATE_CLAMP(P, In, Out)
#define LOUPE_XNN_CREATE_CONVOLUTION_QC8(P, In, Out)                                                    \
    LOUPE_XNN_CONVOLUTION_GEOMETRY(P) LOUPE_XNN_QS8_INPUT(P) P(const float*, kernel_scale)              \
    P(const int8_t*, kernel) P(const int32_t*, bias) LOUPE_XNN_QS8_OUTPUT(P)
#define LOUPE_XNN_CREATE_DECONVOLUTION(P, In, Out)                                                      \
    LOUPE_XNN_PADDING(P, output) P(uint32_t, kernel_height) P(uint32_t, kernel_width)                   \
    P(uint32_t, stride_height) P(uint32_t, stride_width) P(uint32_t, dilation_height)                   \
    P(uint32_t, dilation_width) P(uint32_t, groups) P(size_t, group_input_channels)                     \
    P(size_t, group_output_channels) P(size_t, input_pixel_stride) P(size_t, output_pixel_stride)       \
    P(const float*, kernel) P(const float*, bias) LOUPE_XNN_CREATE_CLAMP(P, In, Out)
#define LOUPE_XNN_CREATE_FULLY_CONNECTED(P, In, Out)                                                    \
    P(size_t, input_channels) P(size_t, output_channels) P(size_t, input_stride)                        \
    P(size_t, output_stride) P(const float*, kernel) P(const float*, bias)                              \
    LOUPE_XNN_CREATE_CLAMP(P, In, Out)

// The setup parameters between the operator and `threadpool`.
#define LOUPE_XNN_DATA(P, In, Out) P(const In*, input) P(Out*, output)
#define LOUPE_XNN_SETUP_NC(P, In, Out) P(size_t, batch_size) LOUPE_XNN_DATA(P, In, Out)
#define LOUPE_XNN_SETUP_NWC(P, In, Out) P(size_t, batch_size) P(size_t, width) LOUPE_XNN_DATA(P, In, Out)
#define LOUPE_XNN_SETUP_NHWC(P, In, Out)                                                                \
    P(size_t, batch_size) P(size_t, input_height) P(size_t, input_width) LOUPE_XNN_DATA(P, In, Out)
#define LOUPE_XNN_SETUP_DECONVOLUTION(P, In, Out)                                                       \
    P(size_t, batch_size) P(size_t, input_height) P(size_t, input_width)                                \
    P(uint32_t, adjustment_height) P(uint32_t, adjustment_width) LOUPE_XNN_DATA(P, In, Out)
#define LOUPE_XNN_SETUP_RESIZE(P, In, Out)                                                              \
    P(size_t, batch_size) P(size_t, input_height) P(size_t, input_width) P(size_t, output_height)       \
    P(size_t, output_width) LOUPE_XNN_DATA(P, In, Out)
#define LOUPE_XNN_SETUP_BINARY(P, In, Out)                                                              \
    P(size_t, num_input1_dims) P(const size_t*, input1_shape) P(size_t, num_input2_dims)                \
    P(const size_t*, input2_shape) P(const In*, input1) P(const In*, input2) P(Out*, output)
#define LOUPE_XNN_SETUP_CONSTANT_PAD(P, In, Out)                                                        \
    P(size_t, num_dims) P(const size_t*, input_shape) P(const size_t*, pre_padding)                     \
    P(const size_t*, post_padding) LOUPE_XNN_DATA(P, In, Out)

// X(NAME, create parameters, setup parameters, In, Out), in alphabetical order.
#define LOUPE_XNN_OPERATORS(X)                                                                                         \
    X(abs_nc_f32,                      LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(add_nd_f32,                      LOUPE_XNN_CREATE_CLAMP,            LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(add_nd_qs8,                      LOUPE_XNN_CREATE_BINARY_QS8,       LOUPE_XNN_SETUP_BINARY, int8_t, int8_t)      \
    X(average_pooling2d_nhwc_f32,      LOUPE_XNN_CREATE_AVERAGE_POOLING,  LOUPE_XNN_SETUP_NHWC,   float,  float)       \
    X(ceiling_nc_f32,                  LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(clamp_nc_f32,                    LOUPE_XNN_CREATE_NC_CLAMP,         LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(constant_pad_nd_x32,             LOUPE_XNN_CREATE_CONSTANT_PAD,     LOUPE_XNN_SETUP_CONSTANT_PAD, void, void)    \
    X(convert_nc_f32_qs8,              LOUPE_XNN_CREATE_CONVERT_TO_QS8,   LOUPE_XNN_SETUP_NC,     float,  int8_t)      \
    X(convert_nc_qs8_f32,              LOUPE_XNN_CREATE_CONVERT_FROM_QS8, LOUPE_XNN_SETUP_NC,     int8_t, float)       \
    X(convolution2d_nhwc_f32,          LOUPE_XNN_CREATE_CONVOLUTION_F32,  LOUPE_XNN_SETUP_NHWC,   float,  float)       \
    X(convolution2d_nhwc_qc8,          LOUPE_XNN_CREATE_CONVOLUTION_QC8,  LOUPE_XNN_SETUP_NHWC,   int8_t, int8_t)      \
    X(copy_nc_x32,                     LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     void,   void)        \
    X(copy_nc_x8,                      LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     void,   void)        \
    X(deconvolution2d_nhwc_f32,        LOUPE_XNN_CREATE_DECONVOLUTION,    LOUPE_XNN_SETUP_DECONVOLUTION, float, float) \
    X(depth_to_space_nhwc_x32,         LOUPE_XNN_CREATE_DEPTH_TO_SPACE,   LOUPE_XNN_SETUP_NHWC,   void,   void)        \
    X(divide_nd_f32,                   LOUPE_XNN_CREATE_CLAMP,            LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(elu_nc_f32,                      LOUPE_XNN_CREATE_ELU,              LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(floor_nc_f32,                    LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(fully_connected_nc_f32,          LOUPE_XNN_CREATE_FULLY_CONNECTED,  LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(global_average_pooling_nwc_f32,  LOUPE_XNN_CREATE_NC_CLAMP,         LOUPE_XNN_SETUP_NWC,    float,  float)       \
    X(global_average_pooling_nwc_qs8,  LOUPE_XNN_CREATE_NC_QS8,           LOUPE_XNN_SETUP_NWC,    int8_t, int8_t)      \
    X(hardswish_nc_f32,                LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(leaky_relu_nc_f32,               LOUPE_XNN_CREATE_LEAKY_RELU,       LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(max_pooling2d_nhwc_f32,          LOUPE_XNN_CREATE_MAX_POOLING,      LOUPE_XNN_SETUP_NHWC,   float,  float)       \
    X(max_pooling2d_nhwc_s8,           LOUPE_XNN_CREATE_MAX_POOLING,      LOUPE_XNN_SETUP_NHWC,   int8_t, int8_t)      \
    X(maximum_nd_f32,                  LOUPE_XNN_CREATE_NONE,             LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(minimum_nd_f32,                  LOUPE_XNN_CREATE_NONE,             LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(multiply_nd_f32,                 LOUPE_XNN_CREATE_CLAMP,            LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(multiply_nd_qs8,                 LOUPE_XNN_CREATE_BINARY_QS8,       LOUPE_XNN_SETUP_BINARY, int8_t, int8_t)      \
    X(negate_nc_f32,                   LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(prelu_nc_f32,                    LOUPE_XNN_CREATE_PRELU,            LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(resize_bilinear2d_nhwc_f32,      LOUPE_XNN_CREATE_RESIZE,           LOUPE_XNN_SETUP_RESIZE, float,  float)       \
    X(sigmoid_nc_f32,                  LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(sigmoid_nc_qs8,                  LOUPE_XNN_CREATE_NC_QS8,           LOUPE_XNN_SETUP_NC,     int8_t, int8_t)      \
    X(softmax_nc_f32,                  LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(square_root_nc_f32,              LOUPE_XNN_CREATE_NC,               LOUPE_XNN_SETUP_NC,     float,  float)       \
    X(subtract_nd_f32,                 LOUPE_XNN_CREATE_CLAMP,            LOUPE_XNN_SETUP_BINARY, float,  float)       \
    X(subtract_nd_qs8,                 LOUPE_XNN_CREATE_BINARY_QS8,       LOUPE_XNN_SETUP_BINARY, int8_t, int8_t)

// P for a parameter list: as parameters of a signature, and as the arguments that pass them on.
#define LOUPE_XNN_PARAMETER(type, name) type name,
#define LOUPE_XNN_ARGUMENT(type, name) name,

#define LOUPE_XNN_CREATE_SIGNATURE(name, create, In, Out)                                               \
    enum xnn_status loupe_xnn_create_##name(create(LOUPE_XNN_PARAMETER, In, Out) uint32_t flags,        \
                                            loupe_xnn_operator_t* op_out)
#define LOUPE_XNN_SETUP_SIGNATURE(name, setup, In, Out)                                                 \
    enum xnn_status loupe_xnn_setup_##name(loupe_xnn_operator_t op, setup(LOUPE_XNN_PARAMETER, In, Out) \
                                           pthreadpool_t threadpool)

#define LOUPE_XNN_DECLARE(name, create, setup, In, Out)                                                 \
    LOUPE_XNN_CREATE_SIGNATURE(name, create, In, Out);                                                  \
    LOUPE_XNN_SETUP_SIGNATURE(name, setup, In, Out);
LOUPE_XNN_OPERATORS(LOUPE_XNN_DECLARE)
#undef LOUPE_XNN_DECLARE

// pthreadpool's fork and join, told to ThreadSanitizer: Debian's pthreadpool is not
// instrumented, so without these an access by a worker in one parallelize call and one by
// the caller after it (ordered by the pool's join) is reported as a race. `release` before
// the call and at the end of each task, `acquire` at the start of each task and after the
// call, all on the same token. No-ops unless the C targets are built with -fsanitize=thread.
void loupe_pool_sync_release(const void* token);
void loupe_pool_sync_acquire(const void* token);

#ifdef __cplusplus
}  // extern "C"
#endif
