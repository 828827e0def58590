/*
 * Int8 GEMM with per-channel int8 weights: the pointwise (1x1) convolution and the
 * fully-connected layer of a quantized network.
 *
 *   y[r][c] = clamp(round_half_even(float(acc[r][c]) * scale[c]) + y_zero_point, y_min, y_max)
 *   acc[r][c] = bias[c] + sum_k (x[r][k] - x_zero_point) * w[c][k]      (int32, wrapping)
 *
 * The requantization is XNNPACK's qs8/qc8w "fp32" one, step for step, so that a model gives
 * the same codes on these kernels and on XNNPACK's operators: the int32 accumulator
 * converted to float (round to nearest even), one float multiply by the per-channel scale
 * (input scale * weight scale / output scale, computed in float by the caller), clamped in
 * float to [y_min - zp, y_max - zp], rounded half to even, plus the zero point. Clamping to
 * integer bounds before or after rounding gives the same integer, so the SIMD variants
 * (vcvtps2dq after the clamp) and the scalar one (the 1.5*2^23 magic-number add) agree
 * bit for bit.
 *
 * Packed weights (loupe_s8_gemm_qc8w_pack): blocks of 16 output channels; each block is
 *   int32 bias_s[16]   bias - x_zero_point * sum_k w        (signed activations)
 *   int32 bias_u[16]   bias - (x_zero_point + 128) * sum_k w (activations biased by +128)
 *   float scale[16]
 *   int8  w[k4 / 4][16][4]                                   (k4 = k rounded up to 4, zeros past k)
 * Channels past n in the last block have zero weights, bias and scale. The +128 bias lets
 * VNNI's vpdpbusd (unsigned x signed bytes) run on x ^ 0x80 = x + 128: the extra
 * 128 * sum_k w is folded into bias_u.
 */
#include <stdlib.h>
#include <string.h>
#include "../common/qc8_requant.h"

#define NR 16

/* The parameters of every variant (loupe_kernels.h), and the same names as arguments. */
#define GEMM_PARAMS                                                                                      \
  size_t rows_begin, size_t rows_end, size_t k, size_t n, const int8_t *x, size_t x_stride, const void *packed, \
      int8_t *y, size_t y_stride, const loupe_s8_gemm_qc8w_params *params
#define GEMM_ARGS rows_begin, rows_end, k, n, x, x_stride, packed, y, y_stride, params

