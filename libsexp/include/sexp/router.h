// Deprecated include path, kept for one release: use "sexp/web/router.h".
#ifndef SEXP_ROUTER_H_FORWARD_
#define SEXP_ROUTER_H_FORWARD_
#include "sexp/web/router.h"
#endif  // SEXP_ROUTER_H_FORWARD_
