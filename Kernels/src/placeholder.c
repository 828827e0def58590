#include "loupe_kernels.h"