/* Four bytes as one int32, without breaking aliasing rules (compiles to one load). */
static inline int32_t load4(const void* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline size_t round_up4(size_t k) { return (k + 3) & ~(size_t)3; }

size_t loupe_s8_gemm_qc8w_block_bytes(size_t k) { return 3 * NR * 4 + NR * round_up4(k); }

size_t loupe_s8_gemm_qc8w_packed_size(size_t k, size_t n) {
  return ((n + NR - 1) / NR) * loupe_s8_gemm_qc8w_block_bytes(k);
}

/* The weights of one channel: k4 / 4 groups of 4 bytes, one group per 4 * NR bytes. */
static void put_weights(uint8_t* b, size_t j, const int8_t* wc, size_t k) {
  int8_t* wb = (int8_t*)(b + 3 * NR * 4);
  for (size_t i = 0; i < k; i++) wb[(i / 4) * NR * 4 + j * 4 + (i % 4)] = wc[i];
}

void loupe_s8_gemm_qc8w_pack(size_t k, size_t n, const int8_t* w, const int32_t* bias, const float* scale,
                             int8_t x_zero_point, void* packed) {
  /* bias_s and bias_u: two bias rows, for x_zero_point and x_zero_point + 128. */
  qc8_pack(packed, loupe_s8_gemm_qc8w_packed_size(k, n), n, NR, loupe_s8_gemm_qc8w_block_bytes(k), w, k, bias,
           scale, x_zero_point, 2, put_weights);
}

void loupe_s8_gemm_qc8w__scalar(GEMM_PARAMS) {
  const size_t block = loupe_s8_gemm_qc8w_block_bytes(k);
  const qc8_requant rq = qc8_requant_of(params);
  for (size_t r = rows_begin; r < rows_end; r++) {
    const int8_t* xr = x + r * x_stride;
    for (size_t c = 0; c < n; c++) {
      size_t j;
      const uint8_t* b = qc8_block_of(packed, c, NR, block, &j);
      int32_t bs;
      float s;
      memcpy(&bs, b + 4 * j, 4);
      memcpy(&s, b + 4 * (2 * NR + j), 4);
      const int8_t* wb = (const int8_t*)(b + 3 * NR * 4);
      uint32_t acc = (uint32_t)bs;
      for (size_t i = 0; i < k; i++) {
        acc += (uint32_t)((int32_t)xr[i] * (int32_t)wb[(i / 4) * NR * 4 + j * 4 + (i % 4)]);
      }
      y[r * y_stride + c] = requantize((int32_t)acc, s, rq.lo, rq.hi, rq.magic_less_zp);
    }
  }
}

#if LOUPE_X86

/* What both SIMD variants derive from k, n and the parameters: k rounded up to 4, the
 * packed block's bytes, the number of blocks and the requantization bounds. */
typedef struct tiling {
  size_t k4, block, blocks;
  qc8_requant rq;
} tiling;

static inline tiling tiling_of(size_t k, size_t n, const loupe_s8_gemm_qc8w_params* params) {
  const tiling t = {round_up4(k), loupe_s8_gemm_qc8w_block_bytes(k), (n + NR - 1) / NR, qc8_requant_of(params)};
  return t;
}

/* Rows per tile of the SIMD variants. */
#define MR_VNNI 8
#define MR_AVX2 2
/* Activation bytes per tile row kept on the stack; longer rows go through the heap. */
#define STACK_K 2048

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void requantize_store16_avx512(__m512i acc, __m512 vs, __m512 vlo, __m512 vhi, __m512i vzp, int8_t* dst,
                                             __mmask16 mask) {
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), vs);
  f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
  _mm_mask_storeu_epi8(dst, mask, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), vzp)));
}

/*
 * Four rows of one 16-channel block at once (rows past `rows` are not stored): the same codes
 * as requantize_store16_avx512, with the narrowing shared. Only the upper clamp is in float
 * (so that vcvtps2dq never overflows upwards); a value below the range, even one that
 * vcvtps2dq turns into INT32_MIN, saturates downwards through the packs and ends at y_min
 * by the byte max, as clamping before the rounding would (the bound is an integer). The
 * zero point is added in int16 (saturating: only values already below the range can
 * saturate). The packs work inside 128-bit lanes, leaving row j's channels 4L..4L+3 at dword
 * 4L + j; one dword permute puts row j in lane j.
 */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void requantize_store4x16_avx512(__m512i a0, __m512i a1, __m512i a2, __m512i a3, __m512 vs, __m512 vhi,
                                               __m512i vzp16, __m512i vymin, int8_t* dst, size_t stride,
                                               __mmask16 mask, size_t rows) {
  const __m512i q0 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a0), vs), vhi));
  const __m512i q1 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a1), vs), vhi));
  const __m512i q2 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a2), vs), vhi));
  const __m512i q3 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a3), vs), vhi));
  const __m512i h01 = _mm512_adds_epi16(_mm512_packs_epi32(q0, q1), vzp16);
  const __m512i h23 = _mm512_adds_epi16(_mm512_packs_epi32(q2, q3), vzp16);
  const __m512i rows_by_lane = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m512i b = _mm512_permutexvar_epi32(rows_by_lane, _mm512_max_epi8(_mm512_packs_epi16(h01, h23), vymin));
  _mm_mask_storeu_epi8(dst, mask, _mm512_castsi512_si128(b));
  if (rows > 1) _mm_mask_storeu_epi8(dst + stride, mask, _mm512_extracti32x4_epi32(b, 1));
  if (rows > 2) _mm_mask_storeu_epi8(dst + 2 * stride, mask, _mm512_extracti32x4_epi32(b, 2));
  if (rows > 3) _mm_mask_storeu_epi8(dst + 3 * stride, mask, _mm512_extracti32x4_epi32(b, 3));
}

