/* Template body of exp_simd.h's x86 exp, included once per vector width (LOUPE_V, see
 * common/vec_f32.h); defines loupe_exp_avx2 / loupe_exp_avx512. No include guard. */
LOUPE_V_TARGET
static inline VF VFN(loupe_exp)(VF x) {
  /* max/min return their second operand when either is NaN: x goes second. */
  x = VOP(min_ps)(VOP(set1_ps)(LOUPE_EXP_MAX), VOP(max_ps)(VOP(set1_ps)(LOUPE_EXP_MIN), x));
  const VF n = vf_round(VOP(mul_ps)(x, VOP(set1_ps)(LOUPE_EXP_LOG2E)));
  VF r = VOP(fnmadd_ps)(n, VOP(set1_ps)(LOUPE_EXP_LN2_HI), x);
  r = VOP(fnmadd_ps)(n, VOP(set1_ps)(LOUPE_EXP_LN2_LO), r);
  const VF q = vf_horner(r, loupe_exp_q);
  const VF p = VOP(fmadd_ps)(VOP(mul_ps)(r, r), q, VOP(add_ps)(r, VOP(set1_ps)(1.0f)));
  return LOUPE_CAT(loupe_exp_scale_, LOUPE_V)(p, n);
}
