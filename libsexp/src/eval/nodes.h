// Internal: the nodes of compiled code, built by compile.cc and specials.cc.
// Each evaluates (Eval, defined here); calls and control forms also emit in
// place (Emit, defined in emit.cc), which is what makes a page stream out
// without its tree being built first. Extensions add nodes of their own
// (html elements: libsexp/src/html/element.h).
#ifndef SEXP_SRC_EVAL_NODES_H_
#define SEXP_SRC_EVAL_NODES_H_

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "eval/machine.h"
#include "core/strutil.h"

namespace sexp::eval_internal {

struct Const final : Code {
  Value v;
  explicit Const(Value value) : v(value) {}
  Value Eval(Machine&, Frame*) const override { return v; }
};

struct Local0 final : Code {
  uint32_t index;
  explicit Local0(uint32_t i) : index(i) {}
  Value Eval(Machine&, Frame* f) const override { return f->slots[index]; }
};

struct LocalN final : Code {
  uint32_t depth, index;
  LocalN(uint32_t d, uint32_t i) : depth(d), index(i) {}
  Value Eval(Machine&, Frame* f) const override {
    for (uint32_t d = depth; d > 0; --d) f = f->parent;
    return f->slots[index];
  }
};

[[noreturn]] inline void FailUnbound(Machine& m, const Global* cell, const Code* at) {
  m.Fail(EvalErrorCode::kUnbound,
         absl::StrCat("'", AV(cell->name->name()),
                      "' is not defined (and is not a registered primitive)"),
         at);
}

struct GlobalRef final : Code {
  Global* cell;
  explicit GlobalRef(Global* g) : cell(g) {}
  Value Eval(Machine& m, Frame*) const override {
    if (!cell->bound) FailUnbound(m, cell, this);
    return cell->value;
  }
};

struct SetLocal final : Code {
  uint32_t depth, index;
  const Code* value;
  SetLocal(uint32_t d, uint32_t i, const Code* v) : depth(d), index(i), value(v) {}
  Value Eval(Machine& m, Frame* f) const override {
    Value v = value->Eval(m, f);
    for (uint32_t d = depth; d > 0; --d) f = f->parent;
    f->slots[index] = v;
    return Value();
  }
};

struct SetGlobal final : Code {
  Global* cell;
  const Code* value;
  bool define;  // define binds; set! requires a binding
  SetGlobal(Global* g, const Code* v, bool d) : cell(g), value(v), define(d) {}
  Value Eval(Machine& m, Frame* f) const override {
    if (m.in_scratch() || m.env().active_renders > 0) {
      m.Fail(EvalErrorCode::kRender, absl::StrCat("a render cannot define or set! the global '",
                                    AV(cell->name->name()), "' (nothing made while rendering "
                                    "outlives the render)"), this);
    }
    if (!define && !cell->bound) {
      m.Fail(EvalErrorCode::kUnbound, absl::StrCat("set! of '", AV(cell->name->name()), "', which is not defined"),
             this);
    }
    Value v = value->Eval(m, f);
    cell->value = v;
    cell->bound = true;
    ++m.env().global_version;
    return define ? Value::Symbol(cell->name) : Value();
  }
};

struct If final : Code {
  const Code *test, *then, *otherwise;
  If(const Code* c, const Code* t, const Code* e) : test(c), then(t), otherwise(e) {}
  Value Eval(Machine& m, Frame* f) const override {
    return test->Eval(m, f).truthy() ? then->Eval(m, f) : otherwise->Eval(m, f);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

struct Seq final : Code {
  std::vector<const Code*> body;  // non-empty
  Value Eval(Machine& m, Frame* f) const override {
    size_t last = body.size() - 1;
    for (size_t i = 0; i < last; ++i) body[i]->Eval(m, f);
    return body[last]->Eval(m, f);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

// A let: its inits in order (SetLocal each), then its body. While a
// resolution runs, an init waiting for a request (a pending fault) does not
// stop the inits after it that do not mention its name, or the name of
// another waiting one: their requests go out in the same round, as
// independent requests in an argument list do (EvalArgs); the first pending
// fault is rethrown after them. Otherwise it runs as a Seq does.
struct LetSeq final : Code {
  std::vector<const Code*> inits;
  // For each init, the earlier inits whose names it mentions anywhere.
  std::vector<std::vector<uint32_t>> mentions;
  const Code* body;
  Value Eval(Machine& m, Frame* f) const override {
    Inits(m, f);
    return body->Eval(m, f);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
  void Inits(Machine& m, Frame* f) const {
    if (ABSL_PREDICT_FALSE(m.resolving())) {
      InitsResolving(m, f);
    } else {
      for (const Code* init : inits) init->Eval(m, f);
    }
  }
  void InitsResolving(Machine& m, Frame* f) const {
    std::vector<bool> waiting(inits.size());
    std::exception_ptr first;
    for (size_t i = 0; i < inits.size(); ++i) {
      for (uint32_t j : mentions[i]) waiting[i] = waiting[i] || waiting[j];
      if (waiting[i]) continue;
      try {
        inits[i]->Eval(m, f);
      } catch (Fault& fault) {
        if (!fault.pending) throw;
        waiting[i] = true;
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  }
};

struct AndOr final : Code {
  std::vector<const Code*> parts;  // non-empty
  bool is_and;
  Value Eval(Machine& m, Frame* f) const override {
    size_t last = parts.size() - 1;
    for (size_t i = 0; i < last; ++i) {
      Value v = parts[i]->Eval(m, f);
      if (v.truthy() != is_and) return v;
    }
    return parts[last]->Eval(m, f);
  }
};

struct Cond final : Code {
  std::vector<std::pair<const Code*, const Code*>> clauses;  // test nullptr = :else
  Value Eval(Machine& m, Frame* f) const override {
    for (const auto& [test, body] : clauses) {
      if (test == nullptr || test->Eval(m, f).truthy()) return body->Eval(m, f);
    }
    return Value();
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

struct Case final : Code {
  const Code* key;
  std::vector<std::pair<Value, const Code*>> clauses;
  const Code* otherwise = nullptr;
  Value Eval(Machine& m, Frame* f) const override {
    Value k = key->Eval(m, f);
    for (const auto& [datum, body] : clauses) {
      if (m.Equal(k, datum)) return body->Eval(m, f);
    }
    return otherwise ? otherwise->Eval(m, f) : Value();
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

struct MakeClosure final : Code {
  const Lambda* lambda;
  ValueType type;  // kFunction, kComponent or kMacro
  MakeClosure(const Lambda* l, ValueType t) : lambda(l), type(t) {}
  Value Eval(Machine& m, Frame* f) const override {
    auto* fn = static_cast<Function*>(m.Allocate(sizeof(Function)));
    fn->lambda = lambda;
    fn->env = f;
    return Value::Callable(type, fn);
  }
};

// Evaluated arguments of calls with many; fixed-arity calls use an array.
using ArgValues = absl::InlinedVector<Value, 8>;

// EvalArgs while a resolution runs: every argument is evaluated even after
// one raised a pending I/O request, so that independent requests of the same
// list are all recorded in one round; then the first pending is rethrown.
void EvalArgsResolving(Machine& m, Frame* f, const Code* const* args, size_t n, Value* out);

// out[i] = args[i]->Eval for i < n. Only during a resolution can a pending
// request be raised, and only then is the path with try blocks taken (in
// the plain loop they cost ~5 instructions a call, 2% of closures.sx).
inline void EvalArgs(Machine& m, Frame* f, const Code* const* args, size_t n, Value* out) {
  if (ABSL_PREDICT_FALSE(m.resolving())) {
    EvalArgsResolving(m, f, args, n, out);
    return;
  }
  for (size_t i = 0; i < n; ++i) out[i] = args[i]->Eval(m, f);
}

// Calls `callee` with `args`: as a tail call (the caller's Apply loop runs
// it) when in tail position and the callee is sx code, else directly.
inline Value Invoke(Machine& m, const Value& callee, const Value* args, size_t n, bool tail,
             const Code* site) {
  if (tail && (callee.type() == ValueType::kFunction || callee.type() == ValueType::kComponent)) {
    return m.TailCall(callee, args, n, site);
  }
  if (callee.type() == ValueType::kPrimitive) {
    return m.CallPrimitive(*static_cast<const Primitive*>(callee.object()), args, n, site);
  }
  return m.Apply(callee, args, n, site);
}

// Invoke for a call whose value is to be emitted: sx code emits its body in
// place (a tail call is left to the caller's Apply loop, as in Invoke);
// anything else emits what it returns.
inline Value EmitInvoke(Machine& m, const Value& callee, const Value* args, size_t n, bool tail,
                        const Code* site, Emitter& out) {
  if (tail && (callee.type() == ValueType::kFunction || callee.type() == ValueType::kComponent)) {
    return m.TailCall(callee, args, n, site);
  }
  if (callee.type() == ValueType::kPrimitive) {  // as Invoke: a step, no call depth
    m.Step();
    EmitPrimitive(m, *static_cast<const Primitive*>(callee.object()), args, n, site, out);
    return Value();
  }
  m.Apply(callee, args, n, site, &out);
  return Value();
}

// A call with any number of arguments.
struct Call final : Code {
  const Code* fn;
  std::vector<const Code*> args;
  bool tail;
  Value Eval(Machine& m, Frame* f) const override {
    Value callee = fn->Eval(m, f);
    ArgValues argv(args.size());
    EvalArgs(m, f, args.data(), args.size(), argv.data());
    return Invoke(m, callee, argv.data(), argv.size(), tail, this);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override {
    Value callee = fn->Eval(m, f);
    ArgValues argv(args.size());
    for (size_t i = 0; i < args.size(); ++i) argv[i] = args[i]->Eval(m, f);
    return EmitInvoke(m, callee, argv.data(), argv.size(), tail, this, out);
  }
};

// A call with N (0-3) arguments: the most common shape, evaluated into an
// array on the C++ stack.
template <size_t N>
struct CallFixed final : Code {
  const Code* fn;
  const Code* args[N == 0 ? 1 : N];
  bool tail;
  Value Eval(Machine& m, Frame* f) const override {
    Value callee = fn->Eval(m, f);
    Value argv[N == 0 ? 1 : N];
    EvalArgs(m, f, args, N, argv);
    return Invoke(m, callee, argv, N, tail, this);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override {
    Value callee = fn->Eval(m, f);
    Value argv[N == 0 ? 1 : N];
    for (size_t i = 0; i < N; ++i) argv[i] = args[i]->Eval(m, f);
    return EmitInvoke(m, callee, argv, N, tail, this, out);
  }
};

// (op a b) / (op a) where `op` is a global that held a built-in primitive
// with an inline case (InlineOp) when the form was compiled. While the cell
// still holds that primitive, the common case runs here with no call at all;
// otherwise this is an ordinary call of whatever the cell holds now. With
// kConstLast the last argument is a constant (as in (- n 1)), held here;
// with kLocalFirst the first is a slot of the current frame (the `n`).
template <InlineOp OP, bool kConstLast, bool kLocalFirst>
struct CallInline final : Code {
  static constexpr uint32_t kArity = OP == InlineOp::kNot ? 1 : 2;
  Global* cell;
  const Primitive* prim;
  const Code* args[kArity];
  Value last;             // kConstLast: the last argument
  uint32_t first_slot;    // kLocalFirst: the first argument's slot
  bool tail;
  Value Eval(Machine& m, Frame* f) const override {
    if (!cell->bound) FailUnbound(m, cell, this);
    Value callee = cell->value;
    Value argv[kArity];
    uint32_t i = 0;
    if constexpr (kLocalFirst) argv[i++] = f->slots[first_slot];
    for (; i < (kConstLast ? kArity - 1 : kArity); ++i) argv[i] = args[i]->Eval(m, f);
    if constexpr (kConstLast) argv[kArity - 1] = last;
    if (callee.type() == ValueType::kPrimitive && callee.object() == prim) {
      m.Step();
      Value out;
      if (RunInlineOp<OP>(argv, kArity, &out)) return out;
      return m.ApplyPrimitive(*prim, argv, kArity, this);  // the step is charged
    }
    return Invoke(m, callee, argv, kArity, tail, this);
  }
};

// (:key m) and (:key m default) with the keyword written in the form: the
// lookup without a call (Apply's keyword case, which other callers keep).
struct KeyGet final : Code {
  Value key;
  const Code* map;
  int64_t map_slot = -1;           // map is this slot of the current frame
  const Code* fallback = nullptr;  // the default, or nullptr
  // Where the key was found last time: dicts a site sees tend to share a
  // layout (records of one kind), so the first probe usually hits. Dict keys
  // are unique, so a hit anywhere is the answer.
  mutable uint32_t hint = 0;
  // True when `in` is a dict holding the key where the hint says.
  bool Probe(const Value& in) const {
    return in.is_dict() && hint + 1 < in.size() && in[hint].type() == ValueType::kKeyword &&
           in[hint].SameName(key);
  }
  // The common case inline (a local dict, the hint right), the rest is Eval.
  Value Get(Machine& m, Frame* f) const {
    if (map_slot >= 0 && fallback == nullptr && Probe(f->slots[map_slot])) {
      m.Step();
      return f->slots[map_slot][hint + 1];
    }
    return Eval(m, f);
  }
  Value Eval(Machine& m, Frame* f) const override {
    m.Step();
    Value in = map_slot >= 0 ? f->slots[map_slot] : map->Eval(m, f);
    Value otherwise = fallback != nullptr ? fallback->Eval(m, f) : Value();
    if (in.is_dict()) {  // LookupKey's dict case, for a keyword
      if (Probe(in)) return in[hint + 1];
      m.Charge(in.size() / 16);  // the scan below
      for (size_t i = 0; i + 1 < in.size(); i += 2) {
        if (in[i].type() == ValueType::kKeyword && in[i].SameName(key)) {
          hint = static_cast<uint32_t>(i);
          return in[i + 1];
        }
      }
      Value found;
      return LookupStringKeyOf(in, key, &found) ? found : otherwise;
    }
    Value out;
    m.Charge(in.size() / 16);
    return LookupKey(in, key, &out) ? out : otherwise;
  }
};

// A call of a built-in the compiler gives a node of its own (str, map):
// `cell` is the global it was read from, `prim` what the global held then.
struct BuiltinCall {
  Global* cell;
  const Primitive* prim;
  // The global still holds that built-in (else the form is an ordinary call).
  bool Holds() const {
    return cell->bound && cell->value.type() == ValueType::kPrimitive &&
           cell->value.object() == prim;
  }
};

// (str a b …) where `str` held the built-in when compiled. Evaluated, it is
// the ordinary call; emitted while the global still holds the built-in, the
// display text of each argument is emitted as a piece (an HTML renderer
// escapes it straight into the output: the same bytes as escaping the joined
// string), with no string made.
struct CallStr final : Code, BuiltinCall {
  const Code* call;  // the ordinary call of the same form
  std::vector<const Code*> args;
  Value Eval(Machine& m, Frame* f) const override { return call->Eval(m, f); }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

// (map (fn (x) body) xs) where `map` held the built-in when compiled and
// its function is a one-parameter lambda written in place. Evaluated, it is
// the ordinary call. Emitted while the global still holds the built-in and
// xs is a list (or nil), each item's body emits in place as map's calls
// would (Machine::ForEachCall), with no closure made; html element plans go
// further and run the body's element plan inline.
struct CallMap final : Code, BuiltinCall {
  const Code* call;         // the ordinary call of the same form
  const MakeClosure* fn;    // its lambda: one parameter, a stack frame
  const Code* items;
  Value Eval(Machine& m, Frame* f) const override { return call->Eval(m, f); }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
  // The call as `map` makes it, with `xs` already evaluated (not a list).
  void EmitCall(Machine& m, Frame* f, Emitter& out, const Value& xs) const;
};

// Quasiquote template: a list whose parts are constants, unquoted
// expressions, or spliced expressions.
struct Quasi final : Code {
  struct Part {
    const Code* code;
    bool splice;
  };
  std::vector<Part> parts;
  bool dict = false;
  Value Eval(Machine& m, Frame* f) const override {
    std::vector<Value> out;
    out.reserve(parts.size());
    for (const Part& p : parts) {
      Value v = p.code->Eval(m, f);
      if (!p.splice) {
        out.push_back(v);
      } else if (v.is_list()) {
        out.insert(out.end(), v.items().begin(), v.items().end());
      } else if (!v.is_nil()) {
        m.Fail(EvalErrorCode::kType, absl::StrCat("unquote-splicing needs a list, got ", AV(ValueTypeName(v.type()))),
               p.code);
      }
    }
    m.Charge(out.size());
    return dict ? m.MakeDict(out) : m.MakeList(out);
  }
};

struct Try final : Code {
  const Code* body;
  uint32_t error_slot;  // in the current frame
  const Code* handler;  // nullptr: (try body) returns nil on error
  Value Eval(Machine& m, Frame* f) const override;
  // Streams the body when the emitter can take back what it wrote (an HTML
  // render can): an error then drops the body's partial output.
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
};

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_NODES_H_
