// The evaluator's host API: registering primitives (typed and raw),
// capability groups, calling sx from C++, errors with positions and traces.
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

std::string EvalText(Environment& env, std::string_view text) {
  EvalResult r = env.Eval(text, "t.sx");
  return r.ok() ? ToText(r.value()) : "ERROR " + r.error().code;
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

}  // namespace
}  // namespace sexp
