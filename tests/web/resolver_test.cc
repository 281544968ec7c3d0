// sexp/web/resolver.h: rounds, batching, merging, actions, failures, limits.
#include "sexp/web/resolver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sexp/cache/cache.h"
#include "sexp/html/render.h"
#include "sexp/web/pipeline.h"
#include "sexp/core/reader.h"

namespace sexp {
namespace {

using Clock = std::chrono::steady_clock;

// A fake service: answers each request with `answer(args)` (sx text) after
// `latency`, from a thread of its own, and logs what it was asked.
struct FakeService {
  std::function<absl::StatusOr<std::string>(const IoRequest&)> answer;
  std::chrono::milliseconds latency{0};
  std::mutex mu;
  std::vector<std::vector<std::string>> batches;  // keys per call
  std::vector<std::thread> threads;

  ~FakeService() {
    for (auto& t : threads) t.join();
  }
  Fetcher fetcher() {
    return [this](const IoBatch& batch, BatchDone done) {
      std::vector<std::string> keys;
      std::vector<absl::StatusOr<std::string>> results;
      for (const IoRequest& q : batch.requests) {
        keys.push_back(q.key);
        results.push_back(answer(q));
      }
      std::lock_guard<std::mutex> lock(mu);
      batches.push_back(keys);
      threads.emplace_back([this, results = std::move(results), done = std::move(done)]() mutable {
        std::this_thread::sleep_for(latency);
        done(std::move(results));
      });
    };
  }
  size_t requests() {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (auto& b : batches) n += b.size();
    return n;
  }
};

// Echoes a request's arguments: (query "a" 1) -> (got "a" 1).
absl::StatusOr<std::string> Echo(const IoRequest& q) {
  std::string out = "(got";
  for (const Value& v : q.args.items()) out += " " + ToText(v);
  return out + ")";
}

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest() : env_(kGroupPure | kGroupIo) {
    for (const char* s : {"query", "frag", "action", "current-user"}) DefineService(env_, s);
  }
  // A page from source text: (fn () BODY).
  Value Page(const std::string& body) {
    EvalResult r = env_.Eval("(fn () " + body + ")");
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.value();
  }
  std::string Text(const EvalResult& r) {
    return r.ok() ? ToText(r.value()) : "error: " + r.error().ToString();
  }
  Environment env_;
};

TEST_F(ResolverTest, OutsideAResolutionIoIsAnError) {
  EvalResult r = env_.Eval("(query \"x\")");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "io");
  EXPECT_NE(r.error().message.find("inside a resolution"), std::string::npos);
}

TEST_F(ResolverTest, TwentyIndependentFetchesTakeOneRound) {
  FakeService items, users;
  items.answer = users.answer = Echo;
  items.latency = users.latency = std::chrono::milliseconds(50);
  Value page = Page(
      "(div (ul (map (fn (i) (li (query \"item\" i))) (range 10)))"
      "     (ul (map (fn (i) (li (current-user i))) (range 10))))");
  ResolveStats stats;
  auto start = Clock::now();
  EvalResult r = Resolve(env_, page,
                         {{"query", items.fetcher()}, {"current-user", users.fetcher()}},
                         EvalLimits(), &stats);
  auto elapsed = Clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(stats.rounds, 2u);  // one round of I/O, then the finished page
  EXPECT_EQ(stats.requests, 20u);
  ASSERT_EQ(items.batches.size(), 1u);  // each service got one batch
  EXPECT_EQ(items.batches[0].size(), 10u);
  ASSERT_EQ(users.batches.size(), 1u);
  EXPECT_EQ(users.batches[0][3], "(current-user 3)");
  EXPECT_LT(elapsed, std::chrono::milliseconds(150));  // concurrent: ~50 ms, not 20 x 50
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  EXPECT_NE(Text(r).find("(li (got \"item\" 9))"), std::string::npos) << Text(r);
}

