/*
 * Loupe kernels: what Debian's XNNPACK (0.0~git20220216) lacks or does slowly.
 *
 * Naming: loupe_<dtype>_<op>__<isa> for one implementation, loupe_<dtype>_<op> for the
 * dispatching entry point (picks the best variant for the running CPU once, at first call).
 * Every SIMD variant has a __scalar reference with the same contract; tests compare them
 * over n < tile, n == tile, n > tile.
 *
 * Over-read: unless stated otherwise a kernel reads and writes only the elements it is
 * given (SIMD tails go through a stack buffer), so callers need no slack. The runtime's
 * arena still gives every tensor XNN_EXTRA_BYTES (16) of slack for XNNPACK.
 *
 * x32 kernels move 32-bit words and serve float32 and int32 alike. An int8 variant sits in
 * the folder of its op family next to the float one: x8 when it moves bytes as they are
 * (loupe_x8_transpose in transpose/transpose.c), s8 when it computes on signed codes
 * (pooling/average_pool_s8.c). quantized/ holds the int8 kernels with no float twin (the lookup
 * tables, the squeeze-excite gate multiply). Kernels/README.md
 * says where a kernel goes and how its variants are tested.
 */
#ifndef LOUPE_KERNELS_H
#define LOUPE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ISA selection --------------------------------------------------------------- */

/* Variants a dispatching entry point can choose. */
typedef enum loupe_isa {
  loupe_isa_scalar = 0,
  loupe_isa_sse2 = 1,
  loupe_isa_avx2 = 2,   /* AVX2 + FMA */
  loupe_isa_avx512 = 3, /* AVX-512F */
  loupe_isa_neon = 4,
} loupe_isa;

/* Best ISA the running CPU supports among those compiled in. */
loupe_isa loupe_detect_isa(void);
/* Name of an ISA, for reports ("avx2"). */
const char* loupe_isa_name(loupe_isa isa);
/* True when `isa` was compiled in and the running CPU supports it. */
int loupe_isa_available(loupe_isa isa);

/* ---- Transpose (transpose/) -------------------------------------------------------- */

/* Maximum rank of loupe_x32_transpose. */
#define LOUPE_MAX_DIMS 6

/* out[c * out_stride + r] = in[r * in_stride + c] for r < rows, c < cols (strides in
 * elements). The NCHW <-> NHWC fast path: per image, rows = C, cols = H*W (or back). */
void loupe_x32_transpose2d__scalar(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                   uint32_t* out, size_t out_stride);
void loupe_x32_transpose2d__sse2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride);
void loupe_x32_transpose2d__avx2(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                                 uint32_t* out, size_t out_stride);
void loupe_x32_transpose2d(size_t rows, size_t cols, const uint32_t* in, size_t in_stride,
                           uint32_t* out, size_t out_stride);

/* Generic N-D transpose (rank <= LOUPE_MAX_DIMS): output axis i is input axis perm[i];
 * `shape` is the input shape. Reference: element-by-element odometer. */
void loupe_x32_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm,
                                 const uint32_t* in, uint32_t* out);
/* Dispatching entry point: merges axes that stay adjacent, drops size-1 axes, and runs a
 * (batched) 2-D transpose when the permutation reduces to one (NCHW <-> NHWC does);
 * otherwise the generic odometer with a contiguous innermost copy when possible.
 * `batch_begin`/`batch_end` select a range of the outermost output axis after
 * simplification (pass 0 and SIZE_MAX for all) so callers can split work across threads;
 * loupe_x32_transpose_batches says how many there are. */
size_t loupe_x32_transpose_batches(size_t rank, const size_t* shape, const size_t* perm);
void loupe_x32_transpose(size_t rank, const size_t* shape, const size_t* perm,
                         const uint32_t* in, uint32_t* out, size_t batch_begin, size_t batch_end);

/* ---- Strided copy (copy/) ---------------------------------------------------------- */

/* Gathers a strided view into a contiguous output: out (row-major, `shape`) takes element
 * idx from in + sum(idx[i] * in_strides[i]) bytes; strides may be negative (a reversed
 * axis) or anything the caller resolved (ONNX Slice with steps; the 2022 XNNPACK has no
 * slice operator). `element_size` is in bytes (4 for float32/int32, 1 for int8). Work is
 * split by rows (all axes but the innermost): rows [row_begin, row_end) are written, so
 * threads can share one call's rows; loupe_strided_copy_rows says how many there are. */
size_t loupe_strided_copy_rows(size_t rank, const size_t* shape);
void loupe_strided_copy(size_t rank, const size_t* shape, const ptrdiff_t* in_strides, size_t element_size,
                        const void* in, void* out, size_t row_begin, size_t row_end);

/* Element types of loupe_convert. */
typedef enum {
    loupe_element_f32,
    loupe_element_s32,
    loupe_element_s64,
    loupe_element_s8,
    loupe_element_u8,
    loupe_element_bool,
} loupe_element;

/* Cast of n elements: float → integer truncates toward zero and saturates (NaN → 0),
 * anything → bool is "not zero". */
void loupe_convert(loupe_element from, loupe_element to, size_t n, const void* in, void* out);

/* Gather along one axis with run-time indices (int64, or int32 when indices_are_64bit is 0):
 * data is [outer, axis_length, inner] elements of element_size bytes, out is
 * [outer, count, inner]. Negative indices count from the end; an index still out of range
 * gives a zero slab and is counted in the return value (0 when all are valid). */
size_t loupe_gather(size_t element_size, size_t outer, size_t axis_length, size_t inner, const void* data,
                    const void* indices, int indices_are_64bit, size_t count, void* out);

/* ---- Activations (activation/) ----------------------------------------------------- */

/* y[i] = tanh(x[i]). Scalar reference uses libm tanhf; SIMD variants a clamped rational
 * approximation (max relative error < 1e-6 vs tanhf on [-10, 10], see tests).
 * In-place (y == x) allowed. */