/* One row (already x ^ 0x80, k4 bytes) against every channel block: four blocks per pass
 * so that four independent accumulators hide vpdpbusd's latency. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static void gemm_row_avx512vnni(const uint8_t* xu, size_t k4, size_t n, size_t blocks, size_t block, const void* packed,
                                int8_t* y, __m512 vlo, __m512 vhi, __m512i vzp) {
  size_t blk = 0;
  for (; blk + 4 <= blocks; blk += 4) {
    const uint8_t* b0 = (const uint8_t*)packed + blk * block;
    const uint8_t* b1 = b0 + block;
    const uint8_t* b2 = b1 + block;
    const uint8_t* b3 = b2 + block;
    __m512i a0 = _mm512_load_si512(b0 + 4 * NR), a1 = _mm512_load_si512(b1 + 4 * NR);
    __m512i a2 = _mm512_load_si512(b2 + 4 * NR), a3 = _mm512_load_si512(b3 + 4 * NR);
    const int8_t* w0 = (const int8_t*)(b0 + 3 * NR * 4);
    const int8_t* w1 = (const int8_t*)(b1 + 3 * NR * 4);
    const int8_t* w2 = (const int8_t*)(b2 + 3 * NR * 4);
    const int8_t* w3 = (const int8_t*)(b3 + 3 * NR * 4);
    for (size_t p = 0; p < k4; p += 4) {
      const __m512i vx = _mm512_set1_epi32(load4(xu + p));
      a0 = _mm512_dpbusd_epi32(a0, vx, _mm512_load_si512(w0 + p * NR));
      a1 = _mm512_dpbusd_epi32(a1, vx, _mm512_load_si512(w1 + p * NR));
      a2 = _mm512_dpbusd_epi32(a2, vx, _mm512_load_si512(w2 + p * NR));
      a3 = _mm512_dpbusd_epi32(a3, vx, _mm512_load_si512(w3 + p * NR));
    }
    const size_t c0 = blk * NR;
    const size_t left = n - c0; /* > 3 * NR: only the fourth block can be partial */
    const __mmask16 last = left >= 4 * NR ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - 3 * NR)) - 1);
    requantize_store16_avx512(a0, _mm512_load_ps(b0 + 8 * NR), vlo, vhi, vzp, y + c0, 0xFFFF);
    requantize_store16_avx512(a1, _mm512_load_ps(b1 + 8 * NR), vlo, vhi, vzp, y + c0 + NR, 0xFFFF);
    requantize_store16_avx512(a2, _mm512_load_ps(b2 + 8 * NR), vlo, vhi, vzp, y + c0 + 2 * NR, 0xFFFF);
    requantize_store16_avx512(a3, _mm512_load_ps(b3 + 8 * NR), vlo, vhi, vzp, y + c0 + 3 * NR, last);
  }
  for (; blk < blocks; blk++) {
    const uint8_t* b = (const uint8_t*)packed + blk * block;
    const int8_t* w = (const int8_t*)(b + 3 * NR * 4);
    __m512i a = _mm512_load_si512(b + 4 * NR);
    for (size_t p = 0; p < k4; p += 4) a = _mm512_dpbusd_epi32(a, _mm512_set1_epi32(load4(xu + p)), _mm512_load_si512(w + p * NR));
    const size_t left = n - blk * NR;
    const __mmask16 mask = left >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    requantize_store16_avx512(a, _mm512_load_ps(b + 8 * NR), vlo, vhi, vzp, y + blk * NR, mask);
  }
}

/*
 * AVX-512 VNNI: 8 rows x 16 channels per tile, one zmm accumulator per row. The tile's
 * rows are first copied as x ^ 0x80 (= x + 128 as unsigned bytes, k padded to 4 with
 * zeros) so that vpdpbusd sees unsigned activations; bias_u holds the correction. Rows
 * past rows_end in the last tile repeat the last row and are not stored.
 */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
