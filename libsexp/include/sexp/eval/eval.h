// sexp/eval/eval.h — the sx evaluator: values, environments, primitives, limits.
//
// An Environment holds global definitions (functions, components, macros,
// values) and the primitives the host registered. Code can call only what is
// bound in its environment: the registry is the guardrail for
// machine-generated code. Every evaluation runs under limits (steps, call
// depth, bytes allocated, wall time) and can be interrupted from another
// thread; hitting one ends that evaluation with a clear error.
//
//   sexp::Environment env;                      // the default primitive groups
//   env.Define("twice", [](int64_t x) { return x * 2; });
//   sexp::EvalResult r = env.Eval("(define (sq x) (* x x)) (twice (sq 7))", "demo.sx");
//   if (r.ok()) std::cout << sexp::ToText(r.value()) << "\n";   // 98
//   else std::cerr << r.error().ToString() << "\n";             // demo.sx:1:20: ...
//
// Evaluation compiles each top-level form to a tree of closures with
// variables resolved to frame slots (lexical addressing) and runs it; see
// libsexp/src/eval/README.md for the design and spec/evaluation.md for the
// language.
//
// Ownership: an Environment owns every value it makes, the documents it read,
// and its definitions. Values are views into it: valid while the Environment
// lives. An Environment is used by one thread at a time; only Interrupt() may
// be called from another thread.
#ifndef SEXP_EVAL_EVAL_H_
#define SEXP_EVAL_EVAL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "sexp/core/ast.h"

namespace sexp {

namespace eval_internal {
struct Function;
struct Primitive;
class Machine;
struct Access;
}  // namespace eval_internal

enum class ValueType : uint8_t {
  kNil,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kSymbol,
  kKeyword,
  kList,
  kDict,       // flattened key, value, key, value
  kHtml,       // trusted markup from (raw! s): rendered unescaped
  kFunction,   // fn / lambda / define
  kPrimitive,  // registered by the host
  kComponent,  // defcomp
  kMacro,      // defmacro
};

std::string_view ValueTypeName(ValueType type);  // "nil", "int", "function", ...

// A 16-byte value. Strings, lists and dicts point into the Environment that
// made them and are immutable.
class Value {
 public:
  Value() : type_(ValueType::kNil), flags_(0), reserved_(0), size_(0) { u_.i = 0; }

  static Value Bool(bool b) { return Value(ValueType::kBool, 0, b ? 1 : 0); }
  static Value Int(int64_t i) { return Value(ValueType::kInt, 0, i); }
  static Value Float(double d) {
    Value v(ValueType::kFloat, 0, 0);
    v.u_.d = d;
    return v;
  }
  // Views; the bytes/items must live as long as the value is used (values
  // made by an Environment point into it).
  static Value StringView(std::string_view s) { return Text(ValueType::kString, s); }
  static Value BytesView(std::string_view s) { return Text(ValueType::kBytes, s); }
  // Trusted markup. `context` (when not 0) is the parsing context it was
  // rendered for — the renderer's own tag (html, svg, math…), set by
  // markup it made itself (a `cached` subtree) — and the renderer refuses
  // to place it anywhere else, where the same bytes would parse
  // differently. 0: markup the code or host vouches for anywhere, (raw! s).
  static Value HtmlView(std::string_view s, uint8_t context = 0) {
    Value v = Text(ValueType::kHtml, s);
    v.flags_ = context;
    return v;
  }
  static Value Symbol(const Atom* a) { return AtomValue(ValueType::kSymbol, a); }
  static Value Keyword(const Atom* a) { return AtomValue(ValueType::kKeyword, a); }
  // A symbol or keyword whose atom the environment does not keep — a name
  // that only one render's data carries (Environment::TransientKeyword) —
  // so that SameName compares it by name rather than by atom.
  static Value TransientSymbol(const Atom* a) {
    Value v = Symbol(a);
    v.flags_ = kTransientName;
    return v;
  }
  static Value TransientKeyword(const Atom* a) {
    Value v = Keyword(a);
    v.flags_ = kTransientName;
    return v;
  }
  static Value ListView(absl::Span<const Value> items) { return Seq(ValueType::kList, items); }
  // key, value, key, value…: keys are keywords or strings, each once (as in
  // every dict the reader and the evaluator make; lookups rely on it).
  static Value DictView(absl::Span<const Value> items) { return Seq(ValueType::kDict, items); }
  static Value Callable(ValueType type, const void* object) {
    Value v(type, 0, 0);
    v.u_.object = object;
    return v;
  }

