/*
 * Loupe image kernels (src/image/): resampling, normalization and orientation of RGB8
 * images for model preprocessing. Included by loupe_kernels.h; same naming and dispatch
 * conventions (loupe_<dtype>_<op>__<isa>, one dispatching entry point per op).
 *
 * Resampling reproduces Pillow's Image.resize (src/libImaging/Resample.c) bit for bit:
 * separable, horizontal pass first (on the rows the vertical pass needs) with an 8-bit
 * intermediate, filter support scaled by the downscale factor (antialiasing), coefficients
 * normalized per output pixel and quantized to 22 fractional bits, accumulation in int32
 * with rounding, results clipped to 0..255. All variants of a pass are integer-exact, so
 * SIMD output equals the scalar reference exactly.
 */
#ifndef LOUPE_IMAGE_KERNELS_H
#define LOUPE_IMAGE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resampling filters (Pillow's names). */
typedef enum loupe_resample_filter {
  loupe_resample_box = 0,      /* Image.BOX: area average, support 0.5 */
  loupe_resample_bilinear = 1, /* Image.BILINEAR: triangle, support 1 */
} loupe_resample_filter;

/* Fractional bits of the fixed-point coefficients (Pillow: 32 - 8 - 2). */
#define LOUPE_RESAMPLE_PRECISION_BITS 22

/* Taps per output sample for resizing `in_size` samples to `out_size` (> 0 both). */
size_t loupe_resample_taps(size_t in_size, size_t out_size, loupe_resample_filter filter);

/* Coefficients for one axis: for output sample i, taps start at input sample bounds[2i]
 * and there are bounds[2i+1] of them (<= taps); coeffs[i * taps + t] are fixed-point weights,
 * zero past bounds[2i+1]. `bounds` holds 2 * out_size, `coeffs` out_size * taps entries. */
void loupe_resample_coeffs(size_t in_size, size_t out_size, loupe_resample_filter filter,
                           int32_t* bounds, int32_t* coeffs);

/* Every pass has a variant per instruction set (__avx2, __avx512, __neon: AArch64); a
 * variant compiled for another architecture runs the scalar code. */

/* Horizontal pass over `rows` rows of RGB8: out[y][x] = sum_t in[y][bounds[2x] + t] * coeffs[x][t].
 * Strides in bytes. Reads only inside each input row (no over-read). */
typedef void loupe_u8_resample_h_rgb_fn(size_t rows, size_t in_w, const uint8_t* in, size_t in_stride,
                                        size_t out_w, uint8_t* out, size_t out_stride,
                                        const int32_t* bounds, const int32_t* coeffs, size_t taps);
loupe_u8_resample_h_rgb_fn loupe_u8_resample_h_rgb__scalar;
loupe_u8_resample_h_rgb_fn loupe_u8_resample_h_rgb__avx2;
loupe_u8_resample_h_rgb_fn loupe_u8_resample_h_rgb__avx512;
loupe_u8_resample_h_rgb_fn loupe_u8_resample_h_rgb__neon;
loupe_u8_resample_h_rgb_fn loupe_u8_resample_h_rgb;

/* Vertical pass, `row_bytes` bytes per row (width * 3 for RGB8, any channel count works):
 * out[y][b] = sum_t in[bounds[2y] + t][b] * coeffs[y][t], for y < out_h. */
typedef void loupe_u8_resample_v_fn(size_t row_bytes, const uint8_t* in, size_t in_stride, size_t out_h,
                                    uint8_t* out, size_t out_stride, const int32_t* bounds,
                                    const int32_t* coeffs, size_t taps);
loupe_u8_resample_v_fn loupe_u8_resample_v__scalar;
loupe_u8_resample_v_fn loupe_u8_resample_v__avx2;
loupe_u8_resample_v_fn loupe_u8_resample_v__avx512;
loupe_u8_resample_v_fn loupe_u8_resample_v__neon;
loupe_u8_resample_v_fn loupe_u8_resample_v;

/* Resizes an RGB8 image (strides in bytes) exactly as Pillow's Image.resize(size, filter)
 * with the default box. `isa` selects the pass variants (pass loupe_detect_isa() or use
 * the dispatching passes via LOUPE_RESAMPLE_AUTO). Allocates its coefficients and
 * intermediate rows; returns 0 on success, non-zero when out of memory. */
#define LOUPE_RESAMPLE_AUTO (-1)
int loupe_u8_resize_rgb(size_t in_w, size_t in_h, const uint8_t* in, size_t in_stride,
                        size_t out_w, size_t out_h, uint8_t* out, size_t out_stride,
                        loupe_resample_filter filter, int isa);

/* RGB8 (interleaved, `in_stride` bytes per row) to three float planes, NCHW order:
 * plane c holds out[c * plane_stride + y * width + x] = in[y][x][c] * scale[c] + bias[c]
 * (two roundings: a multiply then an add in every variant, so all variants agree exactly).
 * For (v / 255 - mean) / std pass scale = 1 / (255 std), bias = -mean / std.
 * __avx2 and __neon (AArch64) run the scalar code where their instruction set is absent. */
void loupe_u8_rgb_to_f32_planes__scalar(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                        const float* scale, const float* bias, float* out, size_t plane_stride);
void loupe_u8_rgb_to_f32_planes__avx2(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride);
void loupe_u8_rgb_to_f32_planes__neon(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                      const float* scale, const float* bias, float* out, size_t plane_stride);
void loupe_u8_rgb_to_f32_planes(size_t width, size_t height, const uint8_t* in, size_t in_stride,
                                const float* scale, const float* bias, float* out, size_t plane_stride);

/* EXIF orientation (1..8) applied to packed RGB8: the result is what a viewer shows, i.e.
 * Pillow's ImageOps.exif_transpose. For 5..8 the output is height x width. `out` must not
 * alias `in`. Values outside 1..8 act as 1. Scalar only (memory-bound, tiled). */
void loupe_u8_rgb_orient__scalar(size_t width, size_t height, const uint8_t* in, int orientation, uint8_t* out);

#ifdef __cplusplus
}
#endif
#endif
