#include "loupe_codecs.h"
