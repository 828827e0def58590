/*
 * Int8 depthwise convolution (NHWC, one filter per channel) with per-channel int8 weights:
 *
 *   acc[c] = bias[c] + sum_taps (x[tap][c] - x_zero_point) * w[c][tap]   (taps outside the
 *            input contribute nothing: they read x_zero_point)
 *   y[c]   = clamp(rne(float(acc[c]) * scale[c]) + y_zero_point, y_min, y_max)
 *
 * The requantization is gemm/gemm_qc8w.c's, XNNPACK's qc8 "fp32" one bit for bit, so the
 * codes equal those of xnn_create_convolution2d_nhwc_qc8 on the same depthwise layer.
 *
 * Two packed layouts (loupe_s8_dwconv_qc8w_pack), each followed by one row of
 * round_up(channels, 64) bytes of x_zero_point: the input of the taps that fall in the
 * padding, so that every tap runs the same code.
 *
 * The portable one (scalar, AVX2, AVX-512), blocks of 16 channels:
 *   int32 bias[16]         bias - x_zero_point * sum_taps w   (wrapping)
 *   float scale[16]
 *   int32 w[taps][16]      weights in the low 16 bits of each 32 (vpmaddwd with a sign-
 *                          extended input gives the exact product)
 *
 * The VNNI one: blocks of 64 channels for vpdpbusd, which multiplies 4 unsigned bytes by 4
 * signed ones and adds the 4 products into an int32 lane. The taps go in groups of 4 (the
 * last group padded with zero weights), and one lane holds one channel's 4 taps. The kernel
 * builds those lanes from 4 tap loads of 64 channels with byte then word unpacks, which
 * work inside 128-bit lanes: unpack j (0..3) leaves channel 16 L + 4 j + e of 128-bit lane
 * L at its dword 4 L + e. The block stores everything in that order:
 *   int32 bias_u[4][16]    bias - (x_zero_point + 128) * sum_taps w   (inputs are x ^ 0x80 = x + 128)
 *   float scale[4][16]
 *   int8  w[groups][4][16][4]
 * and the requantized int32 results go back to channel order through vpackssdw and
 * vpacksswb, which undo the unpacks lane by lane. A remainder of at most 32 channels past
 * the last whole block of 64 is cheaper in the portable layout's 16-channel blocks (a masked
 * block of 64 would do up to 4x the work), which follow the blocks of 64.
 */
#include <string.h>
#include "../common/qc8_requant.h"

#define CB 16
#define CW 64

static size_t block_bytes(size_t taps) { return 2 * CB * 4 + taps * CB * 4; }
static size_t blocks_of(size_t channels) { return (channels + CB - 1) / CB; }
static size_t zero_row_bytes(size_t channels) { return ((channels + 63) / 64) * 64; }

static size_t groups_of(size_t taps) { return (taps + 3) / 4; }
static size_t dot_block_bytes(size_t taps) { return 2 * CW * 4 + groups_of(taps) * CW * 4; }
/* Channels in the VNNI layout's blocks of 64: all of them, but a remainder of 1-32. */
static size_t dot_channels(size_t channels) {
  const size_t r = channels % CW;
  return r != 0 && r <= 32 ? channels - r : channels;
}
static size_t dot_blocks_of(size_t channels) { return (dot_channels(channels) + CW - 1) / CW; }
/* 16 or 32 channels: a block of 64 lanes that repeats them, for 64 / channels pixels at once
 * (see walk_grouped_vnni), before the 16-channel blocks. */
static int groups_pixels(size_t channels) { return channels == 16 || channels == 32; }
static size_t portable_offset_of(size_t taps, size_t channels) {
  return (groups_pixels(channels) ? 1 : dot_blocks_of(channels)) * dot_block_bytes(taps);
}

static size_t portable_size(size_t taps, size_t channels) { return blocks_of(channels) * block_bytes(taps); }

size_t loupe_s8_dwconv_qc8w_packed_size(loupe_s8_dwconv_qc8w_isa isa, size_t taps, size_t channels) {
  if (isa == loupe_s8_dwconv_qc8w_avx512vnni) {
    return portable_offset_of(taps, channels) + portable_size(taps, channels - dot_channels(channels)) +
           zero_row_bytes(channels);
  }
  return portable_size(taps, channels) + zero_row_bytes(channels);
}