  ValueType type() const { return type_; }
  bool is_nil() const { return type_ == ValueType::kNil; }
  bool is_bool() const { return type_ == ValueType::kBool; }
  bool is_int() const { return type_ == ValueType::kInt; }
  bool is_float() const { return type_ == ValueType::kFloat; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return type_ == ValueType::kString; }
  bool is_symbol() const { return type_ == ValueType::kSymbol; }
  bool is_keyword() const { return type_ == ValueType::kKeyword; }
  bool is_list() const { return type_ == ValueType::kList; }
  bool is_dict() const { return type_ == ValueType::kDict; }
  bool is_html() const { return type_ == ValueType::kHtml; }
  bool is_callable() const { return type_ >= ValueType::kFunction; }
  // Only nil and false are falsy.
  bool truthy() const { return !(is_nil() || (is_bool() && u_.i == 0)); }

  bool as_bool() const { return u_.i != 0; }
  int64_t as_int() const { return u_.i; }
  double as_float() const { return u_.d; }
  double as_number() const { return is_int() ? static_cast<double>(u_.i) : u_.d; }
  std::string_view str() const { return {u_.chars, size_}; }  // string, bytes or html
  const Atom* atom() const { return u_.atom; }                 // symbol or keyword
  std::string_view name() const { return u_.atom->name(); }
  absl::Span<const Value> items() const { return {u_.items, size_}; }  // list or dict
  size_t size() const { return size_; }
  const Value& operator[](size_t i) const { return u_.items[i]; }
  const void* object() const { return u_.object; }  // callables
  uint8_t html_context() const { return flags_; }      // html: see HtmlView
  // Symbol or keyword: whether the environment keeps its atom (see
  // TransientKeyword).
  bool transient_name() const { return (flags_ & kTransientName) != 0; }
  // Two symbols or two keywords: whether their names are equal — one pointer
  // compare unless one of them is transient.
  bool SameName(const Value& other) const {
    return u_.atom == other.u_.atom ||
           (((flags_ | other.flags_) & kTransientName) != 0 && name() == other.name());
  }

 private:
  Value(ValueType t, uint32_t size, int64_t i)
      : type_(t), flags_(0), reserved_(0), size_(size) {
    u_.i = i;
  }
  static Value Text(ValueType t, std::string_view s) {
    Value v(t, static_cast<uint32_t>(s.size()), 0);
    v.u_.chars = s.data();
    return v;
  }
  static Value AtomValue(ValueType t, const Atom* a) {
    Value v(t, 0, 0);
    v.u_.atom = a;
    return v;
  }
  static Value Seq(ValueType t, absl::Span<const Value> items) {
    Value v(t, static_cast<uint32_t>(items.size()), 0);
    v.u_.items = items.data();
    return v;
  }

  static constexpr uint8_t kTransientName = 1;

