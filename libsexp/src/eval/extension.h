// Internal: the compiler hook — how parts of the library beside the evaluator
// add forms to the language without the evaluator knowing them.
//
// The evaluator compiles the core language: the special forms of
// specials.cc, macros, calls. A language extension adds
//   - special forms: a name and the function that compiles a list headed by
//     it (as the built-in ones are kept in a table apart from the compiler);
//   - head forms: a predicate on a head symbol's name and the function that
//     compiles a list headed by such a name when it is not bound to anything
//     callable (html elements: `(div …)`);
//   - primitives, defined on each new Environment.
// Its nodes are ordinary Code: they evaluate (Eval) and may stream (Emit)
// to an Emitter of their own kind (see Emitter::kind in machine.h).
//
// Extensions register once per process (RegisterExtension, thread-safe);
// every Environment made afterwards installs all of them, after the core
// language and before the prelude. The html area registers its elements
// from sexp/html/render.h and the web area its `defroute` from
// sexp/web/router.h (an inline variable there calls the registration), so a
// program that includes either header — or the umbrella sexp/sexp.h — has
// them in every Environment it makes once main() runs; one that uses only
// sexp::core does not.
#ifndef SEXP_SRC_EVAL_EXTENSION_H_
#define SEXP_SRC_EVAL_EXTENSION_H_

#include <string_view>

#include "absl/types/span.h"
#include "eval/compile.h"
#include "eval/machine.h"

namespace sexp::eval_internal {

// A list headed by a name the predicate claims, when the name is not a
// special form or a macro and (for a global) not bound to anything callable
// when the form is compiled. `cell`: the global the head names, or nullptr
// when it is a local, whose value `local` reads (the head form decides at
// run time what a callable value there means).
struct HeadForm {
  bool (*claims)(std::string_view name);
  const Code* (*compile)(Compiler& c, const Value& form, Pos pos, Scope* scope, bool tail,
                         Global* cell, const Code* local);
};

struct SpecialFormEntry {
  std::string_view name;
  SpecialForm compile;
};

struct LanguageExtension {
  std::string_view name;  // for messages ("html", "routes")
  absl::Span<const SpecialFormEntry> special_forms;
  const HeadForm* head_form = nullptr;
  // Defines the extension's primitives (may be nullptr).
  void (*install)(Environment& env) = nullptr;
};

// Adds `ext` (which must outlive the process: a static) to the extensions
// every new Environment installs. Registering the same one twice is a no-op.
// Returns true, so that a header can register from an inline variable.
bool RegisterExtension(const LanguageExtension* ext);

// The built-in special forms (specials.cc), then every registered
// extension: called by the Environment's constructor.
void InstallSpecialForms(Environment::State& state);
void InstallExtensions(Environment& env, Environment::State& state);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_EXTENSION_H_
