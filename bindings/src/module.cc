// The `sexp._sexp` extension: the C++ core behind the Python package `sexp`
// (bindings/python/sexp). The package's __init__ defines the Python-level
// types (Symbol, Keyword, Markup, ReadError, EvalError) and hands them to
// _set_types before anything converts.
//
// The GIL is released around reading, writing, hashing, evaluating and
// rendering; a primitive written in Python takes it back for its call only.
//
// Limits. Each call of an Env method (eval, load, render_html, render, and
// a whole resolve/render_page) has one sexp::Budget made from the Env's
// limits: the evaluation charges it, and so do the conversions of the
// call's arguments, its result, each Python primitive's arguments and
// result, and each service's arguments and result (convert.h). A call made
// by a primitive back into its Env charges a child budget of the running
// call's. On the main thread, a SIGINT during an evaluation interrupts it
// and raises KeyboardInterrupt (SigintWatch).
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pythread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "convert.h"
#include "ap.h"
#include "negotiate.h"
#if SEXP_PY_HAVE_QUIC
#include "quic.h"
#endif
#include "sig.h"
#include "sexp/sexp.h"

namespace sexp_py {
namespace {

// sx text given as str or bytes, as UTF-8 to read: the object's own bytes
// when they are UTF-8 already (bytes, an ASCII str), else the str encoded
// by CPython into bytes held here. The view is valid while this and the
// object live; both are immutable, so it can be read with the GIL released.
class Utf8Text {
 public:
  explicit Utf8Text(py::handle obj) {
    PyObject* o = obj.ptr();
    if (PyBytes_Check(o)) {
      view_ = {PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o))};
      return;
    }
    if (!PyUnicode_Check(o)) throw py::type_error("expected sx text as str or bytes");
#if PY_VERSION_HEX < 0x030C0000  // (every str is ready from 3.12; the call is deprecated)
    if (PyUnicode_READY(o) != 0) throw py::error_already_set();
#endif
    if (PyUnicode_IS_ASCII(o)) {
      view_ = {static_cast<const char*>(PyUnicode_DATA(o)),
               static_cast<size_t>(PyUnicode_GET_LENGTH(o))};
      return;
    }
    // (Not PyUnicode_AsUTF8AndSize: it keeps its copy with the str for the
    // str's lifetime, doubling the memory of a big text.) A lone surrogate
    // raises UnicodeEncodeError.
    encoded_ = py::reinterpret_steal<py::object>(PyUnicode_AsUTF8String(o));
    if (!encoded_) throw py::error_already_set();
    view_ = {PyBytes_AS_STRING(encoded_.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(encoded_.ptr()))};
  }
  Utf8Text(const Utf8Text&) = delete;
  Utf8Text& operator=(const Utf8Text&) = delete;

  std::string_view view() const { return view_; }

 private:
  py::object encoded_;  // the UTF-8 of a non-ASCII str
  std::string_view view_;
};

std::string TextOf(py::handle obj) { return std::string(Utf8Text(obj).view()); }

// Reads all of `text`. With copy_source false the document borrows the
// text, which must outlive it (parse: the document lives for the call only).
// Reader limits from Python: parse and parse_all build Python objects by
// recursion, so their depth stays within kMaxPythonDepth.
constexpr size_t kMaxPythonDepth = 4096;
struct Limits {
  size_t max_size = size_t{64} << 20;
  size_t max_depth = 1024;
};

sexp::Document ReadAll(std::string_view text, bool copy_source, const Limits& limits = {},
                       bool exactly_one = false) {
  sexp::ReadOptions options;
  options.copy_source = copy_source;
  options.max_size = limits.max_size;
  options.max_depth = limits.max_depth;
  sexp::Result<sexp::Document> doc = [&] {
    py::gil_scoped_release release;
    return exactly_one ? sexp::ReadOne(text, options) : sexp::Read(text, options);
  }();
  if (!doc.ok()) ThrowReadError(doc.error());
  return std::move(doc).value();
}

// What a Python str given where a value or sx text is taken means: sx text
// (exactly one expression; eval, render_html, and the deprecated
// canonical/fmt/hash_text), or a string value (dumps, hash, cid).
enum class StrIs { kText, kValue };

// The document of one value: Python data converted to sx (charged to
// `meter` when given), or sx text when `str_is` says so and it is a str.
sexp::Document OneDocument(py::handle value_or_text, Meter* meter = nullptr,
                           StrIs str_is = StrIs::kText) {
  if (str_is == StrIs::kText && PyUnicode_Check(value_or_text.ptr())) {
    Utf8Text text(value_or_text);
    sexp::Result<sexp::Document> doc = [&] {
      py::gil_scoped_release release;
      return sexp::ReadOne(text.view());
    }();
    if (!doc.ok()) ThrowReadError(doc.error());
    return std::move(doc).value();
  }
  sexp::Builder b;
  sexp::Node root = PyToNode(b, value_or_text, meter);
  sexp::Result<sexp::Document> doc = b.Finish({root});
  if (!doc.ok()) throw py::value_error(doc.error().message);
  return std::move(doc).value();
}

// Runs `write(document)` on the document of `v` without the GIL; an error
// of its Result is a ValueError.
template <class F>
auto WithDocument(py::handle v, F&& write, Meter* meter = nullptr, StrIs str_is = StrIs::kText) {
  sexp::Document doc = OneDocument(v, meter, str_is);
  auto result = [&] {
    py::gil_scoped_release release;
    return write(doc);
  }();
  if (!result.ok()) throw py::value_error(result.error().ToString());
  return std::move(result).value();
}

std::string Canonical(py::handle v, Meter* meter = nullptr) {
  std::string text = WithDocument(
      v, [](const sexp::Document& d) { return sexp::Canonical(d.roots()[0]); }, meter);
  if (meter != nullptr) meter->Bytes(text.size());  // (already made: about the nodes' size)
  return text;
}

sexp::Digest Digest(py::handle v, StrIs str_is) {
  return WithDocument(
      v, [](const sexp::Document& d) { return sexp::HashNode(d.roots()[0]); }, nullptr, str_is);
}

// ---------------------------------------------------------------------------
// Document: a read document kept in C++, walked through Node views.

struct DocHandle {
  std::shared_ptr<const sexp::Document> doc;
};

// A node of a document; holds the document alive.
struct NodeView {
  std::shared_ptr<const sexp::Document> doc;
  const sexp::Node* node;
};

