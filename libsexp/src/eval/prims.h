// Internal: the built-in primitive library and the embedded prelude.
#ifndef SEXP_SRC_EVAL_PRIMS_H_
#define SEXP_SRC_EVAL_PRIMS_H_

#include <cstdint>

#include "sexp/eval.h"

namespace sexp::eval_internal {

// Registers the primitives of `groups`, marks the ones the machine may run
// inline (InlineOp), and evaluates the prelude (sx definitions built on them).
void InstallPrimitives(Environment& env, Environment::State& state, uint32_t groups);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_PRIMS_H_
