// Deprecated include path, kept for one release: use "sexp/core/address.h".
#ifndef SEXP_ADDRESS_H_FORWARD_
#define SEXP_ADDRESS_H_FORWARD_
#include "sexp/core/address.h"
#endif  // SEXP_ADDRESS_H_FORWARD_