NodeView ViewAt(const NodeView& v, Py_ssize_t i) {
  if (!v.node->is_list() && !v.node->is_dict()) {
    throw py::type_error("a " + std::string(sexp::KindName(v.node->kind())) + " has no items");
  }
  auto items = v.node->items();
  Py_ssize_t n = static_cast<Py_ssize_t>(items.size());
  if (i < 0) i += n;
  if (i < 0 || i >= n) throw py::index_error("node index out of range");
  return NodeView{v.doc, &items[static_cast<size_t>(i)]};
}

// ---------------------------------------------------------------------------
// Env

sexp::EvalLimits LimitsFrom(const py::object& limits) {
  sexp::EvalLimits l;
  if (limits.is_none()) return l;
  py::dict d = limits.cast<py::dict>();
  for (auto [k, v] : d) {
    std::string key = py::cast<std::string>(k);
    if (key == "max_steps") {
      l.max_steps = py::cast<uint64_t>(v);
    } else if (key == "max_depth") {
      l.max_depth = py::cast<uint32_t>(v);
    } else if (key == "max_bytes") {
      l.max_bytes = py::cast<uint64_t>(v);
    } else if (key == "timeout_ms") {
      l.timeout = std::chrono::milliseconds(py::cast<int64_t>(v));
    } else {
      throw py::value_error("unknown limit '" + key +
                            "' (max_steps, max_depth, max_bytes, timeout_ms)");
    }
  }
  return l;
}

uint32_t GroupsFrom(const py::object& capabilities) {
  if (capabilities.is_none()) return sexp::kGroupPure;
  uint32_t groups = 0;
  for (auto c : capabilities) {
    std::string name = py::cast<std::string>(c);
    if (name == "core") groups |= sexp::kGroupCore;
    else if (name == "string") groups |= sexp::kGroupString;
    else if (name == "list") groups |= sexp::kGroupList;
    else if (name == "dict") groups |= sexp::kGroupDict;
    else if (name == "io") groups |= sexp::kGroupIo;
    else throw py::value_error("unknown capability '" + name + "' (core, string, list, dict, io)");
  }
  return groups;
}

// SIGINT while an evaluation runs without the GIL. Python's own handler only
// notes the signal for the interpreter, which does not run until the
// evaluation returns; so while one runs on the main thread, a handler of
// ours is installed in front of Python's: it sets the interrupt flags of the
// evaluations running (one atomic store each: async-signal-safe), then calls
// Python's handler. The evaluation ends with `interrupted` within a few
// thousand steps, and PyErr_CheckSignals() (after the GIL is taken back)
// runs Python's handler: KeyboardInterrupt. When SIGINT's handler is not a
// function (SIG_DFL, SIG_IGN) nothing is installed: Ctrl-C does what it did.
namespace sigint {

constexpr int kMaxWatched = 64;  // evaluations nested on the main thread
std::atomic<std::atomic<bool>*> watched[kMaxWatched];
int depth = 0;           // nested watches (main thread, GIL held)
bool installed = false;  // OnSigint is SIGINT's handler
struct sigaction previous;

extern "C" void OnSigint(int sig, siginfo_t* info, void* context) {
  for (auto& w : watched) {
    if (std::atomic<bool>* flag = w.load(std::memory_order_relaxed)) {
      flag->store(true, std::memory_order_relaxed);
    }
  }
  if ((previous.sa_flags & SA_SIGINFO) != 0) {
    if (previous.sa_sigaction != nullptr) previous.sa_sigaction(sig, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
             previous.sa_handler != nullptr) {
    previous.sa_handler(sig);
  }
}

bool IsOurs(const struct sigaction& a) {
  return (a.sa_flags & SA_SIGINFO) != 0 && a.sa_sigaction == &OnSigint;
}

void Install() {
  struct sigaction current;
  if (sigaction(SIGINT, nullptr, &current) != 0 || IsOurs(current)) return;
  if ((current.sa_flags & SA_SIGINFO) == 0 &&
      (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN)) {
    return;
  }
  previous = current;
  struct sigaction ours;
  std::memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = &OnSigint;
  ours.sa_flags = SA_SIGINFO | (current.sa_flags & (SA_ONSTACK | SA_RESTART));
  sigemptyset(&ours.sa_mask);
  installed = sigaction(SIGINT, &ours, nullptr) == 0;
}

void Uninstall() {
  if (!installed) return;
  installed = false;
  // Python code run meanwhile (a primitive) may have set a handler of its
  // own: that one stays (put back).
  struct sigaction replaced;
  if (sigaction(SIGINT, &previous, &replaced) == 0 && !IsOurs(replaced)) {
    sigaction(SIGINT, &replaced, nullptr);
  }
}

bool OnMainThread() {
  static const unsigned long main_ident = [] {
    return py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  }();
  return PyThread_get_thread_ident() == main_ident;
}

}  // namespace sigint

// While it lives (made and ended with the GIL held), a SIGINT also sets
// `flag`; only on the main thread, where Python handles signals.
class SigintWatch {
 public:
  explicit SigintWatch(std::atomic<bool>* flag) {
    if (!sigint::OnMainThread()) return;
    if (sigint::depth == 0) sigint::Install();
    if (sigint::depth < sigint::kMaxWatched) sigint::watched[sigint::depth].store(flag);
    ++sigint::depth;
    active_ = true;
  }
  ~SigintWatch() { End(); }
  SigintWatch(const SigintWatch&) = delete;
  SigintWatch& operator=(const SigintWatch&) = delete;

  void End() {
    if (!active_) return;
    active_ = false;
    --sigint::depth;
    if (sigint::depth < sigint::kMaxWatched) sigint::watched[sigint::depth].store(nullptr);
    if (sigint::depth == 0) sigint::Uninstall();
  }

 private:
  bool active_ = false;
};

// Runs `run()` without the GIL, a SIGINT meanwhile setting `interrupt`
// (SigintWatch); then runs Python's pending signal handlers, so that a
// Ctrl-C raises KeyboardInterrupt (rather than EvalError `interrupted`).
template <class F>
auto Unlocked(std::atomic<bool>* interrupt, F&& run) {
  SigintWatch watch(interrupt);
  // (A SIGINT noted before the watch began: raised now, before running.)
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  auto result = [&] {
    py::gil_scoped_release release;
    return run();
  }();
  watch.End();
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  return result;
}

// An Environment runs one call at a time, and the GIL is released while it
// does: a call from another thread meanwhile is refused rather than racing.
// A primitive calling back into its own Env (the same thread, the outer call
// waiting for it) is a nested call, which libsexp supports. The state is
// read and changed with the GIL held.
class Busy {
 public:
  struct State {
    int depth = 0;
    std::thread::id owner;
  };
  explicit Busy(State& state) : state_(state) {
    if (state_.depth > 0 && state_.owner != std::this_thread::get_id()) {
      throw std::runtime_error(
          "this sexp.Env is running a call on another thread (one thread at a time: use an "
          "Env per thread, or a lock)");
    }
    state_.owner = std::this_thread::get_id();
    ++state_.depth;
  }
  ~Busy() { --state_.depth; }  // (destroyed with the GIL held, as made)
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  State& state_;
};

class Env;

// The budget of one call of an Env method (see the top of this file): made
// from the Env's limits and watching its interrupt flag — or, for a call a
// primitive makes back into its Env, a child of the running call's budget
// (whichever runs out first ends both). While it lives it is the Env's
// active budget, which the Python primitives' conversions charge.
class CallBudget {
 public:
  explicit CallBudget(Env& env);
  ~CallBudget();
  CallBudget(const CallBudget&) = delete;
  CallBudget& operator=(const CallBudget&) = delete;

