/* Includes the template body named by LOUPE_V_BODY (a path relative to this folder) once per
 * x86 vector width, LOUPE_V = 256 then 512 (see vec_f32.h), and undefines LOUPE_V_BODY.
 * No include guard: included once per body. */
#define LOUPE_V 256
#include LOUPE_V_BODY
#undef LOUPE_V
#define LOUPE_V 512
#include LOUPE_V_BODY
#undef LOUPE_V
#undef LOUPE_V_BODY
