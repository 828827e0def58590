/* Float vector operations named once for AVX2 (8 lanes) and AVX-512F (16 lanes), so that a
 * kernel whose two x86 variants differ only in vector width is written once, as a template
 * header (`*_body.h`) included once per width. Internal to LoupeKernels.
 *
 * Before each inclusion of a body the includer defines LOUPE_V as 256 or 512 (and undefines
 * it after); the body then writes
 *   VF, VI               the float and integer vector types (__m256 / __m512, ...)
 *   VOP(add_ps)          the intrinsic of that name at that width: _mm256_add_ps, _mm512_add_ps
 *   VFN(name)            name_avx2 / name_avx512, for the functions it defines
 *   LOUPE_V_TARGET       the target attribute of the width ("avx2,fma" / "avx512f")
 *   vf_*                 the operations whose intrinsics differ between the widths (below)
 * Each name expands to the intrinsic the written-out variant would call, so a body compiles
 * to the code of the two hand-written variants it replaces. vf_horner (and vf_horner_neon
 * for NEON) evaluates a polynomial from a constant coefficient array.
 */
#ifndef LOUPE_VEC_F32_H
#define LOUPE_VEC_F32_H
#include "isa_defs.h"

/* c[0] x^(k-1) + c[1] x^(k-2) + ... + c[k-1] for a constant array c of 1 <= k <= 10 floats,
 * by Horner's rule with one FMA per coefficient. The steps are written out (a step past k is
 * a constant-false branch, dropped when compiled) rather than looped: the straight-line chain
 * compiles as the hand-written one does, where an unrolled loop schedules differently. */
#define LOUPE_HORNER_TERMS(c) (sizeof(c) / sizeof((c)[0]))
#define LOUPE_HORNER_STEP(p, x, c, i, fma, dup) \
  if ((i) < LOUPE_HORNER_TERMS(c)) p = fma(p, x, dup((c)[(i) < LOUPE_HORNER_TERMS(c) ? (i) : 0]))
#define LOUPE_HORNER(x, c, T, fma, dup)                                                       \
  __extension__({                                                                          \
    _Static_assert(LOUPE_HORNER_TERMS(c) >= 1 && LOUPE_HORNER_TERMS(c) <= 10, "1 to 10 terms"); \
    T horner_p_ = dup((c)[0]);                                                             \
    LOUPE_HORNER_STEP(horner_p_, x, c, 1, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 2, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 3, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 4, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 5, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 6, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 7, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 8, fma, dup);                                       \
    LOUPE_HORNER_STEP(horner_p_, x, c, 9, fma, dup);                                       \
    horner_p_;                                                                             \
  })

#if LOUPE_X86
#define LOUPE_CAT_(a, b) a##b
#define LOUPE_CAT(a, b) LOUPE_CAT_(a, b)

#define VF LOUPE_CAT(__m, LOUPE_V)
#define VI LOUPE_CAT(LOUPE_CAT(__m, LOUPE_V), i)
#define VLANES (LOUPE_V / 32)
#define VOP(op) LOUPE_CAT(LOUPE_CAT(_mm, LOUPE_V), _##op)
#define VFN(name) LOUPE_CAT(name##_, LOUPE_V_ISA)
#define LOUPE_V_ISA LOUPE_CAT(LOUPE_V_ISA_, LOUPE_V)
#define LOUPE_V_ISA_256 avx2
#define LOUPE_V_ISA_512 avx512
#define LOUPE_V_TARGET LOUPE_CAT(LOUPE_V_TARGET_, LOUPE_V)
#define LOUPE_V_TARGET_256 __attribute__((target("avx2,fma")))
#define LOUPE_V_TARGET_512 __attribute__((target("avx512f")))

/* Lane masks: a vector of all-ones / zero lanes for AVX2, a k-register for AVX-512. */
#define VM LOUPE_CAT(VM_, LOUPE_V)
#define VM_256 __m256
#define VM_512 __mmask16
/* a < b per lane (ordered: false for NaN). */
#define vf_lt(a, b) LOUPE_CAT(vf_lt_, LOUPE_V)(a, b)
#define vf_lt_256(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define vf_lt_512(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
/* m ? t : f per lane. */
#define vf_select(m, t, f) LOUPE_CAT(vf_select_, LOUPE_V)(m, t, f)
#define vf_select_256(m, t, f) _mm256_blendv_ps(f, t, m)
#define vf_select_512(m, t, f) _mm512_mask_blend_ps(m, f, t)
/* |v|: the sign bit cleared. */
#define vf_abs(v) LOUPE_CAT(vf_abs_, LOUPE_V)(v)
#define vf_abs_256(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v)
#define vf_abs_512(v) _mm512_abs_ps(v)
/* v with the sign bit of z or-ed in. AVX-512F has no float and/or (that is AVX-512DQ): the
 * 512-bit form goes through integer ops. */
