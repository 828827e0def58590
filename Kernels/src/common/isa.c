#include "isa_defs.h"

int loupe_isa_available(loupe_isa isa) {
  switch (isa) {
    case loupe_isa_scalar: return 1;
#if LOUPE_X86
    case loupe_isa_sse2: return __builtin_cpu_supports("sse2");
    case loupe_isa_avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case loupe_isa_avx512: return __builtin_cpu_supports("avx512f");
#else
    case loupe_isa_sse2: case loupe_isa_avx2: case loupe_isa_avx512: return 0;
#endif
#if LOUPE_NEON
    case loupe_isa_neon: return 1;
#else
    case loupe_isa_neon: return 0;
#endif
  }
  return 0;
}

loupe_isa loupe_detect_isa(void) {
  if (loupe_isa_available(loupe_isa_avx512)) return loupe_isa_avx512;
  if (loupe_isa_available(loupe_isa_avx2)) return loupe_isa_avx2;
  if (loupe_isa_available(loupe_isa_neon)) return loupe_isa_neon;
  if (loupe_isa_available(loupe_isa_sse2)) return loupe_isa_sse2;
  return loupe_isa_scalar;
}

const char* loupe_isa_name(loupe_isa isa) {
  switch (isa) {
    case loupe_isa_scalar: return "scalar";
    case loupe_isa_sse2: return "sse2";
    case loupe_isa_avx2: return "avx2";
    case loupe_isa_avx512: return "avx512";
    case loupe_isa_neon: return "neon";
  }
  return "unknown";
}
