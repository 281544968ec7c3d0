// Shared by the evaluating fuzz targets (fuzz_eval, fuzz_render,
// fuzz_resolve): hostile programs — shared structure and deep values, walked
// every way the library walks a value — and the checks that an evaluation
// stays within its limits in reality (wall time, heap), not only by its own
// account (issue 20: every walk of a value is charged to one sexp::Budget).
//
// An input whose first byte is a control byte no sx text starts with
// (IsHostileMarker: 0x01-0x08, 0x0e-0x1f) is a hostile input:
//
//   byte 0  marker
//   byte 1  the builder: which value to build (kBuilders)
//   byte 2  the walk: what to do with it (the target's list of walks)
//   byte 3  size: dag levels n = b % 61, nesting N = b * 390 (up to 99450),
//           doublings s = b % 24
//   byte 4  count: K = 1 + b * 390 (list lengths, up to 99451)
//   rest    the fuzzer's own text X
//
// X runs first, as a program of its own (it may define functions and use the
// prelude's `dag`, `deep`, `dbl`); its value becomes the leaf the builders
// build from (`leaf`), or, when it fails, its text does (a string, for the
// string walks). Then `hb` is defined to build the value, and the globals v
// and w are each defined as `(hb)` (equal but not the same object, so
// equality has to walk them), and the target evaluates the walk, which uses
// v and w, and may call the macros `hm` (the value as code), `hq` (as a
// quoted datum) and `hs` (printed at expansion). X, each build and the walk
// are separate evaluations, each under HostileLimits(); the builders take
// their lengths from `ints`, a list made by the prelude, so that building
// 10^5 levels costs 2 steps a level and the walk still has its own budget.
//
// SEXP_FUZZ_VERBOSE=1 in the environment prints each program a target runs
// and how it ended, e.g. to see what a reproducer does:
//   SEXP_FUZZ_VERBOSE=1 build-fuzz/tests/fuzz/fuzz_eval crash-<sha1>
#ifndef SEXP_TESTS_FUZZ_FUZZ_HOSTILE_H_
#define SEXP_TESTS_FUZZ_FUZZ_HOSTILE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "sexp/eval/eval.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/allocator_interface.h>
#ifndef SEXP_FUZZ_NO_HEAP_WATCH
#define SEXP_FUZZ_HEAP_WATCH 1
#endif
#endif
#endif