TEST_F(ResolverTest, DependentFetchesTakeOneRoundEach) {
  FakeService q;
  q.answer = [](const IoRequest& req) -> absl::StatusOr<std::string> {
    std::string at = ToText(req.args[0]);  // "\"a\"" -> next "b", ...
    std::map<std::string, std::string> next = {{"\"a\"", "b"}, {"\"b\"", "c"}, {"\"c\"", "end"}};
    return "{:id " + at + " :next \"" + next[at] + "\"}";
  };
  Value page = Page(
      "(let ((a (query \"a\")))"
      "  (let ((b (query (get a :next))))"
      "    (let ((c (query (get b :next))))"
      "      (list (get a :id) (get b :id) (get c :id) (get c :next)))))");
  ResolveStats stats;
  EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}}, EvalLimits(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Text(r), "(\"a\" \"b\" \"c\" \"end\")");
  EXPECT_EQ(stats.rounds, 4u);  // three rounds of I/O
  EXPECT_EQ(q.batches.size(), 3u);
  EXPECT_EQ(stats.requests, 3u);
}

TEST_F(ResolverTest, DuplicatesAreFetchedOnce) {
  FakeService q;
  q.answer = Echo;
  Value page = Page("(list (query \"x\" 1) (query \"x\" 1) (query \"y\") (p (query \"x\" 1)))");
  ResolveStats stats;
  EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}}, EvalLimits(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(q.batches.size(), 1u);
  EXPECT_EQ(q.batches[0], (std::vector<std::string>{"(query \"x\" 1)", "(query \"y\")"}));
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.merged, 2u);
  EXPECT_EQ(Text(r), "((got \"x\" 1) (got \"x\" 1) (got \"y\") (p (got \"x\" 1)))");
}

// Issue 20, item 17: two different closures print alike, so a request
// holding one would be merged with a request holding the other. Functions
// cannot be service arguments, however deep inside data.
TEST_F(ResolverTest, FunctionsAreNotServiceArguments) {
  FakeService q;
  q.answer = Echo;
  for (const char* call : {"(query (fn (x) 1))", "(query (list 1 (list (fn (x) 2))))",
                           "(query {:f (fn () 3)})", "(query +)"}) {
    Value page = Page(call);
    EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}});
    ASSERT_FALSE(r.ok()) << call;
    EXPECT_EQ(r.error().code, EvalErrorCode::kType) << call;
    EXPECT_NE(r.error().message.find("must be data"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(q.requests(), 0u);  // nothing was sent
  // Data still is.
  EvalResult ok = Resolve(env_, Page("(query (list 1 {:a \"b\"}))"), {{"query", q.fetcher()}});
  EXPECT_EQ(Text(ok), "(got (1 {:a \"b\"}))");
}

TEST_F(ResolverTest, SharedStructureInArgumentsIsChargedBeforeItIsKeyed) {
  // Issue 20 item 8: (query (dag 24)) printed a 2^24-node key: 28 s, 4 GB.
  ASSERT_TRUE(env_.Eval("(define (dag n) (if (= n 0) (list 1) (let [d (dag (- n 1))] (list d d))))").ok());
  FakeService q;
  q.answer = Echo;
  EvalLimits l;
  l.max_bytes = 1 << 20;
  l.max_steps = ~uint64_t{0} >> 2;
  auto start = std::chrono::steady_clock::now();
  EvalResult r = Resolve(env_, Page("(query (dag 24))"), {{"query", q.fetcher()}}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_limit()) << r.error().ToString();
  EXPECT_EQ(r.error().code, "memory-limit");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(q.requests(), 0u);
}

TEST_F(ResolverTest, TheDeadlineBoundsTheWaitForAServiceThatNeverAnswers) {
  // Issue 20 item 15: Resolve waited forever for a fetcher that never
  // called back. The evaluation's timeout covers its I/O.
  std::vector<BatchDone> kept;  // never called (until the end, to show late answers are dropped)
  Fetcher never = [&kept](const IoBatch&, BatchDone done) { kept.push_back(std::move(done)); };
  EvalLimits l;
  l.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  EvalResult r = Resolve(env_, Page("(query 1)"), {{"query", never}}, l);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_NE(r.error().message.find("waiting for 1 batch of I/O"), std::string::npos)
      << r.error().message;
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::seconds(2));
  // The answer arriving after Resolve returned is dropped, not written into
  // a resolution that is gone.
  ASSERT_EQ(kept.size(), 1u);
  kept[0]({std::string("(late)")});
}