/* The weights of one channel, one int32 per tap. */
static void put_weights(uint8_t* b, size_t j, const int8_t* wc, size_t taps) {
  for (size_t t = 0; t < taps; t++) {
    /* The weight in the low 16 bits, zeros above: vpmaddwd of a sign-extended input with it
     * is the exact 32-bit product (the high halves multiply zero). */
    const uint32_t lo16 = (uint32_t)(uint16_t)(int16_t)wc[t];
    memcpy(b + 2 * CB * 4 + (t * CB + j) * 4, &lo16, 4);
  }
}

/* The VNNI layout's blocks of 64 lanes for lanes [0, lanes): lane v holds channel v % period
 * (see the top of the file). */
static void pack_dot(size_t taps, size_t lanes, size_t period, const int8_t* w, const int32_t* bias,
                     const float* scale, int8_t x_zero_point, uint8_t* packed) {
  const size_t block = dot_block_bytes(taps);
  memset(packed, 0, ((lanes + CW - 1) / CW) * block);
  for (size_t v = 0; v < lanes; v++) {
    const size_t c = v % period;
    uint8_t* b = packed + (v / CW) * block;
    const size_t i = v % CW, lane = i / 16, j = (i % 16) / 4, e = i % 4;
    const size_t slot = j * 16 + lane * 4 + e; /* the dword of unpack j that holds channel c */
    const int8_t* wc = w + c * taps;
    uint32_t sum = 0;
    for (size_t t = 0; t < taps; t++) sum += (uint32_t)(int32_t)wc[t];
    const uint32_t corrected = (bias ? (uint32_t)bias[c] : 0) - (uint32_t)((int32_t)x_zero_point + 128) * sum;
    memcpy(b + 4 * slot, &corrected, 4);
    memcpy(b + CW * 4 + 4 * slot, &scale[c], 4);
    for (size_t t = 0; t < taps; t++) b[2 * CW * 4 + (t / 4) * CW * 4 + 4 * slot + t % 4] = (uint8_t)wc[t];
  }
}

void loupe_s8_dwconv_qc8w_pack(loupe_s8_dwconv_qc8w_isa isa, size_t taps, size_t channels, const int8_t* w,
                               const int32_t* bias, const float* scale, int8_t x_zero_point, void* packed) {
  uint8_t* p = (uint8_t*)packed;
  size_t c0 = 0;
  if (isa == loupe_s8_dwconv_qc8w_avx512vnni) {
    c0 = dot_channels(channels);
    if (groups_pixels(channels)) {
      pack_dot(taps, CW, channels, w, bias, scale, x_zero_point, p);
    } else {
      pack_dot(taps, c0, c0, w, bias, scale, x_zero_point, p);
    }
    p += portable_offset_of(taps, channels);
  }
  const size_t rest = channels - c0, size = portable_size(taps, rest);
  qc8_pack(p, size, rest, CB, block_bytes(taps), w + c0 * taps, taps, bias ? bias + c0 : NULL, scale + c0,
           x_zero_point, 1, put_weights);
  memset(p + size, (uint8_t)x_zero_point, zero_row_bytes(channels));
}

/* Input pointers of the taps of output pixel (b, oy, ox): the pixel's channel 0, or the
 * zero-point row where the tap falls in the padding. */
static inline void tap_pointers(const loupe_s8_dwconv_geometry* g, size_t b, size_t oy, size_t ox,
                                const int8_t* x, const int8_t* zero, const int8_t** ptrs) {
  size_t t = 0;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    const ptrdiff_t iy = (ptrdiff_t)(oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t)g->pad_top;
    const int row_ok = iy >= 0 && iy < (ptrdiff_t)g->in_h;
    for (size_t kx = 0; kx < g->kernel_w; kx++, t++) {
      const ptrdiff_t ix = (ptrdiff_t)(ox * g->stride_w + kx * g->dilation_w) - (ptrdiff_t)g->pad_left;
      ptrs[t] = row_ok && ix >= 0 && ix < (ptrdiff_t)g->in_w
                    ? x + ((b * g->in_h + (size_t)iy) * g->in_w + (size_t)ix) * g->channels
                    : zero;
    }
  }
}

#define MAX_TAPS 64

