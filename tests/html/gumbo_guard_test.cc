// GuardedParse (libsexp/src/html/gumbo_guard.h): a gumbo assertion that
// fails on hostile input abandons the parse instead of ending the process,
// and every other SIGABRT is handled as it would be without the guard.
//
// kAbortingInput fails an assertion in Debian's libgumbo 0.10.1
// (parser.c handle_in_table: "Assertion `0' failed"; found by
// fuzz_html_reader). HtmlToSx never hands gumbo this exact text (it rewrites
// this shape, spec/html-reader.md §10), which is why it is given to
// GuardedParse directly here.
#include "html/gumbo_guard.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp::html_internal {
namespace {

constexpr std::string_view kAbortingInput = "<table><math><mi><![CDATA[t]]>x";

// The tag of the first element child of the body, or GUMBO_TAG_UNKNOWN.
GumboTag FirstBodyTag(const GumboOutput* out) {
  const GumboVector& html = out->root->v.element.children;
  for (unsigned i = 0; i < html.length; ++i) {
    const auto* body = static_cast<const GumboNode*>(html.data[i]);
    if (body->type != GUMBO_NODE_ELEMENT || body->v.element.tag != GUMBO_TAG_BODY) continue;
    const GumboVector& kids = body->v.element.children;
    for (unsigned j = 0; j < kids.length; ++j) {
      const auto* kid = static_cast<const GumboNode*>(kids.data[j]);
      if (kid->type == GUMBO_NODE_ELEMENT) return kid->v.element.tag;
    }
  }
  return GUMBO_TAG_UNKNOWN;
}

bool AbortBlocked() {
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, SIGABRT) == 1;
}

TEST(GumboGuard, FailedAssertionAbandonsTheParse) {
  for (int round = 0; round < 3; ++round) {
    GumboMemory memory(DefaultAllocator());
    EXPECT_EQ(GuardedParse(kAbortingInput, &memory), nullptr);
    EXPECT_EQ(memory.failure, ErrorCode::kParserFailure);
    EXPECT_FALSE(AbortBlocked()) << "SIGABRT left blocked after round " << round;
  }
  // The process and gumbo are fine afterwards.
  GumboMemory memory(DefaultAllocator());
  GumboOutput* out = GuardedParse("<p>after", &memory);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(memory.failure, ErrorCode::kOk);
  EXPECT_EQ(FirstBodyTag(out), GUMBO_TAG_P);
}

TEST(GumboGuard, ThreadsRecoverTheirOwnAborts) {
  std::atomic<int> recovered{0}, parsed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        GumboMemory bad(DefaultAllocator());
        if (GuardedParse(kAbortingInput, &bad) == nullptr &&
            bad.failure == ErrorCode::kParserFailure) {
          ++recovered;
        }
        GumboMemory good(DefaultAllocator());
        GumboOutput* out = GuardedParse("<ul><li>a<li>b</ul>", &good);
        if (out != nullptr && FirstBodyTag(out) == GUMBO_TAG_UL) ++parsed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(recovered.load(), 200);
  EXPECT_EQ(parsed.load(), 200);
}

TEST(GumboGuard, HtmlToSxNeverAbortsOnTheRewrittenShape) {
  // The same text through the public API: parsed, not abandoned (§10).
  Result<Document> doc = HtmlToSx(kAbortingInput);
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_EQ(*Format(*doc), "(<> (math (mi \"tx\")) (table))\n");
}

TEST(GumboGuardDeathTest, AbortOutsideAParseStillEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process
  EXPECT_EXIT(
      {
        GumboMemory memory(DefaultAllocator());
        GuardedParse(kAbortingInput, &memory);  // installs the handler
        if (memory.failure != ErrorCode::kParserFailure) _exit(7);
        std::abort();
      },
      testing::KilledBySignal(SIGABRT), "");
}

void PreviousHandler(int) {
  constexpr char kSaid[] = "previous handler ran\n";
  (void)!write(2, kSaid, sizeof kSaid - 1);
  _exit(3);
}

TEST(GumboGuardDeathTest, AbortOutsideAParseReachesTheReplacedHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // installed before the guard's
  EXPECT_EXIT(
      {
        signal(SIGABRT, &PreviousHandler);
        GumboMemory memory(DefaultAllocator());
        GuardedParse(kAbortingInput, &memory);  // recovered, not passed on
        if (memory.failure != ErrorCode::kParserFailure) _exit(7);
        std::abort();
      },
      testing::ExitedWithCode(3), "previous handler ran");
}

}  // namespace
}  // namespace sexp::html_internal