TEST_F(ResolverTest, AnActionRunsOncePerResolution) {
  FakeService q, act;
  q.answer = Echo;
  std::atomic<int> purchases{0};
  act.answer = [&](const IoRequest&) -> absl::StatusOr<std::string> {
    ++purchases;
    return std::string("(receipt 77)");
  };
  // The action's result feeds two more rounds of queries.
  Value page = Page(
      "(let ((r (action \"buy\" 3)))"
      "  (let ((a (query (nth r 1))))"
      "    (list r (query a))))");
  ResolveStats stats;
  EvalResult r =
      Resolve(env_, page, {{"query", q.fetcher()}, {"action", act.fetcher()}}, EvalLimits(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(purchases, 1);
  EXPECT_EQ(stats.rounds, 4u);
  EXPECT_EQ(Text(r), "((receipt 77) (got (got 77)))");
}

TEST_F(ResolverTest, AFailingFetchDoesNotLoseTheOthers) {
  FakeService q;
  q.answer = [](const IoRequest& req) -> absl::StatusOr<std::string> {
    if (ToText(req.args[0]) == "\"bad\"") return absl::UnavailableError("backend down");
    return Echo(req);
  };
  Value page = Page(
      "(list (try (query \"bad\") (catch e (str \"fallback: \" (get e :message))))"
      "      (query \"good\"))");
  EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Text(r),
            "(\"fallback: (query \\\"bad\\\") failed: backend down\" (got \"good\"))");
  // Unhandled, the failure is the page's error, named and positioned.
  FakeService q2;
  q2.answer = q.answer;
  EvalResult bad = Resolve(env_, Page("(p (query \"bad\"))"), {{"query", q2.fetcher()}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "io");
  EXPECT_NE(bad.error().message.find("backend down"), std::string::npos);
}

TEST_F(ResolverTest, TryDoesNotCatchAPendingRequest) {
  FakeService q;
  q.answer = Echo;
  EvalResult r = Resolve(env_, Page("(try (query \"a\") (catch e \"caught\"))"),
                         {{"query", q.fetcher()}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Text(r), "(got \"a\")");
}

TEST_F(ResolverTest, NothingIsRequestedFromAValueThatIsNotThere) {
  // (query (get a :next)) must wait for a: a request made from a missing
  // value would be a spurious fetch (and a wrong one).
  FakeService q;
  q.answer = [](const IoRequest& req) -> absl::StatusOr<std::string> {
    if (req.args[0].is_nil()) return absl::InternalError("spurious request from nil");
    return std::string("{:next \"b\"}");
  };
  Value page = Page("(let ((a (query \"a\"))) (list (query (get a :next)) (filter (fn (x) (query x)) (list 1 2))))");
  ResolveStats stats;
  EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}}, EvalLimits(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(q.batches.size(), 2u);
  EXPECT_EQ(q.batches[0], (std::vector<std::string>{"(query \"a\")"}));
  EXPECT_EQ(q.batches[1].size(), 3u);  // (query "b"), (query 1), (query 2)
}

TEST_F(ResolverTest, StepBySupplyingResultsYourself) {
  Resolution res(env_, Page("(div (frag \"nav\") (frag \"footer\") (query \"n\"))"));
  ASSERT_FALSE(res.Step());
  ASSERT_EQ(res.batches().size(), 2u);
  EXPECT_EQ(res.batches()[0].service, "frag");
  EXPECT_EQ(res.batches()[0].requests.size(), 2u);
  EXPECT_EQ(res.batches()[1].requests[0].key, "(query \"n\")");
  for (const IoBatch& b : res.batches()) {
    for (const IoRequest& q : b.requests) {
      if (q.service == "frag") res.SupplyText(q.id, "(nav (a :href \"/\" \"home\"))");
      // (query "n") left unanswered: it fails at the next step.
    }
  }
  ASSERT_TRUE(res.Step());
  ASSERT_FALSE(res.result().ok());
  EXPECT_EQ(res.result().error().code, "io");
  EXPECT_NE(res.result().error().message.find("no result was supplied"), std::string::npos);
  EXPECT_EQ(res.stats().failures, 1u);
}

TEST_F(ResolverTest, ResultsThatAreNotSxFailThatRequest) {
  Resolution res(env_, Page("(list (try (query 1) (catch e (get e :code))) (query 2))"));
  ASSERT_FALSE(res.Step());
  const auto& reqs = res.batches()[0].requests;
  res.SupplyText(reqs[0].id, "(unclosed");
  res.SupplyText(reqs[1].id, "{:ok true}");
  ASSERT_TRUE(res.Step());
  ASSERT_TRUE(res.result().ok()) << res.result().error().ToString();
  EXPECT_EQ(ToText(res.result().value()), "(\"io\" {:ok true})");
}

TEST_F(ResolverTest, LimitsStillApply) {
  FakeService q;
  q.answer = Echo;
  EvalLimits limits;
  limits.max_steps = 10000;
  EvalResult r = Resolve(env_, Page("(do (query 1) (reduce + 0 (range 100000)))"),
                         {{"query", q.fetcher()}}, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "step-limit");
}

TEST_F(ResolverTest, APageThatKeepsAskingHitsTheRoundLimit) {
  FakeService q;
  q.answer = Echo;
  ASSERT_TRUE(env_.Eval("(define (chase x) (chase (query x)))").ok());
  ResolveStats stats;
  EvalResult r = Resolve(env_, Page("(chase 0)"), {{"query", q.fetcher()}}, EvalLimits(), &stats,
                         /*max_rounds=*/10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "round-limit");
  EXPECT_TRUE(r.error().is_limit());
  EXPECT_EQ(stats.rounds, 10u);
  EXPECT_EQ(q.batches.size(), 9u);
}

TEST_F(ResolverTest, TheResolvedTreeRenders) {
  FakeService frag;
  frag.answer = [](const IoRequest& q) -> absl::StatusOr<std::string> {
    return "(span :class \"user\" " + ToText(q.args[0]) + ")";
  };
  ASSERT_TRUE(env_.Eval("(defcomp ~row (&key id) (li (frag id)))").ok());
  EvalResult r = Resolve(env_, Page("(ul (map (fn (i) (~row :id (str \"<u\" i \">\"))) (list 1 2)))"),
                         {{"frag", frag.fetcher()}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  std::string html;
  StringSink sink(&html);
  EvalResult rendered = RenderData(r.value(), sink);
  ASSERT_TRUE(rendered.ok()) << rendered.error().ToString();
  EXPECT_EQ(html,
            "<ul><li><span class=\"user\">&lt;u1&gt;</span></li>"
            "<li><span class=\"user\">&lt;u2&gt;</span></li></ul>");
  EXPECT_EQ(frag.batches.size(), 1u);
}

TEST_F(ResolverTest, AServiceWithoutAFetcherFailsItsRequests) {
  EvalResult r = Resolve(env_, Page("(try (query 1) (catch e (get e :message)))"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(Text(r).find("no fetcher for service 'query'"), std::string::npos);
}

// --- the subtree cache -------------------------------------------------------

class CachedResolverTest : public ResolverTest {
 protected:
  CachedResolverTest() {
    char dir[] = "/tmp/sexp_resolver_cache_XXXXXX";
    dir_ = mkdtemp(dir);
    std::vector<std::unique_ptr<CacheTier>> tiers;
    tiers.push_back(std::make_unique<MemoryTier>(1 << 20));
    tiers.push_back(std::make_unique<DiskTier>(dir_));
    cache_ = std::make_unique<TieredCache>(std::move(tiers));
    DefineSubtreeCache(env_, cache_.get());
    frag_.answer = [](const IoRequest& q) -> absl::StatusOr<std::string> {
      return "(p \"post " + ToText(q.args[1]) + "\")";
    };
    EXPECT_TRUE(env_.Eval("(defcomp ~post (&key id) (article :id (str \"p\" id) (frag \"post\" id)))").ok());
  }
  ~CachedResolverTest() override { std::filesystem::remove_all(dir_); }

  std::string Render(const std::string& ids) {
    Value page = Page("(ul (map (fn (id) (li (cached \"~post\" :id id))) (list " + ids + ")))");
    EvalResult r = Resolve(env_, page, {{"frag", frag_.fetcher()}});
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    std::string html;
    StringSink sink(&html);
    EXPECT_TRUE(RenderData(r.value(), sink).ok());
    return html;
  }

  std::string dir_;
  std::unique_ptr<TieredCache> cache_;
  FakeService frag_;
};

TEST_F(CachedResolverTest, AnUnchangedPageFetchesNothingTheSecondTime) {
  std::string first = Render("1 2 3");
  EXPECT_EQ(first,
            "<ul><li><article id=\"p1\"><p>post 1</p></article></li>"
            "<li><article id=\"p2\"><p>post 2</p></article></li>"
            "<li><article id=\"p3\"><p>post 3</p></article></li></ul>");
  EXPECT_EQ(frag_.requests(), 3u);
  EXPECT_EQ(cache_->stats().puts, 3u);
  uint64_t hits_before = cache_->stats().hits;

  EXPECT_EQ(Render("1 2 3"), first);
  EXPECT_EQ(frag_.requests(), 3u);  // zero fetches
  EXPECT_EQ(cache_->stats().hits - hits_before, 3u);
  EXPECT_EQ(cache_->stats().tiers[0].hits, 3u);  // the memory tier answered
}

TEST_F(CachedResolverTest, ChangedDataMissesOnlyTheAffectedSubtrees) {
  Render("1 2 3");
  CacheStats before = cache_->stats();
  std::string html = Render("1 2 4");
  EXPECT_NE(html.find("post 4"), std::string::npos);
  EXPECT_EQ(frag_.requests(), 4u);  // only (frag "post" 4) is new
  EXPECT_EQ(cache_->stats().hits - before.hits, 2u);
  EXPECT_EQ(cache_->stats().puts - before.puts, 1u);
}

TEST_F(CachedResolverTest, ALowerTierAnswersWhenTheMemoryTierIsCold) {
  std::string first = Render("7");
  // A second process: a fresh memory tier over the same directory.
  std::vector<std::unique_ptr<CacheTier>> tiers;
  tiers.push_back(std::make_unique<MemoryTier>(1 << 20));
  tiers.push_back(std::make_unique<DiskTier>(dir_));
  TieredCache warm(std::move(tiers));
  DefineSubtreeCache(env_, &warm);
  EXPECT_EQ(Render("7"), first);
  EXPECT_EQ(frag_.requests(), 1u);
  EXPECT_EQ(warm.stats().tiers[1].hits, 1u);  // disk
  EXPECT_EQ(warm.stats().tiers[0].fills, 1u);
}

TEST_F(CachedResolverTest, MarkupKeepsTheParsingContextItWasRenderedFor) {
  // Issue 20 item 1: a subtree cached as HTML and placed inside <svg>, where
  // <style> text is markup, ran the attacker's <img onerror>.
  ASSERT_TRUE(env_.Eval("(defcomp ~css (&key css) (style css))"
                        "(defcomp ~p (&key css) (svg (cached \"~css\" :css css)))"
                        "(defcomp ~h (&key css) (div (cached \"~css\" :css css)))").ok());
  Value css = env_.String("<img src=x onerror=alert(1)>");
  auto render = [&](std::string_view component) {
    std::string html;
    StringSink sink(&html);
    EvalResult r = RenderCall(env_, *env_.Lookup(component), {env_.Keyword("css"), css}, sink);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return html;
  };
  // Rendered where it is placed: inside <svg> the text is escaped…
  std::string in_svg = render("~p");
  EXPECT_EQ(in_svg.find("<img"), std::string::npos) << in_svg;
  EXPECT_NE(in_svg.find("&lt;img"), std::string::npos) << in_svg;
  // …in HTML it is raw text, as <style> is there; the two are cached apart.
  std::string in_html = render("~h");
  EXPECT_NE(in_html.find("<style><img src=x onerror=alert(1)></style>"), std::string::npos);
  EXPECT_EQ(cache_->stats().puts, 2u);
  EXPECT_EQ(render("~p"), in_svg);  // from the cache, still escaped
  EXPECT_EQ(render("~h"), in_html);
  EXPECT_EQ(cache_->stats().puts, 2u);
  // Markup made in one context and placed in another (a value carried out
  // of where it was made) is refused rather than reinterpreted.
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env_, "(let [m (cached \"~css\" :css \"x\")] (svg m))", sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "render");
  EXPECT_NE(r.error().message.find("markup rendered for HTML cannot be placed in SVG"),
            std::string::npos) << r.error().message;
  // (raw! …) is the code vouching for its markup: placed anywhere.
  EXPECT_TRUE(RenderHtml(env_, "(svg (raw! \"<g></g>\"))", sink).ok());
}

TEST_F(CachedResolverTest, ASubtreeThatFailsItsLimitsIsNotStored) {
  // Issue 20 item 12: the subtree was rendered uncharged and stored even
  // when the evaluation then failed its limits, so a retry succeeded.
  ASSERT_TRUE(env_.Eval("(define (dag n) (if (= n 0) (list \"x\") (let [d (dag (- n 1))] (list d d))))"
                        "(defcomp ~big () (div (dag 18)))").ok());
  EvalLimits l;
  l.max_steps = 100'000;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string html;
    StringSink sink(&html);
    EvalResult r = RenderHtml(env_, "(section (cached \"~big\"))", sink, "big.sx", {}, l);
    ASSERT_FALSE(r.ok()) << attempt;
    EXPECT_EQ(r.error().code, "step-limit");
    EXPECT_EQ(cache_->stats().puts, 0u);
  }
  // With room enough it renders, and only then is stored.
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env_, "(section (cached \"~big\"))", sink);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(cache_->stats().puts, 1u);
}

TEST_F(CachedResolverTest, ArgumentsMustBeData) {
  EvalResult r = env_.Eval("(cached \"~post\" :id (fn () 1))");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "type");
  r = env_.Eval("(cached \"~nope\")");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unbound");
}

}  // namespace
}  // namespace sexp