void loupe_f32_tanh__scalar(size_t n, const float* x, float* y);
void loupe_f32_tanh__approx_scalar(size_t n, const float* x, float* y);
void loupe_f32_tanh__avx2(size_t n, const float* x, float* y);
void loupe_f32_tanh__avx512(size_t n, const float* x, float* y);
void loupe_f32_tanh__neon(size_t n, const float* x, float* y);
void loupe_f32_tanh(size_t n, const float* x, float* y);

/* y[i] = max(0, min(1, alpha * x[i] + beta)). In-place allowed. */
void loupe_f32_hardsigmoid__scalar(size_t n, const float* x, float* y, float alpha, float beta);
void loupe_f32_hardsigmoid__avx2(size_t n, const float* x, float* y, float alpha, float beta);
void loupe_f32_hardsigmoid__avx512(size_t n, const float* x, float* y, float alpha, float beta);
void loupe_f32_hardsigmoid__neon(size_t n, const float* x, float* y, float alpha, float beta);
void loupe_f32_hardsigmoid(size_t n, const float* x, float* y, float alpha, float beta);

/* y[i] = x[i] < 0 ? slope[i % slope_period] * x[i] : x[i]. slope_period >= 1. */
void loupe_f32_prelu__scalar(size_t n, const float* x, const float* slope, size_t slope_period, float* y);
void loupe_f32_prelu(size_t n, const float* x, const float* slope, size_t slope_period, float* y);

/* Scalar libm maps (no SIMD variant yet; the runtime reports them as kernels so a slow
 * path is visible in `loupe inspect`). In-place allowed. */
void loupe_f32_exp__scalar(size_t n, const float* x, float* y);
void loupe_f32_log__scalar(size_t n, const float* x, float* y);
void loupe_f32_erf__scalar(size_t n, const float* x, float* y);
void loupe_f32_reciprocal__scalar(size_t n, const float* x, float* y);

/* ---- MatMul (matmul/) --------------------------------------------------------------- */

/* c[i, j] = sum_p a[i, p] * b[p, j] for i < m, j < n (row-major, leading dimensions in
 * elements). For MatMul with a non-constant B (attention); constant B goes to XNNPACK's
 * fully-connected operator. Accumulates in float, p in order. Tails use masked loads:
 * no over-read. */
void loupe_f32_matmul__scalar(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                              size_t ldb, float* c, size_t ldc);
void loupe_f32_matmul__avx2(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc);
void loupe_f32_matmul__neon(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, float* c, size_t ldc);
void loupe_f32_matmul(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                      float* c, size_t ldc);

/* ---- Resize (resize/) ---------------------------------------------------------------- */

/* Nearest-neighbour resize of NHWC images: out[n, oy, ox, :] = in[n, y_index[oy],
 * x_index[ox], :]. Indices are precomputed by the caller (ONNX coordinate transformation
 * and nearest mode); each must be in range. `rows_begin`/`rows_end` select output rows of
 * the flattened (n, oy) range, for splitting across threads. */
void loupe_x32_resize_nearest_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                           size_t out_h, size_t out_w, const uint32_t* y_index,
                                           const uint32_t* x_index, const uint32_t* in, uint32_t* out,
                                           size_t rows_begin, size_t rows_end);
/* The same on int8 codes (a nearest resize keeps its input's quantization parameters). */
void loupe_x8_resize_nearest_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                          size_t out_h, size_t out_w, const uint32_t* y_index,
                                          const uint32_t* x_index, const int8_t* in, int8_t* out,
                                          size_t rows_begin, size_t rows_end);

/* ---- Pad (pad/) ---------------------------------------------------------------------- */

typedef enum loupe_pad_mode {
  loupe_pad_constant = 0,
  loupe_pad_reflect = 1, /* mirror without repeating the edge: pre <= size - 1 */
  loupe_pad_edge = 2,
} loupe_pad_mode;

/* N-D pad (rank <= LOUPE_MAX_DIMS) with non-negative pads. Reflect requires every padded
 * axis to have size >= 2 and pre/post <= size - 1 (checked by the caller); edge requires
 * size >= 1. */
void loupe_x32_pad__scalar(size_t rank, const size_t* shape, const size_t* pre, const size_t* post,
                           loupe_pad_mode mode, uint32_t value, const uint32_t* in, uint32_t* out);

/* ---- Pooling (pooling/) -------------------------------------------------------------- */

/* out[b, c] = max over p < pixels of in[b, p, c] (NHWC with pixels = H*W). pixels >= 1. */
void loupe_f32_global_max_pool_nhwc__scalar(size_t batch, size_t pixels, size_t channels,
                                            const float* in, float* out);
void loupe_f32_global_max_pool_nhwc__avx2(size_t batch, size_t pixels, size_t channels,
                                          const float* in, float* out);
void loupe_f32_global_max_pool_nhwc(size_t batch, size_t pixels, size_t channels,
                                    const float* in, float* out);

/* ReduceSum of [batch, pixels, channels] over pixels → [batch, channels]. */
void loupe_f32_global_sum_pool_nwc(size_t batch, size_t pixels, size_t channels, const float* x, float* y);

/* ---- Resize, linear (resize/) ------------------------------------------------------- */

/* Bilinear resize of NHWC images with precomputed taps (built by the caller from the ONNX
 * coordinate transformation, so every coordinate mode and any given scale work):
 *   t = in[n, y0, x0, c] + wx * (in[n, y0, x1, c] - in[n, y0, x0, c])   (u likewise on row y1)
 *   out[n, oy, ox, c] = t + wy * (u - t)
 * with (y0, y1) = y_index[2*oy], y_index[2*oy + 1], wy = y_weight[oy], and (x0, x1, wx)
 * likewise from x_index/x_weight. A weight of 0 copies the first tap exactly. Indices must
 * be in range. `rows_begin`/`rows_end` select output rows of the flattened (n, oy) range.
 * The AVX2 variant vectorises over channels (8 at a time, scalar tail) and, for
 * channels == 1, over output columns with gathers; it uses FMA, so it matches the scalar
 * reference to rounding. No over-read. */
