// The resolver (sexp/web/resolver.h, spec/resolver.md): rounds of evaluation,
// with I/O requests memoized by their printed form.
//
// How a round gathers every independent request: an I/O primitive whose
// result is not in raises a `pending` fault (CallContext::Pending). The
// evaluator lets that fault pass `try`, and where several computations are
// independent — the arguments of one call, the children of an element, the
// items of `map`/`filter` — it evaluates all of them before rethrowing
// (EvalArgs in eval/nodes.h, CallEach in eval/prims.cc). Whatever needs a
// pending value is not evaluated at all, so no request is ever made from a
// value that was not there: the requests of round n are exactly those whose
// inputs were known after round n - 1.
#include "sexp/web/resolver.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sexp/html/render.h"
#include "eval/machine.h"  // Environment::State::active_resolutions
#include "html/render.h"   // markup for the context a subtree is placed in
#include "sexp/core/reader.h"
#include "core/strutil.h"
#include "web/values.h"

namespace sexp {
namespace {

using internal::AV;
using web_internal::ToValue;


}  // namespace

// A pending fault's message: it never reaches a user (round-limit has its
// own), so it is not worth building per request.
constexpr char kWaiting[] = "waiting for an I/O result";

namespace {

// Whether a function, component, macro or primitive is anywhere in `args`.
// Requests are merged by their printed form, where every callable of a name
// prints alike (#<function >), so one would stand for another. Charged a
// step per value visited, as every walk of a value is.
bool HoldsCallable(CallContext& c, absl::Span<const Value> args) {
  std::vector<const Value*> stack;
  // Each list object once: shared structure (one sublist held twice, nested)
  // is walked in proportion to its distinct lists, not its 2^n paths.
  // (By items and size: `take` makes a shorter list over the same items.)
  absl::flat_hash_set<std::pair<const Value*, size_t>> seen;
  for (const Value& a : args) stack.push_back(&a);
  while (!stack.empty()) {
    const Value* v = stack.back();
    stack.pop_back();
    c.Charge(1);
    if (v->is_callable()) return true;
    if ((v->is_list() || v->is_dict()) && v->size() > 0 && seen.insert({v->items().data(), v->size()}).second) {
      c.ChargeBytes(16);  // the entry in `seen`
      for (const Value& x : v->items()) stack.push_back(&x);
    }
  }
  return false;
}

}  // namespace

struct Resolution::State {
  enum class Status { kRequested, kDispatched, kReady, kFailed };
  struct Entry {
    Status status = Status::kRequested;
    size_t id = 0;
    std::string key;
    std::string service;
    Value args;
    std::optional<Document> doc;   // the result as read
    std::optional<Value> value;    // … and as a value (made on first use)
    std::string error;
  };

  Environment* env;
  Value page;
  std::vector<Value> page_args;  // what page is called with (none for a page of no arguments)
  Arena* values = nullptr;  // where rounds make values, or nullptr (the env's arena)
  EvalLimits limits;  // each round's, charging `budget`
  // One account for the whole resolution: every round, the host's
  // conversions of its requests and results, and its waits for them.
  std::unique_ptr<Budget> budget;
  uint32_t max_rounds = 0;
  EvalResult result{Value()};
  bool done = false;
  std::vector<IoBatch> batches;
  ResolveStats stats;

  std::mutex mu;  // guards entries' results (Supply may come from any thread)
  // By key; the view is the entry's own `key` (entries never move).
  absl::flat_hash_map<absl::string_view, std::unique_ptr<Entry>> memo;
  std::vector<Entry*> by_id;
  std::vector<Entry*> new_this_round;
  // `cached` subtrees this resolution has already looked up or made, by the
  // call's printed form: later rounds reuse them without reading, hashing
  // or asking the cache again (evaluating thread).
  absl::flat_hash_map<std::string, Value> subtrees;

