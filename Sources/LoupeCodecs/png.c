#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "loupe_codecs.h"

/* Reading from memory and error reporting. libpng's error callback must not return: it
 * longjmps back to the setjmp in the calling function, which frees libpng's structs. */
typedef struct reader {
  const uint8_t* data;
  size_t size, pos;
  char* err;
  size_t err_cap;
} reader;

static void set_err(char* err, size_t cap, const char* msg) {
  if (err && cap) snprintf(err, cap, "%s", msg);
}

static void on_error(png_structp png, png_const_charp msg) {
  reader* r = (reader*)png_get_error_ptr(png);
  if (r) set_err(r->err, r->err_cap, msg);
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg;
}

static void on_read(png_structp png, png_bytep out, png_size_t n) {
  reader* r = (reader*)png_get_io_ptr(png);
  if (n > r->size - r->pos) png_error(png, "truncated file (unexpected end of data)");
  memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

/* Opens a read struct over `data` and reads up to the first IDAT. Returns 0 on success;
 * on failure the structs are already destroyed. */
static int open_png(reader* r, png_structp* png_out, png_infop* info_out) {
  if (r->size < 8 || png_sig_cmp((png_const_bytep)r->data, 0, 8) != 0) {
    set_err(r->err, r->err_cap, "not a PNG signature");
    return 1;
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, on_error, on_warning);
  if (!png) {
    set_err(r->err, r->err_cap, "libpng: out of memory");
    return 1;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    set_err(r->err, r->err_cap, "libpng: out of memory");
    return 1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
  }
  png_set_read_fn(png, r, on_read);
  png_read_info(png, info);
  *png_out = png;
  *info_out = info;
  return 0;
}

int loupe_png_read_header(const uint8_t* data, size_t size, loupe_png_header* header,
                          char* err, size_t err_cap) {
  reader r = {data, size, 0, err, err_cap};
  png_structp png;
  png_infop info;
  if (open_png(&r, &png, &info)) return 1;
  header->width = png_get_image_width(png, info);
  header->height = png_get_image_height(png, info);
  header->bit_depth = png_get_bit_depth(png, info);
  header->color_type = png_get_color_type(png, info);
  header->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  png_destroy_read_struct(&png, &info, NULL);
  return 0;
}

int loupe_png_decode_rgb8(const uint8_t* data, size_t size, uint32_t width, uint32_t height,
                          uint8_t* out, size_t out_size, char* err, size_t err_cap) {
  reader r = {data, size, 0, err, err_cap};
  png_structp png;
  png_infop info;
  if (open_png(&r, &png, &info)) return 1;
  /* Locals read after a longjmp must be volatile; `rows` is the only allocation. */
  png_bytep* volatile rows = NULL;
  if (setjmp(png_jmpbuf(png))) {
    png_free(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
  }
  if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height)
    png_error(png, "header changed between calls");
  if ((size_t)width * height > out_size / 3) png_error(png, "output buffer too small");

  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (depth == 16) png_set_strip_16(png); /* keeps the high byte, as PIL does */
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  /* Palette expansion turns tRNS into an alpha channel: strip it like a real one. */
  if ((color & PNG_COLOR_MASK_ALPHA) || (color == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS)))
    png_set_strip_alpha(png);
  (void)png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != (size_t)width * 3) png_error(png, "unexpected row size after conversion");

  rows = (png_bytep*)png_malloc(png, sizeof(png_bytep) * height);
  for (uint32_t y = 0; y < height; y++) rows[y] = out + (size_t)y * width * 3;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  png_free(png, rows);
  rows = NULL;
  png_destroy_read_struct(&png, &info, NULL);
  return 0;
}