void loupe_f32_resize_linear_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                          size_t out_h, size_t out_w, const uint32_t* y_index,
                                          const float* y_weight, const uint32_t* x_index,
                                          const float* x_weight, const float* in, float* out,
                                          size_t rows_begin, size_t rows_end);
void loupe_f32_resize_linear_nhwc__avx2(size_t batch, size_t in_h, size_t in_w, size_t channels,
                                        size_t out_h, size_t out_w, const uint32_t* y_index,
                                        const float* y_weight, const uint32_t* x_index,
                                        const float* x_weight, const float* in, float* out,
                                        size_t rows_begin, size_t rows_end);
void loupe_f32_resize_linear_nhwc(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                  size_t out_w, const uint32_t* y_index, const float* y_weight,
                                  const uint32_t* x_index, const float* x_weight, const float* in, float* out,
                                  size_t rows_begin, size_t rows_end);

/* ---- Pooling with dilation (pooling/) -------------------------------------------------- */

/* Window of a 2-D pool. Tap (ky, kx) of output (oy, ox) reads input row
 * oy*stride_h + ky*dilation_h - pad_top (columns likewise). pad_bottom/pad_right are the
 * explicit end pads only: ceil_mode's extra end padding follows from out_h/out_w and is
 * never counted. */
typedef struct loupe_pool2d_params {
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w;
  size_t dilation_h, dilation_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
  int count_include_pad;
} loupe_pool2d_params;

/* AveragePool of NHWC images with any dilation (XNNPACK's average pooling has none): the
 * mean of the in-bounds taps, divided by the number of taps inside the explicitly padded
 * input when count_include_pad, else by the number of in-bounds taps (0 taps: NaN).
 * `out_stride` (>= channels) is the element distance between output pixels. Scalar
 * only: dilated average pooling is rare, and the channel loops vectorise at -O3. */
void loupe_f32_average_pool_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                         size_t out_w, const loupe_pool2d_params* params, const float* in,
                                         float* out, size_t out_stride, size_t rows_begin, size_t rows_end);

/* Int8 AveragePool of NHWC codes (the 2022 XNNPACK has no qs8 average pooling), the same
 * windows, padding and divisor as loupe_f32_average_pool_nhwc__scalar: per output element
 * q = round_half_even(scale * sum(x - in_zero_point) / n) + out_zero_point, saturated to int8,
 * where scale = input scale / output scale, the sum is exact (int32) and the rest is done in
 * double: the correctly rounded average of the dequantized taps. A window with no tap to
 * count (n = 0, NaN in float) gives out_zero_point. */
void loupe_s8_average_pool_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                        size_t out_w, const loupe_pool2d_params* params, int32_t in_zero_point,
                                        double scale, int32_t out_zero_point, const int8_t* in, int8_t* out,
                                        size_t out_stride, size_t rows_begin, size_t rows_end);

/* Strided subsampling (a 1x1 pooling window with strides): out[n, oy, ox, :] =
 * in[n, offset_y + oy*stride_h, offset_x + ox*stride_w, :]; every such pixel must be inside
 * the input (the caller checks). memcpy per pixel: no SIMD variant needed. */
void loupe_x32_subsample_nhwc__scalar(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                      size_t out_w, size_t stride_h, size_t stride_w, size_t offset_y,
                                      size_t offset_x, const uint32_t* in, uint32_t* out, size_t out_stride,
                                      size_t rows_begin, size_t rows_end);

/* ---- Int8 lookup tables (quantized/); the int8 transpose (transpose/) ---------------- */

/* y[i] = table[(uint8_t) x[i]]: every int8 unary activation and every requantization is a
 * 256-entry table (built by loupe_x8_lut_build). In-place (y == x) allowed. No over-read:
 * SIMD tails go through masked or stack-buffered accesses.
 * Variants: __ssse3 (SSSE3 + SSE4.1 pshufb/blendv), __avx2 (vpshufb), __avx512vbmi
 * (vpermi2b, needs AVX-512 VBMI + BW), __neon (AArch64 tbl/tbx, compiled only there). */
void loupe_x8_lut__scalar(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);
#if defined(__x86_64__) || defined(__i386__)
void loupe_x8_lut__ssse3(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);
void loupe_x8_lut__avx2(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);
void loupe_x8_lut__avx512vbmi(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);
#endif
#if defined(__aarch64__)
void loupe_x8_lut__neon(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);
#endif
/* Dispatching entry point (best variant for the running CPU, chosen at first call). */
void loupe_x8_lut(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);

/* The lookup variants, for tests and reports (their own list: VBMI and SSSE3 are finer
 * than loupe_isa). */
typedef enum loupe_x8_lut_isa {
  loupe_x8_lut_scalar = 0,
  loupe_x8_lut_ssse3 = 1,
  loupe_x8_lut_avx2 = 2,
  loupe_x8_lut_avx512vbmi = 3,
  loupe_x8_lut_neon = 4,
} loupe_x8_lut_isa;
/* True when `isa` is compiled in and the running CPU supports it. */
int loupe_x8_lut_isa_available(loupe_x8_lut_isa isa);
/* The variant loupe_x8_lut runs. */
loupe_x8_lut_isa loupe_x8_lut_best_isa(void);
/* Runs one variant (scalar when `isa` is not compiled in); the caller checks availability. */
void loupe_x8_lut__isa(loupe_x8_lut_isa isa, size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]);

