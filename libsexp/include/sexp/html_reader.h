// Deprecated include path, kept for one release: use "sexp/html/reader.h".
#ifndef SEXP_HTML_READER_H_FORWARD_
#define SEXP_HTML_READER_H_FORWARD_
#include "sexp/html/reader.h"
#endif  // SEXP_HTML_READER_H_FORWARD_
