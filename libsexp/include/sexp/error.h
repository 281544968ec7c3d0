// Deprecated include path, kept for one release: use "sexp/core/error.h".
#ifndef SEXP_ERROR_H_FORWARD_
#define SEXP_ERROR_H_FORWARD_
#include "sexp/core/error.h"
#endif  // SEXP_ERROR_H_FORWARD_
