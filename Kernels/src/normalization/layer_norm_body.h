/* Template body of layer_norm.c's x86 variant, included once per vector width (LOUPE_V, see
 * common/vec_f32.h): loupe_f32_layer_norm__avx2 / __avx512. No include guard. */
LOUPE_V_TARGET
static inline void VFN(layer_norm_row)(size_t cols, const float* xr, const float* gamma, const float* beta,
                                       float epsilon, float* yr) {
  const size_t rem = cols % VLANES;
  const VT tail = vf_tail_mask(rem);
  const size_t body = cols - rem;
  /* Masked-off lanes load 0: they add nothing to the sum; for the squares they are masked
   * again because 0 - mean is not 0. */
  VF acc = VOP(setzero_ps)();
  for (size_t c = 0; c < body; c += VLANES) acc = VOP(add_ps)(acc, VOP(loadu_ps)(xr + c));
  if (rem) acc = VOP(add_ps)(acc, vf_maskload(xr + body, tail));
  const float mean = vf_hsum(acc) / (float)cols;
  const VF vmean = VOP(set1_ps)(mean);
  acc = VOP(setzero_ps)();
  for (size_t c = 0; c < body; c += VLANES) {
    const VF d = VOP(sub_ps)(VOP(loadu_ps)(xr + c), vmean);
    acc = VOP(fmadd_ps)(d, d, acc);
  }
  if (rem) {
    const VF d = vf_tail_zero(tail, VOP(sub_ps)(vf_maskload(xr + body, tail), vmean));
    acc = VOP(fmadd_ps)(d, d, acc);
  }
  const float rstd = 1.0f / sqrtf(vf_hsum(acc) / (float)cols + epsilon);
  const VF vrstd = VOP(set1_ps)(rstd);
  /* Plain loads and stores for whole vectors (masked stores are slow on some cores). */
  for (size_t c = 0; c < body; c += VLANES) {
    const VF d = VOP(mul_ps)(VOP(sub_ps)(VOP(loadu_ps)(xr + c), vmean), vrstd);
    const VF g = gamma ? VOP(loadu_ps)(gamma + c) : VOP(set1_ps)(1.0f);
    const VF b = beta ? VOP(loadu_ps)(beta + c) : VOP(setzero_ps)();
    VOP(storeu_ps)(yr + c, VOP(fmadd_ps)(d, g, b));
  }
  if (rem) {
    const VF d = VOP(mul_ps)(VOP(sub_ps)(vf_maskload(xr + body, tail), vmean), vrstd);
    const VF g = gamma ? vf_maskload(gamma + body, tail) : VOP(set1_ps)(1.0f);
    const VF b = beta ? vf_maskload(beta + body, tail) : VOP(setzero_ps)();
    vf_maskstore(yr + body, tail, VOP(fmadd_ps)(d, g, b));
  }
}

LOUPE_V_TARGET
void VFN(loupe_f32_layer_norm_)(LAYER_NORM_PARAMS) { layer_norm_rows(VFN(layer_norm_row), LAYER_NORM_ARGS); }
