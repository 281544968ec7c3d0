// Deprecated include path, kept for one release: use "sexp/core/reader.h".
#ifndef SEXP_READER_H_FORWARD_
#define SEXP_READER_H_FORWARD_
#include "sexp/core/reader.h"
#endif  // SEXP_READER_H_FORWARD_