/* The real function a table applies between dequantization and quantization. */
typedef enum loupe_lut_function {
  loupe_lut_identity = 0,  /* requantization (concat inputs, max-pool params) */
  loupe_lut_relu,
  loupe_lut_clip,          /* p0 = min, p1 = max (may be -inf / +inf) */
  loupe_lut_leaky_relu,    /* p0 = alpha */
  loupe_lut_elu,           /* p0 = alpha */
  loupe_lut_hardsigmoid,   /* max(0, min(1, p0 * x + p1)) */
  loupe_lut_hardswish,     /* x * max(0, min(1, x / 6 + 1/2)) */
  loupe_lut_sigmoid,
  loupe_lut_tanh,
  loupe_lut_neg,
  loupe_lut_abs,
  loupe_lut_sqrt,
  loupe_lut_floor,
  loupe_lut_ceil,
  loupe_lut_reciprocal,
  loupe_lut_exp,
  loupe_lut_log,
  loupe_lut_erf,
  loupe_lut_gelu,          /* x * (1 + erf(x / sqrt(2))) / 2 */
  loupe_lut_gelu_tanh,     /* x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2 */
  loupe_lut_softplus,      /* ln(1 + e^x) */
  loupe_lut_mish,          /* x * tanh(softplus(x)) */
  loupe_lut_swish,         /* x * sigmoid(p0 * x) */
  loupe_lut_sin,
  loupe_lut_cos,
  loupe_lut_function_count /* not a function: the number of them (new ones go above) */
} loupe_lut_function;
/* f(x) in double precision (activation/function.c): the definition the tables are built from. */
double loupe_activation_eval(loupe_lut_function f, double x, double p0, double p1);
/* y[i] = f(x[i]) evaluated in double, rounded to float: the float kernel of activations that
 * have no SIMD kernel (correct, not fast; `loupe inspect` names it). In-place allowed. */
void loupe_f32_activation__scalar(loupe_lut_function f, double p0, double p1, size_t n, const float* x, float* y);

/* table[(uint8_t) q] = quantize_out(f(dequantize_in(q))) for q in [-128, 127], in double:
 * dequantize (q - zp) * scale, quantize round-half-even(y / scale) + zp saturated to int8,
 * NaN -> the output zero point, infinities saturate. Returns 0, or -1 when a scale is not
 * positive and normal or a zero point is outside int8. */
int loupe_x8_lut_build(loupe_lut_function f, double p0, double p1, float input_scale, int32_t input_zero_point,
                       float output_scale, int32_t output_zero_point, uint8_t table[256]);

/* N-D transpose of bytes (int8 tensors; rank <= LOUPE_MAX_DIMS): output axis i is input
 * axis perm[i], `shape` the input shape. loupe_x32_transpose's walk (axes of extent 1
 * dropped, neighbours merged, batches over the outermost output axis, of which there are
 * loupe_x8_transpose_batches), with 32 x 32 byte tiles for two-axis transposes such as the
 * NCHW -> NHWC one of a quantized graph input. __scalar does every batch. */
size_t loupe_x8_transpose_batches(size_t rank, const size_t* shape, const size_t* perm);
void loupe_x8_transpose(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out,
                        size_t batch_begin, size_t batch_end);
void loupe_x8_transpose__scalar(size_t rank, const size_t* shape, const size_t* perm, const int8_t* in, int8_t* out);

/* ---- Int8 GEMM / pointwise convolution (gemm/) --------------------------------------- */

/* y[r][c] = clamp(rne(float(acc) * scale[c]) + y_zero_point, y_min, y_max) with
 * acc = bias[c] + sum_k (x[r][k] - x_zero_point) * w[c][k] in wrapping int32: XNNPACK's
 * qs8 activations x qc8 weights "fp32" requantization, bit for bit (gemm/gemm_qc8w.c).
 * scale[c] is input scale * weight scale[c] / output scale, computed in float. */
typedef struct loupe_s8_gemm_qc8w_params {
  int8_t y_zero_point;
  int8_t y_min;
  int8_t y_max;
} loupe_s8_gemm_qc8w_params;

/* Variants; VNNI and the others differ in what the CPU must support, not in results. */
typedef enum loupe_s8_gemm_qc8w_isa {
  loupe_s8_gemm_qc8w_scalar = 0,
  loupe_s8_gemm_qc8w_avx2 = 1,        /* vpmovsxbw + vpmaddwd (exact 16-bit products) */
  loupe_s8_gemm_qc8w_avx512vnni = 2,  /* vpdpbusd on x + 128, corrected in the packed bias */
} loupe_s8_gemm_qc8w_isa;
int loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_isa isa);
loupe_s8_gemm_qc8w_isa loupe_s8_gemm_qc8w_best_isa(void);

/* Packed weights for every variant: blocks of 16 output channels (biases folded with the
 * input zero point, scales, weights in groups of 4 inputs). `packed` must be 64-byte
 * aligned and loupe_s8_gemm_qc8w_packed_size(k, n) bytes. w is [n][k]; bias may be NULL. */
size_t loupe_s8_gemm_qc8w_packed_size(size_t k, size_t n);
size_t loupe_s8_gemm_qc8w_block_bytes(size_t k);
void loupe_s8_gemm_qc8w_pack(size_t k, size_t n, const int8_t* w, const int32_t* bias, const float* scale,
                             int8_t x_zero_point, void* packed);

/* Rows [rows_begin, rows_end) of x ([rows][x_stride], k used) into y ([rows][y_stride],
 * n written). Reads no byte of x past k in a row and writes only the n codes of a row. */
void loupe_s8_gemm_qc8w__scalar(size_t rows_begin, size_t rows_end, size_t k, size_t n, const int8_t* x,
                                size_t x_stride, const void* packed, int8_t* y, size_t y_stride,
                                const loupe_s8_gemm_qc8w_params* params);
#if defined(__x86_64__) || defined(__i386__)
void loupe_s8_gemm_qc8w__avx2(size_t rows_begin, size_t rows_end, size_t k, size_t n, const int8_t* x,
                              size_t x_stride, const void* packed, int8_t* y, size_t y_stride,
                              const loupe_s8_gemm_qc8w_params* params);