namespace sexp_fuzz {

// --- limits -------------------------------------------------------------------

// The hostile programs' limits: small enough that every one ends quickly.
inline sexp::EvalLimits HostileLimits() {
  sexp::EvalLimits limits;
  limits.max_steps = 200000;
  limits.max_depth = 200;
  limits.max_bytes = 8u << 20;
  limits.timeout = std::chrono::milliseconds(1000);
  return limits;
}

// An evaluation may overrun its timeout by this much (the clock is read
// about every thousand steps; sanitizers slow everything) before the target
// calls it a hang.
constexpr std::chrono::milliseconds kTimeSlack{4000};

// The heap an evaluation may hold at its peak beyond what it started with:
// this many times max_bytes, plus a constant for the machinery (compiled
// code, the stacks of iterative walks). Measured under ASan only, through
// its malloc/free hooks (the bytes asked for: redzones and quarantine are
// not counted); -DSEXP_FUZZ_NO_HEAP_WATCH turns it off.
constexpr uint64_t kHeapFactor = 16;
constexpr uint64_t kHeapSlack = uint64_t{64} << 20;

// --- the heap high-water mark ---------------------------------------------------

#ifdef SEXP_FUZZ_HEAP_WATCH
inline std::atomic<int64_t> g_heap_live{0};
inline std::atomic<int64_t> g_heap_peak{0};

inline void HeapMallocHook(const volatile void*, size_t size) {
  int64_t live = g_heap_live.fetch_add(static_cast<int64_t>(size), std::memory_order_relaxed) +
                 static_cast<int64_t>(size);
  int64_t peak = g_heap_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_heap_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}
inline void HeapFreeHook(const volatile void* p) {
  if (p == nullptr) return;
  g_heap_live.fetch_sub(static_cast<int64_t>(__sanitizer_get_allocated_size(p)),
                        std::memory_order_relaxed);
}
#endif

// With SEXP_FUZZ_VERBOSE set in the environment, the targets print each
// program they run and how it ended (to see what a reproducer does).
inline bool Verbose() {
  static const bool verbose = std::getenv("SEXP_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

// Measures one evaluation: wall time and (under ASan) the heap's high-water
// mark above where it started. Check() traps when either is beyond what the
// limits allow, printing `what` (the program) so the report names the input.
class Watch {
 public:
  explicit Watch(const sexp::EvalLimits& limits) : limits_(limits) {
#ifdef SEXP_FUZZ_HEAP_WATCH
    static const bool installed =
        __sanitizer_install_malloc_and_free_hooks(HeapMallocHook, HeapFreeHook) != 0;
    installed_ = installed;
    start_heap_ = g_heap_live.load(std::memory_order_relaxed);
    g_heap_peak.store(start_heap_, std::memory_order_relaxed);
#endif
    start_ = std::chrono::steady_clock::now();
  }

  void Check(std::string_view what, std::string_view where) const {
    auto took = std::chrono::steady_clock::now() - start_;
    auto allowed = limits_.timeout + kTimeSlack;
    if (limits_.timeout.count() > 0 && took > allowed) {
      std::fprintf(stderr, "%.*s: took %lld ms, over its timeout of %lld ms (+%lld slack):\n%.*s\n",
                   static_cast<int>(where.size()), where.data(),
                   static_cast<long long>(
                       std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
                   static_cast<long long>(limits_.timeout.count()),
                   static_cast<long long>(kTimeSlack.count()), static_cast<int>(what.size()),
                   what.data());
    }
    FUZZ_CHECK(limits_.timeout.count() == 0 || took <= allowed);
#ifdef SEXP_FUZZ_HEAP_WATCH
    if (!installed_) return;
    int64_t grew = g_heap_peak.load(std::memory_order_relaxed) - start_heap_;
    if (Verbose()) {
      std::fprintf(stderr, "--- %.*s: %lld ms, heap peak +%lld KiB\n", static_cast<int>(where.size()),
                   where.data(),
                   static_cast<long long>(
                       std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
                   static_cast<long long>(grew / 1024));
    }
    uint64_t heap_allowed = kHeapFactor * limits_.max_bytes + kHeapSlack;
    if (grew > 0 && static_cast<uint64_t>(grew) > heap_allowed) {
      std::fprintf(stderr, "%.*s: the heap grew by %lld bytes at its peak, over %llu (max_bytes %llu):\n%.*s\n",
                   static_cast<int>(where.size()), where.data(), static_cast<long long>(grew),
                   static_cast<unsigned long long>(heap_allowed),
                   static_cast<unsigned long long>(limits_.max_bytes),
                   static_cast<int>(what.size()), what.data());
    }
    FUZZ_CHECK(grew <= 0 || static_cast<uint64_t>(grew) <= heap_allowed);
#endif
  }

 private:
  sexp::EvalLimits limits_;
  std::chrono::steady_clock::time_point start_;
#ifdef SEXP_FUZZ_HEAP_WATCH
  bool installed_ = false;
  int64_t start_heap_ = 0;
#endif
};

inline void Report(std::string_view what, const sexp::EvalResult& r, std::string_view where) {
  if (!Verbose()) return;
  static auto last = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count();
  last = now;
  std::string shown;
  if (!r.ok()) {
    shown = r.error().ToString();
  } else {
    sexp::EvalLimits small;
    small.max_steps = 100000;
    small.max_bytes = 1u << 20;
    sexp::Budget budget(small);
    std::string text = sexp::ToText(r.value(), budget);
    shown = "ok: " + (budget.exhausted() ? "(too big to print)" : text.substr(0, 300));
  }
  std::fprintf(stderr, "--- %.*s (%lld ms since the last report)\n%.*s\n=> %s\n",
               static_cast<int>(where.size()), where.data(), ms, static_cast<int>(what.size()),
               what.data(), shown.substr(0, 500).c_str());
}

// --- error codes ------------------------------------------------------------

inline bool IsLimitCode(std::string_view code) {
  return code == "step-limit" || code == "depth-limit" || code == "memory-limit" ||
         code == "timeout" || code == "interrupted" || code == "round-limit";
}

// A documented code (spec/evaluation.md, "Errors"); `pending` is not one an
// evaluation may end with, and `io` and `round-limit` only a resolution's.
inline bool IsKnownCode(std::string_view code, bool resolution) {
  for (std::string_view c :
       {"syntax", "unbound", "not-callable", "arity", "type", "unknown-key", "overflow",
        "division-by-zero", "index", "user", "read", "render", "host"}) {
    if (code == c) return true;
  }
  if (code == "io" || code == "round-limit") return resolution;
  return IsLimitCode(code);
}

// Traps unless `e` has a known code, a message, and is_limit() agreeing
// with its code.
inline void CheckErrorCode(const sexp::EvalError& e, std::string_view what,
                           bool resolution = false) {
  std::string code(sexp::EvalErrorCodeName(e.code));
  bool known = IsKnownCode(code, resolution);
  if (!known || e.message.empty() || e.is_limit() != IsLimitCode(code)) {
    std::fprintf(stderr, "bad error %s (is_limit %d): %s\nfrom: %.*s\n", code.c_str(),
                 e.is_limit(), e.message.c_str(), static_cast<int>(what.size()), what.data());
  }
  FUZZ_CHECK(known);
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.is_limit() == IsLimitCode(code));
}

// --- bounded walks for the harness's own checks -----------------------------

// Whether v is plain data (no callables) no deeper than `max_depth`, looking
// at no more than `max_nodes` nodes: `known` is false when the walk gave up
// (shared structure reaches 2^60 nodes from 60 lists).
struct DataCheck {
  bool data = true;
  bool known = true;
};
inline DataCheck CheckData(const sexp::Value& root, size_t max_depth = 200,
                           size_t max_nodes = 200000) {
  std::vector<std::pair<const sexp::Value*, size_t>> todo{{&root, 0}};
  size_t seen = 0;
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (++seen > max_nodes) return {false, false};
    if (v->is_callable()) return {false, true};
    if (v->is_list() || v->is_dict()) {
      if (depth >= max_depth) return {false, false};  // the reader's depth limit, not a bug
      for (const sexp::Value& x : v->items()) todo.emplace_back(&x, depth + 1);
    }
  }
  return {true, true};
}

// --- the hostile programs ---------------------------------------------------

inline bool IsHostileMarker(uint8_t b) { return b >= 0x01 && b < 0x20 && !(b >= 0x09 && b <= 0x0d); }

// Definitions every hostile program may use (evaluated without limits: they
// only define).
constexpr std::string_view kHostilePrelude = R"sx(
(define leaf 1)
(define ints (range 100000))
(define (dag n) (if (= n 0) (list leaf) (let [d (dag (- n 1))] (list d d))))
(define (deep n) (reduce (fn (acc x) (list acc)) leaf (take n ints)))
(define (dbl s n) (if (= n 0) s (dbl (str s s) (- n 1))))
(defmacro hm () (hb))
(defmacro hq () (list 'quote (hb)))
(defmacro hs () (str (hb)))
)sx";

// The values to build, from `leaf`: {{n}} dag levels, {{N}} nesting,
// {{s}} doublings, {{K}} a count.
constexpr std::string_view kBuilders[] = {
    // 2^n nodes from n lists
    "(dag {{n}})",
    // nested N deep
    "(deep {{N}})",
    // both: each of N levels holds the one below twice
    "(reduce (fn (acc x) (list acc acc)) leaf (take {{N}} ints))",
    // a dict dag
    "(reduce (fn (acc x) {:a acc :b acc}) leaf (range {{n}}))",
    // a dag at the bottom of a deep value
    "(reduce (fn (acc x) (list acc)) (dag {{n}}) (take {{N}} ints))",
    // K references to one dag
    "(let [d (dag {{n}})] (map (fn (i) d) (take {{K}} ints)))",
    // a string of 2^s copies of the leaf's text
    "(dbl (str leaf) {{s}})",
    // K references to one big string
    "(let [s (dbl (str \"a\" leaf) {{s}})] (map (fn (i) s) (take {{K}} ints)))",
    // an element dag (div :class … children), for the renderer
    "(reduce (fn (acc x) (list 'div :class acc acc)) leaf (range {{n}}))",
    // a deep element
    "(reduce (fn (acc x) (list 'span acc)) leaf (take {{N}} ints))",
    // splices: each level one longer, every item shared
    "(reduce (fn (acc x) `(,acc ,@acc)) (list leaf) (range {{n}}))",
    // a deep dict
    "(reduce (fn (acc x) {:a acc}) leaf (take {{N}} ints))",
    // nested pairs (acc i), a step a level
    "(reduce list leaf (take {{N}} ints))",
    // K distinct small lists around the leaf
    "(map (fn (i) (list i leaf)) (take {{K}} ints))",
    // the leaf itself
    "leaf",
};

// Walks every target runs (as a program; fuzz_render renders them as children
// too): v and w are the value built twice, K the count.
constexpr std::string_view kEvalWalks[] = {
    "(= v w)",
    "(!= v w)",
    "(= {:a v :b (list v)} {:a w :b (list w)})",
    "(str v)",
    "(format \"{} {}\" v w)",
    "(join \"\" (list v w))",
    "(join \",\" (map (fn (i) v) (range {{K}})))",
    "(let [s (str v)] (sort (map (fn (i) s) (take {{K}} ints))))",
    "(sort-by (fn (x) (str x)) (list v w))",
    "(sort (list v w))",
    "(let [s (str v)] (replace s \"(\" s))",
    "(let [s (str v)] (replace s \"a\" s))",
    "(contains? (list 1 v \"x\") w)",
    "(let [s (str v) t (str w)] (list (contains? s t) (starts-with? s t) (ends-with? s t)))",
    "(case v 1 :one (2 \"x\") :two :else (case w (nil) :nil :else (list v w)))",
    "(hm)",
    "(hq)",
    "(hs)",
    "(= (hq) v)",
    "(try (error v w) (catch e (:message e)))",
    "(try (error v) (catch e (count (:message e))))",
    "(apply str (map (fn (i) v) (take {{K}} ints)))",
    "(apply concat (map (fn (i) v) (take {{K}} ints)))",
    "(count (str v))",
    "(string-length (format \"{}\" (list v w)))",
    "(split (str v) \"(\")",
    "(keyword (str v))",
    "(symbol (str v))",
    "`(,v ,@v ,w)",
    "(reverse (cons v w))",
    "(merge {:a v} {:b w} (dict \"c\" v))",
    "(get (dict \"k\" v) \"k\")",
    "(map (fn (x) (= x w)) (list v v v))",
    "(filter (fn (x) (= x v)) (list w w))",
    "(reduce (fn (acc x) (if (= acc x) acc x)) v (list w v))",
    "(type-of v)",
    "(count (map (fn (x) x) v))",
    "(first (sort-by (fn (x) (count (str x))) (map (fn (i) v) (range 3))))",
    "(apply = (map (fn (i) (hb)) (range 3)))",
    "(max (count (str v)) (count (str w)))",
    "(let [f (fn () v)] (list f (f)))",
    "v",
    "(list v w)",
    // String searches in a long text for a long needle that almost matches.
    "(let* [s (str v) t (str (substring s 0 (quot (count s) 2)) \"~\")] "
    "(list (contains? s t) (count (split s t)) (count (replace s t \"x\"))))",
    // Dict keys as long as the value's text, equal but for their last byte.
    "(let* [s (str v) d (dict (str s \"x\") 1) k (str s \"y\")] "
    "(apply dissoc d (map (fn (i) k) (take {{K}} ints))))",
    "(let* [s (str v) d (dict (str s \"x\") 1 (str s \"z\") 2) k (str s \"y\")] "
    "(count (filter (fn (i) (has-key? d k)) (take {{K}} ints))))",
};

// kEvalWalks as the list ParseHostile takes, with `extra` walks first.
inline std::vector<std::string> Walks(std::initializer_list<std::string_view> extra = {},
                                      std::string_view wrap_before = "",
                                      std::string_view wrap_after = "") {
  std::vector<std::string> out;
  for (std::string_view w : extra) out.emplace_back(w);
  for (std::string_view w : kEvalWalks) {
    out.push_back(std::string(wrap_before) + std::string(w) + std::string(wrap_after));
  }
  return out;
}

inline void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

struct Hostile {
  bool on = false;
  std::string_view text;  // the fuzzer's own text X
  std::string build;      // the builder's expression (the body of `hb`)
  std::string walk;       // the walk, using v and w
  std::string name;       // "builder #b walk #w n= N= s= K=", for messages
};

// Parses a hostile input (Hostile::on false when it is not one). `walks`
// is the target's list of walks.
inline Hostile ParseHostile(const uint8_t* data, size_t size, const std::vector<std::string>& walks) {
  Hostile h;
  if (size == 0 || !IsHostileMarker(data[0])) return h;
  auto at = [&](size_t i) -> uint8_t { return i < size ? data[i] : 0; };
  h.on = true;
  size_t b = at(1) % std::size(kBuilders);
  size_t w = at(2) % walks.size();
  uint32_t n = at(3) % 61, big_n = at(3) * 390u, s = at(3) % 24, k = 1 + at(4) * 390u;
  h.text = size > 5 ? std::string_view(reinterpret_cast<const char*>(data) + 5, size - 5)
                    : std::string_view();
  auto fill = [&](std::string t) {
    ReplaceAll(&t, "{{n}}", std::to_string(n));
    ReplaceAll(&t, "{{N}}", std::to_string(big_n));
    ReplaceAll(&t, "{{s}}", std::to_string(s));
    ReplaceAll(&t, "{{K}}", std::to_string(k));
    return t;
  };
  h.build = fill(std::string(kBuilders[b]));
  h.walk = fill(walks[w]);
  h.name = "builder #" + std::to_string(b) + " walk #" + std::to_string(w) +
           " n=" + std::to_string(n) + " N=" + std::to_string(big_n) + " s=" + std::to_string(s) +
           " K=" + std::to_string(k);
  return h;
}

// The program the target evaluates (or renders, or resolves).
inline std::string HostileProgram(const Hostile& h) { return h.walk; }

// The message naming a hostile input.
inline std::string Describe(const Hostile& h) {
  std::string x(h.text.substr(0, 200));
  return h.name + "\n(define (hb) " + h.build + ")\n(define v (hb))\n(define w (hb))\n" +
         HostileProgram(h) + "\nX = " + x + (h.text.size() > 200 ? "…" : "");
}

// `text` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by U+FFFD: a string value made by a host must be UTF-8 (an
// ill-formed one prints as #<unprintable …>, which is the host's fault).
inline std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
             : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (byte(i + k) & 0xc0) == 0x80;
    if (ok && n == 3) {  // no overlong forms, no surrogates
      ok = !(c == 0xe0 && byte(i + 1) < 0xa0) && !(c == 0xed && byte(i + 1) >= 0xa0);
    }
    if (ok && n == 4) {  // no overlong forms, nothing past U+10FFFF
      ok = !(c == 0xf0 && byte(i + 1) < 0x90) && !(c == 0xf4 && byte(i + 1) >= 0x90);
    }
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
  return out;
}

// Defines the prelude, runs X (its value or text becomes `leaf`), defines
// `hb` and builds v and w. Every evaluation is watched. False when v or w
// could not be built (a limit, or X rebound what the builder uses): the walk
// is then not run. `resolution`: env has I/O services (which fail with `io`
// outside a resolution).
inline bool SetUpHostile(sexp::Environment& env, const Hostile& h, bool resolution = false) {
  FUZZ_CHECK(env.Eval(kHostilePrelude, "hostile.sx").ok());
  const sexp::EvalLimits limits = HostileLimits();
  const std::string what = Describe(h);
  auto run = [&](std::string_view text, std::string_view file, std::string_view where) {
    Watch watch(limits);
    sexp::EvalResult r = env.Eval(text, file, limits);
    watch.Check(what, where);
    Report(what, r, where);
    if (!r.ok()) CheckErrorCode(r.error(), what, resolution);
    return r;
  };
  sexp::EvalResult x = run(h.text, "fuzz.sx", "X");
  env.DefineValue("leaf", x.ok() ? x.value() : env.String(ValidUtf8(h.text)));
  return run("(define (hb) " + h.build + ")", "hb.sx", "hb").ok() &&
         run("(define v (hb))", "v.sx", "building v").ok() &&
         run("(define w (hb))", "w.sx", "building w").ok();
}

}  // namespace sexp_fuzz

#endif  // SEXP_TESTS_FUZZ_FUZZ_HOSTILE_H_