  sexp::Budget& budget() { return budget_; }
  Meter& meter() { return meter_; }
  // The Env's limits with this budget: what the evaluation is given.
  const sexp::EvalLimits& limits() const { return limits_; }

 private:
  Env& env_;
  sexp::Budget* saved_;
  sexp::Budget budget_;
  Meter meter_;
  sexp::EvalLimits limits_;
};

class Env {
 public:
  Env(const py::object& capabilities, const py::object& limits)
      : groups_(GroupsFrom(capabilities)),
        env_(std::make_unique<sexp::Environment>(groups_)),
        limits_(LimitsFrom(limits)) {}

  // Registers `fn` (a Python callable) as the primitive `name`.
  void Primitive(const std::string& name, py::function fn, int min_args, int max_args,
                 bool io) {
    Busy busy(busy_);
    // Kept by the Environment's primitive; released with it (under the GIL:
    // Env is destroyed from Python).
    auto held = std::make_shared<py::function>(std::move(fn));
    env_->DefinePrimitive(
        name, min_args, max_args,
        [held, name](sexp::CallContext& ctx, absl::Span<const sexp::Value> args) -> sexp::Value {
          py::gil_scoped_acquire gil;
          // The conversions of the arguments and the result are charged to
          // the evaluation's budget (the call's: CallBudget).
          Meter meter(ctx.budget());
          std::string failure;
          try {
            py::tuple pyargs(args.size());
            for (size_t i = 0; i < args.size(); ++i) pyargs[i] = ValueToPy(args[i], meter);
            py::object result = (*held)(*pyargs);
            return PyToResult(ctx, result, meter);
          } catch (py::error_already_set& e) {  // "ValueError: message", no traceback
            failure = py::str(e.type().attr("__name__")).cast<std::string>() + ": " +
                      py::str(e.value()).cast<std::string>();
            if (!e.matches(PyExc_Exception)) {  // KeyboardInterrupt, SystemExit: not sx's
              KeepBaseException(std::move(e));
              ctx.Interrupt("'" + name + "' raised " + failure);
            }
          } catch (const std::exception& e) {
            failure = e.what();
          }
          // A limit reached while converting (or by a call the primitive
          // made back into this Env): the evaluation ends with it, which
          // `try` cannot catch.
          ctx.CheckBudget();
          ctx.Fail("host", "'" + name + "' raised " + failure);
        },
        io ? static_cast<uint32_t>(sexp::kGroupIo) : 0u);
  }

  py::object Eval(py::handle text_or_value, const std::string& file) {
    Busy busy(busy_);
    CallBudget call(*this);
    std::string text = SourceOf(text_or_value, call.meter());
    return Evaluated(call, [&] { return env_->Eval(text, file, call.limits()); });
  }

  py::object Load(const std::string& path) {
    Busy busy(busy_);
    CallBudget call(*this);
    return Evaluated(call, [&] { return env_->LoadFile(path, call.limits()); });
  }

  std::string RenderHtml(py::handle text_or_value, const std::string& file, bool allow_any_url) {
    Busy busy(busy_);
    CallBudget call(*this);
    std::string text = SourceOf(text_or_value, call.meter());
    return Html([&](sexp::ByteSink& sink) {
      return sexp::RenderHtml(*env_, text, sink, file, Options(allow_any_url), call.limits());
    });
  }

  // The value `name` is bound to, for Render: an EvalError when unbound,
  // or when it is a primitive where the component "~name" was meant.
  sexp::Value Renderable(const std::string& name) {
    const sexp::Value* fn = env_->Lookup(name);
    if (fn == nullptr) {
      sexp::EvalError e;
      e.code = sexp::EvalErrorCode::kUnbound;
      e.message = "'" + name + "' is not defined";
      if (!name.empty() && name[0] != '~' && env_->Lookup("~" + name) != nullptr) {
        e.message += " (did you mean the component '~" + name + "'?)";
      }
      ThrowEvalError(e);
    }
    if (fn->type() == sexp::ValueType::kPrimitive && !name.empty() && name[0] != '~' &&
        !env_->ComponentParameters("~" + name).empty()) {
      sexp::EvalError e;  // (render "list" …) where ~list was meant: say so
      e.code = sexp::EvalErrorCode::kType;
      e.message = "'" + name + "' is a primitive; did you mean the component '~" + name + "'?";
      ThrowEvalError(e);
    }
    return *fn;
  }

  // Python keyword arguments as the call's keyword pairs, made in `arena`.
  std::vector<sexp::Value> Arguments(const py::dict& kwargs, sexp::Arena& arena, Meter& meter) {
    std::vector<sexp::Value> args;
    for (auto [k, v] : kwargs) {
      // A Python argument name cannot hold '-': sale_price=1 is :sale-price
      // (as in the Jinja bridge).
      std::string key = py::cast<std::string>(k);
      std::replace(key.begin(), key.end(), '_', '-');
      meter.Text(key.size(), 0);
      args.push_back(env_->TransientKeyword(key, arena));
      args.push_back(PyToValue(*env_, arena, v, meter, &keywords_));
    }
    return args;
  }