void loupe_s8_gemm_qc8w__avx512vnni(size_t rows_begin, size_t rows_end, size_t k, size_t n, const int8_t* x,
                                    size_t x_stride, const void* packed, int8_t* y, size_t y_stride,
                                    const loupe_s8_gemm_qc8w_params* params);
#endif
/* Runs one variant (scalar when `isa` is not compiled in); the caller checks availability. */
void loupe_s8_gemm_qc8w__isa(loupe_s8_gemm_qc8w_isa isa, size_t rows_begin, size_t rows_end, size_t k, size_t n,
                             const int8_t* x, size_t x_stride, const void* packed, int8_t* y, size_t y_stride,
                             const loupe_s8_gemm_qc8w_params* params);

/* ---- Int8 depthwise convolution (conv/) --------------------------------------------- */

/* NHWC depthwise convolution (one filter per channel, multiplier 1) with per-channel int8
 * weights and the requantization of loupe_s8_gemm_qc8w (XNNPACK's qc8 "fp32", bit for bit):
 * acc[c] = bias[c] + sum over the taps inside the input of (x - x_zero_point) * w[c][tap]
 * (conv/dwconv_qc8w.c). At most 64 taps. */
typedef struct loupe_s8_dwconv_geometry {
  size_t batch, in_h, in_w, channels, out_h, out_w;
  size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
} loupe_s8_dwconv_geometry;

typedef enum loupe_s8_dwconv_qc8w_isa {
  loupe_s8_dwconv_qc8w_scalar = 0,
  loupe_s8_dwconv_qc8w_avx2 = 1,    /* vpmovsxbd + vpmaddwd, 8 channels */
  loupe_s8_dwconv_qc8w_avx512 = 2,  /* the same on 16 channels (AVX-512F/BW/VL) */
  /* vpdpbusd on 64 channels x 4 taps per instruction (inputs of 4 taps interleaved by byte
   * unpacks); a remainder of at most 32 channels runs the 16-channel code with vpdpwssd. */
  loupe_s8_dwconv_qc8w_avx512vnni = 3,
} loupe_s8_dwconv_qc8w_isa;
int loupe_s8_dwconv_qc8w_isa_available(loupe_s8_dwconv_qc8w_isa isa);

/* Packed weights, in the layout of variant `isa` (the VNNI variant has its own; the others
 * share one): biases folded with the input zero point, scales (input scale * weight scale /
 * output scale, in float), the weights, and a row of x_zero_point bytes that padded taps
 * read. w is [channels][taps] (OIHW with I = 1); bias may be NULL; `packed` 64-byte
 * aligned, loupe_s8_dwconv_qc8w_packed_size bytes for the same isa. */
size_t loupe_s8_dwconv_qc8w_packed_size(loupe_s8_dwconv_qc8w_isa isa, size_t taps, size_t channels);
void loupe_s8_dwconv_qc8w_pack(loupe_s8_dwconv_qc8w_isa isa, size_t taps, size_t channels, const int8_t* w,
                               const int32_t* bias, const float* scale, int8_t x_zero_point, void* packed);

/* Output rows [rows_begin, rows_end) of the batch * out_h rows; x is [batch][in_h][in_w]
 * [channels], y has y_pixel_stride bytes per output pixel (channels written). No read past
 * a pixel's channels, no write past them. */
void loupe_s8_dwconv_qc8w_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params);
#if defined(__x86_64__) || defined(__i386__)
void loupe_s8_dwconv_qc8w_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                     const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                     const loupe_s8_gemm_qc8w_params* params);
void loupe_s8_dwconv_qc8w_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params);
void loupe_s8_dwconv_qc8w_nhwc__avx512vnni(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                           const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                           const loupe_s8_gemm_qc8w_params* params);
#endif
/* Runs one variant (scalar when `isa` is not compiled in); the caller checks availability. */
void loupe_s8_dwconv_qc8w_nhwc__isa(loupe_s8_dwconv_qc8w_isa isa, const loupe_s8_dwconv_geometry* g,
                                    size_t rows_begin, size_t rows_end, const int8_t* x, const void* packed,
                                    int8_t* y, size_t y_pixel_stride, const loupe_s8_gemm_qc8w_params* params);

/* One-group convolution (any window) as im2col chunks of 64 output pixels + the GEMM above,
 * on the GEMM variant `isa` (conv/conv_qc8w.c): the geometry's channels are the input's;
 * `packed` is loupe_s8_gemm_qc8w_pack of the OHWI weights with k = kernel_h * kernel_w *
 * channels; padded taps read x_zero_point. Output rows [rows_begin, rows_end) of
 * batch * out_h; y_pixel_stride bytes per output pixel, out_channels written.
 * Over-read: up to 15 bytes past the end of x (needs the planner's 16 bytes of slack). */
void loupe_s8_conv_qc8w_nhwc__isa(loupe_s8_gemm_qc8w_isa isa, const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                  size_t rows_end, const int8_t* x, int8_t x_zero_point, size_t out_channels,
                                  const void* packed, int8_t* y, size_t y_pixel_stride,
                                  const loupe_s8_gemm_qc8w_params* params);

/* Int8 multiply by a per-channel gate (quantized/mul_channels.c), the squeeze-excite scale:
 * rows [rows_begin, rows_end) of x ([rows][channels]) times gate row r / rows_per_gate of g
 * ([rows / rows_per_gate][channels]) into y (same layout as x):
 * y = clamp(rne(float((x - x_zero_point) * (g - g_zero_point)) * scale) + y_zero_point, y_min, y_max),
 * XNNPACK's qs8 multiply codes when scale = x_scale * g_scale / y_scale in float. The GEMM's
 * isa picks the variant (avx512vnni: the AVX-512BW one). No over-read, no over-write. */
void loupe_s8_mul_channels__scalar(size_t rows_begin, size_t rows_end, size_t rows_per_gate, size_t channels,
                                   const int8_t* x, int8_t x_zero_point, const int8_t* g, int8_t g_zero_point,
                                   float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params);
