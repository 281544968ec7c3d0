// The negotiation bindings (bindings/src/negotiate.cc): sexp.quart's HTTP
// decisions made by sexp/web/negotiate.h, as `sexp host` makes them.
#ifndef SEXP_BINDINGS_NEGOTIATE_H_
#define SEXP_BINDINGS_NEGOTIATE_H_

#include <pybind11/pybind11.h>

namespace sexp_py {

void RegisterNegotiate(pybind11::module_& m);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_NEGOTIATE_H_
