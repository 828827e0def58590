/*
 * Loupe codecs glue: libpng and libjpeg-turbo (TurboJPEG API) behind a small C API that
 * never aborts and never longjmps into Swift.
 *
 * Every call is two-phase so that the caller checks the size BEFORE anything large is
 * allocated: `*_read_header` parses only the header, the caller checks its pixel cap and
 * allocates `width * height * 3` bytes, then `*_decode_rgb8` fills them.
 *
 * Errors: functions return 0 on success, non-zero on failure, and write a NUL-terminated
 * message (truncated to `err_cap` bytes) into `err`. libpng errors arrive through
 * png_set_error_fn + setjmp/longjmp inside this glue; TurboJPEG errors through return codes
 * and tjGetErrorStr2.
 *
 * Output is always RGB8, interleaved, rows packed (pitch = width * 3).
 */
#ifndef LOUPE_CODECS_H
#define LOUPE_CODECS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PNG ------------------------------------------------------------------------------ */

/* Header of a PNG: size, bit depth (1, 2, 4, 8, 16), color type (PNG_COLOR_TYPE_*:
 * 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA) and interlace (0 none, 1 Adam7). */
typedef struct loupe_png_header {
  uint32_t width, height;
  int bit_depth, color_type, interlaced;
} loupe_png_header;

int loupe_png_read_header(const uint8_t* data, size_t size, loupe_png_header* header,
                          char* err, size_t err_cap);

/* Decodes any PNG to RGB8 into `out` (`out_size` must be >= width * height * 3 of the
 * header; the header is re-read and checked against `width`/`height`).
 * Conversions (what PIL's Image.convert("RGB") does): 16-bit samples keep their high byte;
 * 1/2/4-bit gray is scaled to 0..255; palette is expanded; gray is replicated; alpha and
 * tRNS transparency are dropped (not composited); gAMA/iCCP are ignored. */
int loupe_png_decode_rgb8(const uint8_t* data, size_t size, uint32_t width, uint32_t height,
                          uint8_t* out, size_t out_size, char* err, size_t err_cap);

/* ---- JPEG ----------------------------------------------------------------------------- */

/* Header of a JPEG: size, chroma subsampling (TJSAMP_*) and colorspace (TJCS_*). */
typedef struct loupe_jpeg_header {
  int width, height, subsampling, colorspace;
} loupe_jpeg_header;

int loupe_jpeg_read_header(const uint8_t* data, size_t size, loupe_jpeg_header* header,
                           char* err, size_t err_cap);

/* Size of the image decoded with DCT scaling 1/`denom` (denom in 1, 2, 4, 8):
 * ceil(dim / denom), as libjpeg computes it. */
int loupe_jpeg_scaled_dim(int dim, int denom);

/* Decodes at scale 1/`denom` into `out` (>= scaled_w * scaled_h * 3 bytes). Accurate
 * (islow) IDCT and fancy upsampling, like PIL. Strict: a libjpeg warning (a truncated file,
 * corrupt entropy data) is an error, so a partially decoded photo is never scored.
 * CMYK/YCCK JPEGs are converted as PIL does (Adobe inverted CMYK). */
int loupe_jpeg_decode_rgb8(const uint8_t* data, size_t size, int denom, uint8_t* out,
                           size_t out_size, char* err, size_t err_cap);

#ifdef __cplusplus
}
#endif
#endif