#define vf_or_sign(v, z) LOUPE_CAT(vf_or_sign_, LOUPE_V)(v, z)
#define vf_or_sign_256(v, z) _mm256_or_ps(v, _mm256_and_ps(_mm256_set1_ps(-0.0f), z))
#define vf_or_sign_512(v, z)                                                                            \
  _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), _mm512_and_si512(_mm512_set1_epi32((int)0x80000000u), \
                                                                                _mm512_castps_si512(z))))
/* Round to nearest even, no exception. */
#define vf_round(v) LOUPE_CAT(vf_round_, LOUPE_V)(v)
#define vf_round_256(v) _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vf_round_512(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* Tail masks, the first rem lanes of a vector (0 <= rem <= VLANES): a vector of int32 lanes
 * for AVX2's maskload/maskstore, a k-register for AVX-512. vf_maskload gives 0 in the other
 * lanes; vf_maskstore writes only the mask's lanes. */
#define VT LOUPE_CAT(VT_, LOUPE_V)
#define VT_256 __m256i
#define VT_512 __mmask16
#define vf_tail_mask(rem) LOUPE_CAT(vf_tail_mask_, LOUPE_V)(rem)
#define vf_tail_mask_256(rem) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define vf_tail_mask_512(rem) ((__mmask16)((1u << (rem)) - 1u))
#define vf_maskload(p, m) LOUPE_CAT(vf_maskload_, LOUPE_V)(p, m)
#define vf_maskload_256(p, m) _mm256_maskload_ps(p, m)
#define vf_maskload_512(p, m) _mm512_maskz_loadu_ps(m, p)
#define vf_maskstore(p, m, v) LOUPE_CAT(vf_maskstore_, LOUPE_V)(p, m, v)
#define vf_maskstore_256(p, m, v) _mm256_maskstore_ps(p, m, v)
#define vf_maskstore_512(p, m, v) _mm512_mask_storeu_ps(p, m, v)
/* v with the lanes outside tail mask m zeroed. */
#define vf_tail_zero(m, v) LOUPE_CAT(vf_tail_zero_, LOUPE_V)(m, v)
#define vf_tail_zero_256(m, v) _mm256_and_ps(v, _mm256_castsi256_ps(m))
#define vf_tail_zero_512(m, v) _mm512_maskz_mov_ps(m, v)
/* a + v and max(a, v) in the lanes of tail mask m. Outside them AVX-512 keeps a; AVX2 adds 0
 * and takes max(a, -inf) (which is -inf where a is NaN: max returns its second operand). */
#define vf_tail_add(a, m, v) LOUPE_CAT(vf_tail_add_, LOUPE_V)(a, m, v)
#define vf_tail_add_256(a, m, v) _mm256_add_ps(a, vf_tail_zero_256(m, v))
#define vf_tail_add_512(a, m, v) _mm512_mask_add_ps(a, m, a, v)
#define vf_tail_max(a, m, v) LOUPE_CAT(vf_tail_max_, LOUPE_V)(a, m, v)
#define vf_tail_max_256(a, m, v) _mm256_max_ps(a, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), v, _mm256_castsi256_ps(m)))
#define vf_tail_max_512(a, m, v) _mm512_mask_max_ps(a, m, a, v)
/* The sum and the max of the lanes (AVX2: hreduce_avx2.h's fold, which the includer includes). */
#define vf_hsum(v) LOUPE_CAT(vf_hsum_, LOUPE_V)(v)
#define vf_hsum_256(v) loupe_hsum_avx2(v)
#define vf_hsum_512(v) _mm512_reduce_add_ps(v)
#define vf_hmax(v) LOUPE_CAT(vf_hmax_, LOUPE_V)(v)
#define vf_hmax_256(v) loupe_hmax_avx2(v)
#define vf_hmax_512(v) _mm512_reduce_max_ps(v)

/* vf_horner(x, c): LOUPE_HORNER at the body's width. */
#define vf_horner(x, c) LOUPE_HORNER(x, c, VF, VOP(fmadd_ps), VOP(set1_ps))
#endif

#if LOUPE_NEON
/* vf_horner for NEON, with the multiply-add as an argument: vfmaq_f32 (fused, AArch64) or
 * vmlaq_f32 (ARMv7's multiply then add), both called as mla(c, p, x) = c + p x. */
#define vf_horner_neon(x, c, mla) LOUPE_HORNER(x, c, float32x4_t, LOUPE_NEON_FMA_##mla, vdupq_n_f32)
#define LOUPE_NEON_FMA_vfmaq_f32(p, x, c) vfmaq_f32(c, p, x)
#define LOUPE_NEON_FMA_vmlaq_f32(p, x, c) vmlaq_f32(c, p, x)
#endif

#endif