void loupe_s8_gemm_qc8w__avx512vnni(GEMM_PARAMS) {
  if (rows_begin >= rows_end || n == 0) return;
  const tiling tl = tiling_of(k, n, params);
  const size_t k4 = tl.k4, block = tl.block, blocks = tl.blocks;
  uint8_t stack[MR_VNNI * STACK_K] __attribute__((aligned(64)));
  uint8_t* xu = k4 <= STACK_K ? stack : (uint8_t*)aligned_alloc(64, ((MR_VNNI * k4 + 63) / 64) * 64);
  if (!xu) return;
  const __m512 vlo = _mm512_set1_ps(tl.rq.lo), vhi = _mm512_set1_ps(tl.rq.hi);
  const __m512i vzp = _mm512_set1_epi32(params->y_zero_point);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const __m512i vzp16 = _mm512_set1_epi16(params->y_zero_point), vymin = _mm512_set1_epi8(params->y_min);
  const size_t kfull = k & ~(size_t)63;
  const __mmask64 ktail = (k - kfull) == 0 ? 0 : (~(__mmask64)0 >> (64 - (k - kfull)));

  for (size_t r0 = rows_begin; r0 < rows_end; r0 += MR_VNNI) {
    const size_t mr = rows_end - r0 < MR_VNNI ? rows_end - r0 : MR_VNNI;
    for (size_t i = 0; i < MR_VNNI; i++) {
      const int8_t* src = x + (r0 + (i < mr ? i : mr - 1)) * x_stride;
      uint8_t* dst = xu + i * k4;
      size_t p = 0;
      for (; p < kfull; p += 64) {
        _mm512_storeu_si512(dst + p, _mm512_xor_si512(_mm512_loadu_si512(src + p), flip));
      }
      if (ktail) {
        /* Masked load: no read past k; padding bytes (k..k4) become 0 ^ 0x80, against zero weights. */
        const __m512i v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(ktail, src + p), flip);
        _mm512_mask_storeu_epi8(dst + p, ~(__mmask64)0 >> (64 - (k4 - p)), v);
      }
    }
    if (mr <= 2) {
      /* One or two rows left (a fully-connected layer's single row, a tail): row by row,
       * four channel blocks at a time, instead of computing eight rows to keep one. */
      for (size_t i = 0; i < mr; i++) {
        gemm_row_avx512vnni(xu + i * k4, k4, n, blocks, block, packed, y + (r0 + i) * y_stride, vlo, vhi, vzp);
      }
      continue;
    }
    for (size_t blk = 0; blk < blocks; blk++) {
      const uint8_t* b = (const uint8_t*)packed + blk * block;
      const __m512i bu = _mm512_load_si512(b + 4 * NR);
      const __m512 vs = _mm512_load_ps(b + 8 * NR);
      const int8_t* wb = (const int8_t*)(b + 3 * NR * 4);
      __m512i acc0 = bu, acc1 = bu, acc2 = bu, acc3 = bu, acc4 = bu, acc5 = bu, acc6 = bu, acc7 = bu;
      const uint8_t* x0 = xu;
      for (size_t p = 0; p < k4; p += 4) {
        const __m512i vw = _mm512_load_si512(wb + p * NR);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(load4(x0 + p)), vw);
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_set1_epi32(load4(x0 + k4 + p)), vw);
        acc2 = _mm512_dpbusd_epi32(acc2, _mm512_set1_epi32(load4(x0 + 2 * k4 + p)), vw);
        acc3 = _mm512_dpbusd_epi32(acc3, _mm512_set1_epi32(load4(x0 + 3 * k4 + p)), vw);
        acc4 = _mm512_dpbusd_epi32(acc4, _mm512_set1_epi32(load4(x0 + 4 * k4 + p)), vw);
        acc5 = _mm512_dpbusd_epi32(acc5, _mm512_set1_epi32(load4(x0 + 5 * k4 + p)), vw);
        acc6 = _mm512_dpbusd_epi32(acc6, _mm512_set1_epi32(load4(x0 + 6 * k4 + p)), vw);
        acc7 = _mm512_dpbusd_epi32(acc7, _mm512_set1_epi32(load4(x0 + 7 * k4 + p)), vw);
      }
      const size_t nc = n - blk * NR < NR ? n - blk * NR : NR;
      const __mmask16 cmask = (__mmask16)((1u << nc) - 1);
      int8_t* yt = y + r0 * y_stride + blk * NR;
      requantize_store4x16_avx512(acc0, acc1, acc2, acc3, vs, vhi, vzp16, vymin, yt, y_stride, cmask, mr);
      if (mr > 4) {
        requantize_store4x16_avx512(acc4, acc5, acc6, acc7, vs, vhi, vzp16, vymin, yt + 4 * y_stride, y_stride, cmask,
                                    mr - 4);
      }
    }
  }
  if (xu != stack) free(xu);
}

