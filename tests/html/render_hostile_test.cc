// Hostile data and code for the HTML renderer (issue 20): every node it
// renders and every byte it writes is charged to the evaluation's budget, so
// shared structure, huge strings and long outputs end with their limit.
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "measure.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

using testing_measure::PeakRss;
using testing_measure::SecondsSince;

constexpr std::string_view kDag =
    "(define (dag n) (if (= n 0) (list 1) (let [d (dag (- n 1))] (list d d))))";


EvalLimits Unlimited() {
  EvalLimits l;
  l.max_steps = ~uint64_t{0} >> 2;
  l.max_bytes = uint64_t{1} << 40;
  return l;
}

TEST(RenderHostile, SharedStructureRendersWithinTheTimeout) {
  // (div (dag 27)): 2^27 text nodes, 128 MB of HTML in 7 s before.
  Environment env;
  ASSERT_TRUE(env.Eval(kDag).ok());
  EvalLimits l = Unlimited();
  l.timeout = std::chrono::milliseconds(100);
  std::string html;
  StringSink sink(&html);
  size_t rss = PeakRss();
  auto start = std::chrono::steady_clock::now();
  EvalResult r = RenderHtml(env, "(div (dag 27))", sink, "dag.sx", {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_LT(SecondsSince(start), 1.0);
  EXPECT_TRUE(html.empty());  // a failed render leaves the string as it was
  EXPECT_LT(PeakRss() - rss, size_t{64} << 20);
  // Under the step limit alone, too.
  EvalLimits steps;
  steps.max_steps = 1'000'000;
  r = RenderHtml(env, "(div (dag 27))", sink, "dag.sx", {}, steps);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "step-limit");
}

TEST(RenderHostile, TheLeadingNewlineLookAheadOfPreIsCharged) {
  // <pre> looks for its first text through lists of nodes, 32 deep; lists
  // that share one empty node list twice per level made that look-ahead
  // 2^32 items long, charged to nothing (found by fuzz_render as a hang).
  Environment env;
  ASSERT_TRUE(env.Eval("(define (empty n) (if (= n 0) (list nil) (let [d (empty (- n 1))] "
                       "(list d d))))").ok());
  for (std::string_view tag : {"pre", "textarea"}) {
    EvalLimits steps;
    steps.max_steps = 1'000'000;
    steps.timeout = std::chrono::seconds(5);
    std::string html;
    StringSink sink(&html);
    auto start = std::chrono::steady_clock::now();
    EvalResult r = RenderHtml(env, "(" + std::string(tag) + " (empty 40))", sink, "pre.sx", {},
                              steps);
    ASSERT_FALSE(r.ok()) << tag;
    EXPECT_EQ(r.error().code, "step-limit") << tag << ": " << r.error().message;
    EXPECT_LT(SecondsSince(start), 2.0) << tag;
  }
  // A small one still renders, its first newline doubled.
  std::string html;
  StringSink sink(&html);
  ASSERT_TRUE(RenderHtml(env, "(pre (empty 3) \"\nx\")", sink, "pre.sx", {}, {}).ok());
  EXPECT_EQ(html, "<pre>\n\nx</pre>");
}

TEST(RenderHostile, ConstantsRenderedAheadAreCharged) {
  // An element's constant children are rendered once, when it is compiled
  // (its plan): a macro can make that constant share structure.
  Environment env;
  ASSERT_TRUE(env.Eval(kDag).ok());
  ASSERT_TRUE(env.Eval("(defmacro page () (list 'div (list 'quote (dag 30))))").ok());
  EvalLimits l;
  l.max_steps = 1'000'000;
  l.timeout = std::chrono::milliseconds(2000);
  std::string html;
  StringSink sink(&html);
  auto start = std::chrono::steady_clock::now();
  EvalResult r = RenderHtml(env, "(page)", sink, "page.sx", {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_limit()) << r.error().ToString();
  EXPECT_LT(SecondsSince(start), 2.5);
}

TEST(RenderHostile, OutputHeldInAStringIsChargedAsBytes) {
  // 64 KiB rendered 1000 times into a string: 64 MB held, under 4 MB.
  Environment env;
  ASSERT_TRUE(env.Eval("(define (dbl s n) (if (= n 0) s (dbl (str s s) (- n 1))))"
                       "(define big (dbl \"a\" 16))").ok());
  EvalLimits l;
  l.max_bytes = 4 << 20;
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env, "(div (map (fn (i) (p big)) (range 1000)))", sink, "big.sx", {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "memory-limit");
  // Streamed to a sink that does not hold it, it is charged as steps only
  // (per 64 bytes): within the default limits it renders.
  size_t bytes = 0;
  CallbackSink counter([&bytes](std::string_view chunk) {
    bytes += chunk.size();
    return true;
  });
  r = RenderHtml(env, "(div (map (fn (i) (p big)) (range 1000)))", counter, "big.sx", {}, l);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_GT(bytes, 64'000'000u);
}

TEST(RenderHostile, AHugeStringEndsAtTheTimeout) {
  // A 64 MiB text node of '<' (256 MB escaped): escaping is charged per 64
  // bytes with the clock checked as it goes, so the render stops within
  // about 64 KiB of output past its deadline — measured in bytes written,
  // not in time, so a loaded machine cannot make the test flaky.
  Environment env;
  std::string huge(size_t{64} << 20, '<');
  Value text = env.String(huge);
  huge.clear();
  huge.shrink_to_fit();
  EvalLimits l = Unlimited();
  l.timeout = std::chrono::milliseconds(10);
  size_t written = 0;
  CallbackSink counter([&written](std::string_view chunk) {
    written += chunk.size();
    return true;
  });
  EvalResult r = RenderData(env.List({env.Symbol("p"), text}), counter, {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_LT(written, size_t{200} << 20);  // of 256 MiB
  // Into a string, whose bytes are held, the memory limit binds as well.
  EvalLimits bytes = Unlimited();
  bytes.max_bytes = 8 << 20;
  std::string html;
  StringSink sink(&html);
  r = RenderData(env.List({env.Symbol("p"), text}), sink, {}, bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "memory-limit");
  EXPECT_TRUE(html.empty());
}

TEST(RenderHostile, RenderDataIsChargedToTheGivenBudget) {
  // Data rendered outside an evaluation (a tree from a peer, a resolved
  // page) charges the budget the host gives it.
  Environment env;
  ASSERT_TRUE(env.Eval(kDag).ok());
  EvalResult tree = env.Eval("(list 'div (dag 30))");
  ASSERT_TRUE(tree.ok());
  EvalLimits l = Unlimited();
  l.max_steps = 100'000;
  Budget budget(l);
  l.budget = &budget;
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderData(tree.value(), sink, {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "step-limit");
  EXPECT_TRUE(budget.exhausted());
  EXPECT_GE(budget.steps_used(), 100'000u);
  // Class lists nest too: (div :class (dag 30)) is charged per item.
  EvalResult classy = env.Eval("(list 'div :class (dag 30) \"x\")");
  ASSERT_TRUE(classy.ok());
  EvalLimits small;
  small.max_steps = 100'000;
  r = RenderData(classy.value(), sink, {}, small);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == "step-limit" || r.error().code == "render") << r.error().ToString();
}

}  // namespace
}  // namespace sexp