  ValueType type_;
  // html: the context (HtmlView); symbol, keyword: kTransientName or 0; else 0
  uint8_t flags_;
  [[maybe_unused]] uint16_t reserved_;  // reserved
  uint32_t size_;
  union {
    int64_t i;
    double d;
    const char* chars;
    const Atom* atom;
    const Value* items;
    const void* object;
  } u_;
};
static_assert(sizeof(Value) == 16, "Value must stay 16 bytes");

class Budget;

// Structural equality: numbers by value (1 and 1.0 are equal), strings and
// names by text, lists and dicts element-wise, callables by identity.
bool ValuesEqual(const Value& a, const Value& b);

// sx text of a value: the canonical form for data (keyword pairs sorted,
// floats in ECMAScript form); callables print as #<function name>.
std::string ToText(const Value& v);

// The same two, charged to `budget` (declared below) per node visited and,
// for ToText, per byte before it is built: what an evaluation's own walks
// use, and what a host should use on values an evaluation made. When the
// budget runs out they stop and return false / "" (budget.exhausted()).
bool ValuesEqual(const Value& a, const Value& b, Budget& budget);
std::string ToText(const Value& v, Budget& budget);

// Per-evaluation limits. Zero means "no limit" only for the timeout.
struct EvalLimits {
  uint64_t max_steps = 50'000'000;       // calls, plus work inside primitives
  uint32_t max_depth = 2000;             // nested non-tail calls
  uint64_t max_bytes = 256ull << 20;     // bytes allocated by the evaluation
  std::chrono::milliseconds timeout{0};  // wall time; 0 = none
  // When set, the evaluation charges this budget (made by the host, and
  // shared with what the host does around it: converting its arguments and
  // result, say) instead of a fresh one made from the numbers above; the
  // numbers are then ignored. Not owned; must outlive the evaluation.
  Budget* budget = nullptr;
};

// Why an evaluation failed. Each code has a stable kebab-case name
// (EvalErrorCodeName): the same in EvalError::ToString, in the :code of the
// dict `catch` receives, and in Python (sexp.EvalError.code).
enum class EvalErrorCode : uint8_t {
  kSyntax,          // syntax: a form the compiler refuses
  kUnbound,         // unbound: a name with no value
  kNotCallable,     // not-callable: calling a value that is not a function
  kArity,           // arity: the wrong number of arguments
  kType,            // type: an argument of the wrong type
  kUnknownKey,      // unknown-key: a component called with a key it lacks
  kOverflow,        // overflow: integer arithmetic past int64
  kDivisionByZero,  // division-by-zero
  kIndex,           // index: out of range
  kUser,            // user: raised by (error …)
  kRead,            // read: the text is not sx
  kRender,          // render: a value HTML cannot show, or a rendering rule
                    // broken (sexp/html/render.h)
  kHost,            // host: a host primitive failed (a C++ or Python exception)
  kIo,              // io: an I/O request failed (sexp/web/resolver.h)
  kPending,         // pending: an I/O request's result is not in yet
  kStepLimit,       // step-limit        — the limits: EvalError::is_limit()
  kDepthLimit,      // depth-limit
  kMemoryLimit,     // memory-limit
  kTimeout,         // timeout
  kInterrupted,     // interrupted: Environment::Interrupt()
  kRoundLimit,      // round-limit: a resolution needed more rounds than allowed
};

// The stable kebab-case name, e.g. "not-callable".
std::string_view EvalErrorCodeName(EvalErrorCode code);
// The code named `name`; false when no code has that name.
bool EvalErrorCodeFromName(std::string_view name, EvalErrorCode* code);
// Compares with a name, as when codes were strings: code == "unbound".
inline bool operator==(EvalErrorCode code, std::string_view name) {
  return EvalErrorCodeName(code) == name;
}
std::ostream& operator<<(std::ostream& os, EvalErrorCode code);  // the name

// The running account of one evaluation's limits: the steps and bytes it has
// left, its deadline and the interrupt flag it watches. Every walk of a value
// that the library makes on an evaluation's behalf — equality, printing,
// rendering, conversion to and from a host language, request keys, macro
// results, sorting — charges the same Budget per node, per comparison and per
// byte *before* it does the work, so one call cannot outrun the limits
// however much structure its data shares (spec/evaluation.md, "How limits
// are charged"). A host charges it too, for the walks it makes itself.
//
// Once a limit is reached the budget stays exhausted: every charge returns
// false and code()/message() say which limit. A Budget is used by one thread
// at a time (the interrupt flag it watches may be set from any thread).
class Budget {
 public:
  explicit Budget(const EvalLimits& limits = EvalLimits(),
                  const std::atomic<bool>* interrupt = nullptr);
  // A budget that is also charged to `parent` (an evaluation started from
  // inside another's primitive): whichever runs out first ends both.
  Budget(const EvalLimits& limits, Budget* parent);

