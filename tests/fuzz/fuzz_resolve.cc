// libFuzzer target: programs evaluated inside a resolution (sexp/web/resolver.h),
// where I/O calls raise `pending` and evaluation goes on past them in call
// arguments, element children and map/filter items.
//
// Each input is the body of a page `(fn () (do INPUT))` in an environment
// with the pure groups and three services: `q` answers `(got ARGS…)` (so
// results feed new requests), or fails for a negative first argument; `r`
// answers a small int; `query` answers as `q` does, so that the I/O forms
// with names, (query svc name :k v), are reached; `cached` (DefineSubtreeCache, a memory cache per
// input) renders components. Limits for the whole resolution as in
// fuzz_eval, at most 8 rounds.
//
// An input starting with a control byte is a hostile input (fuzz_hostile.h):
// the page builds a value with shared structure or nested up to 10^5 deep
// from the fuzzer's text, and passes it to services (request keys are its
// printed form), to `cached` (the subtree key and the rendered body) or
// through fuzz_eval's walks — under 200000 steps, depth 200, 8 MiB and 1 s
// for the whole resolution.
//
// Invariants (any violation traps):
//   - the resolution ends with a value or an error of a documented code —
//     never a `pending` error (a pending request with nothing to wait for),
//     a crash, a hang or a sanitizer report;
//   - every round but the last handed out at least one request, no request
//     twice (the memo), and the rounds stay within the limit;
//   - it ends within its timeout (plus slack) and holds a heap within a
//     bounded multiple of max_bytes (fuzz_hostile.h's Watch);
//   - the environment still works afterwards.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_hostile.h"
#include "sexp/cache/cache.h"
#include "sexp/eval/eval.h"
#include "sexp/web/resolver.h"

namespace {

// Walks that hand the value to services and to `cached`, then fuzz_eval's.
const std::vector<std::string>& HostileWalks() {
  static const std::vector<std::string> walks = sexp_fuzz::Walks({
      "(q v)",
      "(q v w)",
      "(list (q v) (q w))",
      "(r (hb))",
      "(map (fn (i) (q i v)) (range 3))",
      "(q (str v))",
      "(q {:a v :b (list w)})",
      "(q (hq))",
      "(let [x (q v)] (list x (q x)))",
      "(cached \"~hc\" :x v)",
      "(div (q 1) (cached \"~hc\" :x w))",
      "(div (cached \"~hc\" :x (q v)))",
      "(try (q -1 v) (catch e (:message e)))",
      "(div :class v (q w))",
  });
  return walks;
}

constexpr std::string_view kHostileHarness = R"sx(
(defcomp ~hc (&key x) (div :class "h" x (r 1) (hb)))
)sx";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp::Environment env(sexp::kGroupPure | sexp::kGroupIo);
  sexp::DefineService(env, "q");
  sexp::DefineService(env, "r");
  sexp::DefineService(env, "query");  // answered as q is; reached by the named forms
  std::vector<std::unique_ptr<sexp::CacheTier>> tiers;
  tiers.push_back(std::make_unique<sexp::MemoryTier>(size_t{64} << 20));
  sexp::TieredCache cache(std::move(tiers));
  sexp::DefineSubtreeCache(env, &cache);
  FUZZ_CHECK(env.Eval("(define (fuzz-probe) (list 1 :two))").ok());

  sexp_fuzz::Hostile hostile = sexp_fuzz::ParseHostile(data, size, HostileWalks());
  sexp::EvalLimits limits;
  std::string body;
  std::string what;
  if (hostile.on) {
    FUZZ_CHECK(env.Eval(kHostileHarness, "hostile.sx").ok());
    if (!sexp_fuzz::SetUpHostile(env, hostile, /*resolution=*/true)) return 0;
    limits = sexp_fuzz::HostileLimits();
    body = sexp_fuzz::HostileProgram(hostile);
    what = sexp_fuzz::Describe(hostile);
    text = hostile.text;  // for the probe's condition below
  } else {
    limits.max_steps = 20000;
    limits.max_depth = 200;
    limits.max_bytes = 8u << 20;
    limits.timeout = std::chrono::milliseconds(2000);
    body = std::string(text);
    what = body;
  }
  sexp::EvalResult page = env.Eval("(fn () (do " + body + "\n))", "fuzz.sx", limits);
  if (!page.ok()) return 0;  // not a program

  constexpr uint32_t kRounds = 8;
  sexp_fuzz::Watch watch(limits);
  sexp::Resolution res(env, page.value(), limits, kRounds);
  std::set<std::string> asked;
  uint32_t rounds = 0;
  while (!res.Step()) {
    ++rounds;
    FUZZ_CHECK(rounds < kRounds);
    FUZZ_CHECK(!res.batches().empty());
    for (const sexp::IoBatch& b : res.batches()) {
      FUZZ_CHECK(!b.requests.empty());
      for (const sexp::IoRequest& q : b.requests) {
        FUZZ_CHECK(asked.insert(q.key).second);  // never handed out twice
        if (b.service == "r") {
          res.SupplyText(q.id, std::to_string(q.id % 7));
        } else if (q.args.size() > 0 && q.args[0].is_int() && q.args[0].as_int() < 0) {
          res.Fail(q.id, "negative");
        } else {
          // The harness's own printing is bounded like the key's was.
          sexp::Budget budget(limits);
          std::string out = "(got";
          for (const sexp::Value& v : q.args.items()) {
            if (v.is_callable()) continue;  // prints as #<…>: not data
            out += " " + sexp::ToText(v, budget);
          }
          if (budget.exhausted()) {
            res.Fail(q.id, "too big to answer");
          } else {
            res.SupplyText(q.id, out + ")");  // may not read back: a failed request
          }
        }
      }
    }
  }
  watch.Check(what, "the resolution");
  const sexp::EvalResult& r = res.result();
  sexp_fuzz::Report(what, r, "the resolution");
  if (!r.ok()) {
    sexp_fuzz::CheckErrorCode(r.error(), what, /*resolution=*/true);
  } else {
    sexp::Budget budget(limits);
    FUZZ_CHECK(sexp::ValuesEqual(r.value(), r.value(), budget) || budget.exhausted());
  }
  FUZZ_CHECK(res.stats().rounds == rounds + 1);
  if (text.find("fuzz-probe") == std::string_view::npos &&
      text.find("list") == std::string_view::npos) {
    sexp::EvalResult probe = env.Eval("(fuzz-probe)");
    FUZZ_CHECK(probe.ok());
  }
  return 0;
}
