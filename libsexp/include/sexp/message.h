// Deprecated include path, kept for one release: use "sexp/wire/message.h".
#ifndef SEXP_MESSAGE_H_FORWARD_
#define SEXP_MESSAGE_H_FORWARD_
#include "sexp/wire/message.h"
#endif  // SEXP_MESSAGE_H_FORWARD_