void loupe_s8_dwconv_qc8w_nhwc__scalar(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params) {
  const size_t taps = g->kernel_h * g->kernel_w;
  const size_t block = block_bytes(taps);
  const int8_t* zero = (const int8_t*)packed + blocks_of(g->channels) * block;
  const qc8_requant rq = qc8_requant_of(params);
  const int8_t* ptrs[MAX_TAPS];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    for (size_t ox = 0; ox < g->out_w; ox++) {
      tap_pointers(g, b, oy, ox, x, zero, ptrs);
      int8_t* out = y + (row * g->out_w + ox) * y_pixel_stride;
      for (size_t c = 0; c < g->channels; c++) {
        size_t j;
        const uint8_t* blk = qc8_block_of(packed, c, CB, block, &j);
        int32_t bias, w;
        float s;
        memcpy(&bias, blk + 4 * j, 4);
        memcpy(&s, blk + 4 * (CB + j), 4);
        uint32_t acc = (uint32_t)bias;
        for (size_t t = 0; t < taps; t++) {
          memcpy(&w, blk + 2 * CB * 4 + (t * CB + j) * 4, 4);
          acc += (uint32_t)((int32_t)ptrs[t][c] * (int32_t)(int16_t)w);
        }
        out[c] = requantize((int32_t)acc, s, rq.lo, rq.hi, rq.magic_less_zp);
      }
    }
  }
}


/* Addresses of the taps of an output pixel as base + off[t]: for a pixel whose window lies
 * inside the input, the window's top-left pixel and offsets fixed for the layer (no
 * per-tap test); otherwise base 0 and each tap's own address (tap_pointers). */
typedef struct tap_walk {
  uintptr_t interior[MAX_TAPS];
  uintptr_t edge[MAX_TAPS];
} tap_walk;

/* Taps past the last, up to a multiple of 4, repeat tap 0's address: the VNNI layout's
 * groups of 4 read them against zero weights. (At most 64 taps: 64 is a multiple of 4.) */
static size_t padded_taps(size_t taps) { return (taps + 3) & ~(size_t)3; }

static inline void tap_walk_init(const loupe_s8_dwconv_geometry* g, tap_walk* w) {
  size_t t = 0;
  for (size_t ky = 0; ky < g->kernel_h; ky++) {
    for (size_t kx = 0; kx < g->kernel_w; kx++, t++) {
      w->interior[t] = (uintptr_t)((ky * g->dilation_h * g->in_w + kx * g->dilation_w) * g->channels);
    }
  }
  for (; t < padded_taps(g->kernel_h * g->kernel_w); t++) w->interior[t] = w->interior[0];
}

static inline const uintptr_t* tap_walk_pixel(const loupe_s8_dwconv_geometry* g, tap_walk* w, size_t b, size_t oy,
                                              size_t ox, const int8_t* x, const int8_t* zero, uintptr_t* base) {
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * g->stride_h) - (ptrdiff_t)g->pad_top;
  const ptrdiff_t ix0 = (ptrdiff_t)(ox * g->stride_w) - (ptrdiff_t)g->pad_left;
  if (iy0 >= 0 && iy0 + (ptrdiff_t)((g->kernel_h - 1) * g->dilation_h) < (ptrdiff_t)g->in_h && ix0 >= 0 &&
      ix0 + (ptrdiff_t)((g->kernel_w - 1) * g->dilation_w) < (ptrdiff_t)g->in_w) {
    *base = (uintptr_t)(x + ((b * g->in_h + (size_t)iy0) * g->in_w + (size_t)ix0) * g->channels);
    return w->interior;
  }
  const int8_t* ptrs[MAX_TAPS];
  tap_pointers(g, b, oy, ox, x, zero, ptrs);
  const size_t taps = g->kernel_h * g->kernel_w;
  for (size_t t = 0; t < padded_taps(taps); t++) w->edge[t] = (uintptr_t)ptrs[t < taps ? t : 0];
  *base = 0;
  return w->edge;
}

#if LOUPE_X86
/* What every output pixel of a SIMD variant needs: the layer's sizes and requantization.
 * `blocks` 16-channel blocks of `block` bytes (the portable layout) cover `channels`; the
 * VNNI variant has `dot_blocks` blocks of 64 before them, and its 16-channel blocks start at
 * channel `dot_channels`. */
typedef struct dw_layer {
  size_t taps, block, blocks, channels;
  qc8_requant rq;
  int32_t y_zero_point;
  size_t groups, dot_block, dot_blocks, dot_channels;
  __mmask64 dot_last;     /* the channels of the last block of 64 */
  size_t portable_offset; /* where the 16-channel blocks start */
} dw_layer;

