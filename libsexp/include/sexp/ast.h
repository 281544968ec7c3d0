// Deprecated include path, kept for one release: use "sexp/core/ast.h".
#ifndef SEXP_AST_H_FORWARD_
#define SEXP_AST_H_FORWARD_
#include "sexp/core/ast.h"
#endif  // SEXP_AST_H_FORWARD_
