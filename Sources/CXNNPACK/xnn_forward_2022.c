// The 2022 XNNPACK API (Debian bookworm): every loupe_xnn_* function passes its arguments
// through unchanged; the wrapper only holds the operator.
#include "CXNNPACK.h"

#if LOUPE_XNN_API == 2022

#include <stdlib.h>

struct loupe_xnn_op {
    xnn_operator_t op;
};

const char* loupe_xnn_api_name(void) { return "2022"; }

enum xnn_status loupe_xnn_run_operator(loupe_xnn_operator_t op, pthreadpool_t threadpool) {
    return xnn_run_operator(op->op, threadpool);
}

enum xnn_status loupe_xnn_delete_operator(loupe_xnn_operator_t op) {
    if (op == NULL) return xnn_status_success;
    enum xnn_status s = xnn_delete_operator(op->op);
    free(op);
    return s;
}

static enum xnn_status wrap(enum xnn_status s, xnn_operator_t op, loupe_xnn_operator_t* out) {
    if (s != xnn_status_success) { *out = NULL; return s; }
    loupe_xnn_operator_t w = malloc(sizeof(*w));
    if (w == NULL) { xnn_delete_operator(op); *out = NULL; return xnn_status_out_of_memory; }
    w->op = op;
    *out = w;
    return s;
}

enum xnn_status loupe_xnn_create_abs_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* abs_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_abs_nc_f32(channels, input_stride, output_stride, flags, &op), op, abs_op_out);
}

