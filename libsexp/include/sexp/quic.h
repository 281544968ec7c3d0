// Deprecated include path, kept for one release: use "sexp/net/quic.h".
#ifndef SEXP_QUIC_H_FORWARD_
#define SEXP_QUIC_H_FORWARD_
#include "sexp/net/quic.h"
#endif  // SEXP_QUIC_H_FORWARD_