void loupe_s8_mul_channels__isa(loupe_s8_gemm_qc8w_isa isa, size_t rows_begin, size_t rows_end, size_t rows_per_gate,
                                size_t channels, const int8_t* x, int8_t x_zero_point, const int8_t* g,
                                int8_t g_zero_point, float scale, int8_t* y, const loupe_s8_gemm_qc8w_params* params);

/* A float NCHW tensor quantized to int8 NHWC in one pass (quantized/quantize_nhwc.c):
 * y[b][h][w][c] = clamp(rne(x[b][c][h][w] * inv_scale) + y_zero_point, y_min, y_max), the
 * codes of XNNPACK's f32 -> qs8 convert (inv_scale = 1.0f / scale in float) followed by the
 * NCHW -> NHWC transpose; NaN gives y_max. Rows [rows_begin, rows_end) of batch * height.
 * The GEMM's isa picks the variant (avx512vnni: the AVX-512BW one; avx2: scalar). */
void loupe_f32_qs8_nchw_to_nhwc__scalar(size_t channels, size_t height, size_t width, size_t rows_begin,
                                        size_t rows_end, const float* x, float inv_scale, int8_t* y,
                                        const loupe_s8_gemm_qc8w_params* params);
void loupe_f32_qs8_nchw_to_nhwc__isa(loupe_s8_gemm_qc8w_isa isa, size_t channels, size_t height, size_t width,
                                     size_t rows_begin, size_t rows_end, const float* x, float inv_scale, int8_t* y,
                                     const loupe_s8_gemm_qc8w_params* params);

/* ---- Float depthwise convolution (conv/) ------------------------------------------- */

/* NHWC depthwise convolution (multiplier 1) in float32 with the activation fused:
 * acc[c] = bias[c] + sum over the taps inside the input of x[tap][c] * w[c][tap] (padded taps
 * contribute nothing), then y = min(max(acc, min), max), then, when hardswish is set,
 * y = y * min(max(y + 3, 0), 6) / 6 (conv/dwconv_f32.c). */
typedef struct loupe_f32_dwconv_params {
  float min, max;   /* -INFINITY / INFINITY for none, 0 / INFINITY for ReLU, 0 / 6 for ReLU6 */
  int hardswish;    /* 0 or 1 */
} loupe_f32_dwconv_params;

typedef enum loupe_f32_dwconv_isa {
  loupe_f32_dwconv_scalar = 0,
  loupe_f32_dwconv_avx2 = 1,    /* 8 channels per vector, FMA */
  loupe_f32_dwconv_avx512 = 2,  /* 16 channels per vector, masked channel tail */
  loupe_f32_dwconv_neon = 3,    /* AArch64, 4 channels per vector */
} loupe_f32_dwconv_isa;
int loupe_f32_dwconv_isa_available(loupe_f32_dwconv_isa isa);
/* The fastest available variant on this CPU. */
loupe_f32_dwconv_isa loupe_f32_dwconv_best_isa(void);

/* One packed layout for every variant: blocks of 16 channels, each bias[16] then w[taps][16]
 * (channels past `channels` zero). w is [channels][taps] (OIHW with I = 1), bias may be NULL.
 * `packed` 64-byte aligned, loupe_f32_dwconv_packed_size bytes. */
size_t loupe_f32_dwconv_packed_size(size_t taps, size_t channels);
void loupe_f32_dwconv_pack(size_t taps, size_t channels, const float* w, const float* bias, void* packed);

/* Output rows [rows_begin, rows_end) of the batch * out_h rows (same geometry struct as the
 * int8 kernel: loupe_s8_dwconv_geometry); x is [batch][in_h][in_w][channels] floats, y has
 * y_pixel_stride floats per output pixel (channels written). No read past the input's
 * pixels, no write past a pixel's channels. Any kernel size, stride, dilation, padding. */
void loupe_f32_dwconv_nhwc__isa(loupe_f32_dwconv_isa isa, const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                size_t rows_end, const float* x, const void* packed, float* y,
                                size_t y_pixel_stride, const loupe_f32_dwconv_params* params);
/* The variants (all declared everywhere: one not compiled for this architecture runs the
 * scalar code). Every variant gives the scalar twin's bits: the taps are accumulated in
 * (ky, kx) order with a fused multiply-add from the bias, the activation in one order. */
void loupe_f32_dwconv_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                   const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                   const loupe_f32_dwconv_params* params);
void loupe_f32_dwconv_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params);
void loupe_f32_dwconv_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                   const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                   const loupe_f32_dwconv_params* params);
void loupe_f32_dwconv_nhwc__neon(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                 const float* x, const void* packed, float* y, size_t y_pixel_stride,
                                 const loupe_f32_dwconv_params* params);

/* A first convolution in float32 from an NCHW input to NHWC output (conv/conv_nchw_f32.c):
 * one group, g->channels input channels (geometry as the depthwise kernels'; channels is
 * the input's), out_channels outputs, any window, stride, dilation, padding; activation as
 * loupe_f32_dwconv_params. Packed weights: blocks of 16 output channels, bias[16] then
 * w[in_c][kh][kw][16], from OIHW w (bias may be NULL); `packed` 64-byte aligned. Output rows
 * [rows_begin, rows_end) of batch * out_h; y has out_channels floats per pixel. Variants:
 * scalar and avx512 (the others run the scalar code), bit-identical. */
size_t loupe_f32_conv_nchw_packed_size(const loupe_s8_dwconv_geometry* g, size_t out_channels);
void loupe_f32_conv_nchw_pack(const loupe_s8_dwconv_geometry* g, size_t out_channels, const float* w, const float* bias,
                              void* packed);
int loupe_f32_conv_nchw_isa_available(loupe_f32_dwconv_isa isa);
void loupe_f32_conv_nchw_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t out_channels, size_t rows_begin,
                                      size_t rows_end, const float* x, const void* packed, float* y,
                                      const loupe_f32_dwconv_params* params);
