/* Template body of matmul.c's x86 variant, included once per vector width (LOUPE_V, see
 * common/vec_f32.h): loupe_f32_matmul__avx2 / __avx512. No include guard.
 *
 * Blocks of 4 rows of C share each load of B (4 x 2 vectors in 8 registers), which halves
 * the loads per FMA against one row at a time; the last m % 4 rows go one at a time with 4
 * vectors in registers. Whole vectors use plain loads and stores, the last partial one
 * masked. Every C element is one FMA chain over p in order, so the blocking does not change
 * results. */
LOUPE_V_TARGET
static void VFN(rows4)(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                       size_t ldc) {
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  size_t j = 0;
  for (; j + 2 * VLANES <= n; j += 2 * VLANES) {
    VF c00 = VOP(setzero_ps)(), c01 = VOP(setzero_ps)(), c10 = VOP(setzero_ps)(), c11 = VOP(setzero_ps)();
    VF c20 = VOP(setzero_ps)(), c21 = VOP(setzero_ps)(), c30 = VOP(setzero_ps)(), c31 = VOP(setzero_ps)();
    for (size_t p = 0; p < k; p++) {
      const VF b0 = VOP(loadu_ps)(b + p * ldb + j), b1 = VOP(loadu_ps)(b + p * ldb + j + VLANES);
      VF v = VOP(set1_ps)(a0[p]);
      c00 = VOP(fmadd_ps)(v, b0, c00); c01 = VOP(fmadd_ps)(v, b1, c01);
      v = VOP(set1_ps)(a1[p]);
      c10 = VOP(fmadd_ps)(v, b0, c10); c11 = VOP(fmadd_ps)(v, b1, c11);
      v = VOP(set1_ps)(a2[p]);
      c20 = VOP(fmadd_ps)(v, b0, c20); c21 = VOP(fmadd_ps)(v, b1, c21);
      v = VOP(set1_ps)(a3[p]);
      c30 = VOP(fmadd_ps)(v, b0, c30); c31 = VOP(fmadd_ps)(v, b1, c31);
    }
    VOP(storeu_ps)(c + j, c00); VOP(storeu_ps)(c + j + VLANES, c01);
    VOP(storeu_ps)(c + ldc + j, c10); VOP(storeu_ps)(c + ldc + j + VLANES, c11);
    VOP(storeu_ps)(c + 2 * ldc + j, c20); VOP(storeu_ps)(c + 2 * ldc + j + VLANES, c21);
    VOP(storeu_ps)(c + 3 * ldc + j, c30); VOP(storeu_ps)(c + 3 * ldc + j + VLANES, c31);
  }
  for (; j < n; j += VLANES) {
    const size_t rem = n - j < VLANES ? n - j : VLANES;
    const VT mask = vf_tail_mask(rem);
    VF c0 = VOP(setzero_ps)(), c1 = VOP(setzero_ps)(), c2 = VOP(setzero_ps)(), c3 = VOP(setzero_ps)();
    for (size_t p = 0; p < k; p++) {
      const VF bv = rem == VLANES ? VOP(loadu_ps)(b + p * ldb + j) : vf_maskload(b + p * ldb + j, mask);
      c0 = VOP(fmadd_ps)(VOP(set1_ps)(a0[p]), bv, c0);
      c1 = VOP(fmadd_ps)(VOP(set1_ps)(a1[p]), bv, c1);
      c2 = VOP(fmadd_ps)(VOP(set1_ps)(a2[p]), bv, c2);
      c3 = VOP(fmadd_ps)(VOP(set1_ps)(a3[p]), bv, c3);
    }
    if (rem == VLANES) {
      VOP(storeu_ps)(c + j, c0); VOP(storeu_ps)(c + ldc + j, c1);
      VOP(storeu_ps)(c + 2 * ldc + j, c2); VOP(storeu_ps)(c + 3 * ldc + j, c3);
    } else {
      vf_maskstore(c + j, mask, c0); vf_maskstore(c + ldc + j, mask, c1);
      vf_maskstore(c + 2 * ldc + j, mask, c2); vf_maskstore(c + 3 * ldc + j, mask, c3);
    }
  }
}

/* One row of C, 4 vectors in registers, then single vectors and the masked tail. */
LOUPE_V_TARGET
static void VFN(row1)(size_t n, size_t k, const float* ai, const float* b, size_t ldb, float* ci) {
  size_t j = 0;
  for (; j + 4 * VLANES <= n; j += 4 * VLANES) {
    VF c0 = VOP(setzero_ps)(), c1 = VOP(setzero_ps)(), c2 = VOP(setzero_ps)(), c3 = VOP(setzero_ps)();
    for (size_t p = 0; p < k; p++) {
      const VF av = VOP(set1_ps)(ai[p]);
      const float* bp = b + p * ldb + j;
      c0 = VOP(fmadd_ps)(av, VOP(loadu_ps)(bp), c0);
      c1 = VOP(fmadd_ps)(av, VOP(loadu_ps)(bp + VLANES), c1);
      c2 = VOP(fmadd_ps)(av, VOP(loadu_ps)(bp + 2 * VLANES), c2);
      c3 = VOP(fmadd_ps)(av, VOP(loadu_ps)(bp + 3 * VLANES), c3);
    }
    VOP(storeu_ps)(ci + j, c0);
    VOP(storeu_ps)(ci + j + VLANES, c1);
    VOP(storeu_ps)(ci + j + 2 * VLANES, c2);
    VOP(storeu_ps)(ci + j + 3 * VLANES, c3);
  }
  for (; j + VLANES <= n; j += VLANES) {
    VF acc = VOP(setzero_ps)();
    for (size_t p = 0; p < k; p++) acc = VOP(fmadd_ps)(VOP(set1_ps)(ai[p]), VOP(loadu_ps)(b + p * ldb + j), acc);
    VOP(storeu_ps)(ci + j, acc);
  }
  if (j < n) {
    const VT mask = vf_tail_mask(n - j);
    VF acc = VOP(setzero_ps)();
    for (size_t p = 0; p < k; p++) acc = VOP(fmadd_ps)(VOP(set1_ps)(ai[p]), vf_maskload(b + p * ldb + j, mask), acc);
    vf_maskstore(ci + j, mask, acc);
  }
}

LOUPE_V_TARGET
void VFN(loupe_f32_matmul_)(MATMUL_PARAMS) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) VFN(rows4)(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc);
  for (; i < m; i++) VFN(row1)(n, k, a + i * lda, b, ldb, c + i * ldc);
}
