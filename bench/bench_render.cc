// Renders the feed page of bench/html/feed_page.sx (50 cards, the page of
// bench/jinja_page.py) with sexp::RenderCall: components expand
// through the evaluator and the HTML goes to a string sink. Reports renders/s
// and bytes/s of HTML; bench/bench_render.py runs it beside Jinja2.
//   SEXP_BENCH_PAGE_SX  the page file (default: bench/html/feed_page.sx
//                       relative to the working directory)
//   SEXP_BENCH_ITERATIONS  a fixed number of renders (for profilers such as
//                       callgrind, whose counts then compare across builds)
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "sexp/sexp.h"

namespace {

std::string PageFile() {
  const char* env = std::getenv("SEXP_BENCH_PAGE_SX");
  return env != nullptr ? env : "bench/html/feed_page.sx";
}

void BM_RenderFeedPage(benchmark::State& state) {
  std::ifstream in(PageFile());
  std::stringstream text;
  text << in.rdbuf();
  sexp::Environment env;
  sexp::EvalResult loaded = env.Eval(text.str(), PageFile());
  if (!loaded.ok()) {
    state.SkipWithError(loaded.error().ToString().c_str());
    return;
  }
  const sexp::Value* page = env.Lookup("~feed-page");
  const sexp::Value* data = env.Lookup("*feed*");
  if (page == nullptr || data == nullptr) {
    state.SkipWithError("feed_page.sx must define ~feed-page and *feed*");
    return;
  }
  sexp::Value args[] = {env.Keyword("data"), *data};
  std::string html;
  sexp::StringSink sink(&html);
  size_t bytes = 0;
  for (auto _ : state) {
    html.clear();
    sexp::EvalResult r = sexp::RenderCall(env, *page, args, sink);
    if (!r.ok()) {
      state.SkipWithError(r.error().ToString().c_str());
      return;
    }
    bytes = html.size();
    benchmark::DoNotOptimize(html.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["renders/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["html_bytes"] = static_cast<double>(bytes);
}
void Register() {
  auto* b = benchmark::RegisterBenchmark("BM_RenderFeedPage", BM_RenderFeedPage)
                ->Unit(benchmark::kMicrosecond);
  if (const char* n = std::getenv("SEXP_BENCH_ITERATIONS")) b->Iterations(std::atoll(n));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
