/* The instruction sets a kernel file may compile for, and the cached choice of variant
 * for the running CPU. Internal to LoupeKernels: kernel files include this instead of
 * testing the compiler's target macros themselves, so all of them agree on what each name
 * means. (quantized/lut.c keeps testing __aarch64__ for its NEON variant: that is the
 * condition under which loupe_kernels.h declares it.)
 */
#ifndef LOUPE_ISA_DEFS_H
#define LOUPE_ISA_DEFS_H
#include "loupe_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOUPE_X86 1
#endif

/* NEON as ARMv7 and AArch64 share it (no vdivq_f32, no vfmaq_f32 guaranteed). */
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#include <arm_neon.h>
#define LOUPE_NEON 1
#endif

/* AArch64 NEON: adds vdivq_f32, vfmaq_f32, vrndnq_f32 and the across-lane reductions. */
#if defined(__aarch64__) && LOUPE_NEON
#define LOUPE_NEON_A64 1
#endif

/* loupe_detect_isa() on the first call, kept in *cache (initialised to -1) afterwards;
 * racing first calls store the same value (relaxed atomics). */
static inline loupe_isa loupe_cached_isa(int* cache) {
  int isa = __atomic_load_n(cache, __ATOMIC_RELAXED);
  if (isa < 0) {
    isa = (int)loupe_detect_isa();
    __atomic_store_n(cache, isa, __ATOMIC_RELAXED);
  }
  return (loupe_isa)isa;
}

/* loupe_isa_available(loupe_isa_avx2) cached the same way, for kernels whose only SIMD
 * variant is AVX2. */
static inline int loupe_cached_has_avx2(int* cache) {
  int has = __atomic_load_n(cache, __ATOMIC_RELAXED);
  if (has < 0) {
    has = loupe_isa_available(loupe_isa_avx2) ? 1 : 0;
    __atomic_store_n(cache, has, __ATOMIC_RELAXED);
  }
  return has;
}

#endif
