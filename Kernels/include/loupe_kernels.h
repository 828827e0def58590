#ifndef LOUPE_KERNELS_H
#define LOUPE_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#endif