static inline dw_layer dw_layer_of(const loupe_s8_dwconv_geometry* g, const loupe_s8_gemm_qc8w_params* params,
                                   int vnni) {
  const size_t taps = g->kernel_h * g->kernel_w;
  const size_t dot = vnni ? dot_channels(g->channels) : 0;
  const size_t last = dot % CW == 0 ? CW : dot % CW;
  const dw_layer l = {taps, block_bytes(taps), blocks_of(g->channels - dot), g->channels - dot,
                      qc8_requant_of(params), params->y_zero_point, groups_of(taps), dot_block_bytes(taps),
                      vnni ? dot_blocks_of(g->channels) : 0, dot, ~(__mmask64)0 >> (CW - last),
                      vnni ? portable_offset_of(taps, g->channels) : 0};
  return l;
}

/* One output pixel of a SIMD variant: its taps at base + off[t], its channels to out. */
typedef void (*dw_pixel_fn)(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                            int8_t* out);

/* The walk of the SIMD variants over the output pixels of rows rows_begin..rows_end (over
 * batch * out_h). Always inlined into each variant, so `pixel` is a constant there and is
 * inlined too; its per-layer constants are hoisted out of the loops. */
static inline __attribute__((always_inline)) void dw_walk(dw_pixel_fn pixel, const dw_layer* l,
                                                          const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                                          size_t rows_end, const int8_t* x, const void* packed,
                                                          int8_t* y, size_t y_pixel_stride) {
  const int8_t* zero = (const int8_t*)packed + l->portable_offset + l->blocks * l->block;
  tap_walk walk;
  tap_walk_init(g, &walk);
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    for (size_t ox = 0; ox < g->out_w; ox++) {
      uintptr_t base;
      const uintptr_t* off = tap_walk_pixel(g, &walk, b, oy, ox, x, zero, &base);
      pixel(l, packed, base, off, y + (row * g->out_w + ox) * y_pixel_stride);
    }
  }
}

/* AVX-512: 16 channels per zmm, inputs widened with vpmovsxbd, products by vpmaddwd against
 * the low-16-bit weights (exact). The pixel is written once; `mac` is the multiply-add of
 * one tap (vpmaddwd + vpaddd, or VNNI's vpdpwssd), inlined into each variant. */
typedef __m512i (*dw_mac512)(__m512i acc, __m512i x, __m512i w);

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline __m512i mac_madd512(__m512i acc, __m512i x, __m512i w) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(x, w));
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline __m512i mac_dpwssd512(__m512i acc, __m512i x, __m512i w) {
  return _mm512_dpwssd_epi32(acc, x, w);
}

/* The 16-channel blocks of the portable layout at packed, for l->channels channels read
 * from base + off[t] and written to out. */
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline void pixel_avx512(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                int8_t* out, dw_mac512 mac) {
  const size_t taps = l->taps, block = l->block, blocks = l->blocks;
  const __m512 vlo = _mm512_set1_ps(l->rq.lo), vhi = _mm512_set1_ps(l->rq.hi);
  const __m512i vzp = _mm512_set1_epi32(l->y_zero_point);
  const size_t tail = l->channels - (blocks - 1) * CB;
  const __mmask16 tail_mask = (__mmask16)((1u << tail) - 1);
  const uint8_t* blk = (const uint8_t*)packed;
  for (size_t cb = 0; cb < blocks; cb++, blk += block) {
    const size_t c0 = cb * CB;
    const __mmask16 m = cb + 1 == blocks ? tail_mask : (__mmask16)0xFFFF;
    const int32_t* wp = (const int32_t*)(blk + 2 * CB * 4);
    __m512i acc0 = _mm512_load_si512(blk);
    __m512i acc1 = _mm512_setzero_si512();
    size_t t = 0;
    /* Two chains: the multiply's latency is hidden behind the other. */
    for (; t + 2 <= taps; t += 2) {
      const __m512i x0 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t]) + c0));
      const __m512i x1 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t + 1]) + c0));
      acc0 = mac(acc0, x0, _mm512_load_si512(wp + t * CB));
      acc1 = mac(acc1, x1, _mm512_load_si512(wp + (t + 1) * CB));
    }
    if (t < taps) {
      const __m512i x0 = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t*)(base + off[t]) + c0));
      acc0 = mac(acc0, x0, _mm512_load_si512(wp + t * CB));
    }
    const __m512i acc = _mm512_add_epi32(acc0, acc1);
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_load_ps(blk + CB * 4));
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
    const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp);
    _mm_mask_storeu_epi8(out + c0, m, _mm512_cvtepi32_epi8(q));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline void pixel_avx512_madd(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                     int8_t* out) {
  pixel_avx512(l, packed, base, off, out, mac_madd512);
}

