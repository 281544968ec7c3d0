// Conversions between Python objects and sx values for the `sexp` module.
//
// sx → Python: nil None, booleans, ints, floats, strings str, bytes bytes,
// symbols sexp.Symbol, keywords sexp.Keyword (both cached per name), lists
// list, dicts dict, raw! markup sexp.Markup. Python → sx: the same in
// reverse (tuples as lists); anything else is a TypeError naming the type
// and where it was found.
//
// Limits. A conversion that belongs to an evaluation (its arguments, its
// result, a primitive's arguments and result, a service's arguments and
// result) is charged to that evaluation's sexp::Budget through a Meter: a
// step per value visited (plus one per 64 bytes of text) and the bytes it
// makes — the Python objects it builds counted at about their size, the sx
// values and nodes at theirs — *before* making them, so data whose parts
// are shared (d = [d, d] twenty times) ends with the evaluation's limit
// error (step-limit, memory-limit, timeout, interrupted) instead of a walk
// of 2^20 nodes. sx → Python is iterative: any depth converts (no C
// recursion); Python → sx refuses data nested deeper than 1024 (ValueError).
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
  // sexp._adapt: the core Python value for one of the other data shapes
  // (dataclass, Decimal, datetime, Enum, Mapping…), or NotImplemented.
  py::object adapt;
  py::object render_error;  // sexp.RenderError (an EvalError of code "render")
};
Types& types();

// The EvalError for an evaluation error (message, code, file, line, col, trace).
[[noreturn]] void ThrowEvalError(const sexp::EvalError& error);
// The EvalError of an exhausted budget: its limit's code and message.
[[noreturn]] void ThrowBudgetError(const sexp::Budget& budget);

// What a conversion charges to the budget of the call it belongs to (see
// the top of this file). A step or byte charge past a limit raises the
// budget's EvalError (ThrowBudgetError). Every kSignalEvery steps it also
// runs Python's pending signal handlers (PyErr_CheckSignals), so a Ctrl-C
// during a long conversion raises KeyboardInterrupt in the middle of it.
class Meter {
 public:
  explicit Meter(sexp::Budget& budget) : budget_(budget) {}
  ~Meter() {
    if (pending_bytes_ != 0) budget_.ChargeBytes(pending_bytes_);  // (a later charge fails)
  }
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  void Step(uint64_t steps = 1) {
    if (!budget_.Charge(steps)) ThrowBudgetError(budget_);
    if (--until_signals_ == 0) Signals();
  }
  // `bytes` of text: the bytes, and a step per 64 of them.
  void Text(uint64_t bytes, uint64_t overhead) {
    Step(1 + bytes / 64);
    Bytes(bytes + overhead);
  }
  // Small charges are gathered up to kBytesEvery before they reach the
  // budget (so a conversion may overshoot max_bytes by that much).
  void Bytes(uint64_t bytes) {
    pending_bytes_ += bytes;
    if (pending_bytes_ >= kBytesEvery) FlushBytes();
  }
  sexp::Budget& budget() { return budget_; }

 private:
  static constexpr int kSignalEvery = 4096;
  static constexpr uint64_t kBytesEvery = 4096;
  void Signals();
  void FlushBytes() {
    uint64_t bytes = pending_bytes_;
    pending_bytes_ = 0;
    if (!budget_.ChargeBytes(bytes)) ThrowBudgetError(budget_);
  }
  sexp::Budget& budget_;
  int until_signals_ = kSignalEvery;
  uint64_t pending_bytes_ = 0;
};

// sx data read by the reader → Python (depth is bounded by the reader's).
py::object NodeToPy(const sexp::Node& node);
// The same for each of `nodes` (a document's roots), as one list; names are
// looked up once for all of them.
py::list NodesToPy(absl::Span<const sexp::Node> nodes);
// An evaluator value → Python, charged to `meter`. Callables become their
// sx text ("#<function f>"), which is all a Python caller can do with them.
// Iterative: a value nested 100,000 deep converts (Python's own recursive
// functions — repr, ==, pickle — may then raise RecursionError on it).
py::object ValueToPy(const sexp::Value& value, Meter& meter);

// Python → a Node of `builder`'s document; throws py::type_error /
// py::value_error (non-finite floats, ints beyond 64 bits, bad dict keys).
// Charged to `meter` when given (the module-level functions — canonical,
// hash… — have no budget and are bounded by the depth only).
sexp::Node PyToNode(sexp::Builder& builder, py::handle obj, Meter* meter = nullptr);

// The keywords of one Environment by the Python str of their name, kept
// across calls: env.render converts the same few key names on every call
// (each name usually one interned str), and a pointer compare is cheaper
// than interning. Only names the environment has are kept (the others are
// made transient in each call's arena: Environment::TransientKeyword).
// Holds the strs it maps, so none is freed and its address reused while
// cached; up to 96 names, then it starts afresh. Needs the GIL.
class KeywordCache {
 public:
  sexp::Value Get(sexp::Environment& env, sexp::Arena& arena, PyObject* name_object,
                  std::string_view name);
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

// Python → evaluator values whose strings, lists, dicts and names the
// environment does not have yet live in `arena` (a call's arguments: nothing
// is added to the Environment), charged to `meter`. `keywords`, when given, must belong to `env`.
// Same errors as PyToNode.
sexp::Value PyToValue(sexp::Environment& env, sexp::Arena& arena, py::handle obj, Meter& meter,
                      KeywordCache* keywords = nullptr);

// A Python primitive's result as a value of the running evaluation (made
// through `ctx`, charged to `meter`: the evaluation's budget); the same
// conversion and errors as PyToValue.
sexp::Value PyToResult(sexp::CallContext& ctx, py::handle obj, Meter& meter);

// The ReadError for a reader error (message, line, col, offset, code).
[[noreturn]] void ThrowReadError(const sexp::Error& error);
// A Python exception that is not an Exception (KeyboardInterrupt,
// SystemExit, GeneratorExit) raised inside a primitive: kept for this thread
// while the evaluation unwinds as `interrupted` (which sx's `try` cannot
// catch), then raised again by ThrowEvalError in place of the EvalError.
void KeepBaseException(pybind11::error_already_set&& e);

}  // namespace sexp_py

#endif  // SEXP_BINDINGS_CONVERT_H_