  // What an I/O primitive call answers (on the evaluating thread).
  Value Call(CallContext& c, std::string_view service, absl::Span<const Value> args) {
    if (HoldsCallable(c, args)) {
      c.Fail(EvalErrorCode::kType,
             absl::StrCat("(", AV(service), " …): a service's arguments must be data; a function "
                          "cannot be sent (two different ones would look the same)"));
    }
    // Keyed by the printed call, printed under the evaluation's budget
    // (an argument that shares structure prints exponentially large).
    std::string key = absl::StrCat("(", AV(service));
    for (const Value& a : args) {
      std::string text = c.Print(a);
      if (absl::StartsWith(text, "#<unprintable")) {
        // (A name a host made that cannot be written: every such argument
        // would print alike and share one request.)
        c.Fail(EvalErrorCode::kType, absl::StrCat("(", AV(service), " …): an argument has no sx text: ",
                                                  text));
      }
      absl::StrAppend(&key, " ", text);
    }
    key += ")";
    std::lock_guard<std::mutex> lock(mu);
    auto it = memo.find(AV(key));
    if (it == memo.end()) {
      auto e = std::make_unique<Entry>();
      e->id = by_id.size();
      e->key = std::move(key);
      e->service = std::string(service);
      e->args = c.MakeList(args);
      by_id.push_back(e.get());
      new_this_round.push_back(e.get());
      absl::string_view view = AV(e->key);
      memo.emplace(view, std::move(e));
      c.Pending(kWaiting);
    }
    Entry& e = *it->second;
    switch (e.status) {
      case Status::kReady:
        ++stats.memo_hits;
        if (!e.value) e.value = ToValue(c, e.doc->roots()[0]);
        return *e.value;
      case Status::kFailed:
        ++stats.memo_hits;
        c.Fail(EvalErrorCode::kIo, absl::StrCat(key, " failed: ", e.error));
      default:
        ++stats.merged;  // asked twice in one round: one request
        c.Pending(kWaiting);
    }
  }
};

namespace {
thread_local Resolution::State* current = nullptr;
}  // namespace


void DefineService(Environment& env, std::string_view name) {
  std::string service(name);
  env.DefinePrimitive(
      name, 0, -1,
      [service](CallContext& c, absl::Span<const Value> args) -> Value {
        if (current == nullptr) {
          c.Fail(EvalErrorCode::kIo, absl::StrCat("'", service,
                                    "' is an I/O primitive: it runs inside a resolution "
                                    "(sexp::Resolve, env.resolve)"));
        }
        return current->Call(c, service, args);
      },
      kGroupIo);
}

void DefineSubtreeCache(Environment& env, TieredCache* cache, std::string_view name) {
  Environment* e = &env;
  env.DefinePrimitive(
      name, 1, -1,
      [e, cache](CallContext& c, absl::Span<const Value> a) -> Value {
        if (!a[0].is_string()) {
          c.Fail(EvalErrorCode::kType, "(cached \"~component\" arg…): the component's name comes first");
        }
        const Value* fn = e->Lookup(a[0].str());
        if (fn == nullptr || !fn->is_callable()) {
          c.Fail(EvalErrorCode::kUnbound, absl::StrCat("cached: '", AV(a[0].str()), "' is not a component"));
        }
        // The call as a datum: (~component arg…), printed under the budget.
        std::string form = absl::StrCat("(", AV(a[0].str()));
        for (const Value& arg : a.subspan(1)) absl::StrAppend(&form, " ", c.Print(arg));
        form += ")";
        // Markup is made for the parsing context it is placed in (HTML,
        // SVG, MathML: the same bytes parse differently in each), and keyed
        // by it — the subtree is rendered where the call is (spec/cache.md).
        eval_internal::Machine& m = eval_internal::Machine::Of(c);
        uint8_t where = html_internal::MarkupContextOf(m);
        bool html = where == html_internal::Renderer::MarkupTag(html_internal::Context::kHtml);
        std::string memo_key = html ? form : absl::StrCat(form, " @", where);
        Resolution::State* resolution = current;
        if (resolution != nullptr) {
          auto it = resolution->subtrees.find(memo_key);
          if (it != resolution->subtrees.end()) return it->second;
        }
        c.ChargeBytes(form.size() * 4);  // the document read back to key it
        Result<Document> call = ReadOne(form);  // callables print as #<…>: not data
        std::optional<Builder> context_name;  // the "context" key input, outside HTML
        Node context_node;
        std::vector<KeyInput> inputs;
        if (!html) {
          context_node = context_name.emplace().String(html_internal::NameOfMarkupContext(where).key);
          inputs.push_back({"context", &context_node});
        }
        absl::StatusOr<Digest> key =
            call.ok() ? SubtreeKey(call->roots()[0], inputs) : call.error().ToStatus();
        if (!key.ok()) {
          c.Fail(EvalErrorCode::kType, absl::StrCat("cached: the arguments of ", AV(a[0].str()),
                                      " must be data (strings, numbers, lists, dicts…)"));
        }
        Value out;
        // The evaluation's deadline bounds the cache's I/O too.
        Deadline deadline = c.budget().has_deadline() ? c.budget().deadline() : Deadline::max();
        if (std::optional<std::string> stored = cache->Get(*key, deadline)) {
          c.ChargeBytes(stored->size());
          Value made = c.MakeString(*stored);
          out = Value::HtmlView(made.str(), where);
        } else {
          Value tree = c.Call(*fn, a.subspan(1));  // a pending request passes through
          // Rendered under the evaluation's own budget: a subtree that does
          // not fit its limits fails here, and nothing is stored.
          std::string rendered;
          out = html_internal::RenderMarkupFor(m, tree, where, &rendered);
          cache->Put(*key, rendered, deadline);
        }
        if (resolution != nullptr) resolution->subtrees.emplace(std::move(memo_key), out);
        return out;
      });
}

Resolution::Resolution(Environment& env, Value page, const EvalLimits& limits,
                       uint32_t max_rounds, Arena* values)
    : state_(std::make_unique<State>()) {
  state_->env = &env;
  state_->page = page;
  state_->values = values;
  state_->limits = limits;
  if (limits.budget == nullptr) {
    state_->budget = std::make_unique<Budget>(limits);
    state_->limits.budget = state_->budget.get();
  }
  state_->limits.budget->Watch(&eval_internal::Access::InterruptOf(env));
  state_->max_rounds = max_rounds;
}

Resolution::Resolution(Environment& env, Value page, std::vector<Value> args,
                       const EvalLimits& limits, uint32_t max_rounds, Arena* values)
    : Resolution(env, page, limits, max_rounds, values) {
  state_->page_args = std::move(args);
}

Resolution::~Resolution() = default;

bool Resolution::Step() {
  State& s = *state_;
  if (s.done) return true;
  {
    // Requests handed out last round (the previous round's new ones) and
    // never answered fail now.
    std::lock_guard<std::mutex> lock(s.mu);
    for (State::Entry* e : s.new_this_round) {
      if (e->status == State::Status::kDispatched) {
        e->status = State::Status::kFailed;
        e->error = "no result was supplied";
        ++s.stats.failures;
      }
    }
  }
  s.batches.clear();
  s.new_this_round.clear();
  ++s.stats.rounds;
  // This resolution is the current one, and the environment knows one runs,
  // for exactly the evaluation (restored however it ends).
  struct Running {
    State* saved;
    int& resolving;
    Running(State* s, int& r) : saved(current), resolving(r) {
      current = s;
      ++resolving;
    }
    ~Running() {
      --resolving;
      current = saved;
    }
  };
  EvalResult r = [&] {
    Running running(&s, eval_internal::Access::StateOf(*s.env).active_resolutions);
    return s.env->Call(s.page, s.page_args, s.limits, s.values);
  }();

  std::lock_guard<std::mutex> lock(s.mu);
  if (s.new_this_round.empty()) {
    // Finished — or stopped by something other than a pending request.
    s.result = std::move(r);
    s.done = true;
    return true;
  }
  if (s.stats.rounds >= s.max_rounds) {
    EvalError e;
    e.code = EvalErrorCode::kRoundLimit;
    e.message = absl::StrCat("the page still asked for new requests after ", s.max_rounds,
                             " rounds (", s.new_this_round.front()->key, "…)");
    s.result = EvalResult(std::move(e));
    s.done = true;
    return true;
  }
  for (State::Entry* e : s.new_this_round) {
    e->status = State::Status::kDispatched;
    ++s.stats.requests;
    auto batch = std::find_if(s.batches.begin(), s.batches.end(),
                              [&](const IoBatch& b) { return b.service == e->service; });
    if (batch == s.batches.end()) {
      s.batches.push_back({e->service, {}});
      batch = s.batches.end() - 1;
    }
    batch->requests.push_back({e->id, e->service, e->args, e->key});
  }
  return false;
}

const EvalResult& Resolution::result() const { return state_->result; }
const std::vector<IoBatch>& Resolution::batches() const { return state_->batches; }
const ResolveStats& Resolution::stats() const { return state_->stats; }
Budget& Resolution::budget() { return *state_->limits.budget; }

void Resolution::Abandon(EvalError error) {
  State& s = *state_;
  if (s.done) return;
  s.result = EvalResult(std::move(error));
  s.done = true;
}

void Resolution::Supply(size_t id, Result<Document> result) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (id >= s.by_id.size() || s.by_id[id]->status != State::Status::kDispatched) return;
  State::Entry& e = *s.by_id[id];
  if (!result.ok()) {
    e.status = State::Status::kFailed;
    e.error = "the result is not sx: " + result.error().ToString();
    ++s.stats.failures;
    return;
  }
  e.doc = std::move(*result);
  e.status = State::Status::kReady;
}