__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline __m512i requantize512(__m512i acc, __m512 scale, __m512 vlo, __m512 vhi, __m512i vzp) {
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
  f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
  return _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp);
}

/* One block of 64 lanes of the VNNI layout (see the top of the file): taps at base + off[t]
 * + c0 (lanes under mask m), results to out + c0. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void dot_block_vnni(const dw_layer* l, const uint8_t* blk, uintptr_t base, const uintptr_t* off,
                                  size_t c0, __mmask64 m, int8_t* out) {
  const __m512 vlo = _mm512_set1_ps(l->rq.lo), vhi = _mm512_set1_ps(l->rq.hi);
  const __m512i vzp = _mm512_set1_epi32(l->y_zero_point);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  __m512i a0 = _mm512_load_si512(blk), a1 = _mm512_load_si512(blk + 64);
  __m512i a2 = _mm512_load_si512(blk + 128), a3 = _mm512_load_si512(blk + 192);
  const uint8_t* wg = blk + 2 * CW * 4;
  for (size_t gi = 0; gi < l->groups; gi++, wg += CW * 4) {
    const uintptr_t* o = off + 4 * gi;
    /* x ^ 0x80 = x + 128 as unsigned bytes; masked-off lanes meet zero weights. */
    const __m512i x0 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, (const int8_t*)(base + o[0]) + c0), flip);
    const __m512i x1 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, (const int8_t*)(base + o[1]) + c0), flip);
    const __m512i x2 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, (const int8_t*)(base + o[2]) + c0), flip);
    const __m512i x3 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, (const int8_t*)(base + o[3]) + c0), flip);
    const __m512i lo01 = _mm512_unpacklo_epi8(x0, x1), hi01 = _mm512_unpackhi_epi8(x0, x1);
    const __m512i lo23 = _mm512_unpacklo_epi8(x2, x3), hi23 = _mm512_unpackhi_epi8(x2, x3);
    a0 = _mm512_dpbusd_epi32(a0, _mm512_unpacklo_epi16(lo01, lo23), _mm512_load_si512(wg));
    a1 = _mm512_dpbusd_epi32(a1, _mm512_unpackhi_epi16(lo01, lo23), _mm512_load_si512(wg + 64));
    a2 = _mm512_dpbusd_epi32(a2, _mm512_unpacklo_epi16(hi01, hi23), _mm512_load_si512(wg + 128));
    a3 = _mm512_dpbusd_epi32(a3, _mm512_unpackhi_epi16(hi01, hi23), _mm512_load_si512(wg + 192));
  }
  const float* sc = (const float*)(blk + CW * 4);
  const __m512i q0 = requantize512(a0, _mm512_load_ps(sc), vlo, vhi, vzp);
  const __m512i q1 = requantize512(a1, _mm512_load_ps(sc + 16), vlo, vhi, vzp);
  const __m512i q2 = requantize512(a2, _mm512_load_ps(sc + 32), vlo, vhi, vzp);
  const __m512i q3 = requantize512(a3, _mm512_load_ps(sc + 48), vlo, vhi, vzp);
  /* In int8 range already, so the saturating packs only narrow; lane by lane they put the
   * unpacks' channels back in order. */
  const __m512i q = _mm512_packs_epi16(_mm512_packs_epi32(q0, q1), _mm512_packs_epi32(q2, q3));
  _mm512_mask_storeu_epi8(out + c0, m, q);
}

