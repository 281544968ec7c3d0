// Deprecated include path, kept for one release: use "sexp/web/pipeline.h".
#ifndef SEXP_PIPELINE_H_FORWARD_
#define SEXP_PIPELINE_H_FORWARD_
#include "sexp/web/pipeline.h"
#endif  // SEXP_PIPELINE_H_FORWARD_