  // Charges `steps` units of work; about every 1024 units it also looks at
  // the clock and the interrupt flag. False when a limit is reached.
  bool Charge(uint64_t steps) {
    if (steps < static_cast<uint64_t>(until_check_)) {
      until_check_ -= static_cast<int64_t>(steps);
      return true;
    }
    return ChargeSlow(steps);
  }
  // Charges `bytes` about to be allocated against max_bytes.
  bool ChargeBytes(uint64_t bytes);
  // Looks at the clock and the interrupt flag now.
  bool CheckNow();
  // Makes the budget exhausted with `code` (a limit code) and `message`,
  // unless it already is.
  void Exhaust(EvalErrorCode code, std::string message);

  bool exhausted() const { return exhausted_; }
  EvalErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  uint64_t steps_used() const;
  uint64_t bytes_used() const { return bytes_used_; }
  const EvalLimits& limits() const { return limits_; }
  // The time left before the deadline (for a wait on I/O), or
  // `fallback` when there is no deadline; never negative.
  std::chrono::milliseconds time_left(
      std::chrono::milliseconds fallback = std::chrono::milliseconds::max()) const;
  bool has_deadline() const { return has_deadline_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  // Watches `flag` (an Environment's interrupt flag) when none was given.
  void Watch(const std::atomic<bool>* flag) {
    if (interrupt_ == nullptr) interrupt_ = flag;
  }

  // For the machine: takes up to `want` steps in advance (so that its step
  // is one decrement of a counter of its own), checking the clock and the
  // interrupt flag; 0 when a limit is reached. Return() gives back what was
  // not used (negative: more was used than taken).
  int64_t Lease(int64_t want);
  void Return(int64_t unused);

 private:
  static constexpr int64_t kCheckEvery = 1024;
  bool ChargeSlow(uint64_t steps);
  // This budget alone (not its ancestors).
  bool SettleSteps(int64_t steps);
  bool ChargeOwnBytes(uint64_t bytes);
  // Every ancestor, in a loop; exhausts this one with the first's failure.
  bool ChargeAncestors(int64_t steps, uint64_t bytes);
  bool Fail(EvalErrorCode code, std::string message);

  EvalLimits limits_;
  Budget* parent_ = nullptr;
  const std::atomic<bool>* interrupt_ = nullptr;
  int64_t steps_left_;              // not yet charged or leased
  int64_t until_check_ = kCheckEvery;  // Charge's countdown to the next check
  uint64_t bytes_used_ = 0;
  bool has_deadline_ = false;
  std::chrono::steady_clock::time_point deadline_;
  bool exhausted_ = false;
  EvalErrorCode code_{};
  std::string message_;
};

struct EvalError {
  EvalErrorCode code = EvalErrorCode::kSyntax;
  std::string message;
  std::string file;       // as given to Eval/Load; empty when none
  uint64_t offset = kNoOffset;
  uint32_t line = 0;      // 1-based; 0 when unknown
  uint32_t column = 0;
  // Innermost first: "fib (fib.sx:3:5)", "~card (page.sx:10:3)".
  std::vector<std::string> trace;

  // "file:line:col: code: message" then one "  in …" line per trace entry.
  std::string ToString() const;
  // InvalidArgument for program errors, ResourceExhausted for limits,
  // DeadlineExceeded for timeouts, Cancelled for interrupts.
  absl::Status ToStatus() const;
  bool is_limit() const;
};

class EvalResult {
 public:
  EvalResult(Value v) : ok_(true), value_(v) {}             // NOLINT
  EvalResult(EvalError e) : ok_(false), error_(std::move(e)) {}  // NOLINT
  bool ok() const { return ok_; }
  const Value& value() const { return value_; }
  const Value& operator*() const { return value_; }
  const EvalError& error() const { return error_; }

