#ifndef LOUPE_CODECS_H
#define LOUPE_CODECS_H
#endif