// --- analyze → plan → execute ----------------------------------------------

namespace sexp {
namespace {

class PipelineTest : public CachedResolverTest {};

TEST_F(PipelineTest, HtmlAndJsonExecutorsShareThePipeline) {
  ASSERT_TRUE(env_.Eval("(define (post-data id) (let ((p (frag \"post\" id))) {:id id :body p :tags (list \"a\" :b)}))").ok());
  Pipeline pipeline(env_, cache_.get());
  Result<Document> html_req = ReadOne("(html (~post :id 5))");
  Result<Document> json_req = ReadOne("(json (post-data 5))");

  absl::StatusOr<Plan> plan = pipeline.Analyze(html_req->roots()[0]);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->executor, "html");
  EXPECT_FALSE(plan->cached.has_value());
  absl::StatusOr<std::string> html = pipeline.Execute(*plan, {{"frag", frag_.fetcher()}});
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_EQ(*html, "<article id=\"p5\"><p>post 5</p></article>");

  plan = pipeline.Analyze(json_req->roots()[0]);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->executor, "json");
  absl::StatusOr<std::string> json = pipeline.Execute(*plan, {{"frag", frag_.fetcher()}});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, "{\"id\":5,\"body\":[\"p\",\"post 5\"],\"tags\":[\"a\",\":b\"]}");
  EXPECT_EQ(frag_.requests(), 2u);  // one per request: (frag "post" 5) each time

  // Planned again: both are in the cache, nothing runs.
  plan = pipeline.Analyze(html_req->roots()[0]);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->cached.has_value());
  EXPECT_EQ(*pipeline.Execute(*plan, {}), *html);
  plan = pipeline.Analyze(json_req->roots()[0]);
  EXPECT_EQ(*plan->cached, *json);
  EXPECT_EQ(frag_.requests(), 2u);
}