void loupe_f32_conv_nchw_nhwc__isa(loupe_f32_dwconv_isa isa, const loupe_s8_dwconv_geometry* g, size_t out_channels,
                                   size_t rows_begin, size_t rows_end, const float* x, const void* packed, float* y,
                                   const loupe_f32_dwconv_params* params);

/* ---- Transformer blocks: layer norm, GELU, erf, softmax, batched matmul ------------ */
/*
 * Each op has __scalar (the reference, libm and double where noted), __avx2 (AVX2 + FMA),
 * __avx512 (AVX-512F) and __neon (AArch64 only; elsewhere, like an x86 variant on ARM, it
 * runs the scalar reference), and a dispatching entry point that picks the variant for
 * the running CPU once. Tests call the variants directly after loupe_isa_available.
 * No over-read: tails use masked or stack-buffered accesses.
 */

/* Swish: y = x * sigmoid(alpha * x) = x / (1 + exp(-alpha * x)) (CLIP's QuickGELU at
 * alpha = 1.702). The scalar reference uses libm expf; the SIMD variants exp_simd.h's
 * polynomial (within a few ulp, tests). In-place allowed. */
void loupe_f32_swish__scalar(size_t n, const float* x, float* y, float alpha);
void loupe_f32_swish__avx2(size_t n, const float* x, float* y, float alpha);
void loupe_f32_swish__avx512(size_t n, const float* x, float* y, float alpha);
void loupe_f32_swish__neon(size_t n, const float* x, float* y, float alpha);
void loupe_f32_swish(size_t n, const float* x, float* y, float alpha);

/* Layer normalization over the last axis of a rows x cols row-major matrix:
 *   y[r, c] = (x[r, c] - mean_r) / sqrt(var_r + epsilon) * gamma[c] + beta[c]
 * gamma and beta may each be NULL (1 and 0). Two passes over each row: the mean, then the
 * variance as the mean of squared deviations (no E[x^2] - E[x]^2 cancellation). The
 * scalar reference sums in double; the SIMD variants sum in float lanes (8 or 16
 * partial sums, then a tree), which keeps the error near (cols / lanes) ulp of the sum.
 * cols >= 1. In-place (y == x) allowed. Rows are independent: split work across threads
 * by offsetting x and y by whole rows. */
void loupe_f32_layer_norm__scalar(size_t rows, size_t cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y);
void loupe_f32_layer_norm__avx2(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y);
void loupe_f32_layer_norm__avx512(size_t rows, size_t cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y);
void loupe_f32_layer_norm__neon(size_t rows, size_t cols, const float* x, const float* gamma,
                                const float* beta, float epsilon, float* y);
void loupe_f32_layer_norm(size_t rows, size_t cols, const float* x, const float* gamma, const float* beta,
                          float epsilon, float* y);
/* Per row: mean[r] and inv_std_dev[r] = 1 / sqrt(var + epsilon), in double (either may be
 * NULL): LayerNormalization's optional outputs. Scalar. */
void loupe_f32_layer_norm_statistics(size_t rows, size_t cols, const float* x, float epsilon, float* mean,
                                     float* inv_std_dev);

/* Exact GELU: y = x / 2 * (1 + erf(x / sqrt(2))), evaluated as x / 2 * erfc(-x / sqrt(2))
 * for x < 0 so small negative outputs keep their relative accuracy. The scalar reference
 * uses libm erff/erfcf; the SIMD variants a polynomial erf/erfc (see gelu.c; within a few
 * ulp of double, tests). NaN propagates; -inf gives NaN, as the formula does in ONNX
 * Runtime and PyTorch. In-place allowed. */
void loupe_f32_gelu__scalar(size_t n, const float* x, float* y);
void loupe_f32_gelu__avx2(size_t n, const float* x, float* y);
void loupe_f32_gelu__avx512(size_t n, const float* x, float* y);
void loupe_f32_gelu__neon(size_t n, const float* x, float* y);
void loupe_f32_gelu(size_t n, const float* x, float* y);

/* GELU, tanh approximation: y = x / 2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * evaluated as the equal x / (1 + exp(-2u)) (no cancellation in 1 + tanh for x < 0).
 * Scalar reference: libm expf; SIMD variants: the shared polynomial exp (<= 2 ulp).
 * Below x = -10 exp(-2u) overflows and outputs (|y| < 1e-36) flush to -0. In-place
 * allowed. */
void loupe_f32_gelu_tanh__scalar(size_t n, const float* x, float* y);
void loupe_f32_gelu_tanh__avx2(size_t n, const float* x, float* y);
void loupe_f32_gelu_tanh__avx512(size_t n, const float* x, float* y);
void loupe_f32_gelu_tanh__neon(size_t n, const float* x, float* y);
void loupe_f32_gelu_tanh(size_t n, const float* x, float* y);

/* y[i] = erf(x[i]) with the polynomial of the GELU kernels (the libm reference is
 * loupe_f32_erf__scalar above). In-place allowed. */
void loupe_f32_erf__avx2(size_t n, const float* x, float* y);
void loupe_f32_erf__avx512(size_t n, const float* x, float* y);
void loupe_f32_erf__neon(size_t n, const float* x, float* y);
void loupe_f32_erf(size_t n, const float* x, float* y);

/* y[i] = exp(x[i]) on the polynomial the softmax and GELU kernels share (exp_simd.h;
 * within 2 ulp of double exp for normal results, tests); underflows to +0 below -104,
 * overflows to +inf above ln(FLT_MAX); NaN propagates. The libm reference is
 * loupe_f32_exp__scalar above. In-place allowed. */
void loupe_f32_exp__avx2(size_t n, const float* x, float* y);
void loupe_f32_exp__avx512(size_t n, const float* x, float* y);
void loupe_f32_exp__neon(size_t n, const float* x, float* y);
void loupe_f32_exp(size_t n, const float* x, float* y);