  // Hands the output to a Python callable in chunks (RenderChunks). Runs
  // without the GIL and takes it for each call.
  class ChunkSink final : public sexp::ByteSink {
   public:
    ChunkSink(py::function write, size_t chunk_size)
        : write_(std::move(write)), chunk_size_(chunk_size) {}
    ~ChunkSink() override {
      py::gil_scoped_acquire gil;  // the function is released with the GIL held
      write_ = py::function();
    }
    bool Write(std::string_view chunk) override {
      buffer_.append(chunk);
      return buffer_.size() < chunk_size_ || Flush();
    }
    bool Flush() {
      if (failed_) return false;
      if (buffer_.empty()) return true;
      py::gil_scoped_acquire gil;
      try {
        bool more = py::cast<bool>(write_(py::bytes(buffer_)));
        buffer_.clear();
        failed_ = !more;
      } catch (py::error_already_set& e) {
        error_.emplace(std::move(e));
        failed_ = true;
      }
      return !failed_;
    }
    // The exception `write` raised, raised again (with the GIL held).
    void Rethrow() {
      if (error_) {
        py::error_already_set e = std::move(*error_);
        error_.reset();
        throw std::move(e);
      }
    }

   private:
    py::function write_;
    size_t chunk_size_;
    std::string buffer_;
    bool failed_ = false;
    std::optional<py::error_already_set> error_;
  };

  // Renders Python data as an element tree, as data: no list is called
  // (sexp::RenderData), so values that came from services or users can
  // never run as code.
  std::string RenderDataHtml(py::handle value, bool allow_any_url) {
    Busy busy(busy_);
    CallBudget call(*this);
    sexp::Arena arena;  // the value: freed with this call
    sexp::Value tree = PyToValue(*env_, arena, value, call.meter(), &keywords_);
    return Html([&](sexp::ByteSink& sink) {
      return sexp::RenderData(tree, sink, Options(allow_any_url), call.limits());
    });
  }

  std::vector<std::string> Parameters(const std::string& name) const {
    return env_->ComponentParameters(name);
  }

  // Renders the component (or function) bound to `name` called with
  // keyword arguments converted from Python: the data never becomes text.
  std::string Render(const std::string& name, const py::dict& kwargs, bool allow_any_url) {
    Busy busy(busy_);
    const sexp::Value callee = Renderable(name);
    CallBudget call(*this);
    sexp::Arena arena;  // the arguments: freed with this call
    std::vector<sexp::Value> args = Arguments(kwargs, arena, call.meter());
    return Html([&](sexp::ByteSink& sink) {
      return sexp::RenderCall(*env_, callee, args, sink, Options(allow_any_url), call.limits());
    });
  }

  // Render, with the HTML handed to `write(bytes) -> bool` in chunks of
  // about `chunk_size` bytes as it is made (the GIL taken for each call); a
  // false or an exception from `write` ends the render (EvalError render,
  // "the sink refused"). For streaming responses: nothing waits for the
  // whole page.
  void RenderChunks(const std::string& name, const py::dict& kwargs, bool allow_any_url,
                    py::function write, size_t chunk_size) {
    Busy busy(busy_);
    const sexp::Value callee = Renderable(name);
    CallBudget call(*this);
    sexp::Arena arena;
    std::vector<sexp::Value> args = Arguments(kwargs, arena, call.meter());
    ChunkSink sink(std::move(write), std::max<size_t>(chunk_size, 1));
    render_stats_ = sexp::RenderStats();
    sexp::EvalResult r = Unlocked(&interrupt_, [&] {
      sexp::EvalResult result =
          sexp::RenderCall(*env_, callee, args, sink, Options(allow_any_url), call.limits());
      if (result.ok() && !sink.Flush()) {
        sexp::EvalError e;
        e.code = sexp::EvalErrorCode::kRender;
        e.message = "the sink refused the output";
        return sexp::EvalResult(e);
      }
      return result;
    });
    sink.Rethrow();
    if (!r.ok()) ThrowEvalError(r.error());
  }

  // Ends the running call (whichever thread runs it) with `interrupted`.
  void Interrupt() {
    interrupt_.store(true, std::memory_order_relaxed);
    env_->Interrupt();
  }
  size_t BytesUsed() const { return env_->bytes_used(); }
  // What the last render neutralized (sexp::RenderStats).
  py::dict RenderStats() const {
    py::dict d;
    d["unsafe_urls"] = render_stats_.unsafe_urls;
    d["raw_text_escaped"] = render_stats_.raw_text_escaped;
    d["first"] = render_stats_.first;
    return d;
  }

  // Makes `name` an I/O service (sexp/web/resolver.h); Python supplies results.
  void Service(const std::string& name) {
    Busy busy(busy_);
    if ((groups_ & sexp::kGroupIo) == 0) {
      throw py::value_error("services need an Env created with the \"io\" capability");
    }
    sexp::DefineService(*env_, name);
  }

  // Gives `(cached "~component" args…)` a tiered cache: memory, then Redis
  // (if `redis_port` > 0), then a directory (if `disk` is not empty).
  void UseSubtreeCache(size_t memory_bytes, const std::string& redis_host, int redis_port,
                       const std::string& redis_prefix, const std::string& disk) {
    Busy busy(busy_);
    std::vector<std::unique_ptr<sexp::CacheTier>> tiers;
    tiers.push_back(std::make_unique<sexp::MemoryTier>(memory_bytes));
    if (redis_port > 0) {
      sexp::RedisOptions o;
      o.host = redis_host;
      o.port = redis_port;
      o.key_prefix = redis_prefix;
      tiers.push_back(std::make_unique<sexp::RedisTier>(o));
    }
    if (!disk.empty()) tiers.push_back(std::make_unique<sexp::DiskTier>(disk));
    // The old cache (if any) stays alive: values made from it may be in use.
    caches_.push_back(std::make_unique<sexp::TieredCache>(std::move(tiers)));
    sexp::DefineSubtreeCache(*env_, caches_.back().get());
  }

  py::dict CacheStats() const {
    py::dict d;
    if (caches_.empty()) return d;
    sexp::CacheStats s = caches_.back()->stats();
    d["gets"] = s.gets;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["puts"] = s.puts;
    py::list tiers;
    for (const sexp::TierStats& t : s.tiers) {
      py::dict td;
      td["name"] = t.name;
      td["hits"] = t.hits;
      td["misses"] = t.misses;
      td["errors"] = t.errors;
      td["fills"] = t.fills;
      td["last_error"] = t.last_error;
      tiers.append(td);
    }
    d["tiers"] = tiers;
    return d;
  }

  // A resolution of the expression `text` (the page), driven from Python.
  // The resolution of the page `text` (sx text or data); with `args` (a
  // sequence, not None), `text` names a callable that is called with them.
  std::unique_ptr<class PyResolution> Resolution(py::handle text, py::handle args);

  sexp::Environment& env() { return *env_; }
  Busy::State& busy() { return busy_; }
  const sexp::EvalLimits& limits() const { return limits_; }

 private:
  friend class CallBudget;

