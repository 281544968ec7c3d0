// Deprecated include path, kept for one release: use "sexp/cache/cache.h".
#ifndef SEXP_CACHE_H_FORWARD_
#define SEXP_CACHE_H_FORWARD_
#include "sexp/cache/cache.h"
#endif  // SEXP_CACHE_H_FORWARD_
