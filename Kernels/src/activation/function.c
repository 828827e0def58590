/*
 * The real functions of Loupe's activations, evaluated in double precision: the one
 * definition that the int8 lookup tables (quantized/lut_table.c) and the scalar float
 * kernel below share. A new activation adds its formula here and its id to
 * loupe_lut_function.
 */
#include <math.h>
#include "loupe_kernels.h"

/* The definitions round every operation as written, on every target: where FMA is in the
 * baseline ISA (AArch64) the compiler would otherwise fuse `x * (1.0 / 6.0) + 0.5` and
 * HardSwish(-3) would come out as -8.3e-17 instead of -0. */
#pragma STDC FP_CONTRACT OFF

double loupe_activation_eval(loupe_lut_function f, double x, double p0, double p1) {
  switch (f) {
    case loupe_lut_identity: return x;
    case loupe_lut_relu: return x < 0.0 ? 0.0 : x;
    case loupe_lut_clip: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case loupe_lut_leaky_relu: return x < 0.0 ? p0 * x : x;
    case loupe_lut_elu: return x < 0.0 ? p0 * (exp(x) - 1.0) : x;
    case loupe_lut_hardsigmoid: {
      const double v = p0 * x + p1;
      return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
    }
    case loupe_lut_hardswish: {
      const double v = x * (1.0 / 6.0) + 0.5;
      return x * (v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v));
    }
    case loupe_lut_sigmoid: return 1.0 / (1.0 + exp(-x));
    case loupe_lut_tanh: return tanh(x);
    case loupe_lut_neg: return -x;
    case loupe_lut_abs: return fabs(x);
    case loupe_lut_sqrt: return sqrt(x);
    case loupe_lut_floor: return floor(x);
    case loupe_lut_ceil: return ceil(x);
    case loupe_lut_reciprocal: return 1.0 / x;
    case loupe_lut_exp: return exp(x);
    case loupe_lut_log: return log(x);
    case loupe_lut_erf: return erf(x);
    case loupe_lut_gelu: return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440));
    case loupe_lut_gelu_tanh: return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case loupe_lut_softplus: return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case loupe_lut_mish: return x * tanh(x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)));
    case loupe_lut_swish: {
      const double u = p0 * x, e = exp(-fabs(u));
      return x * (u >= 0.0 ? 1.0 : e) / (1.0 + e);
    }
    case loupe_lut_sin: return sin(x);
    case loupe_lut_cos: return cos(x);
    case loupe_lut_function_count: break;
  }
  return NAN;
}

void loupe_f32_activation__scalar(loupe_lut_function f, double p0, double p1, size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = (float)loupe_activation_eval(f, (double)x[i], p0, p1);
}
