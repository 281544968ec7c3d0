// Deprecated include path, kept for one release: use "sexp/core/writer.h".
#ifndef SEXP_WRITER_H_FORWARD_
#define SEXP_WRITER_H_FORWARD_
#include "sexp/core/writer.h"
#endif  // SEXP_WRITER_H_FORWARD_