enum xnn_status loupe_xnn_setup_abs_nc_f32(loupe_xnn_operator_t abs_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_abs_nc_f32(abs_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_add_nd_f32(float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* add_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_add_nd_f32(output_min, output_max, flags, &op), op, add_op_out);
}

enum xnn_status loupe_xnn_setup_add_nd_f32(loupe_xnn_operator_t add_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_add_nd_f32(add_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_add_nd_qs8(int8_t input1_zero_point, float input1_scale, int8_t input2_zero_point, float input2_scale, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* add_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_add_nd_qs8(input1_zero_point, input1_scale, input2_zero_point, input2_scale, output_zero_point, output_scale, output_min, output_max, flags, &op), op, add_op_out);
}

enum xnn_status loupe_xnn_setup_add_nd_qs8(loupe_xnn_operator_t add_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const int8_t* input1, const int8_t* input2, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_add_nd_qs8(add_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_average_pooling2d_nhwc_f32(uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom, uint32_t input_padding_left, uint32_t pooling_height, uint32_t pooling_width, uint32_t stride_height, uint32_t stride_width, size_t channels, size_t input_pixel_stride, size_t output_pixel_stride, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* average_pooling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_average_pooling2d_nhwc_f32(input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, pooling_height, pooling_width, stride_height, stride_width, channels, input_pixel_stride, output_pixel_stride, output_min, output_max, flags, &op), op, average_pooling_op_out);
}

enum xnn_status loupe_xnn_setup_average_pooling2d_nhwc_f32(loupe_xnn_operator_t average_pooling_op, size_t batch_size, size_t input_height, size_t input_width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_average_pooling2d_nhwc_f32(average_pooling_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_ceiling_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* ceiling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_ceiling_nc_f32(channels, input_stride, output_stride, flags, &op), op, ceiling_op_out);
}

enum xnn_status loupe_xnn_setup_ceiling_nc_f32(loupe_xnn_operator_t ceiling_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_ceiling_nc_f32(ceiling_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_clamp_nc_f32(size_t channels, size_t input_stride, size_t output_stride, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* clamp_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_clamp_nc_f32(channels, input_stride, output_stride, output_min, output_max, flags, &op), op, clamp_op_out);
}

enum xnn_status loupe_xnn_setup_clamp_nc_f32(loupe_xnn_operator_t clamp_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_clamp_nc_f32(clamp_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_constant_pad_nd_x32(const void* padding_value, uint32_t flags, loupe_xnn_operator_t* constant_pad_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_constant_pad_nd_x32(padding_value, flags, &op), op, constant_pad_op_out);
}

enum xnn_status loupe_xnn_setup_constant_pad_nd_x32(loupe_xnn_operator_t constant_pad_op, size_t num_dims, const size_t* input_shape, const size_t* pre_padding, const size_t* post_padding, const void* input, void* output, pthreadpool_t threadpool) {
    return xnn_setup_constant_pad_nd_x32(constant_pad_op->op, num_dims, input_shape, pre_padding, post_padding, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_convert_nc_f32_qs8(size_t channels, size_t input_stride, size_t output_stride, float output_scale, int8_t output_zero_point, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* convert_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_convert_nc_f32_qs8(channels, input_stride, output_stride, output_scale, output_zero_point, output_min, output_max, flags, &op), op, convert_op_out);
}

enum xnn_status loupe_xnn_setup_convert_nc_f32_qs8(loupe_xnn_operator_t convert_op, size_t batch_size, const float* input, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_convert_nc_f32_qs8(convert_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_convert_nc_qs8_f32(size_t channels, size_t input_stride, size_t output_stride, float input_scale, int8_t input_zero_point, uint32_t flags, loupe_xnn_operator_t* convert_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_convert_nc_qs8_f32(channels, input_stride, output_stride, input_scale, input_zero_point, flags, &op), op, convert_op_out);
}

enum xnn_status loupe_xnn_setup_convert_nc_qs8_f32(loupe_xnn_operator_t convert_op, size_t batch_size, const int8_t* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_convert_nc_qs8_f32(convert_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_convolution2d_nhwc_f32(uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom, uint32_t input_padding_left, uint32_t kernel_height, uint32_t kernel_width, uint32_t subsampling_height, uint32_t subsampling_width, uint32_t dilation_height, uint32_t dilation_width, uint32_t groups, size_t group_input_channels, size_t group_output_channels, size_t input_channel_stride, size_t output_channel_stride, const float* kernel, const float* bias, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* convolution_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_convolution2d_nhwc_f32(input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, kernel_height, kernel_width, subsampling_height, subsampling_width, dilation_height, dilation_width, groups, group_input_channels, group_output_channels, input_channel_stride, output_channel_stride, kernel, bias, output_min, output_max, flags, &op), op, convolution_op_out);
}

enum xnn_status loupe_xnn_setup_convolution2d_nhwc_f32(loupe_xnn_operator_t convolution_op, size_t batch_size, size_t input_height, size_t input_width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_convolution2d_nhwc_f32(convolution_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_convolution2d_nhwc_qc8(uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom, uint32_t input_padding_left, uint32_t kernel_height, uint32_t kernel_width, uint32_t subsampling_height, uint32_t subsampling_width, uint32_t dilation_height, uint32_t dilation_width, uint32_t groups, size_t group_input_channels, size_t group_output_channels, size_t input_channel_stride, size_t output_channel_stride, int8_t input_zero_point, float input_scale, const float* kernel_scale, const int8_t* kernel, const int32_t* bias, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* convolution_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_convolution2d_nhwc_qc8(input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, kernel_height, kernel_width, subsampling_height, subsampling_width, dilation_height, dilation_width, groups, group_input_channels, group_output_channels, input_channel_stride, output_channel_stride, input_zero_point, input_scale, kernel_scale, kernel, bias, output_zero_point, output_scale, output_min, output_max, flags, &op), op, convolution_op_out);
}

enum xnn_status loupe_xnn_setup_convolution2d_nhwc_qc8(loupe_xnn_operator_t convolution_op, size_t batch_size, size_t input_height, size_t input_width, const int8_t* input, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_convolution2d_nhwc_qc8(convolution_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_copy_nc_x32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* copy_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_copy_nc_x32(channels, input_stride, output_stride, flags, &op), op, copy_op_out);
}

enum xnn_status loupe_xnn_setup_copy_nc_x32(loupe_xnn_operator_t copy_op, size_t batch_size, const void* input, void* output, pthreadpool_t threadpool) {
    return xnn_setup_copy_nc_x32(copy_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_copy_nc_x8(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* copy_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_copy_nc_x8(channels, input_stride, output_stride, flags, &op), op, copy_op_out);
}

enum xnn_status loupe_xnn_setup_copy_nc_x8(loupe_xnn_operator_t copy_op, size_t batch_size, const void* input, void* output, pthreadpool_t threadpool) {
    return xnn_setup_copy_nc_x8(copy_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_deconvolution2d_nhwc_f32(uint32_t output_padding_top, uint32_t output_padding_right, uint32_t output_padding_bottom, uint32_t output_padding_left, uint32_t kernel_height, uint32_t kernel_width, uint32_t stride_height, uint32_t stride_width, uint32_t dilation_height, uint32_t dilation_width, uint32_t groups, size_t group_input_channels, size_t group_output_channels, size_t input_pixel_stride, size_t output_pixel_stride, const float* kernel, const float* bias, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* deconvolution_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_deconvolution2d_nhwc_f32(output_padding_top, output_padding_right, output_padding_bottom, output_padding_left, kernel_height, kernel_width, stride_height, stride_width, dilation_height, dilation_width, groups, group_input_channels, group_output_channels, input_pixel_stride, output_pixel_stride, kernel, bias, output_min, output_max, flags, &op), op, deconvolution_op_out);
}

enum xnn_status loupe_xnn_setup_deconvolution2d_nhwc_f32(loupe_xnn_operator_t deconvolution_op, size_t batch_size, size_t input_height, size_t input_width, uint32_t adjustment_height, uint32_t adjustment_width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_deconvolution2d_nhwc_f32(deconvolution_op->op, batch_size, input_height, input_width, adjustment_height, adjustment_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_depth_to_space_nhwc_x32(size_t output_channels, size_t input_channel_stride, size_t output_channel_stride, uint32_t block_size, uint32_t flags, loupe_xnn_operator_t* depth_to_space_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_depth_to_space_nhwc_x32(output_channels, input_channel_stride, output_channel_stride, block_size, flags, &op), op, depth_to_space_op_out);
}

enum xnn_status loupe_xnn_setup_depth_to_space_nhwc_x32(loupe_xnn_operator_t depth_to_space_op, size_t batch_size, size_t input_height, size_t input_width, const void* input, void* output, pthreadpool_t threadpool) {
    return xnn_setup_depth_to_space_nhwc_x32(depth_to_space_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_divide_nd_f32(float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* divide_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_divide_nd_f32(output_min, output_max, flags, &op), op, divide_op_out);
}

enum xnn_status loupe_xnn_setup_divide_nd_f32(loupe_xnn_operator_t divide_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_divide_nd_f32(divide_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_elu_nc_f32(size_t channels, size_t input_stride, size_t output_stride, float alpha, uint32_t flags, loupe_xnn_operator_t* elu_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_elu_nc_f32(channels, input_stride, output_stride, alpha, flags, &op), op, elu_op_out);
}

enum xnn_status loupe_xnn_setup_elu_nc_f32(loupe_xnn_operator_t elu_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_elu_nc_f32(elu_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_floor_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* floor_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_floor_nc_f32(channels, input_stride, output_stride, flags, &op), op, floor_op_out);
}

enum xnn_status loupe_xnn_setup_floor_nc_f32(loupe_xnn_operator_t floor_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_floor_nc_f32(floor_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_fully_connected_nc_f32(size_t input_channels, size_t output_channels, size_t input_stride, size_t output_stride, const float* kernel, const float* bias, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* fully_connected_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_fully_connected_nc_f32(input_channels, output_channels, input_stride, output_stride, kernel, bias, output_min, output_max, flags, &op), op, fully_connected_op_out);
}

enum xnn_status loupe_xnn_setup_fully_connected_nc_f32(loupe_xnn_operator_t fully_connected_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_fully_connected_nc_f32(fully_connected_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_global_average_pooling_nwc_f32(size_t channels, size_t input_stride, size_t output_stride, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* global_average_pooling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_global_average_pooling_nwc_f32(channels, input_stride, output_stride, output_min, output_max, flags, &op), op, global_average_pooling_op_out);
}

enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_f32(loupe_xnn_operator_t global_average_pooling_op, size_t batch_size, size_t width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_global_average_pooling_nwc_f32(global_average_pooling_op->op, batch_size, width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_global_average_pooling_nwc_qs8(size_t channels, size_t input_stride, size_t output_stride, int8_t input_zero_point, float input_scale, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* global_average_pooling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_global_average_pooling_nwc_qs8(channels, input_stride, output_stride, input_zero_point, input_scale, output_zero_point, output_scale, output_min, output_max, flags, &op), op, global_average_pooling_op_out);
}

enum xnn_status loupe_xnn_setup_global_average_pooling_nwc_qs8(loupe_xnn_operator_t global_average_pooling_op, size_t batch_size, size_t width, const int8_t* input, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_global_average_pooling_nwc_qs8(global_average_pooling_op->op, batch_size, width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_hardswish_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* hardswish_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_hardswish_nc_f32(channels, input_stride, output_stride, flags, &op), op, hardswish_op_out);
}

enum xnn_status loupe_xnn_setup_hardswish_nc_f32(loupe_xnn_operator_t hardswish_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_hardswish_nc_f32(hardswish_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_leaky_relu_nc_f32(size_t channels, size_t input_stride, size_t output_stride, float negative_slope, uint32_t flags, loupe_xnn_operator_t* leaky_relu_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_leaky_relu_nc_f32(channels, input_stride, output_stride, negative_slope, flags, &op), op, leaky_relu_op_out);
}

enum xnn_status loupe_xnn_setup_leaky_relu_nc_f32(loupe_xnn_operator_t leaky_relu_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_leaky_relu_nc_f32(leaky_relu_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_max_pooling2d_nhwc_f32(uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom, uint32_t input_padding_left, uint32_t pooling_height, uint32_t pooling_width, uint32_t stride_height, uint32_t stride_width, uint32_t dilation_height, uint32_t dilation_width, size_t channels, size_t input_pixel_stride, size_t output_pixel_stride, float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* max_pooling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_max_pooling2d_nhwc_f32(input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, pooling_height, pooling_width, stride_height, stride_width, dilation_height, dilation_width, channels, input_pixel_stride, output_pixel_stride, output_min, output_max, flags, &op), op, max_pooling_op_out);
}

enum xnn_status loupe_xnn_setup_max_pooling2d_nhwc_f32(loupe_xnn_operator_t max_pooling_op, size_t batch_size, size_t input_height, size_t input_width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_max_pooling2d_nhwc_f32(max_pooling_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_max_pooling2d_nhwc_s8(uint32_t input_padding_top, uint32_t input_padding_right, uint32_t input_padding_bottom, uint32_t input_padding_left, uint32_t pooling_height, uint32_t pooling_width, uint32_t stride_height, uint32_t stride_width, uint32_t dilation_height, uint32_t dilation_width, size_t channels, size_t input_pixel_stride, size_t output_pixel_stride, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* max_pooling_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_max_pooling2d_nhwc_s8(input_padding_top, input_padding_right, input_padding_bottom, input_padding_left, pooling_height, pooling_width, stride_height, stride_width, dilation_height, dilation_width, channels, input_pixel_stride, output_pixel_stride, output_min, output_max, flags, &op), op, max_pooling_op_out);
}

enum xnn_status loupe_xnn_setup_max_pooling2d_nhwc_s8(loupe_xnn_operator_t max_pooling_op, size_t batch_size, size_t input_height, size_t input_width, const int8_t* input, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_max_pooling2d_nhwc_s8(max_pooling_op->op, batch_size, input_height, input_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_maximum_nd_f32(uint32_t flags, loupe_xnn_operator_t* maximum_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_maximum_nd_f32(flags, &op), op, maximum_op_out);
}

enum xnn_status loupe_xnn_setup_maximum_nd_f32(loupe_xnn_operator_t maximum_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_maximum_nd_f32(maximum_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_minimum_nd_f32(uint32_t flags, loupe_xnn_operator_t* minimum_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_minimum_nd_f32(flags, &op), op, minimum_op_out);
}

enum xnn_status loupe_xnn_setup_minimum_nd_f32(loupe_xnn_operator_t minimum_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_minimum_nd_f32(minimum_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_multiply_nd_f32(float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* multiply_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_multiply_nd_f32(output_min, output_max, flags, &op), op, multiply_op_out);
}

enum xnn_status loupe_xnn_setup_multiply_nd_f32(loupe_xnn_operator_t multiply_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_multiply_nd_f32(multiply_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_multiply_nd_qs8(int8_t input1_zero_point, float input1_scale, int8_t input2_zero_point, float input2_scale, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* multiply_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_multiply_nd_qs8(input1_zero_point, input1_scale, input2_zero_point, input2_scale, output_zero_point, output_scale, output_min, output_max, flags, &op), op, multiply_op_out);
}

enum xnn_status loupe_xnn_setup_multiply_nd_qs8(loupe_xnn_operator_t multiply_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const int8_t* input1, const int8_t* input2, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_multiply_nd_qs8(multiply_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_negate_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* negate_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_negate_nc_f32(channels, input_stride, output_stride, flags, &op), op, negate_op_out);
}

enum xnn_status loupe_xnn_setup_negate_nc_f32(loupe_xnn_operator_t negate_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_negate_nc_f32(negate_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_prelu_nc_f32(size_t channels, size_t input_stride, size_t output_stride, const float* negative_slope, uint32_t flags, loupe_xnn_operator_t* prelu_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_prelu_nc_f32(channels, input_stride, output_stride, negative_slope, flags, &op), op, prelu_op_out);
}

enum xnn_status loupe_xnn_setup_prelu_nc_f32(loupe_xnn_operator_t prelu_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_prelu_nc_f32(prelu_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_resize_bilinear2d_nhwc_f32(size_t channels, size_t input_pixel_stride, size_t output_pixel_stride, uint32_t flags, loupe_xnn_operator_t* resize_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_resize_bilinear2d_nhwc_f32(channels, input_pixel_stride, output_pixel_stride, flags, &op), op, resize_op_out);
}

enum xnn_status loupe_xnn_setup_resize_bilinear2d_nhwc_f32(loupe_xnn_operator_t resize_op, size_t batch_size, size_t input_height, size_t input_width, size_t output_height, size_t output_width, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_resize_bilinear2d_nhwc_f32(resize_op->op, batch_size, input_height, input_width, output_height, output_width, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_sigmoid_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* sigmoid_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_sigmoid_nc_f32(channels, input_stride, output_stride, flags, &op), op, sigmoid_op_out);
}

enum xnn_status loupe_xnn_setup_sigmoid_nc_f32(loupe_xnn_operator_t sigmoid_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_sigmoid_nc_f32(sigmoid_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_sigmoid_nc_qs8(size_t channels, size_t input_stride, size_t output_stride, int8_t input_zero_point, float input_scale, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* sigmoid_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_sigmoid_nc_qs8(channels, input_stride, output_stride, input_zero_point, input_scale, output_zero_point, output_scale, output_min, output_max, flags, &op), op, sigmoid_op_out);
}

enum xnn_status loupe_xnn_setup_sigmoid_nc_qs8(loupe_xnn_operator_t sigmoid_op, size_t batch_size, const int8_t* input, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_sigmoid_nc_qs8(sigmoid_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_softmax_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* softmax_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_softmax_nc_f32(channels, input_stride, output_stride, flags, &op), op, softmax_op_out);
}

enum xnn_status loupe_xnn_setup_softmax_nc_f32(loupe_xnn_operator_t softmax_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_softmax_nc_f32(softmax_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_square_root_nc_f32(size_t channels, size_t input_stride, size_t output_stride, uint32_t flags, loupe_xnn_operator_t* sqrt_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_square_root_nc_f32(channels, input_stride, output_stride, flags, &op), op, sqrt_op_out);
}

enum xnn_status loupe_xnn_setup_square_root_nc_f32(loupe_xnn_operator_t sqrt_op, size_t batch_size, const float* input, float* output, pthreadpool_t threadpool) {
    return xnn_setup_square_root_nc_f32(sqrt_op->op, batch_size, input, output, threadpool);
}

enum xnn_status loupe_xnn_create_subtract_nd_f32(float output_min, float output_max, uint32_t flags, loupe_xnn_operator_t* subtract_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_subtract_nd_f32(output_min, output_max, flags, &op), op, subtract_op_out);
}

enum xnn_status loupe_xnn_setup_subtract_nd_f32(loupe_xnn_operator_t subtract_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const float* input1, const float* input2, float* output, pthreadpool_t threadpool) {
    return xnn_setup_subtract_nd_f32(subtract_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

enum xnn_status loupe_xnn_create_subtract_nd_qs8(int8_t input1_zero_point, float input1_scale, int8_t input2_zero_point, float input2_scale, int8_t output_zero_point, float output_scale, int8_t output_min, int8_t output_max, uint32_t flags, loupe_xnn_operator_t* subtract_op_out) {
    xnn_operator_t op = NULL;
    return wrap(xnn_create_subtract_nd_qs8(input1_zero_point, input1_scale, input2_zero_point, input2_scale, output_zero_point, output_scale, output_min, output_max, flags, &op), op, subtract_op_out);
}

enum xnn_status loupe_xnn_setup_subtract_nd_qs8(loupe_xnn_operator_t subtract_op, size_t num_input1_dims, const size_t* input1_shape, size_t num_input2_dims, const size_t* input2_shape, const int8_t* input1, const int8_t* input2, int8_t* output, pthreadpool_t threadpool) {
    return xnn_setup_subtract_nd_qs8(subtract_op->op, num_input1_dims, input1_shape, num_input2_dims, input2_shape, input1, input2, output, threadpool);
}

#endif  // LOUPE_XNN_API == 2022