  // The value `run()` evaluates without the GIL, in Python (an error is an
  // EvalError), converted under the call's budget.
  template <class F>
  py::object Evaluated(CallBudget& call, F&& run) {
    sexp::EvalResult r = Unlocked(&interrupt_, run);
    if (!r.ok()) ThrowEvalError(r.error());
    return ValueToPy(r.value(), call.meter());
  }
  // The HTML `render(sink)` writes, rendered without the GIL (an error is an
  // EvalError); the string starts at the last page's size rather than
  // growing a dozen times.
  template <class F>
  std::string Html(F&& render) {
    render_stats_ = sexp::RenderStats();
    std::string html;
    html.reserve(last_html_size_);
    sexp::EvalResult r = Unlocked(&interrupt_, [&] {
      sexp::HtmlStringSink sink(&html);
      return render(sink);
    });
    if (!r.ok()) ThrowEvalError(r.error());
    last_html_size_ = html.size();
    return html;
  }
  // Options counting into render_stats_ (what the last render neutralized).
  sexp::RenderOptions Options(bool allow_any_url) {
    sexp::RenderOptions o;
    if (allow_any_url) o.url_policy = sexp::UrlPolicy::kAllowAll;
    o.stats = &render_stats_;
    return o;
  }
  // sx text to evaluate: a str as is, Python data as its canonical text
  // (converted under `meter`).
  static std::string SourceOf(py::handle text_or_value, Meter& meter) {
    if (PyUnicode_Check(text_or_value.ptr())) {
      return TextOf(text_or_value);
    }
    return Canonical(text_or_value, &meter);
  }

  uint32_t groups_ = 0;
  std::vector<std::unique_ptr<sexp::TieredCache>> caches_;  // outlive env_ (declared first)
  friend class PyResolution;  // renders through Html and Options
  std::unique_ptr<sexp::Environment> env_;
  sexp::EvalLimits limits_;
  Busy::State busy_;
  // Set by interrupt() and by SIGINT; every call's budget watches it (the
  // outermost call clears it when it starts).
  std::atomic<bool> interrupt_{false};
  sexp::Budget* active_ = nullptr;  // the running call's budget (CallBudget)
  KeywordCache keywords_;  // of env_, for Render's arguments
  // Size of the last page rendered: the next one reserves it up front
  // rather than growing its string a dozen times.
  size_t last_html_size_ = 0;
  sexp::RenderStats render_stats_;  // what the last render neutralized

  // The compiled function of each page text resolved (resolve, render_page),
  // so that serving the same page again compiles nothing: an Eval's code
  // stays in the Environment for its lifetime (sexp/eval/eval.h), which made
  // every request grow the Env by ~6 KB. Emptied when a definition changes
  // (definitions_version); past the caps a page is compiled per request as
  // before (and the Env grows: README "Memory").
  static constexpr size_t kMaxCachedPages = 4096;
  static constexpr size_t kMaxCachedPageText = 64 << 10;
  sexp::Value PageFunction(std::string page, const sexp::EvalLimits& limits);
  absl::flat_hash_map<std::string, sexp::Value> pages_;
  uint64_t pages_version_ = 0;
};

CallBudget::CallBudget(Env& env)
    : env_(env),
      saved_(env.active_),
      budget_(saved_ != nullptr ? sexp::Budget(env.limits_, saved_)
                                : sexp::Budget(env.limits_, &env.interrupt_)),
      meter_(budget_),
      limits_(env.limits_) {
  // An interrupt() or SIGINT from before the call does not end it.
  if (saved_ == nullptr) env.interrupt_.store(false, std::memory_order_relaxed);
  limits_.budget = &budget_;
  env.active_ = &budget_;
}

CallBudget::~CallBudget() { env_.active_ = saved_; }

// Makes `budget` the Env's active budget (`slot`) while it lives.
class Active {
 public:
  Active(sexp::Budget*& slot, sexp::Budget* budget) : slot_(slot), saved_(slot) {
    slot_ = budget;
  }
  ~Active() { slot_ = saved_; }
  Active(const Active&) = delete;
  Active& operator=(const Active&) = delete;

 private:
  sexp::Budget*& slot_;
  sexp::Budget* saved_;
};

// sexp::Resolution for `await env.resolve(...)` (sexp/__init__.py): the
// rounds are run from the event loop's thread — step() evaluates without the
// GIL, Python awaits the services, supply() hands their results back — so no
// Python future is ever touched from another thread.
//
// One budget, made from the Env's limits when the resolution starts, bounds
// all of it: compiling the page, every round, the conversions of the
// services' arguments and results (charged here), the waits for the
// services (Python awaits them for at most time_left(), then abandon()s),
// and rendering the result.
class PyResolution {
 public:
  explicit PyResolution(Env& env)
      : env_(env), budget_(env.limits_, &env.interrupt_), meter_(budget_), limits_(env.limits_) {
    if (env.active_ == nullptr) env.interrupt_.store(false, std::memory_order_relaxed);
    limits_.budget = &budget_;
  }
  void Start(sexp::Value page, std::vector<sexp::Value> args = {}) {
    resolution_.emplace(env_.env(), page, std::move(args), limits_,
                        sexp::Resolution::kDefaultMaxRounds, &values_);
  }
  sexp::Arena& values() { return values_; }
  Meter& meter() { return meter_; }
  const sexp::EvalLimits& limits() const { return limits_; }
  sexp::Budget* budget() { return &budget_; }

  bool Step() {
    Busy busy(env_.busy());
    Active active(env_.active_, &budget_);
    return Unlocked(&env_.interrupt_, [&] { return resolution_->Step(); });
  }

  // [(service, [(id, args tuple, key), …]), …]
  py::list Batches() {
    py::list out;
    for (const sexp::IoBatch& b : resolution_->batches()) {
      py::list reqs;
      for (const sexp::IoRequest& q : b.requests) {
        py::tuple args(q.args.size());
        for (size_t i = 0; i < q.args.size(); ++i) args[i] = ValueToPy(q.args[i], meter_);
        meter_.Text(q.key.size(), 64);
        reqs.append(py::make_tuple(q.id, args, q.key));
      }
      out.append(py::make_tuple(b.service, reqs));
    }
    return out;
  }

  void Supply(size_t id, py::handle value) {
    if (abandoned_) return;
    sexp::Builder builder;
    sexp::Node node = PyToNode(builder, value, &meter_);
    sexp::Result<sexp::Document> doc = builder.Finish({node});
    resolution_->Supply(id, std::move(doc));
  }
  void Fail(size_t id, const std::string& message) {
    if (!abandoned_) resolution_->Fail(id, message);
  }

