/* Template body of tanh.c's x86 variant, included once per vector width (LOUPE_V, see
 * common/vec_f32.h): loupe_f32_tanh__avx2 / __avx512. No include guard. */
LOUPE_V_TARGET
static inline VF VFN(tanh)(VF v) {
  const VF c = VOP(max_ps)(VOP(min_ps)(v, VOP(set1_ps)(TANH_CLAMP)), VOP(set1_ps)(-TANH_CLAMP));
  const VF x2 = VOP(mul_ps)(c, c);
  const VF p = VOP(mul_ps)(vf_horner(x2, tanh_p), c);
  const VF q = vf_horner(x2, tanh_q);
  const VF r = VOP(div_ps)(p, q);
  const VM tiny = vf_lt(vf_abs(v), VOP(set1_ps)(TANH_TINY));
  return vf_select(tiny, v, r);
}

LOUPE_V_TARGET
void VFN(loupe_f32_tanh_)(size_t n, const float* x, float* y) { VFN(loupe_map)(n, x, y, VFN(tanh)); }