/*
 * AVX2: exact 16-bit products (vpmovsxbw + vpmaddwd; vpmaddubsw's int16 saturation would
 * not be exact). Per 4 inputs, a row's 4 activations are repeated over the register and
 * each group of 4 channels' 4 weights is widened to 16 int16: vpmaddwd leaves two partial
 * sums per channel, added pairwise at the end. 2 rows x 16 channels per tile.
 */
__attribute__((target("avx2,fma")))
static inline __m256i hsum_pairs_avx2(__m256i a, __m256i b) {
  /* a = [c0 c0' c1 c1' c2 c2' c3 c3'], b the same for c4..c7 -> [c0 .. c7] */
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(a, b), 0xD8);
}

__attribute__((target("avx2,fma")))
static inline __m128i requantize16_avx2(__m256i lo8, __m256i hi8, const float* scale, __m256 vlo, __m256 vhi,
                                        __m256i vzp) {
  __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(lo8), _mm256_load_ps(scale));
  __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(hi8), _mm256_load_ps(scale + 8));
  f0 = _mm256_min_ps(_mm256_max_ps(f0, vlo), vhi);
  f1 = _mm256_min_ps(_mm256_max_ps(f1, vlo), vhi);
  const __m256i q0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), vzp);
  const __m256i q1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), vzp);
  /* In range already: the saturating packs only narrow. */
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

