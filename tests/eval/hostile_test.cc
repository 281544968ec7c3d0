// Hostile programs: each must end with the right limit error, within the
// limit, and leave the environment usable.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

EvalError MustFail(Environment& env, std::string_view text, const EvalLimits& limits) {
  EvalResult r = env.Eval(text, "hostile.sx", limits);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? EvalError{} : r.error();
}

EvalLimits Small() {
  EvalLimits l;
  l.max_steps = 2'000'000;
  l.max_depth = 500;
  l.max_bytes = 16 << 20;
  l.timeout = std::chrono::milliseconds(10'000);
  return l;
}

TEST(EvalHostile, InfiniteLoopHitsTheStepLimit) {
  Environment env;
  EvalError e = MustFail(env, "(define (spin) (spin)) (spin)", Small());
  EXPECT_EQ(e.code, "step-limit");
  EXPECT_TRUE(e.is_limit());
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kResourceExhausted);
  // The environment still works afterwards.
  EvalResult ok = env.Eval("(+ 1 2)");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().as_int(), 3);
}

TEST(EvalHostile, UnboundedRecursionHitsTheDepthLimit) {
  Environment env;
  EvalError e = MustFail(env, "(define (down n) (+ 1 (down n))) (down 0)", Small());
  EXPECT_EQ(e.code, "depth-limit");
  EXPECT_EQ(e.line, 1u);
}

TEST(EvalHostile, DeepRecursionInsideAPrimitiveCallback) {
  Environment env;
  EvalError e = MustFail(
      env, "(define (nest n) (map (fn (x) (nest x)) (list n))) (nest 1)", Small());
  EXPECT_EQ(e.code, "depth-limit");
}

TEST(EvalHostile, ExponentialAllocationHitsTheMemoryLimit) {
  Environment env;
  EvalLimits l = Small();
  l.max_steps = 1'000'000'000;
  EvalError e = MustFail(
      env, "(define (grow xs) (grow (concat xs xs))) (grow (list 1 2 3))", l);
  EXPECT_EQ(e.code, "memory-limit");
}

TEST(EvalHostile, BillionElementRangeIsChargedBeforeItIsBuilt) {
  Environment env;
  auto start = std::chrono::steady_clock::now();
  EvalError e = MustFail(env, "(count (range 1000000000))", Small());
  EXPECT_EQ(e.code, "step-limit");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(EvalHostile, MacroThatExpandsForever) {
  Environment env;
  EvalError e = MustFail(env, "(defmacro m (x) `(m ,x)) (m 1)", Small());
  EXPECT_EQ(e.code, "syntax");
  EXPECT_NE(e.message.find("did not finish"), std::string::npos);
}

TEST(EvalHostile, TimeoutEndsALongEvaluation) {
  Environment env;
  EvalLimits l;
  l.max_steps = ~uint64_t{0} >> 2;
  l.timeout = std::chrono::milliseconds(100);
  auto start = std::chrono::steady_clock::now();
  EvalError e = MustFail(env, "(define (spin) (spin)) (spin)", l);
  EXPECT_EQ(e.code, "timeout");
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(EvalHostile, AnotherThreadCanInterrupt) {
  Environment env;
  EvalLimits l;
  l.max_steps = ~uint64_t{0} >> 2;
  std::thread stopper([&env] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    env.Interrupt();
  });
  EvalError e = MustFail(env, "(define (spin) (spin)) (spin)", l);
  stopper.join();
  EXPECT_EQ(e.code, "interrupted");
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kCancelled);
  // A later evaluation is not interrupted by the old request.
  EXPECT_TRUE(env.Eval("(+ 1 1)").ok());
}

TEST(EvalHostile, LimitsCannotBeCaughtByTry) {
  Environment env;
  EvalError e = MustFail(env, "(define (spin) (spin)) (try (spin) (catch e \"caught\"))", Small());
  EXPECT_EQ(e.code, "step-limit");
}

TEST(EvalHostile, DeeplyNestedSourceIsAReadError) {
  Environment env;
  std::string deep(5000, '(');
  EvalResult r = env.Eval(deep, "deep.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "read");
}

TEST(EvalHostile, DataNestedDeeperThanTheStackComparesAndPrints) {
  // Lists built by code can nest far deeper than the reader allows; equality
  // and printing must not recurse on the C++ stack.
  Environment env;
  EvalLimits l = Small();
  l.max_steps = 50'000'000;
  l.max_bytes = 256 << 20;
  ASSERT_TRUE(env.Eval("(define (nest n acc) (if (= n 0) acc (nest (- n 1) (list acc))))"
                       "(define deep (nest 300000 1))", "deep.sx", l).ok());
  EvalResult same = env.Eval("(= deep (nest 300000 1))", "deep.sx", l);
  ASSERT_TRUE(same.ok()) << same.error().ToString();
  EXPECT_TRUE(same.value().as_bool());
  EXPECT_FALSE(env.Eval("(= deep (nest 300000 2))", "deep.sx", l).value().as_bool());
  EvalResult deep = env.Eval("deep", "deep.sx", l);
  ASSERT_TRUE(deep.ok());
  std::string text = ToText(deep.value());
  EXPECT_EQ(text, std::string(300000, '(') + "1" + std::string(300000, ')'));
}

TEST(EvalHostile, MacroReturningADeepFormIsASyntaxError) {
  Environment env;
  EvalError e = MustFail(env,
                         "(define (nest n acc) (if (= n 0) acc (nest (- n 1) (list 'do acc))))"
                         "(defmacro deep () (nest 100000 1)) (deep)",
                         Small());
  EXPECT_EQ(e.code, "syntax");
  EXPECT_NE(e.message.find("nested deeper"), std::string::npos);
}

TEST(EvalHostile, LargeDictsBuildInLinearTime) {
  // 200000 distinct keys: a quadratic duplicate check would take minutes.
  Environment env;
  EvalLimits l = Small();
  l.max_steps = 20'000'000;
  l.max_bytes = 256 << 20;
  auto start = std::chrono::steady_clock::now();
  EvalResult r = env.Eval(
      "(count (apply dict (apply concat (map (fn (i) (list (str \"k\" i) i)) "
      "(range 200000)))))", "dict.sx", l);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().as_int(), 200000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace sexp
