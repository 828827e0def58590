// ThreadSanitizer annotations of pthreadpool's fork and join (see CXNNPACK.h).
#include "CXNNPACK.h"

#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define LOUPE_TSAN 1
#  endif
#endif
#if defined(__SANITIZE_THREAD__)
#  define LOUPE_TSAN 1
#endif

#ifdef LOUPE_TSAN
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);

void loupe_pool_sync_release(const void* token) { __tsan_release((void*)token); }
void loupe_pool_sync_acquire(const void* token) { __tsan_acquire((void*)token); }
#else
void loupe_pool_sync_release(const void* token) { (void)token; }
void loupe_pool_sync_acquire(const void* token) { (void)token; }
#endif
