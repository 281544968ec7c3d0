// A page's resolve + render time with a cold and a warm subtree cache, and
// route matching
// (sexp/web/resolver.h, sexp/cache/cache.h). The page lists 40 posts; each post is a
// `(cached "~post" :id id)` whose component fetches the post and its
// author (two services). Services answer at once, in the calling thread, so
// what is measured is the resolver, the cache and the renderer — not I/O.
//
//   build/bench/bench_resolve --benchmark_repetitions=5
//
// Cold: an empty memory tier each time — two rounds (fetch 80 requests in
// two batches, then finish), 40 subtrees rendered and stored. Warm: the same
// page with every subtree in the memory tier — one round, no request.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "sexp/cache/cache.h"
#include "sexp/html/render.h"
#include "sexp/web/resolver.h"
#include "sexp/web/router.h"

namespace {

constexpr char kDefinitions[] = R"sx(
(defcomp ~post (&key id)
  (let ((post (query "post" id)))
    (article :class "post" :id (str "post-" id)
      (h2 (get post :title))
      (p :class "by" "by " (get (query "user" (get post :author)) :name))
      (div :class "body" (get post :body)))))
)sx";

constexpr char kPage[] =
    "(fn () (main (h1 \"Feed\") (ul (map (fn (id) (li (cached \"~post\" :id id))) (range 40)))))";
constexpr char kPageUncached[] =
    "(fn () (main (h1 \"Feed\") (ul (map (fn (id) (li (~post :id id))) (range 40)))))";

// Answers in the caller's thread: posts by id, users by id.
absl::flat_hash_map<std::string, sexp::Fetcher> Services() {
  auto answer = [](const sexp::IoBatch& batch, sexp::BatchDone done) {
    std::vector<absl::StatusOr<std::string>> out;
    for (const sexp::IoRequest& q : batch.requests) {
      std::string id = sexp::ToText(q.args[1]);
      if (batch.service == "query" && q.args[0].str() == "post") {
        out.push_back("{:title \"Post " + id + " <on sx>\" :author " + id +
                      " :body \"A paragraph of text for post " + id +
                      ", long enough to look like a summary & escape.\"}");
      } else {
        out.push_back("{:name \"user" + id + "\"}");
      }
    }
    done(std::move(out));
  };
  return {{"query", answer}};
}

struct Fixture {
  std::unique_ptr<sexp::Environment> env;
  std::unique_ptr<sexp::TieredCache> cache;
  sexp::Value page;

  explicit Fixture(const char* page_text) {
    env = std::make_unique<sexp::Environment>(sexp::kGroupPure | sexp::kGroupIo);
    sexp::DefineService(*env, "query");
    std::vector<std::unique_ptr<sexp::CacheTier>> tiers;
    tiers.push_back(std::make_unique<sexp::MemoryTier>(64 << 20));
    cache = std::make_unique<sexp::TieredCache>(std::move(tiers));
    sexp::DefineSubtreeCache(*env, cache.get());
    if (!env->Eval(kDefinitions).ok()) std::abort();
    page = env->Eval(page_text).value();
  }
};

size_t ResolveAndRender(Fixture& f, const absl::flat_hash_map<std::string, sexp::Fetcher>& s,
                        benchmark::State& state) {
  sexp::EvalResult r = sexp::Resolve(*f.env, f.page, s);
  if (!r.ok()) {
    state.SkipWithError(r.error().ToString().c_str());
    return 0;
  }
  std::string html;
  sexp::StringSink sink(&html);
  if (!sexp::RenderData(r.value(), sink).ok()) state.SkipWithError("render failed");
  return html.size();
}

// Environments grow with each evaluation (no collector yet), so each
// iteration gets a fresh one, made outside the timing.
void BM_ResolveRender(benchmark::State& state, const char* page, bool warm) {
  auto services = Services();
  size_t bytes = 0;
  std::unique_ptr<Fixture> warm_fixture;
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>(page);
    if (warm) ResolveAndRender(*f, services, state);  // fills the cache
    state.ResumeTiming();
    bytes = ResolveAndRender(*f, services, state);
    state.PauseTiming();
    f.reset();
    state.ResumeTiming();
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
}

BENCHMARK_CAPTURE(BM_ResolveRender, cold_cache, kPage, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ResolveRender, warm_cache, kPage, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ResolveRender, no_cache, kPageUncached, false)->Unit(benchmark::kMicrosecond);

// Route matching (sexp/web/router.h): 60 defroute patterns of a typical site,
// matched against a mix of request targets with parameters and queries.
void BM_RouterMatch(benchmark::State& state) {
  sexp::Router router;
  size_t id = 0;
  for (const char* section : {"blog", "market", "events", "people", "groups", "docs"}) {
    std::string s = std::string("/") + section;
    for (const std::string& p :
         {s + "/", s + "/new/", s + "/:id{int}/", s + "/:slug/", s + "/:id{int}/edit/",
          s + "/:id{int}/comments/", s + "/:id{int}/comments/:cid{int}/", s + "/tag/:tag/",
          s + "/archive/:year{int}/:month{int}/", s + "/feed.sx"}) {
      if (!router.Add(p, id++).ok()) std::abort();
    }
  }
  const std::vector<std::string> targets = {
      "/blog/", "/blog/42/", "/blog/hello-world/", "/market/7/comments/3/",
      "/events/archive/2026/11/", "/people/tag/co-op/?page=2&sort=new", "/docs/feed.sx",
      "/groups/does/not/exist/"};
  size_t i = 0, matched = 0;
  for (auto _ : state) {
    auto m = router.Match(targets[i++ % targets.size()]);
    matched += m.has_value();
    benchmark::DoNotOptimize(m);
  }
  state.counters["matched"] = static_cast<double>(matched) / state.iterations();
}
BENCHMARK(BM_RouterMatch);

}  // namespace

BENCHMARK_MAIN();
