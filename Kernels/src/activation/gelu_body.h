/* Template body of gelu.c's x86 variants, included once per vector width (LOUPE_V, see
 * common/vec_f32.h): loupe_f32_erf__, loupe_f32_gelu__ and loupe_f32_gelu_tanh__ avx2 /
 * avx512 and their per-vector functions. No include guard. */

/* head = erf(a) for a < ERF_SPLIT, tail = erfc(a) for a >= ERF_SPLIT (a >= 0 or NaN). */
LOUPE_V_TARGET
static inline void VFN(erf_parts)(VF a, VF* head, VF* tail) {
  const VF a2 = VOP(mul_ps)(a, a);
  const VF p = vf_horner(a2, erf_head);
  *head = VOP(fmadd_ps)(a, VOP(set1_ps)(ERF_A0_HI), VOP(mul_ps)(a, p));
  const VF c = VOP(min_ps)(VOP(set1_ps)(ERFC_CLAMP), a);
  const VF c2 = VOP(mul_ps)(c, c);
  const VF c2lo = VOP(fmsub_ps)(c, c, c2);
  VF e = VFN(loupe_exp)(VOP(sub_ps)(VOP(setzero_ps)(), c2));
  e = VOP(fnmadd_ps)(e, c2lo, e);
  const VF t = VOP(div_ps)(VOP(set1_ps)(1.0f), VOP(fmadd_ps)(c, VOP(set1_ps)(0.5f), VOP(set1_ps)(1.0f)));
  *tail = VOP(mul_ps)(e, vf_horner(t, erfc_tail));
}

LOUPE_V_TARGET
static inline VF VFN(erf)(VF z) {
  const VF a = vf_abs(z);
  VF head, tail;
  VFN(erf_parts)(a, &head, &tail);
  const VM small = vf_lt(a, VOP(set1_ps)(ERF_SPLIT));
  const VF v = vf_select(small, head, VOP(sub_ps)(VOP(set1_ps)(1.0f), tail));
  return vf_or_sign(v, z);
}

LOUPE_V_TARGET
static inline VF VFN(gelu)(VF x) {
  const VF z = VOP(mul_ps)(x, VOP(set1_ps)(SQRT1_2));
  const VF a = vf_abs(z);
  VF head, tail;
  VFN(erf_parts)(a, &head, &tail);
  /* g = 1 + erf(z): 1 +- erf(a) near 0, else erfc(a) for z < 0 and 2 - erfc(a) for z > 0
   * (the head's range is [-0.5, 1), see gelu.c). */
  const VF g_small = VOP(add_ps)(VOP(set1_ps)(1.0f), vf_or_sign(head, z));
  const VM negative = vf_lt(z, VOP(setzero_ps)());
  const VF g_big = vf_select(negative, tail, VOP(sub_ps)(VOP(set1_ps)(2.0f), tail));
  const VF split = vf_select(negative, VOP(set1_ps)(GELU_NEGATIVE_SPLIT), VOP(set1_ps)(ERF_SPLIT));
  const VM small = vf_lt(a, split);
  const VF g = vf_select(small, g_small, g_big);
  return VOP(mul_ps)(VOP(mul_ps)(VOP(set1_ps)(0.5f), x), g);
}

LOUPE_V_TARGET
static inline VF VFN(gelu_tanh)(VF x) {
  const VF w = VOP(fmadd_ps)(VOP(set1_ps)(-2.0f * GELU_K1), VOP(mul_ps)(x, x), VOP(set1_ps)(-2.0f * GELU_K0));
  const VF e = VFN(loupe_exp)(VOP(mul_ps)(x, w));
  return VOP(div_ps)(x, VOP(add_ps)(VOP(set1_ps)(1.0f), e));
}

LOUPE_V_TARGET
void VFN(loupe_f32_erf_)(size_t n, const float* x, float* y) { VFN(loupe_map)(n, x, y, VFN(erf)); }
LOUPE_V_TARGET
void VFN(loupe_f32_gelu_)(size_t n, const float* x, float* y) { VFN(loupe_map)(n, x, y, VFN(gelu)); }
LOUPE_V_TARGET
void VFN(loupe_f32_gelu_tanh_)(size_t n, const float* x, float* y) { VFN(loupe_map)(n, x, y, VFN(gelu_tanh)); }
