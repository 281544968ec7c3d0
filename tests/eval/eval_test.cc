// The evaluator's host API: registering primitives (typed and raw),
// capability groups, calling sx from C++, errors with positions and traces.
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

std::string EvalText(Environment& env, std::string_view text) {
  EvalResult r = env.Eval(text, "t.sx");
  return r.ok() ? ToText(r.value()) : "ERROR " + std::string(EvalErrorCodeName(r.error().code));
}

TEST(EvalHost, TypedPrimitivesCheckArityAndTypes) {
  Environment env;
  env.Define("twice", [](int64_t x) { return x * 2; });
  env.Define("greet", [](std::string_view name) { return "hi " + std::string(name); });
  env.Define("half", [](double x) { return x / 2; });
  env.Define("flag", [](bool b) { return !b; });
  env.Define("count-args", [](CallContext& ctx, Value a, Value b) {
    ctx.Charge(1);
    return Value::Int(static_cast<int64_t>(a.size() + b.size()));
  });
  EXPECT_EQ(EvalText(env, "(twice 21)"), "42");
  EXPECT_EQ(EvalText(env, "(greet \"ann\")"), "\"hi ann\"");
  EXPECT_EQ(EvalText(env, "(half 3)"), "1.5");
  EXPECT_EQ(EvalText(env, "(flag false)"), "true");
  EXPECT_EQ(EvalText(env, "(count-args (list 1 2) (list 3))"), "3");
  EvalResult r = env.Eval("(twice \"x\")", "t.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "type");
  EXPECT_EQ(r.error().message, "'twice' argument 1 must be int, got string");
  EXPECT_EQ(r.error().column, 1u);
  r = env.Eval("(twice 1 2)", "t.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "arity");
}

TEST(EvalHost, ComponentLogNamesEachComponentOnceInFirstCallOrder) {
  Environment env;
  ASSERT_TRUE(env.Eval("(defcomp ~a () (p)) (defcomp ~b (&rest c) (div c)) (define (f) 1)").ok());
  EXPECT_TRUE(env.StopComponentLog().empty());  // none running
  env.StartComponentLog();
  ASSERT_TRUE(env.Eval("(~b (~a) (~a) (f) (~b))").ok());
  EXPECT_EQ(env.StopComponentLog(), (std::vector<std::string>{"~a", "~b"}));
  ASSERT_TRUE(env.Eval("(~a)").ok());  // off again: nothing recorded
  env.StartComponentLog();
  EXPECT_TRUE(env.StopComponentLog().empty());
}

TEST(EvalHost, RawPrimitivesAndCallingBackIntoSx) {
  Environment env;
  env.DefinePrimitive("call-twice", 2, 2, [](CallContext& ctx, absl::Span<const Value> a) {
    Value once = ctx.Call(a[0], {&a[1], 1});
    return ctx.Call(a[0], {&once, 1});
  });
  EXPECT_EQ(EvalText(env, "(call-twice (fn (x) (* x 3)) 2)"), "18");
  // C++ calls an sx function value.
  ASSERT_TRUE(env.Eval("(define (sq x) (* x x))").ok());
  const Value* sq = env.Lookup("sq");
  ASSERT_NE(sq, nullptr);
  Value arg = Value::Int(9);
  EvalResult r = env.Call(*sq, {&arg, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().as_int(), 81);
}

// The machine runs + - * mod < > <= >= = not inline for small ints (see
// InlineOp). Every path — the compiled inline call, a call through a value
// (apply), the fallback to the primitive on overflow — must give what exact
// 128-bit arithmetic says, at every 64-bit boundary.
TEST(EvalInline, ArithmeticMatchesExactReference) {
  const int64_t kEdges[] = {INT64_MIN, INT64_MIN + 1, -4611686018427387904, -65536, -3, -2, -1,
                            0,         1,            2,  3,     65536, 3037000499, 3037000500,
                            4611686018427387904, INT64_MAX - 1, INT64_MAX};
  struct Op {
    const char* name;
    // The exact result, or nullopt-like "error" when the primitive must fail.
    bool (*ref)(__int128 x, __int128 y, std::string* out);
  };
  auto in_range = [](__int128 r) { return r >= INT64_MIN && r <= INT64_MAX; };
  static auto fits = in_range;
  auto num = [](__int128 r) { return std::to_string(static_cast<int64_t>(r)); };
  static auto show = num;
  const Op ops[] = {
      {"+", [](__int128 x, __int128 y, std::string* o) { return fits(x + y) && (*o = show(x + y), true); }},
      {"-", [](__int128 x, __int128 y, std::string* o) { return fits(x - y) && (*o = show(x - y), true); }},
      {"*", [](__int128 x, __int128 y, std::string* o) { return fits(x * y) && (*o = show(x * y), true); }},
      {"mod", [](__int128 x, __int128 y, std::string* o) {
         if (y == 0) return false;
         __int128 r = x % y;
         if (r != 0 && ((r < 0) != (y < 0))) r += y;
         *o = show(r);
         return true;
       }},
      {"<", [](__int128 x, __int128 y, std::string* o) { *o = x < y ? "true" : "false"; return true; }},
      {">", [](__int128 x, __int128 y, std::string* o) { *o = x > y ? "true" : "false"; return true; }},
      {"<=", [](__int128 x, __int128 y, std::string* o) { *o = x <= y ? "true" : "false"; return true; }},
      {">=", [](__int128 x, __int128 y, std::string* o) { *o = x >= y ? "true" : "false"; return true; }},
      {"=", [](__int128 x, __int128 y, std::string* o) { *o = x == y ? "true" : "false"; return true; }},
  };
  Environment env;
  for (const Op& op : ops) {
    // Compiled once, called with every pair: the inline call site and the
    // same primitive reached through a value.
    ASSERT_TRUE(env.Eval(absl::StrCat("(define (direct a b) (", op.name, " a b))",
                                      "(define (via a b) (apply ", op.name, " (list a b)))"))
                    .ok());
    // One evaluation per operator: every pair, errors caught as "ERROR".
    for (const char* f : {"direct", "via"}) {
      std::string program = "(list", want = "(";
      for (int64_t x : kEdges) {
        for (int64_t y : kEdges) {
          std::string one;
          if (!op.ref(x, y, &one)) one = "\"ERROR\"";
          absl::StrAppend(&program, " (try (", f, " ", x, " ", y, ") (catch e \"ERROR\"))");
          absl::StrAppend(&want, want.size() > 1 ? " " : "", one);
        }
      }
      EXPECT_EQ(EvalText(env, program + ")"), want + ")") << op.name << " by " << f;
    }
  }
}

// A call site compiled while '+' was the built-in follows the name when it
// is rebound, by sx code or by the host.
TEST(EvalInline, RebindingABuiltInTakesEffectAtCompiledCallSites) {
  Environment env;
  ASSERT_TRUE(env.Eval("(define (add a b) (+ a b)) (define (neg x) (not x))").ok());
  EXPECT_EQ(EvalText(env, "(add 1 2)"), "3");
  ASSERT_TRUE(env.Eval("(define + (fn (a b) (list a b)))").ok());
  EXPECT_EQ(EvalText(env, "(add 1 2)"), "(1 2)");
  env.DefinePrimitive("+", 2, 2, [](CallContext&, absl::Span<const Value> a) {
    return Value::Int(a[0].as_int() * 100 + a[1].as_int());
  });
  EXPECT_EQ(EvalText(env, "(add 1 2)"), "102");
  ASSERT_TRUE(env.Eval("(define not (fn (x) :custom))").ok());
  EXPECT_EQ(EvalText(env, "(neg true)"), ":custom");
  // Mixed and non-int arguments take the primitive's own path.
  Environment fresh;
  ASSERT_TRUE(fresh.Eval("(define (lt a b) (< a b)) (define (add a b) (+ a b))").ok());
  EXPECT_EQ(EvalText(fresh, "(lt 1 1.5)"), "true");
  EXPECT_EQ(EvalText(fresh, "(lt \"a\" \"b\")"), "true");
  EXPECT_EQ(EvalText(fresh, "(add 0.5 1)"), "1.5");
  EXPECT_EQ(EvalText(fresh, "(add 1 \"x\")"), "ERROR type");
  EXPECT_EQ(EvalText(fresh, "(lt 1 :k)"), "ERROR type");
}

// Inline calls cost the same steps as calls of the primitive.
TEST(EvalInline, InlineCallsChargeSteps) {
  Environment env;
  ASSERT_TRUE(env.Eval("(define (spin n) (if (> n 0) (spin (- n 1)) 0))").ok());
  EvalLimits limits;
  limits.max_steps = 1000;
  EvalResult r = env.Eval("(spin 100000)", "t.sx", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "step-limit");
  r = env.Eval("(spin 300)", "t.sx", limits);  // 3 steps per iteration
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

TEST(EvalHost, HostExceptionsBecomeErrors) {
  Environment env;
  env.DefinePrimitive("explode", 0, 0, [](CallContext&, absl::Span<const Value>) -> Value {
    throw std::runtime_error("disk on fire");
  });
  EvalResult r = env.Eval("(explode)", "t.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "host");
  EXPECT_NE(r.error().message.find("disk on fire"), std::string::npos);
}

TEST(EvalHost, CapabilityGroupsLimitWhatCodeCanCall) {
  Environment pure_core(kGroupCore);
  EvalResult r = pure_core.Eval("(upper \"x\")", "t.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unbound");
  EXPECT_NE(r.error().message.find("'upper'"), std::string::npos);
  EXPECT_EQ(EvalText(pure_core, "(+ 1 2)"), "3");
  // An I/O primitive registered into kGroupIo is bound only where I/O is.
  Environment no_io;
  no_io.Define("fetch", [](std::string_view) { return std::string("data"); }, kGroupIo);
  EXPECT_EQ(EvalText(no_io, "(fetch \"/x\")"), "ERROR unbound");
  Environment with_io(kGroupPure | kGroupIo);
  with_io.Define("fetch", [](std::string_view) { return std::string("data"); }, kGroupIo);
  EXPECT_EQ(EvalText(with_io, "(fetch \"/x\")"), "\"data\"");
}

TEST(EvalHost, ErrorsCarryFileLineColumnAndTrace) {
  Environment env;
  EvalResult r = env.Eval(
      "(define (inner x)\n"
      "  (nth x 5))\n"
      "(define (outer y)\n"
      "  (+ 1 (inner y)))\n"
      "(outer (list 1 2))\n",
      "page.sx");
  ASSERT_FALSE(r.ok());
  const EvalError& e = r.error();
  EXPECT_EQ(e.code, "index");
  EXPECT_EQ(e.file, "page.sx");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 3u);
  ASSERT_EQ(e.trace.size(), 2u);
  EXPECT_EQ(e.trace[0], "inner (page.sx:4:8)");
  EXPECT_EQ(e.trace[1], "outer (page.sx:5:1)");
  EXPECT_EQ(e.ToString(),
            "page.sx:2:3: index: index 5 is outside a list of 2\n"
            "  in inner (page.sx:4:8)\n"
            "  in outer (page.sx:5:1)");
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvalHost, ReadErrorsArePositioned) {
  Environment env;
  EvalResult r = env.Eval("(+ 1\n  \"open", "bad.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "read");
  EXPECT_EQ(r.error().line, 2u);
}

TEST(EvalHost, DefinitionsPersistAcrossEvaluations) {
  Environment env;
  ASSERT_TRUE(env.Eval("(defcomp ~tag (&key label) (span label))").ok());
  EXPECT_EQ(EvalText(env, "(~tag :label \"x\")"), "(span \"x\")");
  env.DefineValue("site-name", env.String("rose-ash"));
  EXPECT_EQ(EvalText(env, "(str site-name \"!\")"), "\"rose-ash!\"");
}

// The error vocabulary: an enum whose names are the stable kebab-case codes
// of messages, `catch` and Python.
TEST(EvalErrorCodes, EveryCodeHasAUniqueNameThatMapsBack) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(EvalErrorCode::kRoundLimit); ++i) {
    auto code = static_cast<EvalErrorCode>(i);
    std::string name(EvalErrorCodeName(code));
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_NE(name, "unknown");
    EvalErrorCode back;
    ASSERT_TRUE(EvalErrorCodeFromName(name, &back)) << name;
    EXPECT_EQ(back, code);
  }
  EXPECT_EQ(names.size(), 21u);
  EvalErrorCode ignored;
  EXPECT_FALSE(EvalErrorCodeFromName("no-such-code", &ignored));
  EXPECT_EQ(EvalErrorCodeName(EvalErrorCode::kNotCallable), "not-callable");
}

TEST(EvalErrorCodes, TheSameNameInMessagesCatchAndHostFailures) {
  Environment env;
  EvalResult r = env.Eval("(1 2)", "f.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EvalErrorCode::kNotCallable);
  EXPECT_EQ(r.error().code, "not-callable");
  EXPECT_EQ(r.error().ToString().rfind("f.sx:1:1: not-callable: ", 0), 0u) << r.error().ToString();
  EXPECT_EQ(EvalText(env, "(try (nosuchfn 1) (catch e (:code e)))"), "\"unbound\"");

  // A host names a code by its enum or its name; an unknown name is `host`.
  env.DefinePrimitive("by-enum", 0, 0, [](CallContext& c, absl::Span<const Value>) -> Value {
    c.Fail(EvalErrorCode::kIndex, "past the end");
  });
  env.DefinePrimitive("by-name", 0, 0, [](CallContext& c, absl::Span<const Value>) -> Value {
    c.Fail("overflow", "too big");
  });
  env.DefinePrimitive("by-odd-name", 0, 0, [](CallContext& c, absl::Span<const Value>) -> Value {
    c.Fail("database", "no connection");
  });
  EXPECT_EQ(env.Eval("(by-enum)").error().code, EvalErrorCode::kIndex);
  EXPECT_EQ(env.Eval("(by-name)").error().code, EvalErrorCode::kOverflow);
  EvalResult odd = env.Eval("(by-odd-name)");
  EXPECT_EQ(odd.error().code, EvalErrorCode::kHost);
  EXPECT_EQ(odd.error().message, "database: no connection");
}

}  // namespace
}  // namespace sexp
