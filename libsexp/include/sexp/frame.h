// Deprecated include path, kept for one release: use "sexp/wire/frame.h".
#ifndef SEXP_FRAME_H_FORWARD_
#define SEXP_FRAME_H_FORWARD_
#include "sexp/wire/frame.h"
#endif  // SEXP_FRAME_H_FORWARD_