 private:
  bool ok_;
  Value value_;
  EvalError error_;
};

// Primitive groups. An Environment is created with a set of them; names of
// groups left out are simply unbound.
enum PrimitiveGroup : uint32_t {
  kGroupCore = 1,     // arithmetic, comparison, logic, predicates, error
  kGroupString = 2,   // str, format, split, join, …
  kGroupList = 4,     // list, cons, map, filter, sort, range, …
  kGroupDict = 8,     // dict, assoc, get, keys, merge, …
  kGroupIo = 16,      // host I/O: empty unless the host registers into it
  kGroupPure = kGroupCore | kGroupString | kGroupList | kGroupDict,
};

// What a primitive sees of the running evaluation.
class CallContext {
 public:
  // Charges `units` steps (call in proportion to work done: per element, per
  // byte built). Ends the evaluation when the step budget is spent.
  void Charge(uint64_t units);
  // Charges `bytes` the primitive is about to allocate (a temporary string,
  // a vector) against max_bytes: call it *before* allocating.
  void ChargeBytes(uint64_t bytes);
  // The evaluation's budget, for walks of values the primitive makes itself
  // (ToText(v, ctx.budget()), …); then CheckBudget() ends the evaluation if
  // a walk ran it out.
  Budget& budget();
  void CheckBudget();
  // ValuesEqual and ToText charged to the budget, ending the evaluation
  // when the walk runs it out (the two walks above, checked).
  bool Equal(const Value& a, const Value& b);
  std::string Print(const Value& v);
  // Allocation in the environment, counted against max_bytes.
  Value MakeString(std::string_view text);
  // Trusted markup, as (raw! s) makes: rendered unescaped. Only for HTML
  // the host made safe itself (a template engine's output, say).
  Value MakeHtml(std::string_view markup);
  Value MakeList(absl::Span<const Value> items);
  Value MakeDict(absl::Span<const Value> flat_pairs);
  Value Keyword(std::string_view name);
  Value Symbol(std::string_view name);
  // Calls an sx callable (for higher-order primitives).
  Value Call(const Value& fn, absl::Span<const Value> args);
  // Ends the primitive with an error of the given code.
  [[noreturn]] void Fail(EvalErrorCode code, std::string message);
  // The same by the code's name ("type", "user", …); a name that is no
  // EvalErrorCode fails with `host`, the message starting with that name.
  [[noreturn]] void Fail(std::string_view code, std::string message);
  // Ends the primitive because its result is not known yet (an I/O
  // request, sexp/web/resolver.h): a `pending` error that `try` does not catch
  // and that stops only what needs the value — the other arguments of the
  // enclosing calls and the other items of a `map` are still evaluated.
  [[noreturn]] void Pending(std::string message);
  // Ends the whole evaluation at once with `interrupted`, which `try` does
  // not catch: for a host whose own interruption (a KeyboardInterrupt, a
  // shutdown) arrives inside a primitive and must not be swallowed by sx.
  [[noreturn]] void Interrupt(std::string message);

 private:
  friend class eval_internal::Machine;
  explicit CallContext(eval_internal::Machine* m) : m_(m) {}
  eval_internal::Machine* m_;
};

// A primitive's implementation: arguments already evaluated.
using PrimitiveFn = std::function<Value(CallContext&, absl::Span<const Value>)>;

class Environment {
 public:
  explicit Environment(uint32_t groups = kGroupPure, const Allocator& upstream = DefaultAllocator());
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Registers a primitive taking [min_args, max_args] values (max -1 = any).
  // Group 0 (the default) is always bound; any other group binds the name
  // only if this environment was created with that group (so a host can
  // register its I/O into kGroupIo once and hand sandboxes environments
  // without it). Replaces an earlier definition of the name.
  void DefinePrimitive(std::string_view name, int min_args, int max_args, PrimitiveFn fn,
                       uint32_t group = 0);
  // Registers a typed C++ callable: arity and argument types come from its
  // signature (int64_t, double, bool, std::string_view, std::string, Value,
  // optionally a leading CallContext&); it may return void, those types or
  // Value. A wrong argument is a `type` error naming the primitive.
  template <class F>
  void Define(std::string_view name, F&& fn, uint32_t group = 0);
  // Binds a global name to a value.
  void DefineValue(std::string_view name, const Value& value);
  // The global's value, or nullptr when unbound.
  const Value* Lookup(std::string_view name) const;

  // Reads and evaluates every top-level form of `text` in order; the value
  // of the last (nil when there are none). Definitions persist.
  EvalResult Eval(std::string_view text, std::string_view file = "",
                  const EvalLimits& limits = EvalLimits());
  // Reads a file and evaluates it like Eval.
  EvalResult LoadFile(const std::string& path, const EvalLimits& limits = EvalLimits());
  // Calls a callable value with arguments. `values`, when given, is where
  // the values the call makes go — its result, and names the environment
  // does not have yet (TransientKeyword) — so that a request leaves nothing
  // in the environment: the result is valid while `values` lives, and the
  // call cannot define or set! a global. nullptr: the environment's arena.
  EvalResult Call(const Value& fn, absl::Span<const Value> args,
                  const EvalLimits& limits = EvalLimits(), Arena* values = nullptr);

