// Deprecated include path, kept for one release: use "sexp/eval/eval.h".
#ifndef SEXP_EVAL_H_FORWARD_
#define SEXP_EVAL_H_FORWARD_
#include "sexp/eval/eval.h"
#endif  // SEXP_EVAL_H_FORWARD_
