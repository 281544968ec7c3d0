// Deprecated include path, kept for one release: use "sexp/core/arena.h".
#ifndef SEXP_ARENA_H_FORWARD_
#define SEXP_ARENA_H_FORWARD_
#include "sexp/core/arena.h"
#endif  // SEXP_ARENA_H_FORWARD_
