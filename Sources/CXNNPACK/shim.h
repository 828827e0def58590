// Debian's libxnnpack-dev and libpthreadpool-dev (bookworm: 0.0~git20220216).
#include <xnnpack.h>
#include <pthreadpool.h>
