/* Template body of softmax.c's x86 variant, included once per vector width (LOUPE_V, see
 * common/vec_f32.h): loupe_f32_softmax__avx2 / __avx512. No include guard. */

/* One row, with the call's constants: scale in every lane, cols % VLANES and its tail mask.
 * Whole vectors with plain loads and stores (masked stores are slow on some cores), the
 * tail masked. */
LOUPE_V_TARGET
static inline __attribute__((always_inline)) void VFN(softmax_row)(size_t cols, const float* xr, const float* mr,
                                                                  float* yr, VF vscale, size_t rem, VT tail) {
  const size_t body = cols - rem;
  VF vmax = VOP(set1_ps)(-INFINITY);
  for (size_t c = 0; c < body; c += VLANES) {
    VF v = VOP(mul_ps)(vscale, VOP(loadu_ps)(xr + c));
    if (mr) v = VOP(add_ps)(v, VOP(loadu_ps)(mr + c));
    VOP(storeu_ps)(yr + c, v);
    vmax = VOP(max_ps)(vmax, v);
  }
  if (rem) {
    VF v = VOP(mul_ps)(vscale, vf_maskload(xr + body, tail));
    if (mr) v = VOP(add_ps)(v, vf_maskload(mr + body, tail));
    vf_maskstore(yr + body, tail, v);
    /* Masked-off lanes must not win the max. */
    vmax = vf_tail_max(vmax, tail, v);
  }
  const VF mx = VOP(set1_ps)(vf_hmax(vmax));
  VF acc = VOP(setzero_ps)();
  for (size_t c = 0; c < body; c += VLANES) {
    const VF e = VFN(loupe_exp)(VOP(sub_ps)(VOP(loadu_ps)(yr + c), mx));
    VOP(storeu_ps)(yr + c, e);
    acc = VOP(add_ps)(acc, e);
  }
  if (rem) {
    const VF e = VFN(loupe_exp)(VOP(sub_ps)(vf_maskload(yr + body, tail), mx));
    vf_maskstore(yr + body, tail, e);
    acc = vf_tail_add(acc, tail, e);
  }
  const VF inv = VOP(set1_ps)(1.0f / vf_hsum(acc));
  for (size_t c = 0; c < body; c += VLANES) VOP(storeu_ps)(yr + c, VOP(mul_ps)(VOP(loadu_ps)(yr + c), inv));
  if (rem) vf_maskstore(yr + body, tail, VOP(mul_ps)(vf_maskload(yr + body, tail), inv));
}

LOUPE_V_TARGET
void VFN(loupe_f32_softmax_)(SOFTMAX_PARAMS) {
  /* The constants are made once per call here rather than per row in softmax_rows' row
   * function: the compiler did not hoist them all (AVX2 was up to 9% slower per row). */
  const size_t rem = cols % VLANES;
  const VT tail = vf_tail_mask(rem);
  const VF vscale = VOP(set1_ps)(scale);
  for (size_t r = row_begin; r < row_end; r++)
    VFN(softmax_row)(cols, x + r * cols, mask_row(mask, mask_rows, cols, r), y + r * cols, vscale, rem, tail);
}
