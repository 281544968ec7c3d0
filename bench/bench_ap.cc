// The ActivityStreams bridge (sexp::ap, spec/activitypub.md) over a
// Mastodon-style outbox page (bench/gen_outbox.py), beside its peers in the
// same run:
//   - JSON -> sx: sexp::ap::FromJson against simdjson's DOM parse of the
//     same text, and against Python's json.loads of the same bytes;
//   - sx -> JSON: sexp::ap::ToJson of that document, with "rose:sexpr"
//     (the default) and without, against Python's json.dumps of the object
//     json.loads made (compact, UTF-8, encoded to bytes).
// MB/s (MB = 10^6 bytes) are of the JSON input for the parses and of each
// writer's own output for the writes. Each figure is the median of --runs
// runs of about --seconds each; ours and simdjson's runs are interleaved so
// that the machine's drifts fall on both alike; Python's runs are made in one
// child process after ours. ratio = our MB/s / the peer's (above 1: ours is
// faster).
//
// Both peers are measured at their best: simdjson reuses one parser over a
// padded copy made beforehand, while FromJson pads its input and sets up its
// parser on every call, as a server handling one document would; json.loads
// and json.dumps run with the collector on (timeit turns it off) and the
// object being dumped frozen out of its sight.
//
//   bench_ap [--runs N] [--seconds S] [--activities N] [OUTBOX.json]
//
// Without OUTBOX.json the outbox is bench/gen_outbox.py's, of --activities
// activities (default 10000), written to a temporary file and removed at
// exit; scripts/bench.sh passes the one it keeps in build/bench-data.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sexp/ap/bridge.h"
#include "sexp/core/writer.h"
#include "simdjson.h"

#ifndef SEXP_GEN_OUTBOX
#error "SEXP_GEN_OUTBOX (the path of bench/gen_outbox.py) is set by bench/CMakeLists.txt"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPython = "/usr/bin/python3";

int g_runs = 9;
double g_seconds = 0.3;
// Results land here so that no timed call can be optimized away.
volatile size_t g_sink = 0;
// The generated outbox, removed at exit (also after a failed check).
std::string g_temp_path;

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "bench_ap: %s\n", what.c_str());
    std::exit(1);
  }
}

// Seconds per call of `fn` over one run of about g_seconds. A call of a
// whole outbox takes tens of milliseconds, so the clock is read after every
// call, and a run makes at least one.
double RunSeconds(const std::function<void()>& fn) {
  size_t n = 0;
  auto start = Clock::now();
  auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(g_seconds));
  Clock::time_point now;
  do {
    fn();
    ++n;
    now = Clock::now();
  } while (now < stop);
  return std::chrono::duration<double>(now - start).count() / double(n);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Medians of each of `fns`, their runs interleaved (see the top).
std::vector<double> Interleaved(const std::vector<std::function<void()>>& fns) {
  std::vector<std::vector<double>> times(fns.size());
  for (int r = 0; r < g_runs; ++r) {
    for (size_t i = 0; i < fns.size(); ++i) times[i].push_back(RunSeconds(fns[i]));
  }
  std::vector<double> medians;
  for (const auto& t : times) medians.push_back(Median(t));
  return medians;
}