void Resolution::SupplyText(size_t id, std::string_view sx) { Supply(id, ReadOne(sx)); }

void Resolution::Fail(size_t id, std::string message) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (id >= s.by_id.size() || s.by_id[id]->status != State::Status::kDispatched) return;
  s.by_id[id]->status = State::Status::kFailed;
  s.by_id[id]->error = std::move(message);
  ++s.stats.failures;
}

namespace {

// One round's batches in flight. Shared with the fetchers' callbacks, which
// may run after Resolve gave up waiting (the deadline passed): they then
// find `resolution` cleared and drop their results.
struct Round {
  std::mutex mu;
  std::condition_variable cv;
  size_t outstanding = 0;
  Resolution* resolution = nullptr;
};

}  // namespace

EvalResult Resolve(Environment& env, Value page,
                   const absl::flat_hash_map<std::string, Fetcher>& services,
                   const EvalLimits& limits, ResolveStats* stats, uint32_t max_rounds,
                   Arena* values) {
  Resolution r(env, page, limits, max_rounds, values);
  while (!r.Step()) {
    auto round = std::make_shared<Round>();
    round->outstanding = r.batches().size();
    round->resolution = &r;
    for (const IoBatch& batch : r.batches()) {
      std::vector<size_t> ids;
      for (const IoRequest& q : batch.requests) ids.push_back(q.id);
      auto fetcher = services.find(batch.service);
      if (fetcher == services.end()) {
        for (size_t id : ids) r.Fail(id, absl::StrCat("no fetcher for service '", batch.service, "'"));
        std::lock_guard<std::mutex> lock(round->mu);
        --round->outstanding;
        continue;
      }
      fetcher->second(batch, [round, ids](std::vector<absl::StatusOr<std::string>> results) {
        std::lock_guard<std::mutex> lock(round->mu);
        if (round->resolution == nullptr) return;  // Resolve stopped waiting
        Resolution& res = *round->resolution;
        for (size_t i = 0; i < ids.size(); ++i) {
          if (i >= results.size()) {
            res.Fail(ids[i], "the fetcher returned fewer results than requests");
          } else if (!results[i].ok()) {
            res.Fail(ids[i], std::string(results[i].status().message()));
          } else {
            res.SupplyText(ids[i], *results[i]);
          }
        }
        if (--round->outstanding == 0) round->cv.notify_all();
      });
    }
    // The evaluation's deadline bounds the wait for its I/O too.
    std::unique_lock<std::mutex> lock(round->mu);
    Budget& budget = r.budget();
    auto all_in = [&] { return round->outstanding == 0; };
    bool in_time = budget.has_deadline() ? round->cv.wait_until(lock, budget.deadline(), all_in)
                                         : (round->cv.wait(lock, all_in), true);
    round->resolution = nullptr;  // a callback still to come finds nobody
    if (!in_time) {
      EvalError e;
      e.code = EvalErrorCode::kTimeout;
      e.message = absl::StrCat("the evaluation ran longer than ", budget.limits().timeout.count(),
                               " ms (waiting for ", round->outstanding, " batch",
                               round->outstanding == 1 ? "" : "es", " of I/O)");
      r.Abandon(std::move(e));
      break;
    }
  }
  if (stats != nullptr) *stats = r.stats();
  return r.result();
}

}  // namespace sexp
