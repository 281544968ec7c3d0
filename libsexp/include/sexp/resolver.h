// Deprecated include path, kept for one release: use "sexp/web/resolver.h".
#ifndef SEXP_RESOLVER_H_FORWARD_
#define SEXP_RESOLVER_H_FORWARD_
#include "sexp/web/resolver.h"
#endif  // SEXP_RESOLVER_H_FORWARD_