/* Softmax over the last axis with a fused scale and additive mask (attention):
 *   v[r, c] = scale * x[r, c] + (mask ? mask[(r % mask_rows) * cols + c] : 0)
 *   y[r, c] = exp(v[r, c] - max_c v[r, c]) / sum_c exp(v[r, c] - max_c v[r, c])
 * for rows r in [row_begin, row_end) of a row-major matrix with `cols` columns (x and y
 * point at row 0, so threads share one call's rows). mask_rows >= 1 is the mask's row
 * period: a [T, S] mask under [H, T, S] scores has mask_rows = T; outer broadcasts are
 * split into calls by the caller. A row whose values are all -inf gives NaN (as ONNX
 * Runtime and PyTorch do). Scalar reference: libm expf; SIMD variants: the shared
 * polynomial exp (<= 2 ulp). cols >= 1. In-place (y == x) allowed. */
void loupe_f32_softmax__scalar(size_t cols, const float* x, float* y, float scale, const float* mask,
                               size_t mask_rows, size_t row_begin, size_t row_end);
void loupe_f32_softmax__avx2(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end);
void loupe_f32_softmax__avx512(size_t cols, const float* x, float* y, float scale, const float* mask,
                               size_t mask_rows, size_t row_begin, size_t row_end);
void loupe_f32_softmax__neon(size_t cols, const float* x, float* y, float scale, const float* mask,
                             size_t mask_rows, size_t row_begin, size_t row_end);
void loupe_f32_softmax(size_t cols, const float* x, float* y, float scale, const float* mask, size_t mask_rows,
                       size_t row_begin, size_t row_end);

/* The same as loupe_f32_matmul__avx2 with 16-lane vectors (AVX-512F). */
void loupe_f32_matmul__avx512(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                              size_t ldb, float* c, size_t ldc);

/* Maximum number of batch axes of a batched matmul (a rank-6 MatMul has 4). */
#define LOUPE_MAX_BATCH_DIMS (LOUPE_MAX_DIMS - 2)

/* Batched product of two activations, C[b] = A[b] B[b] (or A[b] B[b]^T), numpy-style
 * batch broadcasting through strides: batch index (i_0, .., i_{rank-1}) over batch_shape
 * reads A at sum i_d a_batch_stride[d] and B at sum i_d b_batch_stride[d] (elements;
 * 0 broadcasts an axis). A[b] is m x k row-major; B[b] is k x n, or n x k when
 * transpose_b (Q K^T without materialising K^T). C is contiguous [batch..., m, n].
 * batch_rank 0 is one plain product. */
typedef struct loupe_f32_batched_matmul_params {
  size_t m, n, k;
  size_t batch_rank;
  size_t batch_shape[LOUPE_MAX_BATCH_DIMS];
  size_t a_batch_stride[LOUPE_MAX_BATCH_DIMS];
  size_t b_batch_stride[LOUPE_MAX_BATCH_DIMS];
  int transpose_b;
} loupe_f32_batched_matmul_params;

/* Rows of C over all batches (product of batch_shape times m): the unit of work. */
size_t loupe_f32_batched_matmul_rows(const loupe_f32_batched_matmul_params* params);
/* Computes rows [row_begin, row_end) of the flattened (batch, m) range, so threads share
 * one product (row_end <= loupe_f32_batched_matmul_rows). Each row accumulates in float, p
 * in order, like loupe_f32_matmul. With transpose_b, B[b] is transposed in column panels
 * through a 32 KiB stack buffer (k x panel), so a call costs an extra k x n copy per batch
 * it touches; for k > 8192 it falls back to dot products. */
void loupe_f32_batched_matmul__scalar(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                                      float* c, size_t row_begin, size_t row_end);
void loupe_f32_batched_matmul__avx2(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                                    float* c, size_t row_begin, size_t row_end);
void loupe_f32_batched_matmul__avx512(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                                      float* c, size_t row_begin, size_t row_end);
void loupe_f32_batched_matmul__neon(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                                    float* c, size_t row_begin, size_t row_end);
void loupe_f32_batched_matmul(const loupe_f32_batched_matmul_params* params, const float* a, const float* b,
                              float* c, size_t row_begin, size_t row_end);

/* ---- Where and comparisons (select/) -------------------------------------------------- */

/* Where: out = cond ? x : y over an output of `rank` (1 ≤ rank ≤ LOUPE_MAX_DIMS) dims `shape`,
 * contiguous; each input is read through its element strides (0 along broadcast axes).
 * Writes outer rows [row_begin, row_end) (a row = the last dim). Elements of
 * `element_size` bytes (1, 2, 4 or 8) move as they are; cond holds bools as bytes. */
void loupe_where__scalar(size_t element_size, size_t rank, const size_t* shape, const uint8_t* cond,
                         const size_t* cond_strides, const void* x, const size_t* x_strides, const void* y,
                         const size_t* y_strides, void* out, size_t row_begin, size_t row_end);

typedef enum {
    loupe_compare_equal,
    loupe_compare_less,
    loupe_compare_less_or_equal,
    loupe_compare_greater,
    loupe_compare_greater_or_equal,
} loupe_compare;

/* Element types loupe_compare reads (bools compare as u8). */
typedef enum { loupe_compare_f32, loupe_compare_s32, loupe_compare_s64, loupe_compare_u8 } loupe_compare_type;

/* out = a <op> b as bytes 0/1 (NaN compares false), with loupe_where's shape, strides and
 * row range. */
void loupe_compare__scalar(loupe_compare op, loupe_compare_type type, size_t rank, const size_t* shape,
                           const void* a, const size_t* a_strides, const void* b, const size_t* b_strides,
                           uint8_t* out, size_t row_begin, size_t row_end);

#ifdef __cplusplus
}
#endif
#include "loupe_image_kernels.h"
#endif
