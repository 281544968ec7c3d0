// Reader, writer and hash throughput over the federated feed made by
// bench/gen_feed.py (the same feed as sx and as JSON), and over the
// two further shapes of bench/gen_shapes.py (a component-heavy page and a
// numeric table).
//
//   SEXP_BENCH_FEED=feed.sx SEXP_BENCH_FEED_JSON=feed.json \
//   SEXP_BENCH_PAGE=shapes-page.sx SEXP_BENCH_TABLE=shapes-table.sx bench_reader
//
// scripts/bench.sh generates the feed and runs this with repetitions, printing
// medians. Counters: bytes_per_second is input bytes (reader) or output bytes
// (writer, hash); nodes/s counts AST nodes; ast_bytes/input is the arena's
// size relative to the text. BM_Simdjson_DOM parses the JSON twin of the same
// feed with simdjson's DOM parser — the named peer for the reader.
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sexp/sexp.h"
#include "simdjson.h"

namespace {

std::string Slurp(const char* env) {
  const char* path = std::getenv(env);
  if (path == nullptr) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The file named by environment variable `env`, read once (empty if unset).
const std::string& Input(const char* env) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(env);
  if (it == cache.end()) it = cache.emplace(env, Slurp(env)).first;
  return it->second;
}
const std::string& FeedSx() { return Input("SEXP_BENCH_FEED"); }
const std::string& FeedJson() { return Input("SEXP_BENCH_FEED_JSON"); }
const std::string& Page() { return Input("SEXP_BENCH_PAGE"); }
const std::string& Table() { return Input("SEXP_BENCH_TABLE"); }

size_t CountNodes(const sexp::Node& root) {
  size_t n = 0;
  std::vector<const sexp::Node*> stack{&root};
  while (!stack.empty()) {
    const sexp::Node* x = stack.back();
    stack.pop_back();
    ++n;
    if (x->is_list() || x->is_dict()) {
      for (const sexp::Node& c : x->items()) stack.push_back(&c);
    }
  }
  return n;
}

// Reads text known to be valid (copying its source).
sexp::Document ReadAll(const std::string& text) {
  sexp::ReadOptions options;
  options.max_size = text.size();
  return std::move(sexp::Read(text, options).value());
}

// The feed parsed once (copying its source) and its canonical text, shared
// by the writer and hash benchmarks.
struct ParsedFeed {
  sexp::Document doc;
  std::string canonical;
};
const ParsedFeed& Parsed() {
  static const ParsedFeed parsed = [] {
    sexp::Document doc = ReadAll(FeedSx());
    std::string canonical;
    sexp::StringSink sink(&canonical);
    for (const sexp::Node& r : doc.roots()) sexp::WriteCanonical(r, sink);
    return ParsedFeed{std::move(doc), std::move(canonical)};
  }();
  return parsed;
}

bool NeedFeed(benchmark::State& state, const std::string& feed, const char* env) {
  if (!feed.empty()) return true;
  state.SkipWithError((std::string(env) + " is not set; run scripts/bench.sh").c_str());
  return false;
}

// Reads `text` into a fresh document per iteration: bytes/s of input,
// nodes/s, and the arena's size relative to the input.
void ReadBench(benchmark::State& state, const std::string& text, const char* env) {
  if (!NeedFeed(state, text, env)) return;
  sexp::ReadOptions options;
  options.copy_source = false;  // measure parsing, not a memcpy of the input
  options.max_size = text.size();
  size_t nodes = 0, ast_bytes = 0;
  for (auto _ : state) {
    sexp::Result<sexp::Document> doc = sexp::Read(text, options);
    if (!doc.ok()) {
      state.SkipWithError(doc.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(doc->roots().data());
    if (nodes == 0) {
      for (const sexp::Node& r : doc->roots()) nodes += CountNodes(r);
      ast_bytes = doc->arena_stats().bytes_used;
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["nodes/s"] = benchmark::Counter(double(nodes) * double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["ast_bytes/input"] = double(ast_bytes) / double(text.size());
}

void BM_Read(benchmark::State& state) { ReadBench(state, FeedSx(), "SEXP_BENCH_FEED"); }
BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Read_Page(benchmark::State& state) { ReadBench(state, Page(), "SEXP_BENCH_PAGE"); }
BENCHMARK(BM_Read_Page)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Read_Table(benchmark::State& state) { ReadBench(state, Table(), "SEXP_BENCH_TABLE"); }
BENCHMARK(BM_Read_Table)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Simdjson_DOM(benchmark::State& state) {
  const std::string& json = FeedJson();
  if (!NeedFeed(state, json, "SEXP_BENCH_FEED_JSON")) return;
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc;
    auto error = parser.parse(padded).get(doc);
    if (error) {
      state.SkipWithError(simdjson::error_message(error));
      return;
    }
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(json.size()));
}
BENCHMARK(BM_Simdjson_DOM)->Unit(benchmark::kMillisecond)->UseRealTime();

// Canonical writer into a reused string: bytes/s of output, nodes/s.
void CanonicalBench(benchmark::State& state, const sexp::Document& doc) {
  std::string out;
  size_t nodes = 0;
  for (const sexp::Node& r : doc.roots()) nodes += CountNodes(r);
  for (auto _ : state) {
    out.clear();
    sexp::StringSink sink(&out);
    for (const sexp::Node& r : doc.roots()) sexp::WriteCanonical(r, sink);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
  state.counters["nodes/s"] = benchmark::Counter(double(nodes) * double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void BM_Canonical(benchmark::State& state) {
  if (!NeedFeed(state, FeedSx(), "SEXP_BENCH_FEED")) return;
  CanonicalBench(state, Parsed().doc);
}
BENCHMARK(BM_Canonical)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Canonical_Page(benchmark::State& state) {
  if (!NeedFeed(state, Page(), "SEXP_BENCH_PAGE")) return;
  CanonicalBench(state, ReadAll(Page()));
}
BENCHMARK(BM_Canonical_Page)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Canonical_Table(benchmark::State& state) {
  if (!NeedFeed(state, Table(), "SEXP_BENCH_TABLE")) return;
  CanonicalBench(state, ReadAll(Table()));
}
BENCHMARK(BM_Canonical_Table)->Unit(benchmark::kMillisecond)->UseRealTime();

// Content hash of the parsed document (canonical writer streamed into
// SHA3-256) next to OpenSSL SHA3-256 alone over the same canonical bytes.
void BM_HashNode(benchmark::State& state) {
  if (!NeedFeed(state, FeedSx(), "SEXP_BENCH_FEED")) return;
  const sexp::Node& root = Parsed().doc.roots()[0];
  for (auto _ : state) benchmark::DoNotOptimize(sexp::HashNode(root));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(Parsed().canonical.size()));
}
BENCHMARK(BM_HashNode)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Sha3_OpenSSL(benchmark::State& state) {
  if (!NeedFeed(state, FeedSx(), "SEXP_BENCH_FEED")) return;
  const std::string& canonical = Parsed().canonical;
  for (auto _ : state) benchmark::DoNotOptimize(sexp::Sha3_256(canonical));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(canonical.size()));
}
BENCHMARK(BM_Sha3_OpenSSL)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same two back to back in each iteration, so a slow spell of the
// (shared) host slows both: `ratio` is HashNode's rate over SHA3's, from
// the summed times of the pairs.
void BM_HashNode_vs_Sha3(benchmark::State& state) {
  if (!NeedFeed(state, FeedSx(), "SEXP_BENCH_FEED")) return;
  const sexp::Node& root = Parsed().doc.roots()[0];
  const std::string& canonical = Parsed().canonical;
  std::chrono::duration<double> hash{0}, sha3{0};
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(sexp::HashNode(root));
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(sexp::Sha3_256(canonical));
    auto t2 = std::chrono::steady_clock::now();
    hash += t1 - t0;
    sha3 += t2 - t1;
  }
  state.counters["ratio"] = sha3.count() / hash.count();
  state.counters["hash_ms"] = 1e3 * hash.count() / double(state.iterations());
  state.counters["sha3_ms"] = 1e3 * sha3.count() / double(state.iterations());
}
BENCHMARK(BM_HashNode_vs_Sha3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
