// sexp/web/pipeline.h — analyze → plan → execute → cache, with executors keyed
// by node type (spec/resolver.md §6).
//
// A request is a tree `(TYPE expr)`: TYPE names the executor that turns the
// value of `expr` into bytes — `html` and `json` are built in, hosts
// register others. The pipeline
//   1. analyzes the request: finds the executor for its head;
//   2. plans: the request's subtree key (spec/cache.md) and whether the
//      cache already holds the output — then nothing runs at all;
//   3. executes what must run: `expr` resolved with the host's fetchers
//      (sexp/web/resolver.h), its value written by the executor;
//   4. caches the output under the key.
//
//   sexp::Pipeline p(env, &cache);                     // html + json
//   sexp::Result<sexp::Document> req = sexp::ReadOne("(json (~post-data :id 3))");
//   auto plan = p.Analyze(req->roots()[0]);            // executor "json", key, cached?
//   auto out = p.Execute(*plan, {{"query", fetcher}});  // {"title": …}
#ifndef SEXP_WEB_PIPELINE_H_
#define SEXP_WEB_PIPELINE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sexp/core/address.h"
#include "sexp/core/ast.h"
#include "sexp/cache/cache.h"
#include "sexp/eval/eval.h"
#include "sexp/web/resolver.h"

namespace sexp {

// Turns a resolved value into output bytes.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string_view content_type() const = 0;
  // Appends the output for `value`; an error for values it cannot write.
  virtual absl::Status Write(const Value& value, std::string* out) const = 0;
};

// HTML, as the renderer writes element trees (sexp/html/render.h, safe policy).
std::unique_ptr<Executor> MakeHtmlExecutor();
// JSON (RFC 8259): nil null, booleans, numbers, strings, symbols and
// keywords as strings (keywords without ':' as object keys, with it as
// values), lists arrays, dicts objects, trusted markup its text. Callables
// are an error.
std::unique_ptr<Executor> MakeJsonExecutor();

struct Plan {
  std::string executor;  // the request's head
  Digest key;            // SubtreeKey of the whole request
  std::optional<std::string> cached;  // the output, when the cache had it
  std::string expr;      // the canonical text of the request's expression
};

// Owns its executors; `env` and `cache` (optional) must outlive it.
class Pipeline {
 public:
  explicit Pipeline(Environment& env, TieredCache* cache = nullptr);
  ~Pipeline();
  // Adds (or replaces) the executor for requests headed by `type`.
  void Register(std::string type, std::unique_ptr<Executor> executor);
  const Executor* Find(std::string_view type) const;

  // Steps 1-2: an error for a request that is not (TYPE expr) or whose
  // TYPE has no executor.
  absl::StatusOr<Plan> Analyze(const Node& request) const;
  // Steps 3-4: the cached output, or the expression resolved, written and
  // stored. Evaluation errors come back as statuses (EvalError::ToStatus).
  absl::StatusOr<std::string> Execute(const Plan& plan,
                                      const absl::flat_hash_map<std::string, Fetcher>& services,
                                      const EvalLimits& limits = EvalLimits());

 private:
  Environment& env_;
  TieredCache* cache_;
  absl::flat_hash_map<std::string, std::unique_ptr<Executor>> executors_;
};

}  // namespace sexp

#endif  // SEXP_WEB_PIPELINE_H_