TEST_F(PipelineTest, BadRequestsAndUnknownTypes) {
  Pipeline pipeline(env_, nullptr);
  for (const char* bad : {"(html)", "(html 1 2)", "html", "(\"html\" 1)"}) {
    EXPECT_FALSE(pipeline.Analyze(ReadOne(bad)->roots()[0]).ok()) << bad;
  }
  absl::StatusOr<Plan> plan = pipeline.Analyze(ReadOne("(xml (p))")->roots()[0]);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kNotFound);
  // A host's own executor, keyed by its own type.
  struct Count final : Executor {
    std::string_view content_type() const override { return "text/plain"; }
    absl::Status Write(const Value& v, std::string* out) const override {
      *out = std::to_string(v.size());
      return absl::OkStatus();
    }
  };
  pipeline.Register("count", std::make_unique<Count>());
  plan = pipeline.Analyze(ReadOne("(count (list 1 2 3))")->roots()[0]);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(*pipeline.Execute(*plan, {}), "3");
  // JSON refuses what it cannot write.
  plan = pipeline.Analyze(ReadOne("(json (list 1 (fn () 2)))")->roots()[0]);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(pipeline.Execute(*plan, {}).ok());
  // Deep values are written without recursion.
  plan = pipeline.Analyze(
      ReadOne("(json (reduce (fn (acc x) (list acc)) nil (range 100000)))")->roots()[0]);
  absl::StatusOr<std::string> deep = pipeline.Execute(*plan, {});
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_EQ(deep->size(), 200004u);
}