  // Seconds left before the deadline, or None when there is none.
  py::object TimeLeft() const {
    if (!budget_.has_deadline()) return py::none();
    return py::float_(static_cast<double>(budget_.time_left().count()) / 1000.0);
  }
  // Ends the resolution with `timeout`: the deadline passed while `waiting`
  // service calls were still out.
  void AbandonTimeout(size_t waiting) {
    std::string message = "the evaluation ran longer than " +
                          std::to_string(budget_.limits().timeout.count()) + " ms (waiting for " +
                          std::to_string(waiting) + " service call" +
                          (waiting == 1 ? "" : "s") + ")";
    budget_.Exhaust(sexp::EvalErrorCode::kTimeout, message);
    sexp::EvalError error;
    error.code = sexp::EvalErrorCode::kTimeout;
    error.message = std::move(message);
    resolution_->Abandon(std::move(error));
    abandoned_ = true;
  }

  // The resolution ended with `interrupted` (interrupt(), a SIGINT).
  bool Interrupted() const {
    const sexp::EvalResult& r = resolution_->result();
    return !r.ok() && r.error().code == sexp::EvalErrorCode::kInterrupted;
  }

  py::object Result() {
    const sexp::EvalResult& r = resolution_->result();
    if (!r.ok()) ThrowEvalError(r.error());
    return ValueToPy(r.value(), meter_);
  }
  // The value rendered, charged to the resolution's budget.
  std::string Html(bool allow_any_url) {
    Busy busy(env_.busy());
    const sexp::EvalResult& r = resolution_->result();
    if (!r.ok()) ThrowEvalError(r.error());
    return env_.Html([&](sexp::ByteSink& sink) {
      return sexp::RenderData(r.value(), sink, env_.Options(allow_any_url), limits_);
    });
  }
  py::dict Stats() const {
    const sexp::ResolveStats& s = resolution_->stats();
    py::dict d;
    d["rounds"] = s.rounds;
    d["requests"] = s.requests;
    d["merged"] = s.merged;
    d["memo_hits"] = s.memo_hits;
    d["failures"] = s.failures;
    return d;
  }

 private:
  Env& env_;
  sexp::Budget budget_;
  Meter meter_;
  sexp::EvalLimits limits_;  // the Env's, with budget_
  sexp::Arena values_;  // what the page makes: nothing of a request stays in the Env
  std::optional<sexp::Resolution> resolution_;  // once the page is compiled
  bool abandoned_ = false;
};

std::unique_ptr<PyResolution> Env::Resolution(py::handle text, py::handle args) {
  Busy busy(busy_);
  auto r = std::make_unique<PyResolution>(*this);
  // The page as a function of no arguments, compiled once for all rounds,
  // and kept for the next request of the same text (PageFunction).
  std::string page = SourceOf(text, r->meter());
  Active active(active_, r->budget());
  sexp::Value fn = PageFunction(std::move(page), r->limits());
  if (args.is_none()) {
    r->Start(fn);
    return r;
  }
  // A callable and its arguments: the arguments are values in the request's
  // arena, never text, so the compiled callee is the same for every request.
  sexp::EvalResult callee = Unlocked(
      &interrupt_, [&] { return env_->Call(fn, {}, r->limits(), &r->values()); });
  if (!callee.ok()) ThrowEvalError(callee.error());
  std::vector<sexp::Value> values;
  for (py::handle arg : args) {
    values.push_back(PyToValue(*env_, r->values(), arg, r->meter(), &keywords_));
  }
  r->Start(callee.value(), std::move(values));
  return r;
}

sexp::Value Env::PageFunction(std::string page, const sexp::EvalLimits& limits) {
  const uint64_t version = env_->definitions_version();
  if (version != pages_version_) {  // a macro may now expand differently
    pages_.clear();
    pages_version_ = version;
  }
  if (auto it = pages_.find(page); it != pages_.end()) return it->second;
  std::string source = "(fn () " + page + ")";
  sexp::EvalResult fn =
      Unlocked(&interrupt_, [&] { return env_->Eval(source, "<page>", limits); });
  if (!fn.ok()) ThrowEvalError(fn.error());
  // Compiling a page defines nothing, so the version is still `version`
  // (checked: a page whose text defines a global is not kept).
  if (env_->definitions_version() == version && pages_.size() < kMaxCachedPages &&
      page.size() <= kMaxCachedPageText) {
    pages_.emplace(std::move(page), fn.value());
  }
  return fn.value();
}

}  // namespace
}  // namespace sexp_py