__attribute__((target("avx2,fma")))
void loupe_s8_gemm_qc8w__avx2(GEMM_PARAMS) {
  if (rows_begin >= rows_end || n == 0) return;
  const tiling tl = tiling_of(k, n, params);
  const size_t k4 = tl.k4, block = tl.block, blocks = tl.blocks;
  const __m256 vlo = _mm256_set1_ps(tl.rq.lo), vhi = _mm256_set1_ps(tl.rq.hi);
  const __m256i vzp = _mm256_set1_epi32(params->y_zero_point);
  const size_t kmain = k & ~(size_t)3;

  for (size_t r0 = rows_begin; r0 < rows_end; r0 += MR_AVX2) {
    const size_t mr = rows_end - r0 < MR_AVX2 ? rows_end - r0 : MR_AVX2;
    const int8_t* xa = x + r0 * x_stride;
    const int8_t* xb = x + (r0 + mr - 1) * x_stride;
    for (size_t blk = 0; blk < blocks; blk++) {
      const uint8_t* b = (const uint8_t*)packed + blk * block;
      const int8_t* wb = (const int8_t*)(b + 3 * NR * 4);
      __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
      __m256i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (size_t p = 0; p < k4; p += 4) {
        int32_t ra, rb;
        if (p < kmain) {
          memcpy(&ra, xa + p, 4);
          memcpy(&rb, xb + p, 4);
        } else {
          /* The last 1-3 inputs: no read past k (the padded weights are zero). */
          ra = rb = 0;
          memcpy(&ra, xa + p, k - p);
          memcpy(&rb, xb + p, k - p);
        }
        const __m256i va = _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(ra)));
        const __m256i vb = _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(rb)));
        const int8_t* wp = wb + p * NR;
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)wp));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(wp + 16)));
        const __m256i w2 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(wp + 32)));
        const __m256i w3 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(wp + 48)));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(va, w0));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(va, w1));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(va, w2));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(va, w3));
        b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(vb, w0));
        b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(vb, w1));
        b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(vb, w2));
        b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(vb, w3));
      }
      const __m256i bs0 = _mm256_load_si256((const __m256i*)b);
      const __m256i bs1 = _mm256_load_si256((const __m256i*)(b + 32));
      const __m256i ya0 = _mm256_add_epi32(hsum_pairs_avx2(a0, a1), bs0);
      const __m256i ya1 = _mm256_add_epi32(hsum_pairs_avx2(a2, a3), bs1);
      const __m256i yb0 = _mm256_add_epi32(hsum_pairs_avx2(b0, b1), bs0);
      const __m256i yb1 = _mm256_add_epi32(hsum_pairs_avx2(b2, b3), bs1);
      const float* sc = (const float*)(b + 8 * NR);
      const size_t nc = n - blk * NR < NR ? n - blk * NR : NR;
      const __m128i qa = requantize16_avx2(ya0, ya1, sc, vlo, vhi, vzp);
      int8_t* ya = y + r0 * y_stride + blk * NR;
      if (nc == NR) {
        _mm_storeu_si128((__m128i*)ya, qa);
      } else {
        int8_t buf[16];
        _mm_storeu_si128((__m128i*)buf, qa);
        memcpy(ya, buf, nc);
      }
      if (mr == 2) {
        const __m128i qb = requantize16_avx2(yb0, yb1, sc, vlo, vhi, vzp);
        int8_t* yb = y + (r0 + 1) * y_stride + blk * NR;
        if (nc == NR) {
          _mm_storeu_si128((__m128i*)yb, qb);
        } else {
          int8_t buf[16];
          _mm_storeu_si128((__m128i*)buf, qb);
          memcpy(yb, buf, nc);
        }
      }
    }
  }
}
#endif /* LOUPE_X86 */

int loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_isa isa) {
  switch (isa) {
    case loupe_s8_gemm_qc8w_scalar: return 1;
#if LOUPE_X86
    case loupe_s8_gemm_qc8w_avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case loupe_s8_gemm_qc8w_avx512vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    case loupe_s8_gemm_qc8w_avx2: case loupe_s8_gemm_qc8w_avx512vnni: return 0;
#endif
  }
  return 0;
}

loupe_s8_gemm_qc8w_isa loupe_s8_gemm_qc8w_best_isa(void) {
  if (loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_avx512vnni)) return loupe_s8_gemm_qc8w_avx512vnni;
  if (loupe_s8_gemm_qc8w_isa_available(loupe_s8_gemm_qc8w_avx2)) return loupe_s8_gemm_qc8w_avx2;
  return loupe_s8_gemm_qc8w_scalar;
}

void loupe_s8_gemm_qc8w__isa(loupe_s8_gemm_qc8w_isa isa, size_t rows_begin, size_t rows_end, size_t k, size_t n,
                             const int8_t* x, size_t x_stride, const void* packed, int8_t* y, size_t y_stride,
                             const loupe_s8_gemm_qc8w_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_s8_gemm_qc8w_avx512vnni:
      loupe_s8_gemm_qc8w__avx512vnni(GEMM_ARGS);
      return;
    case loupe_s8_gemm_qc8w_avx2:
      loupe_s8_gemm_qc8w__avx2(GEMM_ARGS);
      return;
#else
    case loupe_s8_gemm_qc8w_avx512vnni: case loupe_s8_gemm_qc8w_avx2:
#endif
    case loupe_s8_gemm_qc8w_scalar:
      loupe_s8_gemm_qc8w__scalar(GEMM_ARGS);
      return;
  }
}
