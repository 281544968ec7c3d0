// Internal: the compiler from sx data to Code (compile.cc), with the
// special forms as a table (specials.cc) that extensions add to
// (extension.h).
#ifndef SEXP_SRC_EVAL_COMPILE_H_
#define SEXP_SRC_EVAL_COMPILE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/machine.h"

namespace sexp::eval_internal {

struct Pos {
  const SourceFile* file = nullptr;
  uint32_t offset = Node::kNoPos32;
};

// The locals of one frame while it is being compiled.
struct Scope {
  Scope* parent = nullptr;
  std::vector<std::pair<const Atom*, uint32_t>> names;  // visible, innermost last
  uint32_t next_slot = 0;
  uint32_t frame_size = 0;
  bool captured = false;  // a closure is made in this frame
};

// Compiles sx data to Code. The built-in special forms are a table
// (eval/specials.cc) and language extensions add their own forms to it
// (eval/extension.h); the public members below are what a form's compiler
// may use.
class Compiler {
 public:
  Compiler(Machine& m, Environment::State& env);
  // Compiles one top-level form; `top` is the evaluation's top-level scope.
  const Code* CompileTop(const Value& form, Pos pos, Scope* top);

  // --- For the compilers of special forms and head forms -----------------
  Environment::State& env() { return env_; }
  // The evaluation compiling (its budget is charged for compile-time work).
  Machine& machine() { return m_; }
  // Compiles any expression; `tail`: in tail position.
  const Code* Compile(const Value& x, Pos pos, Scope* scope, bool tail);
  // list[from…] as a body: each evaluated, the value of the last.
  const Code* CompileBody(const Value& list, size_t from, Pos pos, Scope* scope, bool tail);
  // A call of whatever `x[0]` evaluates to (no special form, no head form).
  const Code* CompileCall(const Value& x, Pos pos, Scope* scope, bool tail);
  // A call node for `fn` and its compiled arguments.
  const Code* MakeCall(const Code* fn, const std::vector<const Code*>& args, Pos pos, bool tail);
  // A call of `fn` with the arguments x[first…] (for forms that call a
  // global by a name of their own: `use`, `slot`).
  const Code* CompileCallOf(const Code* fn, const Value& x, size_t first, Pos pos, Scope* scope,
                            bool tail);
  // The value of the global `name` (looked up when the code runs, so it may
  // be defined later), whatever locals are called.
  const Code* GlobalNamed(std::string_view name, Pos pos);
  // `x` as its head's head form (an html element), or as a call when no
  // extension claims the head: for special forms whose other readings are
  // elements (`(use :href "#i")`, `(slot :name "x")`).
  const Code* CompileHeadForm(const Value& x, Pos pos, Scope* scope, bool tail);
  const Code* CompileCond(const Value& x, Pos pos, Scope* scope, bool tail);
  const Code* CompileCase(const Value& x, Pos pos, Scope* scope, bool tail);
  const Code* CompileLet(const Value& x, Pos pos, Scope* scope, bool tail);
  const Code* CompileDefine(const Value& x, Pos pos, Scope* scope);
  // (defcomp name …) and (defmacro name …): a callable of `type` bound to name.
  const Code* CompileGlobalCallable(const Value& x, Pos pos, Scope* scope, ValueType type);
  const Code* CompileTry(const Value& x, Pos pos, Scope* scope);
  const Code* CompileQuasi(const Value& t, Pos pos, Scope* scope, int depth);
  // A lambda named `name` (for traces) with `params` and the body
  // body_list[body_from…].
  const Lambda* CompileLambda(std::string name, const Value& params, Pos ppos,
                              const Value& body_list, size_t body_from, Pos pos, Scope* scope,
                              bool component);
  // The local slot `name` resolves to in `scope` (false: not a local).
  bool Resolve(const Atom* name, Scope* scope, uint32_t* depth, uint32_t* index) const;
  // The primitive a global `head` (a symbol no local shadows) holds now, and
  // its cell; nullptr when it holds something else.
  const Primitive* PrimitiveAt(const Value& head, Scope* scope, Global** cell);
  // Where element i of a list read from source is (else `fallback`).
  Pos ElementPos(const Value& list, size_t i, Pos fallback) const;
  // Records `pos` in `code` (for errors) and returns it.
  template <class T>
  T* At(T* code, Pos pos) {
    code->file = pos.file;
    code->offset = pos.offset;
    return code;
  }
  // A compile error at `pos`.
  [[noreturn]] void Error(Pos pos, std::string message);

 private:
  static constexpr int kMaxExpansions = 100000;    // per top-level form
  static constexpr int kMaxExpansionDepth = 200;   // expansions inside expansions
  // What one compiled form is charged as bytes (a Code node and its share of
  // the vectors that hold it), against the evaluation's max_bytes.
  static constexpr size_t kCodeBytesPerForm = 64;
  static constexpr int kMaxNesting = 1200;  // sub-forms being compiled (reader: 1024)

  // Counts one level of compile recursion while alive.
  class Nesting {
   public:
    explicit Nesting(int& n) : n_(n) { ++n_; }
    ~Nesting() { --n_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    int& n_;
  };
  Nesting Enter(Pos pos);

  const Code* CompileList(const Value& x, Pos pos, Scope* scope, bool tail);
  const Code* CompileMacroCall(Global* cell, const Value& x, Pos pos, Scope* scope, bool tail);
  // The first installed head form that claims `name`, or nullptr.
  const HeadForm* HeadFormFor(const Atom* name) const;

  bool IsShadowed(const Atom* name, Scope* scope) const;
  uint32_t AddLocal(Scope* scope, const Atom* name);
  void PopLocals(Scope* scope, size_t names_before);
  Pos ListPos(const Value& list, Pos fallback) const;

  Machine& m_;
  Environment::State& env_;
  int expansions_ = 0;
  int expansion_depth_ = 0;
  int nesting_ = 0;
  struct Symbols {
    const Atom *quasiquote, *unquote, *unquote_splicing, *define, *catch_, *else_, *amp_key,
        *amp_rest, *children;
  } s_;
};

// The value a `catch` receives: a dict with :code :message :file :line
// :column :trace.
Value ErrorValue(Machine& m, const Fault& fault);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_COMPILE_H_
