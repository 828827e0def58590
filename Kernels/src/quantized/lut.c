/*
 * 256-entry lookup tables over int8 codes: y[i] = table[(uint8_t) x[i]].
 *
 * Every int8 unary activation (HardSwish, HardSigmoid, Sigmoid with free output params,
 * Clip, Relu, LeakyRelu, Elu, ...) and every requantization (concat inputs, max-pool with
 * different params) is one such table: the table is exact by construction, and a table
 * lookup costs the same whatever the function.
 */
#include <string.h>
#include "../common/isa_defs.h"

void loupe_x8_lut__scalar(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  const uint8_t* in = (const uint8_t*)x;
  uint8_t* out = (uint8_t*)y;
  for (size_t i = 0; i < n; i++) out[i] = table[in[i]];
}

#if LOUPE_X86
/*
 * SSSE3/AVX2: pshufb looks up 16 entries at once and returns 0 where the index byte has its
 * top bit set. Table rows T_k = table[16k .. 16k+15]. For a code u < 128, the index
 * u - 16k has its top bit clear exactly for the rows k <= u >> 4 (and keeps u's low
 * nibble), so XOR-ing the lookups into D_0 = T_0, D_k = T_k ^ T_(k-1) telescopes to
 * T_(u>>4)[u & 15]. Rows 8..15 do the same for u >= 128 (D_8 = T_8), and bit 7 of u picks
 * the half. `rows` holds the 16 XOR-difference rows built once per call.
 */
static void lut_xor_rows(const uint8_t table[256], uint8_t rows[256]) {
  for (int k = 0; k < 16; k++) {
    for (int j = 0; j < 16; j++) {
      const uint8_t prev = (k == 0 || k == 8) ? 0 : table[16 * (k - 1) + j];
      rows[16 * k + j] = table[16 * k + j] ^ prev;
    }
  }
}

__attribute__((target("ssse3,sse4.1")))
static inline __m128i lut16_sse(__m128i vx, const __m128i d[16]) {
  __m128i lo = _mm_shuffle_epi8(d[0], vx);
  __m128i hi = _mm_shuffle_epi8(d[8], _mm_sub_epi8(vx, _mm_set1_epi8((char)128)));
  for (int k = 1; k < 8; k++) {
    lo = _mm_xor_si128(lo, _mm_shuffle_epi8(d[k], _mm_sub_epi8(vx, _mm_set1_epi8((char)(16 * k)))));
    hi = _mm_xor_si128(hi, _mm_shuffle_epi8(d[k + 8], _mm_sub_epi8(vx, _mm_set1_epi8((char)(16 * (k + 8))))));
  }
  return _mm_blendv_epi8(lo, hi, vx);
}

__attribute__((target("ssse3,sse4.1")))
void loupe_x8_lut__ssse3(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  uint8_t rows[256];
  lut_xor_rows(table, rows);
  __m128i d[16];
  for (int k = 0; k < 16; k++) d[k] = _mm_loadu_si128((const __m128i*)(rows + 16 * k));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_storeu_si128((__m128i*)(y + i), lut16_sse(_mm_loadu_si128((const __m128i*)(x + i)), d));
  }
  if (i < n) {
    /* Tail through a stack buffer: no read or write past n. */
    int8_t buf[16] = {0};
    memcpy(buf, x + i, n - i);
    _mm_storeu_si128((__m128i*)buf, lut16_sse(_mm_loadu_si128((const __m128i*)buf), d));
    memcpy(y + i, buf, n - i);
  }
}

__attribute__((target("avx2")))
static inline __m256i lut32_avx2(__m256i vx, const __m256i d[16]) {
  __m256i lo = _mm256_shuffle_epi8(d[0], vx);
  __m256i hi = _mm256_shuffle_epi8(d[8], _mm256_sub_epi8(vx, _mm256_set1_epi8((char)128)));
  for (int k = 1; k < 8; k++) {
    lo = _mm256_xor_si256(lo, _mm256_shuffle_epi8(d[k], _mm256_sub_epi8(vx, _mm256_set1_epi8((char)(16 * k)))));
    hi = _mm256_xor_si256(hi, _mm256_shuffle_epi8(d[k + 8], _mm256_sub_epi8(vx, _mm256_set1_epi8((char)(16 * (k + 8))))));
  }
  return _mm256_blendv_epi8(lo, hi, vx);
}

__attribute__((target("avx2")))
void loupe_x8_lut__avx2(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  uint8_t rows[256];
  lut_xor_rows(table, rows);
  __m256i d[16];
  /* vpshufb works within each 128-bit lane: the row goes into both lanes. */
  for (int k = 0; k < 16; k++) d[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)(rows + 16 * k)));
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_si256((__m256i*)(y + i), lut32_avx2(_mm256_loadu_si256((const __m256i*)(x + i)), d));
  }
  if (i < n) {
    int8_t buf[32] = {0};
    memcpy(buf, x + i, n - i);
    _mm256_storeu_si256((__m256i*)buf, lut32_avx2(_mm256_loadu_si256((const __m256i*)buf), d));
    memcpy(y + i, buf, n - i);
  }
}

