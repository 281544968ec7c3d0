// sexp/web/resolver.h — batched I/O for sx pages (spec/resolver.md).
//
// An I/O primitive (`query`, `frag`, `action`, `current-user`, anything the
// host names) does not run while the page is evaluated: its call records a
// request and the evaluation cannot go past it. A Resolution evaluates the
// page, collects every request the page reached — all independent ones,
// because a pending request stops only the computation that needs its
// value (the sibling arguments of a call, the other items of a `map`, the
// other children of an element are still evaluated) — hands them to the host
// deduplicated and grouped by service, and evaluates again with the results.
// Rounds = the depth of the data-dependency chain, not the number of calls.
//
//   sexp::DefineService(env, "query");                 // once per environment
//   sexp::Value page = *env.Eval("(fn () (ul (map (fn (id) (li (query \"user\" id))) (list 1 2 3))))");
//   sexp::Resolution r(env, page);
//   while (!r.Step()) {                                 // one round
//     for (const sexp::IoBatch& b : r.batches())        // here: 1 batch of 3
//       for (const sexp::IoRequest& q : b.requests) r.SupplyText(q.id, Fetch(q));
//   }
//   Render(r.result());
//
// Or let Resolve() drive the rounds with one async fetcher per service.
// Hosts in Python use the same rounds through `await env.resolve(...)`.
//
// Replay. Each round evaluates the page again from the start; requests that
// have their results answer at once (memoized by the request's printed form),
// so every request — an `action` included — is made once per resolution.
// Code between I/O calls therefore runs once per round: it must be free of
// side effects other than through I/O primitives (sx code is, unless it
// rebinds globals).
#ifndef SEXP_WEB_RESOLVER_H_
#define SEXP_WEB_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sexp/core/ast.h"
#include "sexp/cache/cache.h"
#include "sexp/eval/eval.h"
#include "sexp/web/router.h"  // registers the I/O forms with names (query blog post :k v)

namespace sexp {

// Makes `name` an I/O primitive of `env` (any number of arguments). Called
// outside a Resolution it fails with an `io` error.
void DefineService(Environment& env, std::string_view name);

// Defines `(cached "~component" arg…)` in `env`: the HTML of the global
// ~component called with the arguments, from `cache` under the subtree key
// of the call `(~component arg…)` (spec/cache.md; arguments must be data).
// On a hit the component is not called at all — none of its I/O is
// requested; on a miss it is called, its tree rendered and stored. Either
// way the value is trusted markup (as `raw!` makes) that renders as is.
// The key covers the call, not the component's code: give a cache that
// outlives a change of definitions its own Redis prefix or directory.
// `cache` must outlive `env`'s use of it.
void DefineSubtreeCache(Environment& env, TieredCache* cache, std::string_view name = "cached");

// One request: `(service arg…)`. `args` is a list value of the resolution's
// environment (valid while it lives); `key` its printed form, the identity
// under which identical requests are merged and results memoized.
struct IoRequest {
  size_t id;
  std::string service;
  Value args;
  std::string key;
};

// A round's requests to one service, in the order the page reached them.
struct IoBatch {
  std::string service;
  std::vector<IoRequest> requests;
};

struct ResolveStats {
  uint64_t rounds = 0;       // evaluations of the page
  uint64_t requests = 0;     // distinct requests handed to the host
  uint64_t merged = 0;       // calls merged into an identical request of their round
  uint64_t memo_hits = 0;    // calls answered from an earlier round's result
  uint64_t failures = 0;     // requests whose result was an error
};

// The state of one resolution of one page. Lives on one thread (the one
// calling Step); Supply may be called from any thread between Steps.
class Resolution {
 public:
  // `page` is a callable of `env` taking no arguments (e.g. `(fn () …)`).
  // `limits` bound the whole resolution — all its rounds together, and the
  // time spent waiting for results (see budget()); a page still asking for new
  // requests after `max_rounds` rounds ends with a `round-limit` error (a
  // page can loop on its own results: (define (f x) (f (query x)))).
  // `values`: where the values the page makes go — its result, requests
  // and results included, and names the environment does not have yet
  // (Environment::TransientKeyword) — so that a request leaves nothing in
  // the environment; it must outlive this Resolution and every use of
  // result(), and the page cannot define globals. nullptr: the environment's
  // own arena, kept for as long as the environment lives.
  Resolution(Environment& env, Value page, const EvalLimits& limits = EvalLimits(),
             uint32_t max_rounds = kDefaultMaxRounds, Arena* values = nullptr);
  static constexpr uint32_t kDefaultMaxRounds = 64;
  // The same for a `page` called with `args` in every round (a route's
  // handler and the request's parameters: the handler compiled once, the
  // parameters never turned into text). The values must outlive this
  // Resolution (make them in `values`).
  Resolution(Environment& env, Value page, std::vector<Value> args,
             const EvalLimits& limits = EvalLimits(), uint32_t max_rounds = kDefaultMaxRounds,
             Arena* values = nullptr);
  ~Resolution();
  Resolution(const Resolution&) = delete;
  Resolution& operator=(const Resolution&) = delete;

  // Runs one round. True when the page is resolved (result() holds its
  // value, or the error that ended it); false when it waits for batches().
  bool Step();
  const EvalResult& result() const;
  const std::vector<IoBatch>& batches() const;

  // The result of request `id` of the current batches: sx text, or an error
  // the page sees as an `io` error (which `try` catches; other requests are
  // unaffected). A request left without a result fails at the next Step.
  void SupplyText(size_t id, std::string_view sx);
  void Supply(size_t id, Result<Document> result);
  void Fail(size_t id, std::string message);

  const ResolveStats& stats() const;

  // The one budget the whole resolution charges (EvalLimits::budget, or one
  // made from `limits`): every round, and what the host does for it — its
  // conversions of requests and results charge it, and its waits for
  // results end by budget().deadline() (Resolve's do).
  Budget& budget();
  // Ends the resolution with `error` (the host gave up on it: its deadline
  // passed while waiting for results). result() returns it; Step() is done.
  void Abandon(EvalError error);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Runs one batch; calls `done` exactly once, from any thread, with one
// result per request in order (sx text, or an error).
using BatchDone = std::function<void(std::vector<absl::StatusOr<std::string>> results)>;
using Fetcher = std::function<void(const IoBatch& batch, BatchDone done)>;

// Resolves `page` to its value: each round's batches go to their services'
// fetchers together (a fetcher that completes later, on another thread, runs
// concurrently with the others), and the next round starts when all are in.
EvalResult Resolve(Environment& env, Value page,
                   const absl::flat_hash_map<std::string, Fetcher>& services,
                   const EvalLimits& limits = EvalLimits(), ResolveStats* stats = nullptr,
                   uint32_t max_rounds = Resolution::kDefaultMaxRounds, Arena* values = nullptr);

}  // namespace sexp

#endif  // SEXP_WEB_RESOLVER_H_
