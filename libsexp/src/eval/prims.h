// Internal: the built-in primitive library and the embedded prelude.
#ifndef SEXP_SRC_EVAL_PRIMS_H_
#define SEXP_SRC_EVAL_PRIMS_H_

#include <cstdint>
#include <string>

#include "sexp/eval/eval.h"

namespace sexp::eval_internal {

// Registers the primitives of `groups`, marks the ones the machine may run
// inline (InlineOp), and evaluates the prelude (sx definitions built on them).
// The display text of a value, as `str` joins them: strings as they are,
// nil as nothing, anything else as its sx text.
void AppendDisplay(std::string* out, const Value& v);

void InstallPrimitives(Environment& env, Environment::State& state, uint32_t groups);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_PRIMS_H_
