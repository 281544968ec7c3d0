// Conversions between Python objects and sx values for the `sexp` module.
//
// sx → Python: nil None, booleans, ints, floats, strings str, bytes bytes,
// symbols sexp.Symbol, keywords sexp.Keyword (both cached per name), lists
// list, dicts dict, raw! markup sexp.Markup. Python → sx: the same in
// reverse (tuples as lists); anything else is a TypeError naming the type
// and where it was found.
//
// All functions here need the GIL.
#ifndef SEXP_BINDINGS_CONVERT_H_
#define SEXP_BINDINGS_CONVERT_H_

#include <pybind11/pybind11.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sexp/sexp.h"

namespace sexp_py {

namespace py = pybind11;

// The Python classes the package defines (sexp/__init__.py hands them over
// once, at import).
struct Types {
  py::object symbol, keyword, markup, read_error, eval_error;
};
Types& types();

// sx data read by the reader → Python (depth is bounded by the reader's).
py::object NodeToPy(const sexp::Node& node);
// The same for each of `nodes` (a document's roots), as one list; names are
// looked up once for all of them.
py::list NodesToPy(absl::Span<const sexp::Node> nodes);
// An evaluator value → Python. Callables become their sx text
// ("#<function f>"), which is all a Python caller can do with them.
py::object ValueToPy(const sexp::Value& value);

// Python → a Node of `builder`'s document; throws py::type_error /
// py::value_error (non-finite floats, ints beyond 64 bits, bad dict keys).
sexp::Node PyToNode(sexp::Builder& builder, py::handle obj);

// The keywords of one Environment by the Python str of their name, kept
// across calls: env.render converts the same few key names on every call
// (each name usually one interned str), and a pointer compare is cheaper
// than interning. Holds the strs it maps, so none is freed and its address
// reused while cached; up to 96 names, then it starts afresh. Needs the GIL.
class KeywordCache {
 public:
  sexp::Value Get(sexp::Environment& env, PyObject* name_object, std::string_view name);
  void Clear();

 private:
  static constexpr size_t kSlots = 128;  // open addressing, at most 3/4 full
  struct Slot {
    py::object name;
    sexp::Value value;
  };
  std::array<Slot, kSlots> slots_{};
  size_t count_ = 0;
};

// Python → evaluator values whose strings, lists and dicts live in `arena`
// (a call's arguments: nothing is added to the Environment but interned
// names). `keywords`, when given, must belong to `env`. Same errors as
// PyToNode.
sexp::Value PyToValue(sexp::Environment& env, sexp::Arena& arena, py::handle obj,
                      KeywordCache* keywords = nullptr);

// A Python primitive's result as a value of the running evaluation (made
// through `ctx`); the same conversion and errors as PyToValue.
sexp::Value PyToResult(sexp::CallContext& ctx, py::handle obj);

// The ReadError for a reader error (message, line, col, offset, code).
[[noreturn]] void ThrowReadError(const sexp::Error& error);
// The EvalError for an evaluation error (message, code, file, line, col, trace).
[[noreturn]] void ThrowEvalError(const sexp::EvalError& error);
// A Python exception that is not an Exception (KeyboardInterrupt,
// SystemExit, GeneratorExit) raised inside a primitive: kept for this thread
// while the evaluation unwinds as `interrupted` (which sx's `try` cannot
// catch), then raised again by ThrowEvalError in place of the EvalError.
void KeepBaseException(pybind11::error_already_set&& e);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_CONVERT_H_