/* AVX-512 VNNI, one pixel: the blocks of 64 channels, then the remainder's 16-channel
 * blocks with vpdpwssd. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void pixel_avx512_vnni(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                                     int8_t* out) {
  const uint8_t* blk = (const uint8_t*)packed;
  for (size_t cb = 0; cb < l->dot_blocks; cb++, blk += l->dot_block) {
    dot_block_vnni(l, blk, base, off, cb * CW, cb + 1 == l->dot_blocks ? l->dot_last : ~(__mmask64)0, out);
  }
  if (l->channels) {
    const size_t c0 = l->dot_channels;
    pixel_avx512(l, (const uint8_t*)packed + l->portable_offset, base + c0, off, out + c0, mac_dpwssd512);
  }
}

/* AVX-512 VNNI with 16 or 32 channels and a horizontal stride of 1: the output pixels
 * ox .. ox + 64 / channels - 1 read 64 contiguous bytes per tap, and the packed block of 64
 * lanes repeats the channels' weights once per pixel, so one block computes them all. Pixels
 * whose window leaves the input on the left or right (and a row's last pixels short of a
 * group) go one by one. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))
static inline void walk_grouped_vnni(const dw_layer* l, const loupe_s8_dwconv_geometry* g, size_t rows_begin,
                                     size_t rows_end, const int8_t* x, const void* packed, int8_t* y) {
  const size_t c = g->channels, group = CW / c, taps = l->taps;
  const int8_t* zero = (const int8_t*)packed + l->portable_offset + l->blocks * l->block;
  const ptrdiff_t span = (ptrdiff_t)(group - 1 + (g->kernel_w - 1) * g->dilation_w);
  tap_walk walk;
  tap_walk_init(g, &walk);
  uintptr_t ptrs[MAX_TAPS];
  for (size_t row = rows_begin; row < rows_end; row++) {
    const size_t b = row / g->out_h, oy = row % g->out_h;
    int8_t* yrow = y + row * g->out_w * c;
    for (size_t ox = 0; ox < g->out_w;) {
      const ptrdiff_t ix0 = (ptrdiff_t)ox - (ptrdiff_t)g->pad_left;
      if (ox + group <= g->out_w && ix0 >= 0 && ix0 + span < (ptrdiff_t)g->in_w) {
        size_t t = 0;
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const ptrdiff_t iy = (ptrdiff_t)(oy * g->stride_h + ky * g->dilation_h) - (ptrdiff_t)g->pad_top;
          const int8_t* rowp =
              iy >= 0 && iy < (ptrdiff_t)g->in_h ? x + ((b * g->in_h + (size_t)iy) * g->in_w + (size_t)ix0) * c : NULL;
          /* A tap row in the padding: every pixel of the group reads the zero-point row. */
          for (size_t kx = 0; kx < g->kernel_w; kx++, t++) ptrs[t] = (uintptr_t)(rowp ? rowp + kx * g->dilation_w * c : zero);
        }
        for (; t < padded_taps(taps); t++) ptrs[t] = ptrs[0];
        dot_block_vnni(l, (const uint8_t*)packed, 0, ptrs, 0, ~(__mmask64)0, yrow + ox * c);
        ox += group;
      } else {
        uintptr_t base;
        const uintptr_t* off = tap_walk_pixel(g, &walk, b, oy, ox, x, zero, &base);
        pixel_avx512(l, (const uint8_t*)packed + l->portable_offset, base, off, yrow + ox * c, mac_dpwssd512);
        ox++;
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void loupe_s8_dwconv_qc8w_nhwc__avx512(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                       const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                       const loupe_s8_gemm_qc8w_params* params) {
  const dw_layer l = dw_layer_of(g, params, 0);
  dw_walk(pixel_avx512_madd, &l, g, rows_begin, rows_end, x, packed, y, y_pixel_stride);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
void loupe_s8_dwconv_qc8w_nhwc__avx512vnni(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                           const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                           const loupe_s8_gemm_qc8w_params* params) {
  const dw_layer l = dw_layer_of(g, params, 1);
  if (groups_pixels(g->channels) && g->stride_w == 1 && y_pixel_stride == g->channels) {
    walk_grouped_vnni(&l, g, rows_begin, rows_end, x, packed, y);
  } else {
    dw_walk(pixel_avx512_vnni, &l, g, rows_begin, rows_end, x, packed, y, y_pixel_stride);
  }
}

/* AVX2: 8 channels per ymm, vpmovsxbd + vpmaddwd. */
__attribute__((target("avx2,fma"), always_inline))
static inline void pixel_avx2(const dw_layer* l, const void* packed, uintptr_t base, const uintptr_t* off,
                              int8_t* out) {
  const size_t taps = l->taps, block = l->block, channels = l->channels;
  const __m256 vlo = _mm256_set1_ps(l->rq.lo), vhi = _mm256_set1_ps(l->rq.hi);
  const __m256i vzp = _mm256_set1_epi32(l->y_zero_point);
  for (size_t c0 = 0; c0 < channels; c0 += 8) {
    const uint8_t* blk = (const uint8_t*)packed + (c0 / CB) * block;
    const size_t half = (c0 % CB) / 8;
    const size_t nc = channels - c0 < 8 ? channels - c0 : 8;
    const int32_t* wp = (const int32_t*)(blk + 2 * CB * 4) + half * 8;
    __m256i acc0 = _mm256_load_si256((const __m256i*)((const int32_t*)blk + half * 8));
    __m256i acc1 = _mm256_setzero_si256();
    size_t t = 0;
    if (nc == 8) {
      for (; t + 2 <= taps; t += 2) {
        int64_t a, bb;
        memcpy(&a, (const int8_t*)(base + off[t]) + c0, 8);
        memcpy(&bb, (const int8_t*)(base + off[t + 1]) + c0, 8);
        const __m256i x0 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(a));
        const __m256i x1 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(bb));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_load_si256((const __m256i*)(wp + t * CB))));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(x1, _mm256_load_si256((const __m256i*)(wp + (t + 1) * CB))));
      }
    }
    for (; t < taps; t++) {
      int64_t a = 0;
      memcpy(&a, (const int8_t*)(base + off[t]) + c0, nc); /* tail: no read past the channels */
      const __m256i x0 = _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(a));
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_load_si256((const __m256i*)(wp + t * CB))));
    }
    const __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_load_ps((const float*)(blk + CB * 4) + half * 8));
    f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), vzp);
    /* In range already: the saturating packs only narrow. */
    const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i q8 = _mm_packs_epi16(q16, q16);
    if (nc == 8) {
      _mm_storel_epi64((__m128i*)(out + c0), q8);
    } else {
      int8_t buf[16];
      _mm_storeu_si128((__m128i*)buf, q8);
      memcpy(out + c0, buf, nc);
    }
  }
}

