// The sexp::ap bindings (bindings/src/ap.cc), registered by module.cc: the
// private functions sexp/ap.py wraps.
#ifndef SEXP_BINDINGS_AP_H_
#define SEXP_BINDINGS_AP_H_

#include <pybind11/pybind11.h>

#include "sig.h"  // DocumentOf

namespace sexp_py {

void RegisterAp(pybind11::module_& m, const DocumentOf& document_of);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_AP_H_