TEST_F(ResolverTest, AResolutionWithItsOwnArenaLeavesNothingInTheEnvironment) {
  // Issue 20 item 14: a page's values — its results' names among them —
  // went to the environment's arena and stayed there.
  FakeService q;
  q.answer = [](const IoRequest& r) -> absl::StatusOr<std::string> {
    return "{:" + std::string(5000, 'k') + " \"" + std::string(5000, 'v') +
           "\"}";
  };
  Value page = Page("(count (keys (query \"x\")))");
  auto run = [&] {
    Arena values;
    EvalResult r = Resolve(env_, page, {{"query", q.fetcher()}}, EvalLimits(), nullptr,
                           Resolution::kDefaultMaxRounds, &values);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r.value().as_int(), 1);
  };
  run();
  size_t before = env_.bytes_used();
  for (int i = 0; i < 200; ++i) run();
  EXPECT_LT(env_.bytes_used() - before, size_t{16} << 10) << "200 resolutions of one page";
  // Without an arena of its own, the same page's values stay (as before).
  before = env_.bytes_used();
  EvalResult kept = Resolve(env_, page, {{"query", q.fetcher()}});
  ASSERT_TRUE(kept.ok());
  EXPECT_GT(env_.bytes_used() - before, size_t{10000});
  // A page evaluated in its own arena cannot set a global (the value would
  // point into memory freed after the request).
  ASSERT_TRUE(env_.Eval("(define last-result nil)").ok());
  Arena values;
  EvalResult r = Resolve(env_, Page("(set! last-result (query 1))"), {{"query", q.fetcher()}},
                         EvalLimits(), nullptr, Resolution::kDefaultMaxRounds, &values);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("outlives"), std::string::npos) << r.error().message;
}

