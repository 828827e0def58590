/* The qc8 requantization shared by the int8 GEMM (gemm/gemm_qc8w.c) and depthwise
 * convolution (conv/dwconv_qc8w.c), and the packing and packed-block addressing both use. Internal to
 * LoupeKernels. */
#ifndef LOUPE_QC8_REQUANT_H
#define LOUPE_QC8_REQUANT_H
#include <string.h>
#include "isa_defs.h"

/* The clamp bounds in float, [y_min - zp, y_max - zp], and the magic-number bits less the
 * zero point of the scalar rounding (requantize). */
typedef struct qc8_requant {
  float lo, hi;
  int32_t magic_less_zp;
} qc8_requant;

static inline qc8_requant qc8_requant_of(const loupe_s8_gemm_qc8w_params* params) {
  const qc8_requant r = {
      .lo = (float)((int32_t)params->y_min - (int32_t)params->y_zero_point),
      .hi = (float)((int32_t)params->y_max - (int32_t)params->y_zero_point),
      .magic_less_zp = (int32_t)0x4B400000 - (int32_t)params->y_zero_point,
  };
  return r;
}

/* One output code from the accumulator: XNNPACK's scalar "fmagic" form of the fp32
 * requantization. Separate statements so that the multiply and the magic add are never
 * contracted into one fused multiply-add. */
static inline int8_t requantize(int32_t acc, float scale, float lo, float hi, int32_t magic_less_zp) {
  float f = (float)acc * scale;
  f = f < lo ? lo : f;
  f = f > hi ? hi : f;
  f += 12582912.0f; /* 1.5 * 2^23: the integer lands in the low mantissa bits, rounded half to even */
  uint32_t bits;
  memcpy(&bits, &f, 4);
  return (int8_t)((int32_t)bits - magic_less_zp);
}

/* The packed block of channel c (blocks of `lanes` channels, `block` bytes each); *j is c's
 * lane in it. */
static inline const uint8_t* qc8_block_of(const void* packed, size_t c, size_t lanes, size_t block, size_t* j) {
  *j = c % lanes;
  return (const uint8_t*)packed + (c / lanes) * block;
}

/* Writes channel c's weights (wc, count of them) at lane j of its block b, in the kernel's
 * layout. */
typedef void (*qc8_put_weights)(uint8_t* b, size_t j, const int8_t* wc, size_t count);

/* Packs per-channel weights into blocks of `lanes` channels, `block` bytes each, after
 * zeroing all `size` bytes at packed. A block starts with bias_rows int32 rows of corrected
 * biases, row r holding bias - (x_zero_point + 128 r) * sum of the channel's weights
 * (unsigned arithmetic: it wraps like the int32 accumulator), then a float row of scales;
 * `put` writes the weights. */
static inline void qc8_pack(void* packed, size_t size, size_t channels, size_t lanes, size_t block, const int8_t* w,
                            size_t count, const int32_t* bias, const float* scale, int8_t x_zero_point,
                            size_t bias_rows, qc8_put_weights put) {
  memset(packed, 0, size);
  for (size_t c = 0; c < channels; c++) {
    size_t j;
    uint8_t* b = (uint8_t*)qc8_block_of(packed, c, lanes, block, &j);
    const int8_t* wc = w + c * count;
    uint32_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += (uint32_t)(int32_t)wc[i];
    const uint32_t b0 = bias ? (uint32_t)bias[c] : 0;
    for (size_t r = 0; r < bias_rows; r++) {
      const uint32_t corrected = b0 - (uint32_t)((int32_t)x_zero_point + 128 * (int32_t)r) * sum;
      memcpy(b + 4 * (r * lanes + j), &corrected, 4);
    }
    memcpy(b + 4 * (bias_rows * lanes + j), &scale[c], 4);
    put(b, j, wc, count);
  }
}

#endif