PYBIND11_MODULE(_sexp, m) {
  using namespace sexp_py;
  m.doc() = "libsexp, the C++ core of the `sexp` package";
  m.attr("__version__") = SEXP_VERSION;

  m.def("_set_types", [](py::object symbol, py::object keyword, py::object markup,
                         py::object read_error, py::object eval_error, py::object adapt,
                         py::object render_error) {
    types() = Types{symbol, keyword, markup, read_error, eval_error, adapt, render_error};
  });

  auto python_limits = [](size_t max_size, size_t max_depth) {
    if (max_depth > kMaxPythonDepth) {
      throw py::value_error("max_depth is at most 4096 when building Python objects "
                            "(sexp.Document reads deeper)");
    }
    return Limits{max_size, max_depth};
  };
  // The json-module-style API (the package wraps these with docstrings and
  // the deprecated names): loads/loads_all read text, dumps/hash/cid take
  // values (a str is a string), hash_text/cid_text take text.
  m.def("loads", [python_limits](py::handle text, size_t max_size, size_t max_depth) {
    Utf8Text utf8(text);
    sexp::Document doc = ReadAll(utf8.view(), /*copy_source=*/false,
                                 python_limits(max_size, max_depth), /*exactly_one=*/true);
    return NodeToPy(doc.roots()[0]);
  }, py::arg("text"), py::kw_only(), py::arg("max_size") = size_t{64} << 20,
     py::arg("max_depth") = 1024);
  m.def("loads_all", [python_limits](py::handle text, size_t max_size, size_t max_depth) {
    Utf8Text utf8(text);
    sexp::Document doc = ReadAll(utf8.view(), /*copy_source=*/false,
                                 python_limits(max_size, max_depth));
    return NodesToPy(doc.roots());
  }, py::arg("text"), py::kw_only(), py::arg("max_size") = size_t{64} << 20,
     py::arg("max_depth") = 1024);
  m.def("dumps", [](py::handle v, bool pretty) {
    if (pretty) {
      return WithDocument(
          v, [](const sexp::Document& d) { return sexp::Format(d); }, nullptr, StrIs::kValue);
    }
    return WithDocument(
        v, [](const sexp::Document& d) { return sexp::Canonical(d.roots()[0]); }, nullptr,
        StrIs::kValue);
  }, py::arg("value"), py::kw_only(), py::arg("pretty") = false);
  m.def("hash", [](py::handle v) { return Digest(v, StrIs::kValue).hex_address(); });
  m.def("cid", [](py::handle v) { return Digest(v, StrIs::kValue).cid(); });
  m.def("hash_text", [](py::str text) { return Digest(text, StrIs::kText).hex_address(); });
  m.def("cid_text", [](py::str text) { return Digest(text, StrIs::kText).cid(); });
  m.def("_canonical_text", [](py::handle v) { return Canonical(v); });
  DocumentOf document_of = [](py::handle v, bool str_is_text) {
    return OneDocument(v, nullptr, str_is_text ? StrIs::kText : StrIs::kValue);
  };
  RegisterSig(m, document_of);
  RegisterAp(m, document_of);
  RegisterNegotiate(m);
#if SEXP_PY_HAVE_QUIC
  RegisterQuic(m);
#endif
  m.def("_fmt_text", [](py::handle v) {
    return WithDocument(v, [](const sexp::Document& d) { return sexp::Format(d); });
  });

  py::class_<NodeView>(m, "Node", "A node of a Document (keeps the document alive).")
      .def_property_readonly("kind",
                             [](const NodeView& v) { return std::string(sexp::KindName(v.node->kind())); })
      .def("__len__", [](const NodeView& v) {
        return v.node->is_list() || v.node->is_dict() ? v.node->size() : 0;
      })
      .def("__getitem__", &ViewAt)
      .def_property_readonly("name", [](const NodeView& v) -> py::object {
        if (!v.node->is_symbol() && !v.node->is_keyword()) return py::none();
        return py::str(std::string(v.node->name()));
      })
      .def_property_readonly("value", [](const NodeView& v) -> py::object {
        if (v.node->is_list() || v.node->is_dict()) return py::none();
        return NodeToPy(*v.node);
      })
      .def_property_readonly("position", [](const NodeView& v) {
        sexp::Position p = v.doc->position(*v.node);
        return py::make_tuple(p.line, p.column);
      })
      .def("to_python", [](const NodeView& v) { return NodeToPy(*v.node); },
           "The node and everything under it as Python values (as sexp.loads gives).")
      .def("canonical", [](const NodeView& v) {
        sexp::Result<std::string> text = sexp::Canonical(*v.node);
        if (!text.ok()) throw py::value_error(text.error().ToString());
        return std::move(text).value();
      }, "The node's canonical text (sexp.dumps of its value).")
      .def("hash", [](const NodeView& v) {
        sexp::Result<sexp::Digest> d = sexp::HashNode(*v.node);
        if (!d.ok()) throw py::value_error(d.error().ToString());
        return d.value().hex_address();
      }, "The node's content address (sexp.hash of its value).")
      .def("__repr__", [](const NodeView& v) {
        // <sexp.Node list (p :class "x" "hi")>, the text cut at 60 bytes.
        sexp::Result<std::string> text = sexp::Canonical(*v.node);
        std::string shown = text.ok() ? std::move(text).value() : "?";
        if (shown.size() > 60) {
          size_t cut = 57;
          while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
          shown = shown.substr(0, cut) + "...";
        }
        return "<sexp.Node " + std::string(sexp::KindName(v.node->kind())) + " " + shown + ">";
      })
      // Nodes are equal when their values are (their canonical texts are).
      .def("__eq__", [](const NodeView& a, const NodeView& b) {
        sexp::Result<std::string> x = sexp::Canonical(*a.node), y = sexp::Canonical(*b.node);
        return x.ok() && y.ok() && *x == *y;
      })
      .def("__hash__", [](const NodeView& v) {
        sexp::Result<std::string> text = sexp::Canonical(*v.node);
        return py::hash(py::str(text.ok() ? *text : std::string()));
      });

  py::class_<DocHandle>(m, "Document",
                        "A read document kept in C++: walk it through Node views without "
                        "building Python objects.")
      .def(py::init([](py::handle text) {
             Utf8Text utf8(text);
             return DocHandle{std::make_shared<const sexp::Document>(
                 ReadAll(utf8.view(), /*copy_source=*/true))};
           }),
           py::arg("text"))
      .def_property_readonly("roots", [](const DocHandle& d) {
        std::vector<NodeView> out;
        for (const sexp::Node& n : d.doc->roots()) out.push_back(NodeView{d.doc, &n});
        return out;
      })
      .def("__len__", [](const DocHandle& d) { return d.doc->roots().size(); })
      .def("__getitem__", [](const DocHandle& d, Py_ssize_t i) {
        Py_ssize_t n = static_cast<Py_ssize_t>(d.doc->roots().size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) throw py::index_error("root index out of range");
        return NodeView{d.doc, &d.doc->roots()[static_cast<size_t>(i)]};
      })
      .def_property_readonly("arena_bytes",
                             [](const DocHandle& d) { return d.doc->arena_stats().bytes_used; })
      .def("__repr__", [](const DocHandle& d) {
        return "<sexp.Document roots=" + std::to_string(d.doc->roots().size()) +
               " arena_bytes=" + std::to_string(d.doc->arena_stats().bytes_used) + ">";
      });

  m.def("html_to_sx", [](py::handle html, const std::string& mode, size_t max_size,
                         size_t max_depth, int64_t timeout_ms) {
    sexp::HtmlReadOptions o;
    if (mode == "auto") {
      o.mode = sexp::HtmlReadOptions::Mode::kAuto;
    } else if (mode == "fragment") {
      o.mode = sexp::HtmlReadOptions::Mode::kFragment;
    } else if (mode == "document") {
      o.mode = sexp::HtmlReadOptions::Mode::kDocument;
    } else {
      throw py::value_error("mode is 'auto', 'fragment' or 'document', not '" + mode + "'");
    }
    if (max_depth > kMaxPythonDepth) throw py::value_error("max_depth is at most 4096");
    o.max_size = max_size;
    o.max_depth = max_depth;
    o.timeout = std::chrono::milliseconds(timeout_ms);
    Utf8Text text(html);
    sexp::Result<sexp::Document> doc = [&] {
      py::gil_scoped_release release;
      return sexp::HtmlToSx(text.view(), o);
    }();
    if (!doc.ok()) ThrowReadError(doc.error());
    return NodeToPy(doc->roots()[0]);
  }, py::arg("html"), py::kw_only(), py::arg("mode") = "auto",
     py::arg("max_size") = size_t{64} << 20, py::arg("max_depth") = 1024,
     py::arg("timeout_ms") = 0);

  // Wire framing (sexp/wire/frame.h): frames of canonical sx.
  m.def("frame", [](py::handle v) {
    std::string wire;
    sexp::AppendFrame(Canonical(v), &wire);
    return py::bytes(wire);
  });
  m.def("check_message", [](py::handle v) {
    sexp::Document doc = OneDocument(v);
    sexp::Error e = sexp::ValidateMessage(doc.roots()[0], &doc);
    if (!e.ok()) ThrowReadError(e);
    return std::string(sexp::MessageFamilyName(*sexp::FamilyOf(doc.roots()[0])));
  });
  py::class_<sexp::FrameDecoder>(m, "FrameDecoder",
                                 "Splits a byte stream into frames' payloads (canonical sx text).")
      .def(py::init([](size_t max_frame_size) {
             sexp::FrameOptions o;
             o.max_frame_size = max_frame_size;
             return sexp::FrameDecoder(o);
           }),
           py::arg("max_frame_size") = sexp::kDefaultMaxFrameSize)
      .def("feed", [](sexp::FrameDecoder& d, py::bytes chunk) {
        // The frames now whole, as bytes; a broken stream raises ReadError.
        d.Feed(std::string_view(chunk));
        py::list out;
        while (auto f = d.Next()) out.append(py::bytes(f->data(), f->size()));
        if (d.failed()) ThrowReadError(d.error());
        return out;
      }, py::arg("chunk"), "Takes the next bytes of the stream; the payloads of the frames now "
                           "whole, as bytes. ReadError when the stream is broken.")
      .def("finish", [](sexp::FrameDecoder& d) {
        sexp::Error e = d.Finish();
        if (!e.ok()) ThrowReadError(e);
      }, "Says the stream ended: ReadError (frame-truncated) when it ended inside a frame.")
      .def_property_readonly("offset", &sexp::FrameDecoder::offset)
      .def_property_readonly("buffered", &sexp::FrameDecoder::buffered);

  // sexp::Router (spec/routes.md): patterns → route ids.
  py::class_<sexp::Router>(m, "Router",
                           "defroute patterns (spec/routes.md) to route ids: the most specific "
                           "pattern wins, same-shape patterns are refused.")
      .def(py::init<>())
      .def("add", [](sexp::Router& r, const std::string& pattern, size_t route) {
        absl::Status s = r.Add(pattern, route);
        if (!s.ok()) throw py::value_error(std::string(s.message()));
      }, py::arg("pattern"), py::arg("route"),
         "Adds `pattern` (\"/posts/:id{int}/\") as route `route`; ValueError when it is "
         "malformed or has the shape of one already added.")
      .def("match", [](const sexp::Router& r, const std::string& target) -> py::object {
        std::optional<sexp::RouteMatch> match = r.Match(target);
        if (!match) return py::none();
        py::dict params;
        for (auto& [k, v] : match->params) params[py::str(k)] = py::str(v);
        py::list query;
        for (auto& [k, v] : match->query) query.append(py::make_tuple(k, v));
        return py::make_tuple(match->route, params, query);
      }, py::arg("target"),
         "(route, {param: text}, [(query name, value)…]) for a request target "
         "(\"/posts/7/?x=1\"), or None when no pattern matches.")
      .def("__len__", &sexp::Router::size);

  py::class_<PyResolution>(m, "_Resolution")
      .def("step", &PyResolution::Step)
      .def("batches", &PyResolution::Batches)
      .def("supply", &PyResolution::Supply)
      .def("fail", &PyResolution::Fail)
      .def("result", &PyResolution::Result)
      .def("time_left", &PyResolution::TimeLeft)
      .def("interrupted", &PyResolution::Interrupted)
      .def("abandon_timeout", &PyResolution::AbandonTimeout)
      .def("html", &PyResolution::Html)
      .def("stats", &PyResolution::Stats);

  py::class_<Env>(m, "Env")
      .def(py::init<py::object, py::object>(), py::arg("capabilities") = py::none(),
           py::arg("limits") = py::none())
      .def("_primitive", &Env::Primitive)
      .def("eval", &Env::Eval, py::arg("text_or_value"), py::arg("file") = "",
           "Evaluates sx text (a str) or Python data as sx, form by form; the value of the "
           "last. Definitions persist in the Env. `file` names the text in errors and traces. "
           "ReadError when the text does not read, EvalError when it fails.")
      .def("_load", &Env::Load, py::arg("path"))
      .def("render_html", &Env::RenderHtml, py::arg("text_or_value"), py::arg("file") = "",
           py::arg("allow_any_url") = false,
           "Evaluates sx text (or Python data as sx) and renders the value as HTML. "
           "`allow_any_url` turns the URL policy off (trusted markup only). The text's code "
           "stays in the Env: per-request pages go through render, render_page or resolve.")
      .def("_render", &Env::Render)
      .def("_render_chunks", &Env::RenderChunks)
      .def("start_component_log", [](Env& e) { e.env().StartComponentLog(); },
           "Starts recording the components called on this Env (resolving and rendering).")
      .def("stop_component_log", [](Env& e) { return e.env().StopComponentLog(); },
           "Stops recording; the names of the components called since "
           "start_component_log, each once, in the order of their first call.")
      .def("render_data", &Env::RenderDataHtml, py::arg("tree"), py::kw_only(),
           py::arg("allow_any_url") = false,
           "Renders an element tree given as Python data *as data* (no list is a call: "
           "components and primitives are not invoked), e.g. a resolved page or data from "
           "a service.")
      .def("parameters", &Env::Parameters, py::arg("component"),
           "The keyword parameters the component `component` declares, without colons "
           "(['item', 'csrf']); [] when it is not a component.")
      .def("interrupt", &Env::Interrupt,
           "Ends the running call (from another thread) with EvalError \"interrupted\".")
      .def("_service", &Env::Service)
      .def("use_subtree_cache", &Env::UseSubtreeCache, py::arg("memory_bytes") = 64u << 20,
           py::arg("redis_host") = "127.0.0.1", py::arg("redis_port") = 0,
           py::arg("redis_prefix") = "sexp:cache:", py::arg("disk") = "")
      .def("cache_stats", &Env::CacheStats,
           "Hits, misses and sizes of the subtree cache tiers (use_subtree_cache).")
      .def("_resolution", &Env::Resolution, py::arg("page"), py::arg("args") = py::none(),
           py::keep_alive<0, 1>())
      .def_property_readonly("bytes_used", &Env::BytesUsed)
      .def_property_readonly("render_stats", &Env::RenderStats);
}