  // Ends the running evaluation (if any) with `interrupted` at its next
  // check (within a few thousand steps). Safe from any thread.
  void Interrupt() { interrupt_.store(true, std::memory_order_relaxed); }

  // Makes values in this environment (for hosts building arguments).
  // Keyword and Symbol keep the name for as long as the environment lives.
  Value String(std::string_view text);
  Value Keyword(std::string_view name);
  Value Symbol(std::string_view name);
  // The keyword (symbol) `name` for a value that lives no longer than
  // `arena` (a render's arguments): the environment's atom when it has one,
  // else a new atom in `arena` that the environment does not keep, so that
  // names only request data carries do not grow it (Value::SameName
  // compares such a name by its text). Invalid once `arena` is freed, so
  // never for a value the environment keeps (a definition's). A refused
  // allocation throws std::bad_alloc.
  Value TransientKeyword(std::string_view name, Arena& arena);
  Value TransientSymbol(std::string_view name, Arena& arena);
  Value List(absl::Span<const Value> items);

  // The names of the components called on this environment while a log is
  // on, each once, in the order of their first call — what a page used
  // (for debugging, and for a response header such as SX-Page-Components).
  // Components called while resolving and while rendering alike. One log
  // at a time; StartComponentLog replaces a running one.
  void StartComponentLog();
  std::vector<std::string> StopComponentLog();

  // A number that changes whenever a global is bound or set (a definition,
  // a macro, a primitive registered): a host that keeps compiled code —
  // the function of a page it evaluates on every request — compiles again
  // when it has changed, since macro expansion happens at compile time.
  uint64_t definitions_version() const;

  // The keyword parameters the component bound to `name` declares, in
  // order, without the colon ({"item", "csrf"} for (defcomp ~card (&key
  // item csrf) …)); empty when `name` is not a component. A host sending a
  // component call to a client sends these arguments only.
  std::vector<std::string> ComponentParameters(std::string_view name) const;

  // Bytes this environment holds: its arenas as reserved (values, names),
  // compiled code, definitions, the documents it read and its tables —
  // every Eval keeps its text's document and code for as long as the
  // environment lives. A host that evaluates per request bounds its memory
  // by replacing the environment when this passes a threshold.
  size_t bytes_used() const;

  struct State;  // implementation detail (libsexp/src/eval/machine.h)