// `s` as one word for /bin/sh (quoted only when it has to be, so that the
// command printed reads as typed).
std::string ShellQuote(const std::string& s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_./=:,+-@%", c) != nullptr;
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Check(in.good(), "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Python's peers, timed by timeit in one child process: prints the median
// seconds of one json.loads of the file's bytes, of one json.dumps (compact,
// UTF-8 bytes, as ToJson writes) of the loaded object, and the size of that
// output. json.loads of bytes decodes them, as FromJson validates its UTF-8.
// No single quotes inside: it is passed through the shell as one word.
constexpr const char* kPythonPeers = R"PY(
import gc, json, statistics, sys, timeit
path, runs, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = open(path, "rb").read()
obj = json.loads(data)
def dumps():
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
out = dumps()
# The object kept for dumps would otherwise be rescanned by every full
# collection that the garbage of json.loads triggers.
gc.freeze()
# timeit turns the collector off; a parser making a tree of objects pays
# for it in real use.
timers = [timeit.Timer(f, setup="gc.enable()") for f in (lambda: json.loads(data), dumps)]
# Calls per run, from one untimed call each: about `seconds` a run.
numbers = [max(1, round(seconds / t.timeit(1))) for t in timers]
times = [[], []]
for _ in range(runs):
    for i, (t, n) in enumerate(zip(timers, numbers)):
        times[i].append(t.timeit(n) / n)
print(statistics.median(times[0]), statistics.median(times[1]), len(out))
)PY";

struct PythonFigures {
  double loads_s = 0, dumps_s = 0;
  size_t dumps_bytes = 0;
};

PythonFigures RunPython(const std::string& path) {
  std::string cmd = std::string(kPython) + " -c " + ShellQuote(kPythonPeers) + " " +
                    ShellQuote(path) + " " + std::to_string(g_runs) + " " + std::to_string(g_seconds);
  FILE* pipe = popen(cmd.c_str(), "r");
  Check(pipe != nullptr, "cannot run " + std::string(kPython));
  PythonFigures f;
  int got = std::fscanf(pipe, "%lf %lf %zu", &f.loads_s, &f.dumps_s, &f.dumps_bytes);
  int status = pclose(pipe);
  Check(got == 3 && status == 0, "the Python peers (json.loads, json.dumps) failed");
  return f;
}

// The activities of the outbox page `root` ((OrderedCollectionPage …
// :ordered-items (…) …)), counted by type.
std::map<std::string, size_t> CountActivities(const sexp::Node& root) {
  std::map<std::string, size_t> by_type;
  if (!root.is_list()) return by_type;
  auto items = root.items();
  for (size_t i = 1; i + 1 < items.size(); ++i) {
    if (!items[i].is_keyword() || items[i].name() != "ordered-items" || !items[i + 1].is_list()) continue;
    for (const sexp::Node& a : items[i + 1].items()) {
      bool typed = a.is_list() && a.size() > 0 && a[0].is_symbol();
      ++by_type[typed ? std::string(a[0].name()) : "(untyped)"];
    }
  }
  return by_type;
}

double Mb(size_t bytes) { return double(bytes) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int activities = 10000;
  for (int i = 1; i < argc; ++i) {
    bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--runs") == 0 && has_value) {
      g_runs = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--seconds") == 0 && has_value) {
      g_seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--activities") == 0 && has_value) {
      activities = std::max(0, std::atoi(argv[++i]));
    } else if (argv[i][0] != '-' && path.empty()) {
      path = argv[i];
    } else {
      std::fprintf(stderr, "usage: bench_ap [--runs N] [--seconds S] [--activities N] [OUTBOX.json]\n");
      return 2;
    }
  }
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += " " + ShellQuote(argv[i]);
  std::printf("command: %s\n", command.c_str());

  if (path.empty()) {
    g_temp_path = (std::filesystem::temp_directory_path() /
                   ("bench_ap-" + std::to_string(getpid()) + ".json")).string();
    std::atexit([] { std::remove(g_temp_path.c_str()); });
    std::string gen = std::string(kPython) + " " + ShellQuote(SEXP_GEN_OUTBOX) + " -n " +
                      std::to_string(activities) + " " + ShellQuote(g_temp_path);
    std::printf("input:   %s\n", gen.c_str());
    std::fflush(stdout);
    Check(std::system(gen.c_str()) == 0, "gen_outbox.py failed");
    path = g_temp_path;
  } else {
    std::printf("input:   %s\n", path.c_str());
  }
  const std::string json = Slurp(path);

  // Correctness first: the document converts, and what ToJson makes of it
  // is JSON holding the same activities.
  sexp::ap::FromJsonOptions from;
  from.max_bytes = std::max(from.max_bytes, json.size());
  sexp::ap::FromJsonStats stats;
  sexp::Result<sexp::Document> doc = sexp::ap::FromJson(json, from, &stats);
  Check(doc.ok(), "FromJson failed: " + (doc.ok() ? std::string() : doc.error().ToString()));
  const sexp::Node& root = doc->roots()[0];
  std::map<std::string, size_t> by_type = CountActivities(root);
  size_t count = 0;
  for (const auto& [type, n] : by_type) count += n;
  sexp::Result<std::string> canonical = sexp::Canonical(root);
  Check(canonical.ok(), "Canonical failed");

  sexp::ap::ToJsonOptions plain;  // exactly what the sx holds
  plain.max_output_bytes = std::max(plain.max_output_bytes, 4 * json.size());
  plain.write_sexpr = false;
  plain.default_context = false;
  sexp::Result<std::string> back = sexp::ap::ToJson(root, plain);
  Check(back.ok(), "ToJson failed: " + (back.ok() ? std::string() : back.error().ToString()));
  simdjson::padded_string back_padded(*back);
  simdjson::dom::parser checker;
  simdjson::dom::array items;
  auto error = checker.parse(back_padded)["orderedItems"].get_array().get(items);
  Check(!error, std::string("ToJson's output does not parse as an outbox: ") + simdjson::error_message(error));
  Check(items.size() == count, "ToJson's output holds " + std::to_string(items.size()) +
                                   " activities, not " + std::to_string(count));

  // The defaults, but for the output limit, raised with the input as
  // max_bytes is (the output holds the content twice with rose:sexpr).
  sexp::ap::ToJsonOptions with_sexpr;
  with_sexpr.max_output_bytes = std::max(with_sexpr.max_output_bytes, 4 * json.size());
  sexp::ap::ToJsonOptions without_sexpr = with_sexpr;
  without_sexpr.write_sexpr = false;
  sexp::Result<std::string> out_with = sexp::ap::ToJson(root, with_sexpr);
  sexp::Result<std::string> out_without = sexp::ap::ToJson(root, without_sexpr);
  Check(out_with.ok() && out_without.ok(), "ToJson (timed options) failed");

  std::string by_type_text;
  for (const auto& [type, n] : by_type) {
    by_type_text += (by_type_text.empty() ? "" : ", ") + std::to_string(n) + " " + type;
  }
  std::printf("outbox:  %zu activities (%s); JSON %zu bytes (%.2f MB), sx canonical %zu bytes (%.2fx)\n",
              count, by_type_text.c_str(), json.size(), Mb(json.size()), canonical->size(),
              double(canonical->size()) / double(json.size()));
  std::printf("FromJsonStats: %zu objects, %zu contents (%zu from rose:sexpr, %zu rejected), "
              "%zu public aliases merged\n",
              stats.objects, stats.contents, stats.sexpr_contents, stats.sexpr_rejected,
              stats.public_aliases_merged);
  std::printf("  sanitized: %zu elements dropped, %zu unwrapped, %zu attributes dropped, %zu unsafe URLs\n",
              stats.dropped_elements, stats.unwrapped_elements, stats.dropped_attributes,
              stats.unsafe_urls);
  std::printf("ToJson output: %zu bytes with rose:sexpr, %zu without\n", out_with->size(),
              out_without->size());

  // The timed runs.
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  std::vector<double> t = Interleaved({
      [&] {
        sexp::Result<sexp::Document> d = sexp::ap::FromJson(json, from);
        Check(d.ok(), "FromJson failed");
        g_sink = g_sink + d->roots().size();
      },
      [&] {
        simdjson::dom::element e;
        Check(!parser.parse(padded).get(e), "simdjson failed");
        g_sink = g_sink + size_t(e.type());
      },
      [&] {
        sexp::Result<std::string> s = sexp::ap::ToJson(root, with_sexpr);
        Check(s.ok(), "ToJson failed");
        g_sink = g_sink + s->size();
      },
      [&] {
        sexp::Result<std::string> s = sexp::ap::ToJson(root, without_sexpr);
        Check(s.ok(), "ToJson failed");
        g_sink = g_sink + s->size();
      },
  });
  double from_s = t[0], simd_s = t[1], with_s = t[2], without_s = t[3];
  PythonFigures py = RunPython(path);

  auto rate = [](size_t bytes, double s) { return Mb(bytes) / s; };
  double from_r = rate(json.size(), from_s), simd_r = rate(json.size(), simd_s);
  double loads_r = rate(json.size(), py.loads_s);
  double with_r = rate(out_with->size(), with_s), without_r = rate(out_without->size(), without_s);
  double dumps_r = rate(py.dumps_bytes, py.dumps_s);
  auto row = [](const char* what, double mbps, double s) {
    std::printf("%-48s %9.1f MB/s %9.2f ms\n", what, mbps, s * 1e3);
  };
  auto ratio = [](const char* what, double r) { std::printf("%-48s %9.2f\n", what, r); };
  std::printf("\nmedians of %d runs of ~%.2f s; MB = 10^6 bytes; ratio = our MB/s / peer's\n", g_runs,
              g_seconds);
  std::printf("JSON -> sx (MB/s of the JSON input)\n");
  row("  sexp::ap::FromJson", from_r, from_s);
  row("  peer: simdjson DOM parse", simd_r, simd_s);
  ratio("  ratio ours/simdjson", from_r / simd_r);
  row("  peer: Python json.loads (bytes)", loads_r, py.loads_s);
  ratio("  ratio ours/json.loads", from_r / loads_r);
  std::printf("sx -> JSON (MB/s of each one's own output)\n");
  row("  sexp::ap::ToJson, write_sexpr=true", with_r, with_s);
  row("  sexp::ap::ToJson, write_sexpr=false", without_r, without_s);
  row("  peer: Python json.dumps (compact, UTF-8)", dumps_r, py.dumps_s);
  ratio("  ratio ours/json.dumps, write_sexpr=true", with_r / dumps_r);
  ratio("  ratio ours/json.dumps, write_sexpr=false", without_r / dumps_r);
  return 0;
}
