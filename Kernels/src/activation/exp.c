#include "loupe_kernels.h"
#include "exp_simd.h"
#include "map_simd.h"

/* y = exp(x) on the polynomial of exp_simd.h (the libm reference is loupe_f32_exp__scalar). */

#if LOUPE_X86
__attribute__((target("avx2,fma")))
void loupe_f32_exp__avx2(size_t n, const float* x, float* y) { loupe_map_avx2(n, x, y, loupe_exp_avx2); }
__attribute__((target("avx512f")))
void loupe_f32_exp__avx512(size_t n, const float* x, float* y) { loupe_map_avx512(n, x, y, loupe_exp_avx512); }
#else
void loupe_f32_exp__avx2(size_t n, const float* x, float* y) { loupe_f32_exp__scalar(n, x, y); }
void loupe_f32_exp__avx512(size_t n, const float* x, float* y) { loupe_f32_exp__scalar(n, x, y); }
#endif

#if LOUPE_NEON_A64
void loupe_f32_exp__neon(size_t n, const float* x, float* y) { loupe_map_neon(n, x, y, loupe_exp_neon); }
#else
void loupe_f32_exp__neon(size_t n, const float* x, float* y) { loupe_f32_exp__scalar(n, x, y); }
#endif

void loupe_f32_exp(size_t n, const float* x, float* y) {
  static loupe_unary_fn cache;
  loupe_pick_unary(&cache, loupe_f32_exp__scalar, loupe_f32_exp__avx2, loupe_f32_exp__avx512, loupe_f32_exp__neon)(n, x, y);
}