/*
 * AVX-512 VBMI: vpermi2b indexes 128 bytes held in two registers by the low 7 bits; two
 * lookups cover the 256 entries and bit 7 of the code (vpmovb2m) picks between them.
 * Masked loads and stores handle the tail without touching memory past n.
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi")))
void loupe_x8_lut__avx512vbmi(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  const __m512i t0 = _mm512_loadu_si512(table);
  const __m512i t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128);
  const __m512i t3 = _mm512_loadu_si512(table + 192);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i vx = _mm512_loadu_si512(x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, vx, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, vx, t3);
    _mm512_storeu_si512(y + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(vx), lo, hi));
  }
  if (i < n) {
    const __mmask64 m = _cvtu64_mask64((~UINT64_C(0)) >> (64 - (n - i)));
    const __m512i vx = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, vx, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, vx, t3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(vx), lo, hi));
  }
}
#endif

#if defined(__aarch64__)
/* NEON (AArch64): tbl/tbx over four 64-byte quarters; tbx leaves lanes whose index is out
 * of its quarter untouched. */
void loupe_x8_lut__neon(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  const uint8x16x4_t q0 = vld1q_u8_x4(table);
  const uint8x16x4_t q1 = vld1q_u8_x4(table + 64);
  const uint8x16x4_t q2 = vld1q_u8_x4(table + 128);
  const uint8x16x4_t q3 = vld1q_u8_x4(table + 192);
  const uint8x16_t c64 = vdupq_n_u8(64);
  const uint8_t* in = (const uint8_t*)x;
  uint8_t* out = (uint8_t*)y;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint8x16_t vx = vld1q_u8(in + i);
    uint8x16_t vy = vqtbl4q_u8(q0, vx);
    vx = vsubq_u8(vx, c64);
    vy = vqtbx4q_u8(vy, q1, vx);
    vx = vsubq_u8(vx, c64);
    vy = vqtbx4q_u8(vy, q2, vx);
    vx = vsubq_u8(vx, c64);
    vy = vqtbx4q_u8(vy, q3, vx);
    vst1q_u8(out + i, vy);
  }
  loupe_x8_lut__scalar(n - i, x + i, y + i, table);
}
#endif

void loupe_x8_lut(size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  /* Cached on first call; racing first calls store the same value (relaxed atomics). */
  static int cached = -1;
  int isa = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (isa < 0) { isa = (int)loupe_x8_lut_best_isa(); __atomic_store_n(&cached, isa, __ATOMIC_RELAXED); }
  loupe_x8_lut__isa((loupe_x8_lut_isa)isa, n, x, y, table);
}

int loupe_x8_lut_isa_available(loupe_x8_lut_isa isa) {
  switch (isa) {
    case loupe_x8_lut_scalar: return 1;
#if LOUPE_X86
    case loupe_x8_lut_ssse3: __builtin_cpu_init(); return __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
    case loupe_x8_lut_avx2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
    case loupe_x8_lut_avx512vbmi:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
#else
    case loupe_x8_lut_ssse3: case loupe_x8_lut_avx2: case loupe_x8_lut_avx512vbmi: return 0;
#endif
#if defined(__aarch64__)
    case loupe_x8_lut_neon: return 1;
#else
    case loupe_x8_lut_neon: return 0;
#endif
  }
  return 0;
}

loupe_x8_lut_isa loupe_x8_lut_best_isa(void) {
  if (loupe_x8_lut_isa_available(loupe_x8_lut_avx512vbmi)) return loupe_x8_lut_avx512vbmi;
  if (loupe_x8_lut_isa_available(loupe_x8_lut_avx2)) return loupe_x8_lut_avx2;
  if (loupe_x8_lut_isa_available(loupe_x8_lut_neon)) return loupe_x8_lut_neon;
  if (loupe_x8_lut_isa_available(loupe_x8_lut_ssse3)) return loupe_x8_lut_ssse3;
  return loupe_x8_lut_scalar;
}

void loupe_x8_lut__isa(loupe_x8_lut_isa isa, size_t n, const int8_t* x, int8_t* y, const uint8_t table[256]) {
  switch (isa) {
#if LOUPE_X86
    case loupe_x8_lut_avx512vbmi: loupe_x8_lut__avx512vbmi(n, x, y, table); return;
    case loupe_x8_lut_avx2: loupe_x8_lut__avx2(n, x, y, table); return;
    case loupe_x8_lut_ssse3: loupe_x8_lut__ssse3(n, x, y, table); return;
#else
    case loupe_x8_lut_avx512vbmi: case loupe_x8_lut_avx2: case loupe_x8_lut_ssse3: break;
#endif
#if defined(__aarch64__)
    case loupe_x8_lut_neon: loupe_x8_lut__neon(n, x, y, table); return;
#else
    case loupe_x8_lut_neon: break;
#endif
    case loupe_x8_lut_scalar: break;
  }
  loupe_x8_lut__scalar(n, x, y, table);
}
