/* Template body of hardsigmoid.c's x86 variant, included once per vector width (LOUPE_V,
 * see common/vec_f32.h): loupe_f32_hardsigmoid__avx2 / __avx512. No include guard. */
LOUPE_V_TARGET
static inline VF VFN(hardsigmoid)(VF v, VF a, VF b) {
  v = VOP(add_ps)(VOP(mul_ps)(v, a), b);
  return VOP(min_ps)(VOP(max_ps)(v, VOP(setzero_ps)()), VOP(set1_ps)(1.0f));
}

LOUPE_V_TARGET
void VFN(loupe_f32_hardsigmoid_)(size_t n, const float* x, float* y, float alpha, float beta) {
  const VF a = VOP(set1_ps)(alpha), b = VOP(set1_ps)(beta);
  size_t i = 0;
  for (; i + VLANES <= n; i += VLANES) VOP(storeu_ps)(y + i, VFN(hardsigmoid)(VOP(loadu_ps)(x + i), a, b));
#if LOUPE_V == 256
  /* The tail in scalar code. */
  loupe_f32_hardsigmoid__scalar(n - i, x + i, y + i, alpha, beta);
#else
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, VFN(hardsigmoid)(_mm512_maskz_loadu_ps(m, x + i), a, b));
  }
#endif
}
