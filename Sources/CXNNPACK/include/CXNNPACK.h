// One signature for XNNPACK's operator API, whichever Debian ships: the 2022 library of
// bookworm (0.0~git20220216) or the 2024 one of trixie (0.0~git20241108). The functions
// keep the 2022 signatures (create with the channels and strides, one setup with shapes
// and pointers); xnn_forward_2022.c passes them through, xnn_emulate_2024.c maps them onto
// the 2024 API (reshape + setup, unary/binary elementwise operators, reduce for global
// average pooling). Which one is compiled follows the installed xnnpack.h.
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

enum xnn_status loupe_xnn_create_abs_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* abs_op_out);
enum xnn_status loupe_xnn_setup_abs_nc_f32(
    loupe_xnn_operator_t abs_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_add_nd_f32(
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* add_op_out);
enum xnn_status loupe_xnn_setup_add_nd_f32(
    loupe_xnn_operator_t add_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_add_nd_qs8(
    int8_t input1_zero_point,
    float input1_scale,
    int8_t input2_zero_point,
    float input2_scale,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* add_op_out);
enum xnn_status loupe_xnn_setup_add_nd_qs8(
    loupe_xnn_operator_t add_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const int8_t* input1,
    const int8_t* input2,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_average_pooling2d_nhwc_f32(
    uint32_t input_padding_top,
    uint32_t input_padding_right,
    uint32_t input_padding_bottom,
    uint32_t input_padding_left,
    uint32_t pooling_height,
    uint32_t pooling_width,
    uint32_t stride_height,
    uint32_t stride_width,
    size_t channels,
    size_t input_pixel_stride,
    size_t output_pixel_stride,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* average_pooling_op_out);
enum xnn_status loupe_xnn_setup_average_pooling2d_nhwc_f32(
    loupe_xnn_operator_t average_pooling_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_ceiling_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* ceiling_op_out);
enum xnn_status loupe_xnn_setup_ceiling_nc_f32(
    loupe_xnn_operator_t ceiling_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_clamp_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* clamp_op_out);
enum xnn_status loupe_xnn_setup_clamp_nc_f32(
    loupe_xnn_operator_t clamp_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_constant_pad_nd_x32(
    const void* padding_value,
    uint32_t flags,
    loupe_xnn_operator_t* constant_pad_op_out);
enum xnn_status loupe_xnn_setup_constant_pad_nd_x32(
    loupe_xnn_operator_t constant_pad_op,
    size_t num_dims,
    const size_t* input_shape,
    const size_t* pre_padding,
    const size_t* post_padding,
    const void* input,
    void* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_convert_nc_f32_qs8(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float output_scale,
    int8_t output_zero_point,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* convert_op_out);
enum xnn_status loupe_xnn_setup_convert_nc_f32_qs8(
    loupe_xnn_operator_t convert_op,
    size_t batch_size,
    const float* input,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_convert_nc_qs8_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float input_scale,
    int8_t input_zero_point,
    uint32_t flags,
    loupe_xnn_operator_t* convert_op_out);
enum xnn_status loupe_xnn_setup_convert_nc_qs8_f32(
    loupe_xnn_operator_t convert_op,
    size_t batch_size,
    const int8_t* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_convolution2d_nhwc_f32(
    uint32_t input_padding_top,
    uint32_t input_padding_right,
    uint32_t input_padding_bottom,
    uint32_t input_padding_left,
    uint32_t kernel_height,
    uint32_t kernel_width,
    uint32_t subsampling_height,
    uint32_t subsampling_width,
    uint32_t dilation_height,
    uint32_t dilation_width,
    uint32_t groups,
    size_t group_input_channels,
    size_t group_output_channels,
    size_t input_channel_stride,
    size_t output_channel_stride,
    const float* kernel,
    const float* bias,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* convolution_op_out);
enum xnn_status loupe_xnn_setup_convolution2d_nhwc_f32(
    loupe_xnn_operator_t convolution_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_convolution2d_nhwc_qc8(
    uint32_t input_padding_top,
    uint32_t input_padding_right,
    uint32_t input_padding_bottom,
    uint32_t input_padding_left,
    uint32_t kernel_height,
    uint32_t kernel_width,
    uint32_t subsampling_height,
    uint32_t subsampling_width,
    uint32_t dilation_height,
    uint32_t dilation_width,
    uint32_t groups,
    size_t group_input_channels,
    size_t group_output_channels,
    size_t input_channel_stride,
    size_t output_channel_stride,
    int8_t input_zero_point,
    float input_scale,
    const float* kernel_scale,
    const int8_t* kernel,
    const int32_t* bias,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* convolution_op_out);
enum xnn_status loupe_xnn_setup_convolution2d_nhwc_qc8(
    loupe_xnn_operator_t convolution_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const int8_t* input,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_copy_nc_x32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* copy_op_out);
enum xnn_status loupe_xnn_setup_copy_nc_x32(
    loupe_xnn_operator_t copy_op,
    size_t batch_size,
    const void* input,
    void* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_copy_nc_x8(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* copy_op_out);
enum xnn_status loupe_xnn_setup_copy_nc_x8(
    loupe_xnn_operator_t copy_op,
    size_t batch_size,
    const void* input,
    void* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_deconvolution2d_nhwc_f32(
    uint32_t output_padding_top,
    uint32_t output_padding_right,
    uint32_t output_padding_bottom,
    uint32_t output_padding_left,
    uint32_t kernel_height,
    uint32_t kernel_width,
    uint32_t stride_height,
    uint32_t stride_width,
    uint32_t dilation_height,
    uint32_t dilation_width,
    uint32_t groups,
    size_t group_input_channels,
    size_t group_output_channels,
    size_t input_pixel_stride,
    size_t output_pixel_stride,
    const float* kernel,
    const float* bias,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* deconvolution_op_out);
enum xnn_status loupe_xnn_setup_deconvolution2d_nhwc_f32(
    loupe_xnn_operator_t deconvolution_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    uint32_t adjustment_height,
    uint32_t adjustment_width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_depth_to_space_nhwc_x32(
    size_t output_channels,
    size_t input_channel_stride,
    size_t output_channel_stride,
    uint32_t block_size,
    uint32_t flags,
    loupe_xnn_operator_t* depth_to_space_op_out);
enum xnn_status loupe_xnn_setup_depth_to_space_nhwc_x32(
    loupe_xnn_operator_t depth_to_space_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const void* input,
    void* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_divide_nd_f32(
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* divide_op_out);
enum xnn_status loupe_xnn_setup_divide_nd_f32(
    loupe_xnn_operator_t divide_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_elu_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float alpha,
    uint32_t flags,
    loupe_xnn_operator_t* elu_op_out);
enum xnn_status loupe_xnn_setup_elu_nc_f32(
    loupe_xnn_operator_t elu_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_floor_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* floor_op_out);
enum xnn_status loupe_xnn_setup_floor_nc_f32(
    loupe_xnn_operator_t floor_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_fully_connected_nc_f32(
    size_t input_channels,
    size_t output_channels,
    size_t input_stride,
    size_t output_stride,
    const float* kernel,
    const float* bias,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* fully_connected_op_out);
enum xnn_status loupe_xnn_setup_fully_connected_nc_f32(
    loupe_xnn_operator_t fully_connected_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_global_average_pooling_nwc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* global_average_pooling_op_out);
enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_f32(
    loupe_xnn_operator_t global_average_pooling_op,
    size_t batch_size,
    size_t width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_global_average_pooling_nwc_qs8(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    int8_t input_zero_point,
    float input_scale,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* global_average_pooling_op_out);
enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_qs8(
    loupe_xnn_operator_t global_average_pooling_op,
    size_t batch_size,
    size_t width,
    const int8_t* input,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_hardswish_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* hardswish_op_out);
enum xnn_status loupe_xnn_setup_hardswish_nc_f32(
    loupe_xnn_operator_t hardswish_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_leaky_relu_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    float negative_slope,
    uint32_t flags,
    loupe_xnn_operator_t* leaky_relu_op_out);
enum xnn_status loupe_xnn_setup_leaky_relu_nc_f32(
    loupe_xnn_operator_t leaky_relu_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_max_pooling2d_nhwc_f32(
    uint32_t input_padding_top,
    uint32_t input_padding_right,
    uint32_t input_padding_bottom,
    uint32_t input_padding_left,
    uint32_t pooling_height,
    uint32_t pooling_width,
    uint32_t stride_height,
    uint32_t stride_width,
    uint32_t dilation_height,
    uint32_t dilation_width,
    size_t channels,
    size_t input_pixel_stride,
    size_t output_pixel_stride,
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* max_pooling_op_out);
enum xnn_status loupe_xnn_setup_max_pooling2d_nhwc_f32(
    loupe_xnn_operator_t max_pooling_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_max_pooling2d_nhwc_s8(
    uint32_t input_padding_top,
    uint32_t input_padding_right,
    uint32_t input_padding_bottom,
    uint32_t input_padding_left,
    uint32_t pooling_height,
    uint32_t pooling_width,
    uint32_t stride_height,
    uint32_t stride_width,
    uint32_t dilation_height,
    uint32_t dilation_width,
    size_t channels,
    size_t input_pixel_stride,
    size_t output_pixel_stride,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* max_pooling_op_out);
enum xnn_status loupe_xnn_setup_max_pooling2d_nhwc_s8(
    loupe_xnn_operator_t max_pooling_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    const int8_t* input,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_maximum_nd_f32(
    uint32_t flags,
    loupe_xnn_operator_t* maximum_op_out);
enum xnn_status loupe_xnn_setup_maximum_nd_f32(
    loupe_xnn_operator_t maximum_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_minimum_nd_f32(
    uint32_t flags,
    loupe_xnn_operator_t* minimum_op_out);
enum xnn_status loupe_xnn_setup_minimum_nd_f32(
    loupe_xnn_operator_t minimum_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_multiply_nd_f32(
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* multiply_op_out);
enum xnn_status loupe_xnn_setup_multiply_nd_f32(
    loupe_xnn_operator_t multiply_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_multiply_nd_qs8(
    int8_t input1_zero_point,
    float input1_scale,
    int8_t input2_zero_point,
    float input2_scale,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* multiply_op_out);
enum xnn_status loupe_xnn_setup_multiply_nd_qs8(
    loupe_xnn_operator_t multiply_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const int8_t* input1,
    const int8_t* input2,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_negate_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* negate_op_out);
enum xnn_status loupe_xnn_setup_negate_nc_f32(
    loupe_xnn_operator_t negate_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_prelu_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    const float* negative_slope,
    uint32_t flags,
    loupe_xnn_operator_t* prelu_op_out);
enum xnn_status loupe_xnn_setup_prelu_nc_f32(
    loupe_xnn_operator_t prelu_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_resize_bilinear2d_nhwc_f32(
    size_t channels,
    size_t input_pixel_stride,
    size_t output_pixel_stride,
    uint32_t flags,
    loupe_xnn_operator_t* resize_op_out);
enum xnn_status loupe_xnn_setup_resize_bilinear2d_nhwc_f32(
    loupe_xnn_operator_t resize_op,
    size_t batch_size,
    size_t input_height,
    size_t input_width,
    size_t output_height,
    size_t output_width,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_sigmoid_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* sigmoid_op_out);
enum xnn_status loupe_xnn_setup_sigmoid_nc_f32(
    loupe_xnn_operator_t sigmoid_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_sigmoid_nc_qs8(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    int8_t input_zero_point,
    float input_scale,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* sigmoid_op_out);
enum xnn_status loupe_xnn_setup_sigmoid_nc_qs8(
    loupe_xnn_operator_t sigmoid_op,
    size_t batch_size,
    const int8_t* input,
    int8_t* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_softmax_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* softmax_op_out);
enum xnn_status loupe_xnn_setup_softmax_nc_f32(
    loupe_xnn_operator_t softmax_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_square_root_nc_f32(
    size_t channels,
    size_t input_stride,
    size_t output_stride,
    uint32_t flags,
    loupe_xnn_operator_t* sqrt_op_out);
enum xnn_status loupe_xnn_setup_square_root_nc_f32(
    loupe_xnn_operator_t sqrt_op,
    size_t batch_size,
    const float* input,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_subtract_nd_f32(
    float output_min,
    float output_max,
    uint32_t flags,
    loupe_xnn_operator_t* subtract_op_out);
enum xnn_status loupe_xnn_setup_subtract_nd_f32(
    loupe_xnn_operator_t subtract_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const float* input1,
    const float* input2,
    float* output,
    pthreadpool_t threadpool);
enum xnn_status loupe_xnn_create_subtract_nd_qs8(
    int8_t input1_zero_point,
    float input1_scale,
    int8_t input2_zero_point,
    float input2_scale,
    int8_t output_zero_point,
    float output_scale,
    int8_t output_min,
    int8_t output_max,
    uint32_t flags,
    loupe_xnn_operator_t* subtract_op_out);
enum xnn_status loupe_xnn_setup_subtract_nd_qs8(
    loupe_xnn_operator_t subtract_op,
    size_t num_input1_dims,
    const size_t* input1_shape,
    size_t num_input2_dims,
    const size_t* input2_shape,
    const int8_t* input1,
    const int8_t* input2,
    int8_t* output,
    pthreadpool_t threadpool);

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