__attribute__((target("avx2,fma")))
void loupe_s8_dwconv_qc8w_nhwc__avx2(const loupe_s8_dwconv_geometry* g, size_t rows_begin, size_t rows_end,
                                     const int8_t* x, const void* packed, int8_t* y, size_t y_pixel_stride,
                                     const loupe_s8_gemm_qc8w_params* params) {
  const dw_layer l = dw_layer_of(g, params, 0);
  dw_walk(pixel_avx2, &l, g, rows_begin, rows_end, x, packed, y, y_pixel_stride);
}
#endif /* LOUPE_X86 */

int loupe_s8_dwconv_qc8w_isa_available(loupe_s8_dwconv_qc8w_isa isa) {
  switch (isa) {
    case loupe_s8_dwconv_qc8w_scalar: return 1;
#if LOUPE_X86
    case loupe_s8_dwconv_qc8w_avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case loupe_s8_dwconv_qc8w_avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    case loupe_s8_dwconv_qc8w_avx512vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    case loupe_s8_dwconv_qc8w_avx2: case loupe_s8_dwconv_qc8w_avx512: case loupe_s8_dwconv_qc8w_avx512vnni: return 0;
#endif
  }
  return 0;
}

void loupe_s8_dwconv_qc8w_nhwc__isa(loupe_s8_dwconv_qc8w_isa isa, const loupe_s8_dwconv_geometry* g,
                                    size_t rows_begin, size_t rows_end, const int8_t* x, const void* packed,
                                    int8_t* y, size_t y_pixel_stride, const loupe_s8_gemm_qc8w_params* params) {
  switch (isa) {
#if LOUPE_X86
    case loupe_s8_dwconv_qc8w_avx512:
      loupe_s8_dwconv_qc8w_nhwc__avx512(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_s8_dwconv_qc8w_avx512vnni:
      loupe_s8_dwconv_qc8w_nhwc__avx512vnni(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
    case loupe_s8_dwconv_qc8w_avx2:
      loupe_s8_dwconv_qc8w_nhwc__avx2(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
#else
    case loupe_s8_dwconv_qc8w_avx512: case loupe_s8_dwconv_qc8w_avx2: case loupe_s8_dwconv_qc8w_avx512vnni:
#endif
    case loupe_s8_dwconv_qc8w_scalar:
      loupe_s8_dwconv_qc8w_nhwc__scalar(g, rows_begin, rows_end, x, packed, y, y_pixel_stride, params);
      return;
  }
}