// Issue 21: (query blog post-by-slug :slug s) — bare names, evaluated
// keyword arguments — is the request (query "blog" "post-by-slug" {:slug s}):
// merged with it, batched with the other queries of its round.
TEST_F(ResolverTest, IoFormsWithNamesAreRequestsWithADictOfArguments) {
  FakeService q;
  q.answer = Echo;
  ResolveStats stats;
  EvalResult r = Resolve(env_,
                         Page("(let [slug \"apple\" blog 0]"
                              "  (list (query blog post-by-slug :slug slug :n (+ 1 2))"
                              "        (query \"blog\" \"post-by-slug\" {:slug \"apple\" :n 3})"
                              "        (query market products :category \"veg\")))"),
                         {{"query", q.fetcher()}}, EvalLimits(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Text(r),
            "((got \"blog\" \"post-by-slug\" {:n 3 :slug \"apple\"}) "
            "(got \"blog\" \"post-by-slug\" {:n 3 :slug \"apple\"}) "
            "(got \"market\" \"products\" {:category \"veg\"}))");
  EXPECT_EQ(stats.rounds, 2u);
  EXPECT_EQ(stats.requests, 2u);  // the first two are one request
  ASSERT_EQ(q.batches.size(), 1u);
  EXPECT_EQ(q.batches[0][0], "(query \"blog\" \"post-by-slug\" {:n 3 :slug \"apple\"})");
  // frag and action are written the same way; an action runs once.
  FakeService frags, acts;
  frags.answer = acts.answer = Echo;
  ResolveStats more;
  EvalResult both = Resolve(env_,
                            Page("(list (frag blog link-card :slug \"apple\")"
                                 "      (action cart add-item :id 3) (action cart add-item :id 3))"),
                            {{"frag", frags.fetcher()}, {"action", acts.fetcher()}}, EvalLimits(), &more);
  ASSERT_TRUE(both.ok()) << both.error().ToString();
  EXPECT_EQ(Text(both), "((got \"blog\" \"link-card\" {:slug \"apple\"}) "
                        "(got \"cart\" \"add-item\" {:id 3}) (got \"cart\" \"add-item\" {:id 3}))");
  EXPECT_EQ(acts.requests(), 1u);
  // Written wrong: a syntax error when compiled.
  for (const char* bad : {"(query blog post :slug)", "(query blog post slug 1)",
                          "(query blog post :a 1 :a 2)"}) {
    EvalResult e = env_.Eval(std::string("(fn () ") + bad + ")");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().code, EvalErrorCode::kSyntax) << bad;
  }
}

