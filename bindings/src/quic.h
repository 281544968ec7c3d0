// The sexp::quic client bindings (bindings/src/quic.cc), registered by
// module.cc when the transport is built: the private class sexp/quic.py wraps.
#ifndef SEXP_BINDINGS_QUIC_H_
#define SEXP_BINDINGS_QUIC_H_

#include <pybind11/pybind11.h>

namespace sexp_py {

void RegisterQuic(pybind11::module_& m);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_QUIC_H_
