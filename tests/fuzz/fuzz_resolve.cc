// libFuzzer target: programs evaluated inside a resolution (sexp/web/resolver.h),
// where I/O calls raise `pending` and evaluation goes on past them in call
// arguments, element children and map/filter items.
//
// Each input is the body of a page `(fn () (do INPUT))` in an environment
// with the pure groups and two services: `q` answers `(got ARGS…)` (so
// results feed new requests), or fails for a negative first argument; `r`
// answers a small int. Limits per round as in fuzz_eval, at most 8 rounds.
//
// Invariants (any violation traps):
//   - the resolution ends with a value or an error of a documented code —
//     never a `pending` error (a pending request with nothing to wait for),
//     a crash, a hang or a sanitizer report;
//   - every round but the last handed out at least one request, no request
//     twice (the memo), and the rounds stay within the limit;
//   - the environment still works afterwards.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <set>
#include "fuzz_check.h"
#include "sexp/eval/eval.h"
#include "sexp/web/resolver.h"

namespace {

bool KnownCode(std::string_view code) {
  for (std::string_view c :
       {"syntax", "unbound", "not-callable", "arity", "type", "unknown-key", "overflow",
        "division-by-zero", "index", "user", "read", "step-limit", "depth-limit",
        "memory-limit", "timeout", "interrupted", "host", "render", "io", "round-limit"}) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp::Environment env(sexp::kGroupPure | sexp::kGroupIo);
  sexp::DefineService(env, "q");
  sexp::DefineService(env, "r");
  FUZZ_CHECK(env.Eval("(define (fuzz-probe) (list 1 :two))").ok());

  sexp::EvalLimits limits;
  limits.max_steps = 20000;
  limits.max_depth = 200;
  limits.max_bytes = 8u << 20;
  limits.timeout = std::chrono::milliseconds(2000);
  sexp::EvalResult page =
      env.Eval("(fn () (do " + std::string(text) + "\n))", "fuzz.sx", limits);
  if (!page.ok()) return 0;  // not a program

  constexpr uint32_t kRounds = 8;
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
          std::string out = "(got";
          for (const sexp::Value& v : q.args.items()) {
            if (v.is_callable()) continue;  // prints as #<…>: not data
            out += " " + sexp::ToText(v);
          }
          res.SupplyText(q.id, out + ")");  // may not read back: a failed request
        }
      }
    }
  }
  const sexp::EvalResult& r = res.result();
  if (!r.ok()) {
    std::string code(sexp::EvalErrorCodeName(r.error().code));
    if (!KnownCode(code)) std::fprintf(stderr, "code: %s\n", code.c_str());
    FUZZ_CHECK(KnownCode(code));
    FUZZ_CHECK(!r.error().message.empty());
  } else {
    FUZZ_CHECK(sexp::ValuesEqual(r.value(), r.value()));
  }
  FUZZ_CHECK(res.stats().rounds == rounds + 1);
  if (text.find("fuzz-probe") == std::string_view::npos &&
      text.find("list") == std::string_view::npos) {
    sexp::EvalResult probe = env.Eval("(fuzz-probe)");
    FUZZ_CHECK(probe.ok());
  }
  return 0;
}