// Issue 21: a let binds in order, but in a resolution its inits that do not
// mention a waiting name still run, so independent requests share a round.
TEST_F(ResolverTest, LetInitsThatDoNotWaitShareARound) {
  FakeService q;
  q.answer = Echo;
  auto rounds = [&](const std::string& body, std::string* value) {
    ResolveStats stats;
    EvalResult r = Resolve(env_, Page(body), {{"query", q.fetcher()}}, EvalLimits(), &stats);
    *value = Text(r);
    return stats.rounds;
  };
  std::string v;
  // Independent: one round of requests (then the round that finishes).
  EXPECT_EQ(rounds("(let [a (query 1) b (query 2) c 3] (list a b c))", &v), 2u);
  EXPECT_EQ(v, "((got 1) (got 2) 3)");
  // b mentions a: it waits for it.
  EXPECT_EQ(rounds("(let [a (query 1) b (query (count a))] (list a b))", &v), 3u);
  EXPECT_EQ(v, "((got 1) (got 2))");
  // Through a closure bound in the same let: f mentions a, b mentions f.
  EXPECT_EQ(rounds("(let [a (query 5) f (fn () a) b (query (first (f)))] b)", &v), 3u);
  EXPECT_EQ(v, "(got got)");
  // A name rebound in the same let: the later reference waits for both.
  EXPECT_EQ(rounds("(let [a (query 7) a (list a) b (query 8)] (list a b))", &v), 2u);
  EXPECT_EQ(v, "(((got 7)) (got 8))");
  // The sequential reading holds outside a resolution.
  EXPECT_EQ(Text(env_.Eval("(let [a 1 b (+ a 1)] (list a b))")), "(1 2)");
}

}  // namespace
}  // namespace sexp
