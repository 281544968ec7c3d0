// Internal: the built-in primitive library and the embedded prelude.
#ifndef SEXP_SRC_EVAL_PRIMS_H_
#define SEXP_SRC_EVAL_PRIMS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sexp/eval/eval.h"

namespace sexp::eval_internal {

class Machine;

// The display text of a value, as `str` joins them: strings as they are,
// nil as nothing, anything else as its sx text. Charged to `m`'s budget
// before the text is built (bytes, and the nodes printed).
void AppendDisplay(Machine& m, std::string* out, const Value& v);
// Appends `text`, charged the same way.
void AppendText(Machine& m, std::string* out, std::string_view text);

// Registers the built-in primitives (those of groups the environment was not
// made with stay unbound) and marks the ones the machine may run inline
// (InlineOp) or stream (StreamOp).
void InstallPrimitives(Environment& env, Environment::State& state);
// Evaluates the prelude: sx definitions built on the primitives.
void LoadPrelude(Environment& env);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_PRIMS_H_
