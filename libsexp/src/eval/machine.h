// Internal: the evaluator's machine — compiled code, frames, closures, the
// running evaluation's limits. See README.md in this folder for the design.
#ifndef SEXP_SRC_EVAL_MACHINE_H_
#define SEXP_SRC_EVAL_MACHINE_H_

#include <chrono>
#include <cstdlib>
#include <memory>
#include <exception>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "sexp/eval/eval.h"
#include "core/strutil.h"

namespace sexp::eval_internal {

using ::sexp::internal::AV;

// A file (or text) the environment read; positions in code refer to it.
struct SourceFile {
  std::string name;
  Document doc;
};

// Where a datum came from: the file and the byte offset of each element of a
// list read from source (so errors can point at any sub-form).
struct ListSource {
  const SourceFile* file;
  uint32_t self;              // offset of the list's opener
  const uint32_t* elements;   // offset of each element
};

// The exception that carries an error up through compiled code; caught at the
// Environment boundary (and by `try`, unless it is a limit).
struct Fault {
  EvalErrorCode code;
  std::string message;
  const SourceFile* file = nullptr;
  uint32_t offset = Node::kNoPos32;
  std::vector<std::string> trace;
  bool limit = false;
  // An I/O request whose result is not in yet (sexp/web/resolver.h): `try` does
  // not catch it, and argument lists go on past it (EvalArgs).
  bool pending = false;
};

// Runs each(i) for i < n. A pending I/O request (sexp/web/resolver.h) raised by
// one does not stop the others — their requests are independent, so a
// resolver gets all of them in one round — and the first is rethrown (as
// it is, not copied) once all have run. Any other fault ends it at once.
template <typename F>
void EachPastPending(size_t n, F&& each) {
  std::exception_ptr first;
  for (size_t i = 0; i < n; ++i) {
    try {
      each(i);
    } catch (Fault& fault) {
      if (!fault.pending) throw;
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

class Machine;
struct Frame;
class Compiler;
struct Pos;
struct Scope;
struct HeadForm;

// Where code that streams puts its value instead of returning it: the value
// of a form is handed over piece by piece as it is computed, so a page is
// never built as a tree first. The HTML renderer is one (libsexp/src/html/
// render.h); the evaluator knows only this interface. Code::Emit hands its
// value to one; the nodes of control forms and calls pass it down to the
// branch or body that makes the value (eval/emit.cc).
class Emitter {
 public:
  // `kind` identifies the implementation, for nodes that an extension added
  // and that write to their own kind of emitter directly (html elements).
  explicit Emitter(const void* kind) : kind_(kind) {}
  virtual ~Emitter() = default;
  // A whole value.
  virtual void Emit(const Value& v) = 0;
  // The display text of a value, as `str` joins it: one piece of a (str …)
  // written in place.
  virtual void EmitDisplay(const Value& v) = 0;
  const void* kind() const { return kind_; }
  // For `try`: what is emitted after Hold() is held back until Keep(), or
  // dropped by Drop() — so a body that fails halfway leaves nothing behind
  // and the handler's value takes its place. Holds nest; each Hold is ended
  // by one Keep or Drop. An emitter that cannot go back returns false from
  // Hold (try then makes the body's whole value first, then emits it).
  virtual bool Hold() { return false; }
  virtual void Keep() {}
  virtual void Drop() {}

 private:
  const void* kind_;
};

// A compiled expression. `offset`/`file` are where it came from, for errors.
struct Code {
  const SourceFile* file = nullptr;
  uint32_t offset = Node::kNoPos32;
  virtual ~Code() = default;
  virtual Value Eval(Machine& m, Frame* f) const = 0;
  // Hands the value to `out` instead of returning it. Returns nil, or the
  // tail-call marker when the value is a pending tail call (the caller's
  // Apply loop emits it). The default evaluates and emits the value; calls
  // and control forms stream (eval/emit.cc), as do the nodes extensions add
  // (html elements).
  virtual Value Emit(Machine& m, Frame* f, Emitter& out) const;
};

// Compiles a special form `form` (a list whose head names it) found at
// `pos` in `scope`; `tail`: in tail position. See eval/extension.h.
using SpecialForm = const Code* (*)(Compiler& c, const Value& form, Pos pos, Scope* scope,
                                    bool tail);

// A lambda's frame: parameters and let-bound locals, then a link to the frame
// the closure was made in.
struct Frame {
  Frame* parent;
  Value slots[1];  // as many as the lambda's frame_size (allocated past the struct)
};

// A global name: its cell is resolved at compile time, so forward references
// and redefinition work and lookups cost one load.
struct Global {
  const Atom* name;
  Value value;
  bool bound = false;
};

// The compiled form of fn / lambda / define / defcomp / defmacro.
struct Lambda {
  std::string name;           // for traces; "" for anonymous
  uint32_t required = 0;      // positional parameters
  bool has_rest = false;      // &rest: slot `required` gets the remaining list
  uint32_t frame_size = 0;    // parameters + locals
  bool heap_frame = false;    // a closure may capture the frame
  // Positional parameters only, a stack frame of at least one slot: calls
  // take PushFrame's fast path. Set by the compiler with the fields above.
  bool simple = false;
  const Code* body = nullptr;
  // Components: keyword parameters (slot = index in this vector), then the
  // slot of the children (&rest, or a &key named children), or -1.
  bool component = false;
  std::vector<const Atom*> keys;
  int children_slot = -1;
};

struct Function {
  const Lambda* lambda;
  Frame* env;
};

// Built-in primitives whose common case (small ints, one boolean) the machine
// runs without calling through PrimitiveFn. Only the library's own
// primitives carry one; a host primitive of the same name does not.
enum class InlineOp : uint8_t { kNone, kAdd, kSub, kMul, kMod, kLt, kGt, kLe, kGe, kEq, kNot };

// Built-in primitives that stream when their value is emitted (eval/emit.cc):
// `str` emits its pieces, `map` emits each call's value in place. `keyword`
// is marked so that extensions can recognise its calls in forms they compile
// (an html element's computed attribute names). Like InlineOp, only the
// library's own primitives have one.
enum class StreamOp : uint8_t { kNone, kStr, kMap, kKeyword };

struct Primitive {
  std::string name;
  int min_args;
  int max_args;  // -1: any
  uint32_t group;
  PrimitiveFn fn;
  InlineOp op = InlineOp::kNone;
  StreamOp stream = StreamOp::kNone;
};

// The result of OP on `args` when they are the common case; false when the
// primitive itself must run (other types, overflow, division by zero — the
// primitive then reports the error with its own message).
template <InlineOp OP>
inline bool RunInlineOp(const Value* args, size_t n, Value* out) {
  if constexpr (OP == InlineOp::kNot) {
    if (n != 1) return false;
    *out = Value::Bool(!args[0].truthy());
    return true;
  } else {
    if (n != 2 || !args[0].is_int() || !args[1].is_int()) return false;
    int64_t x = args[0].as_int(), y = args[1].as_int(), r = 0;
    if constexpr (OP == InlineOp::kAdd) {
      if (__builtin_add_overflow(x, y, &r)) return false;
    } else if constexpr (OP == InlineOp::kSub) {
      if (__builtin_sub_overflow(x, y, &r)) return false;
    } else if constexpr (OP == InlineOp::kMul) {
      if (__builtin_mul_overflow(x, y, &r)) return false;
    } else if constexpr (OP == InlineOp::kMod) {
      if (y == 0 || y == -1) return false;
      r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) r += y;  // sign of the divisor, as the primitive
    } else {
      bool b = OP == InlineOp::kLt   ? x < y
               : OP == InlineOp::kGt ? x > y
               : OP == InlineOp::kLe ? x <= y
               : OP == InlineOp::kGe ? x >= y
                                     : x == y;
      *out = Value::Bool(b);
      return true;
    }
    *out = Value::Int(r);
    return true;
  }
}

// Calls `f.template operator()<OP>()` for the run-time `op` (not kNone).
template <class F>
inline decltype(auto) DispatchInline(InlineOp op, F&& f) {
  switch (op) {
    case InlineOp::kAdd: return f.template operator()<InlineOp::kAdd>();
    case InlineOp::kSub: return f.template operator()<InlineOp::kSub>();
    case InlineOp::kMul: return f.template operator()<InlineOp::kMul>();
    case InlineOp::kMod: return f.template operator()<InlineOp::kMod>();
    case InlineOp::kLt: return f.template operator()<InlineOp::kLt>();
    case InlineOp::kGt: return f.template operator()<InlineOp::kGt>();
    case InlineOp::kLe: return f.template operator()<InlineOp::kLe>();
    case InlineOp::kGe: return f.template operator()<InlineOp::kGe>();
    case InlineOp::kEq: return f.template operator()<InlineOp::kEq>();
    default: return f.template operator()<InlineOp::kNot>();
  }
}

inline bool RunInline(InlineOp op, const Value* args, size_t n, Value* out) {
  if (op == InlineOp::kNone) return false;
  return DispatchInline(op, [&]<InlineOp OP>() { return RunInlineOp<OP>(args, n, out); });
}

// The state of one running evaluation plus the environment it runs in.
class Machine {
 public:
  Machine(Environment::State& env, std::atomic<bool>& interrupt, const EvalLimits& limits);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  Environment::State& env() { return env_; }
  // The machine running the primitive that got `c`.
  static Machine& Of(CallContext& c) { return *c.m_; }
  // A resolution (sexp/web/resolver.h) runs this evaluation: pending I/O
  // requests can be raised (EvalArgs).
  bool resolving() const { return resolving_; }

  // Calls a callable with evaluated arguments (not in tail position). With
  // `out`, the value is emitted to it instead of returned (sx code emits its
  // body in place) and the result is nil.
  Value Apply(const Value& fn, const Value* args, size_t n, const Code* site,
              Emitter* out = nullptr);
  // Emits (map fn items) as its calls would, where fn is the one-parameter
  // lambda `l` closed over `env`: the depth, steps, frames and error traces
  // of Apply of `map` and of fn on each item, without a closure or the
  // calls. `body(frame)` emits the lambda's body in `frame` and returns what
  // Code::Emit does (a pending tail call runs here).
  template <class Body>
  void ForEachCall(const Lambda& l, Frame* env, absl::Span<const Value> items, const Code* site,
                   Emitter& out, Body&& body) {
    Step();  // the call of map (a primitive: no call depth)
    const Function fn{&l, env};
    for (const Value& x : items) {
      CallDepth call(*this, site);
      Step();
      StackMark mark{stack_segment_, stack_top_};
      Value v;
      try {
        v = body(PushFrame(fn, &x, 1, site));
      } catch (Fault& fault) {
        PopStack(mark);
        AddTrace(fault, l, site);
        throw;
      }
      PopStack(mark);
      if (IsTailMarker(v)) CallLoop(tail_fn_, tail_args_.data(), tail_args_.size(), site, &out);
    }
  }
  // Runs the tail call an Emit in tail position left pending (as Apply's
  // loop would, in the call now running).
  void RunTailCall(const Code* site, Emitter& out) {
    CallLoop(tail_fn_, tail_args_.data(), tail_args_.size(), site, &out);
  }
  // Calls a primitive: one step, then RunPrimitive. The same as Apply on a
  // primitive, without the call-depth work (a primitive that calls back into
  // sx goes through Apply).
  Value CallPrimitive(const Primitive& p, const Value* args, size_t n, const Code* site) {
    Step();
    return RunPrimitive(p, args, n, site);
  }
  // The inline case when the primitive has one and the arguments fit it,
  // else the primitive's function (ApplyPrimitive). No step charged.
  Value RunPrimitive(const Primitive& p, const Value* args, size_t n, const Code* site) {
    Value out;
    if (RunInline(p.op, args, n, &out)) return out;
    return ApplyPrimitive(p, args, n, site);
  }
  // The primitive's function: arity check, errors pointing at `site`.
  Value ApplyPrimitive(const Primitive& p, const Value* args, size_t n, const Code* site);

  // A tail call: records the callee, arguments and call site, and returns
  // the marker that Apply's loop recognises.
  Value TailCall(const Value& fn, const Value* args, size_t n, const Code* site);
  static bool IsTailMarker(const Value& v) {
    return v.type() == ValueType::kPrimitive && v.object() == &kTailMarker;
  }

  // One unit of work; checks the step budget, and every 1024 steps the
  // deadline and the interrupt flag.
  void Step() {
    if (--countdown_ <= 0) Slow();
  }
  void Charge(uint64_t units) {
    countdown_ -= static_cast<int64_t>(units < kMaxCharge ? units : kMaxCharge);
    if (countdown_ <= 0) Slow();
  }
  // The evaluation's budget, for walks that charge it directly (equality,
  // printing, rendering); after one, CheckBudget() ends the evaluation if the
  // walk ran it out.
  Budget& budget() { return *budget_; }
  void CheckBudget() {
    if (budget_->exhausted()) FailBudget();
  }
  [[noreturn]] void FailBudget();
  // Equality and sx text of values, charged to the budget; a walk that runs
  // it out ends the evaluation.
  bool Equal(const Value& a, const Value& b) {
    bool same = ValuesEqual(a, b, *budget_);
    CheckBudget();
    return same;
  }
  std::string Print(const Value& v) {
    std::string text = ToText(v, *budget_);
    CheckBudget();
    return text;
  }

  // Allocation counted against max_bytes.
  void* Allocate(size_t bytes);
  // Counts `bytes` about to be allocated; fails with memory-limit past max_bytes.
  void Account(size_t bytes) {
    if (!budget_->ChargeBytes(bytes)) FailBudget();
  }
  // Counts `bytes` of text about to be built (a string, printed text):
  // against max_bytes, and a step per 64 bytes.
  void AccountText(size_t bytes) {
    Account(bytes);
    Charge(bytes / 64);
  }
  Value MakeString(std::string_view s);
  // A symbol or keyword (`type`) named `name`: while rendering, a name the
  // environment does not have yet is transient, made in the scratch arena
  // (State::NameIn).
  Value MakeName(ValueType type, std::string_view name);
  Value MakeList(absl::Span<const Value> items);
  Value MakeDict(absl::Span<const Value> flat);
  Frame* NewHeapFrame(uint32_t size, Frame* parent);

  [[noreturn]] void Fail(EvalErrorCode code, std::string message, const Code* at);
  [[noreturn]] void FailLimit(EvalErrorCode code, std::string message);
  // A `pending` fault at the current call site (CallContext::Pending).
  [[noreturn]] void FailPending(std::string message);

  const Code* current_site() const { return site_; }
  // The parsing context of the markup being rendered now, as the renderer
  // tags its markup (Value::HtmlView); 0 when nothing is being rendered. A
  // primitive that renders markup itself (`cached`) renders it for this one.
  uint8_t markup_context() const { return markup_context_; }
  void set_markup_context(uint8_t context) { markup_context_ = context; }
  // Values made from now on go to `scratch` (released by the caller when the
  // render ends); globals cannot be changed meanwhile, since nothing made
  // there may outlive it. nullptr: back to the environment's arena.
  void UseScratch(Arena* scratch) { heap_ = scratch != nullptr ? scratch : home_; }
  bool in_scratch() const { return heap_ != home_; }
  // Where errors raised outside any call (e.g. while emitting a value) point.
  void set_site(const Code* site) { site_ = site; }

 private:
  static const int kTailMarker;
  static constexpr uint64_t kMaxCharge = uint64_t{1} << 61;  // keeps countdown_ from wrapping
  void Slow();
  std::string Where(const SourceFile* file, uint32_t offset) const;
  // Frames on the machine's stack: `need` Values (the parent link, then the
  // slots), left uninitialised for the caller to fill.
  Frame* NewStackFrame(size_t need, Frame* parent) {
    if (stack_top_ + need > stack_limit_) return NewStackFrameSlow(need, parent);
    auto* f = reinterpret_cast<Frame*>(stack_values_ + stack_top_);
    stack_top_ += need;
    f->parent = parent;
    return f;
  }
  Frame* NewStackFrameSlow(size_t need, Frame* parent);
  // One call deeper for its lifetime (Apply's depth and C++ stack check);
  // errors raised past the limit point at `site`.
  struct CallDepth {
    Machine& m;
    CallDepth(Machine& machine, const Code* site) : m(machine) {
      char probe;
      // (The first frames may sit above where the machine was made.)
      ptrdiff_t stack_used = m.stack_base_ - &probe;
      if (++m.depth_ > m.limits_.max_depth ||
          (stack_used > 0 && static_cast<size_t>(stack_used) > m.stack_budget_)) {
        m.FailDepth(site);
      }
      if (site != nullptr) m.site_ = site;
    }
    ~CallDepth() { --m.depth_; }
  };
  [[noreturn]] void FailDepth(const Code* site);
  // Apply without the depth accounting: runs the call and the tail calls it
  // leads to.
  Value CallLoop(const Value& fn, const Value* args, size_t n, const Code* site, Emitter* out);
  struct StackMark {
    size_t segment, top;
  };
  void PopStack(StackMark mark);
  // A frame for calling `fn` with `args`, parameters bound.
  Frame* PushFrame(const Function& fn, const Value* args, size_t n, const Code* site) {
    const Lambda& l = *fn.lambda;
    if (!l.simple || n != l.required) return PushFrameSlow(fn, args, n, site);
    // The common case: a stack frame, positional parameters only, the right
    // number of arguments.
    Frame* frame = NewStackFrame(1 + l.frame_size, fn.env);
    size_t i = 0;
    for (; i < n; ++i) frame->slots[i] = args[i];
    for (; i < l.frame_size; ++i) frame->slots[i] = Value();
    return frame;
  }
  Frame* PushFrameSlow(const Function& fn, const Value* args, size_t n, const Code* site);
  // Adds "name (where it was called)" to a fault passing out of a call.
  void AddTrace(Fault& fault, const Lambda& l, const Code* site) const;
  void BindArgs(const Function& fn, Frame* frame, const Value* args, size_t n, const Code* site);

  Environment::State& env_;
  bool resolving_;
  std::atomic<bool>& interrupt_;
  EvalLimits limits_;
  // The machine that was running on this environment when this one started
  // (a host primitive calling back in), or nullptr: the nested evaluation
  // shares its call depth, its C++ stack and (as a child budget) its limits.
  Machine* outer_;
  // The budget this evaluation charges: the host's (EvalLimits::budget), or
  // own_budget_ — a child of the outer machine's when there is one.
  Budget own_budget_;
  Budget* budget_;
  // Steps taken from the budget in advance (a lease), so a step is one
  // decrement; Slow() returns what is left of it and takes the next.
  int64_t countdown_ = 0;
  uint32_t depth_ = 0;
  // A nested machine started past the depth or stack limit: its first step
  // fails (Slow).
  bool too_deep_ = false;
  Arena* home_;           // the environment's arena
  Arena* heap_;           // where values go: home_, or a render's scratch
  const Code* site_ = nullptr;
  uint8_t markup_context_ = 0;
  // Frames that no closure can capture live on this stack, in segments so
  // they never move.
  struct StackSegment {
    struct Free {
      void operator()(Value* p) const { std::free(p); }
    };
    std::unique_ptr<Value, Free> values;
    size_t size;
  };
  std::vector<StackSegment> stack_segments_;
  size_t stack_segment_ = 0;
  Value* stack_values_ = nullptr;  // the current segment
  size_t stack_top_ = 0;
  size_t stack_limit_ = 0;         // its size; 0 before the first
  // Pending tail call.
  Value tail_fn_;
  const Code* tail_site_ = nullptr;  // where the pending tail call is written
  std::vector<Value> tail_args_;
  char* stack_base_;
  size_t stack_budget_;
};

// (:key m): the value of `key` in dict m, or after `key` among the keyword
// pairs of list m. False when absent. A keyword also finds the string key of
// its name in a dict that has no such keyword key (LookupStringKeyOf).
bool LookupKey(const Value& m, const Value& key, Value* out);

// The value of the string key spelled as `keyword`'s name in `dict`. Why:
// the data a host hands over (database rows, JSON, Python dicts) comes with
// string keys, and sx code reads fields with keywords: (:price row) must
// find {"price" 850} (spec/evaluation.md, "Data from hosts").
bool LookupStringKeyOf(const Value& dict, const Value& keyword, Value* out);

// A primitive's call emitted (streamed for the StreamOp ones: map emits each
// call's value as it is made): eval/emit.cc, for Apply's emitting mode.
void EmitPrimitive(Machine& m, const Primitive& p, const Value* args, size_t n, const Code* site,
                   Emitter& out);

// Dict keys are equal when kind and text are ("a" and :a differ).
inline bool SameKey(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  return a.is_keyword() ? a.SameName(b) : a.str() == b.str();
}

// A read node as a value of the environment (lists record their source).
Value Datum(Environment::State& env, SourceFile* file, const Node& n);

// The Environment's internals, for the parts of the library beside the
// evaluator (the HTML renderer, the resolver).
struct Access {
  static Environment::State& StateOf(Environment& env) { return *env.state_; }
  static std::atomic<bool>& InterruptOf(Environment& env) { return env.interrupt_; }
};

// What to do with the last top-level form of a text (RunText); the default
// evaluates it.
class LastForm {
 public:
  virtual ~LastForm() = default;
  virtual Value Run(Machine& m, const Code* code, Frame* frame) const = 0;
};

// Reads `text` and runs its top-level forms in order (compile one, run it,
// then the next); the value of the last, or the error. `last` (optional)
// runs the last form instead of evaluating it.
EvalResult RunText(Environment& env, std::string_view text, std::string_view file,
                   const EvalLimits& limits, const LastForm* last);
// The public error for a fault.
EvalError FromFault(const Fault& fault);

}  // namespace sexp::eval_internal

namespace sexp {

// The Environment's private state (defined here so the compiler and the
// primitives can reach it).
struct Environment::State {
  explicit State(const Allocator& upstream)
      : arena(upstream), scratch(upstream), interner(upstream) {}

  Arena arena;
  Arena scratch;  // values of the render running now (an html render); reset after each
  Interner interner;
  uint32_t groups = 0;
  absl::flat_hash_map<const Atom*, std::unique_ptr<eval_internal::Global>> globals;
  // Bumped whenever a global is bound or set, so what was checked about
  // globals (an element plan's guards) stays checked until one changes.
  uint64_t global_version = 1;
  // Machines and renders running on this environment now: more than one
  // when a host primitive calls back in (an html render). The scratch arena is
  // emptied when the outermost render ends, a pending Interrupt() is
  // cleared only by the outermost machine, and no global may change while
  // any render runs.
  int active_machines = 0;
  int active_renders = 0;
  // The innermost machine running now (nested machines share its depth and
  // stack budget), or nullptr.
  eval_internal::Machine* innermost = nullptr;
  // Resolutions (sexp/web/resolver.h) evaluating on this environment now: only
  // then can a `pending` fault be raised, and argument lists take the path
  // that goes on past one (EvalArgs).
  int active_resolutions = 0;
  // Components called while a log is on (Environment::StartComponentLog):
  // each once, in first-call order; nullptr when off (one test per call).
  struct ComponentLog {
    absl::flat_hash_set<const void*> seen;
    std::vector<std::string> names;
  };
  std::unique_ptr<ComponentLog> component_log;
  std::vector<std::unique_ptr<eval_internal::Primitive>> primitives;
  // The special forms by name (eval/specials.cc, and those of the installed
  // language extensions: eval/extension.h), and the extensions' head forms.
  absl::flat_hash_map<const Atom*, eval_internal::SpecialForm> special_forms;
  std::vector<const eval_internal::HeadForm*> head_forms;
  std::vector<std::unique_ptr<eval_internal::Code>> code;
  std::vector<std::unique_ptr<eval_internal::Lambda>> lambdas;
  std::vector<std::unique_ptr<eval_internal::SourceFile>> files;
  absl::flat_hash_map<const Value*, eval_internal::ListSource> list_sources;
  const Atom* Intern(std::string_view name) {
    return interner.Intern(arena, name, name.data() + name.size());
  }
  // The symbol or keyword (`type`) `name` for a value made in `into`: the
  // interned atom if there is one; else, when `into` is not this
  // environment's arena (a render's scratch, a host call's arguments), a
  // transient atom made there (Value::TransientKeyword), so that names only
  // request data carries do not grow the environment; else a newly interned
  // one. A null atom when out of memory.
  Value NameIn(ValueType type, std::string_view name, Arena* into);
  eval_internal::Global* GlobalCell(const Atom* name);
  // Copies into the arena; nullptr when the allocator refuses. The Machine
  // adds the per-evaluation byte limit on top.
  // `into`: another arena (a render's scratch); nullptr: this one.
  const char* CopyBytes(std::string_view bytes, Arena* into = nullptr);
  const Value* CopyValues(absl::Span<const Value> items, Arena* into = nullptr);
  template <class T, class... A>
  T* NewCode(A&&... a) {
    auto c = std::make_unique<T>(std::forward<A>(a)...);
    T* raw = c.get();
    code.push_back(std::move(c));
    code_bytes += sizeof(T) + kHeapOverhead;
    return raw;
  }
  // Bytes of compiled code held (an estimate made as nodes are created: the
  // node, its allocation's overhead, a share of the vectors it owns).
  size_t code_bytes = 0;
  static constexpr size_t kHeapOverhead = 32;
  // What bytes_used() reports: everything the environment holds.
  size_t HeldBytes() const;
};

}  // namespace sexp

#endif  // SEXP_SRC_EVAL_MACHINE_H_
