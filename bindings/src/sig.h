// The sexp::sig bindings (bindings/src/sig.cc), registered by module.cc.
#ifndef SEXP_BINDINGS_SIG_H_
#define SEXP_BINDINGS_SIG_H_

#include <functional>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "sexp/core/ast.h"

namespace sexp_py {
namespace py = pybind11;

// The document of one Python value, or of sx text when `str_is_text` and it
// is a str (module.cc's OneDocument).
using DocumentOf = std::function<sexp::Document(py::handle, bool str_is_text)>;

void RegisterSig(py::module_& m, const DocumentOf& document_of);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_SIG_H_
