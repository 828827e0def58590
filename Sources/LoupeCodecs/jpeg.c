#include <stdio.h>
#include <string.h>
#include <turbojpeg.h>
#include "loupe_codecs.h"

static void set_err(char* err, size_t cap, const char* prefix, const char* msg) {
  if (err && cap) snprintf(err, cap, "%s%s", prefix, msg);
}

int loupe_jpeg_read_header(const uint8_t* data, size_t size, loupe_jpeg_header* header,
                           char* err, size_t err_cap) {
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
    set_err(err, err_cap, "", "not a JPEG signature");
    return 1;
  }
  tjhandle tj = tjInitDecompress();
  if (!tj) {
    set_err(err, err_cap, "TurboJPEG: ", tjGetErrorStr2(NULL));
    return 1;
  }
  int w = 0, h = 0, samp = 0, cs = 0;
  int rc = tjDecompressHeader3(tj, data, (unsigned long)size, &w, &h, &samp, &cs);
  if (rc != 0) set_err(err, err_cap, "", tjGetErrorStr2(tj));
  else if (w <= 0 || h <= 0) {
    set_err(err, err_cap, "", "JPEG header declares an empty image");
    rc = 1;
  }
  tjDestroy(tj);
  if (rc != 0) return 1;
  header->width = w;
  header->height = h;
  header->subsampling = samp;
  header->colorspace = cs;
  return 0;
}

int loupe_jpeg_scaled_dim(int dim, int denom) { return (dim + denom - 1) / denom; }

/* PIL's cmyk2rgb on Adobe-inverted data (Convert.c, MULDIV255). */
static inline uint8_t muldiv255(unsigned a, unsigned b) {
  unsigned t = a * b + 128;
  return (uint8_t)(((t >> 8) + t) >> 8);
}

static void cmyk_to_rgb(const uint8_t* cmyk, uint8_t* rgb, size_t pixels) {
  for (size_t i = 0; i < pixels; i++) {
    /* TurboJPEG leaves Adobe CMYK inverted: stored value = 255 - ink. */
    const unsigned k = cmyk[4 * i + 3];
    for (int c = 0; c < 3; c++) {
      const int v = (int)k - (int)muldiv255(255u - cmyk[4 * i + c], k);
      rgb[3 * i + c] = (uint8_t)(v < 0 ? 0 : v);
    }
  }
}

int loupe_jpeg_decode_rgb8(const uint8_t* data, size_t size, int denom, uint8_t* out,
                           size_t out_size, char* err, size_t err_cap) {
  if (denom != 1 && denom != 2 && denom != 4 && denom != 8) {
    set_err(err, err_cap, "", "DCT scale denominator must be 1, 2, 4 or 8");
    return 1;
  }
  loupe_jpeg_header hdr;
  if (loupe_jpeg_read_header(data, size, &hdr, err, err_cap)) return 1;
  const int w = loupe_jpeg_scaled_dim(hdr.width, denom), h = loupe_jpeg_scaled_dim(hdr.height, denom);
  if ((size_t)w * (size_t)h > out_size / 3) {
    set_err(err, err_cap, "", "output buffer too small");
    return 1;
  }
  if ((size_t)w * 3 > 0x7fffffff) {
    set_err(err, err_cap, "", "image too wide");
    return 1;
  }
  tjhandle tj = tjInitDecompress();
  if (!tj) {
    set_err(err, err_cap, "TurboJPEG: ", tjGetErrorStr2(NULL));
    return 1;
  }
  /* TJFLAG_STOPONWARNING: a warning (e.g. "Premature end of JPEG file") aborts the decode
   * and comes back as -1, so a truncated photo is an error, not a gray-filled image. */
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING;
  int rc;
  if (hdr.colorspace == TJCS_CMYK || hdr.colorspace == TJCS_YCCK) {
    uint8_t* cmyk = (size_t)w * (size_t)h <= (size_t)(0x7fffffff / 4) ? (uint8_t*)tjAlloc(w * h * 4) : NULL;
    if (!cmyk) {
      set_err(err, err_cap, "", "out of memory");
      tjDestroy(tj);
      return 1;
    }
    rc = tjDecompress2(tj, data, (unsigned long)size, cmyk, w, w * 4, h, TJPF_CMYK, flags);
    if (rc == 0) cmyk_to_rgb(cmyk, out, (size_t)w * h);
    tjFree(cmyk);
  } else {
    rc = tjDecompress2(tj, data, (unsigned long)size, out, w, w * 3, h, TJPF_RGB, flags);
  }
  if (rc != 0) set_err(err, err_cap, "", tjGetErrorStr2(tj));
  tjDestroy(tj);
  return rc != 0;
}
