// Deprecated include path, kept for one release: use "sexp/html/render.h".
#ifndef SEXP_HTML_H_FORWARD_
#define SEXP_HTML_H_FORWARD_
#include "sexp/html/render.h"
#endif  // SEXP_HTML_H_FORWARD_
