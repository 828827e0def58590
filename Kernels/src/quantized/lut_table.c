/*
 * Builds the 256-entry tables run by loupe_x8_lut: table[(uint8_t) q] =
 * quantize_out(f(dequantize_in(q))) for every int8 code q, in double precision.
 * Quantization follows ONNX QuantizeLinear: round half to even, then saturate to int8;
 * NaN maps to the zero point (as LoupeCalibration's quantize does).
 */
#include <fenv.h>
#include <math.h>
#include "loupe_kernels.h"

static int valid_scale(float s) { return isfinite(s) && s > 0.0f && isnormal(s); }

int loupe_x8_lut_build(loupe_lut_function f, double p0, double p1, float input_scale, int32_t input_zero_point,
                       float output_scale, int32_t output_zero_point, uint8_t table[256]) {
  if (!valid_scale(input_scale) || !valid_scale(output_scale)) return -1;
  if (input_zero_point < -128 || input_zero_point > 127) return -1;
  if (output_zero_point < -128 || output_zero_point > 127) return -1;
  if ((unsigned)f >= (unsigned)loupe_lut_function_count) return -1;
  /* nearbyint rounds half to even only in the default rounding mode. */
  const int mode = fegetround();
  if (mode != FE_TONEAREST) fesetround(FE_TONEAREST);
  for (int q = -128; q < 128; q++) {
    const double x = (double)(q - input_zero_point) * (double)input_scale;
    const double r = loupe_activation_eval(f, x, p0, p1) / (double)output_scale;
    int32_t code;
    if (isnan(r)) {
      code = output_zero_point;
    } else {
      /* Clamp before converting so infinities and huge values saturate. */
      const double c = r < -1024.0 ? -1024.0 : (r > 1024.0 ? 1024.0 : r);
      code = (int32_t)nearbyint(c) + output_zero_point;
      code = code < -128 ? -128 : (code > 127 ? 127 : code);
    }
    table[(uint8_t)(int8_t)q] = (uint8_t)(int8_t)code;
  }
  if (mode != FE_TONEAREST) fesetround(mode);
  return 0;
}