 private:
  friend class eval_internal::Machine;
  friend struct eval_internal::Access;
  friend class CallContext;
  std::unique_ptr<State> state_;
  std::atomic<bool> interrupt_{false};
};

// ---------------------------------------------------------------------------
// Typed registration (implementation details).

namespace eval_internal {

template <class T>
struct ArgConv;  // defined below for each supported type

[[noreturn]] void ThrowTypeError(CallContext& ctx, std::string_view prim, size_t index,
                                 std::string_view want, const Value& got);

template <> struct ArgConv<Value> {
  static constexpr const char* kName = "any";
  static bool Ok(const Value&) { return true; }
  static Value Get(const Value& v) { return v; }
};
template <> struct ArgConv<int64_t> {
  static constexpr const char* kName = "int";
  static bool Ok(const Value& v) { return v.is_int(); }
  static int64_t Get(const Value& v) { return v.as_int(); }
};
template <> struct ArgConv<double> {
  static constexpr const char* kName = "number";
  static bool Ok(const Value& v) { return v.is_number(); }
  static double Get(const Value& v) { return v.as_number(); }
};
template <> struct ArgConv<bool> {
  static constexpr const char* kName = "bool";
  static bool Ok(const Value& v) { return v.is_bool(); }
  static bool Get(const Value& v) { return v.as_bool(); }
};
template <> struct ArgConv<std::string_view> {
  static constexpr const char* kName = "string";
  static bool Ok(const Value& v) { return v.is_string(); }
  static std::string_view Get(const Value& v) { return v.str(); }
};
template <> struct ArgConv<std::string> {
  static constexpr const char* kName = "string";
  static bool Ok(const Value& v) { return v.is_string(); }
  static std::string Get(const Value& v) { return std::string(v.str()); }
};

inline Value Ret(CallContext&, Value v) { return v; }
inline Value Ret(CallContext&, int64_t v) { return Value::Int(v); }
inline Value Ret(CallContext&, int v) { return Value::Int(v); }
inline Value Ret(CallContext&, double v) { return Value::Float(v); }
inline Value Ret(CallContext&, bool v) { return Value::Bool(v); }
inline Value Ret(CallContext& ctx, std::string_view v) { return ctx.MakeString(v); }
inline Value Ret(CallContext& ctx, const std::string& v) { return ctx.MakeString(v); }
inline Value Ret(CallContext& ctx, const char* v) { return ctx.MakeString(v); }

template <class F>
struct FnTraits : FnTraits<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class... A>
struct FnTraits<R (C::*)(A...) const> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <class C, class R, class... A>
struct FnTraits<R (C::*)(A...)> : FnTraits<R (C::*)(A...) const> {};
template <class R, class... A>
struct FnTraits<R (*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};

template <class F, class R, bool kCtx, class... A, size_t... I>
Value Invoke(F& fn, std::string_view name, CallContext& ctx, absl::Span<const Value> args,
             std::index_sequence<I...>) {
  (void)name;
  ((ArgConv<std::decay_t<A>>::Ok(args[I])
        ? void()
        : ThrowTypeError(ctx, name, I, ArgConv<std::decay_t<A>>::kName, args[I])),
   ...);
  if constexpr (std::is_void_v<R>) {
    if constexpr (kCtx) {
      fn(ctx, ArgConv<std::decay_t<A>>::Get(args[I])...);
    } else {
      fn(ArgConv<std::decay_t<A>>::Get(args[I])...);
    }
    return Value();
  } else if constexpr (kCtx) {
    return Ret(ctx, fn(ctx, ArgConv<std::decay_t<A>>::Get(args[I])...));
  } else {
    return Ret(ctx, fn(ArgConv<std::decay_t<A>>::Get(args[I])...));
  }
}

template <class F, class R, class Tuple>
struct Binder;
template <class F, class R, class First, class... Rest>
struct Binder<F, R, std::tuple<First, Rest...>> {
  static constexpr bool kCtx = std::is_same_v<std::decay_t<First>, CallContext>;
  static constexpr int kArity = kCtx ? sizeof...(Rest) : sizeof...(Rest) + 1;
  static PrimitiveFn Make(F fn, std::string name) {
    return [fn = std::move(fn), name = std::move(name)](CallContext& ctx,
                                                       absl::Span<const Value> args) mutable {
      if constexpr (kCtx) {
        return Invoke<F, R, true, Rest...>(fn, name, ctx, args,
                                           std::index_sequence_for<Rest...>());
      } else {
        return Invoke<F, R, false, First, Rest...>(fn, name, ctx, args,
                                                   std::index_sequence_for<First, Rest...>());
      }
    };
  }
};
template <class F, class R>
struct Binder<F, R, std::tuple<>> {
  static constexpr int kArity = 0;
  static PrimitiveFn Make(F fn, std::string /*name*/) {
    return [fn = std::move(fn)](CallContext& ctx, absl::Span<const Value>) mutable {
      if constexpr (std::is_void_v<R>) {
        fn();
        return Value();
      } else {
        return Ret(ctx, fn());
      }
    };
  }
};

}  // namespace eval_internal

template <class F>
void Environment::Define(std::string_view name, F&& fn, uint32_t group) {
  using Traits = eval_internal::FnTraits<std::decay_t<F>>;
  using B = eval_internal::Binder<std::decay_t<F>, typename Traits::Result, typename Traits::Args>;
  DefinePrimitive(name, B::kArity, B::kArity, B::Make(std::forward<F>(fn), std::string(name)),
                  group);
}

}  // namespace sexp

#endif  // SEXP_EVAL_EVAL_H_
