// The machine: calls, frames, tail calls, limits, faults. The Environment
// (the public API around it) is environment.cc.
#include "eval/machine.h"

#include "core/file.h"
#include "core/strutil.h"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"
#include "eval/compile.h"
#include "eval/prims.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp {

using internal::AV;

namespace eval_internal {

const int Machine::kTailMarker = 0;

namespace {

constexpr size_t kStackSegmentValues = size_t{1} << 16;  // 1 MiB of frames
constexpr size_t kFirstStackSegmentValues = size_t{1} << 10;
constexpr uint32_t kTimeCheckEvery = 1024;

// How many bytes of C++ stack an evaluation may use: what the thread has,
// less a margin for the host and for primitives, at most 8 MiB. The thread's
// stack bounds are looked up once per thread (for the main thread glibc
// reads /proc/self/maps, far too slow to repeat for every render).
size_t StackBudget(char* here) {
  struct Bounds {
    char* low = nullptr;  // lowest address of the thread's stack; nullptr: unknown
    bool looked = false;
  };
  thread_local Bounds bounds;
  if (!bounds.looked) {
    bounds.looked = true;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) bounds.low = static_cast<char*>(addr);
      pthread_attr_destroy(&attr);
    }
  }
  size_t budget = size_t{1} << 20;  // when the thread cannot tell
  if (bounds.low != nullptr && here > bounds.low) {
    size_t below = static_cast<size_t>(here - bounds.low);
    size_t margin = size_t{256} << 10;
    budget = below > 2 * margin ? below - margin : below / 2;
  }
  return std::min(budget, size_t{8} << 20);
}

}  // namespace

namespace {

// A fault with its code, message and the position of `at` (if any).
Fault FaultAt(EvalErrorCode code, std::string message, const Code* at) {
  Fault fault;
  fault.code = code;
  fault.message = std::move(message);
  if (at != nullptr) {
    fault.file = at->file;
    fault.offset = at->offset;
  }
  return fault;
}

}  // namespace

Machine::Machine(Environment::State& env, std::atomic<bool>& interrupt, const EvalLimits& limits)
    : env_(env), resolving_(env.active_resolutions != 0), interrupt_(interrupt),
      limits_(limits), outer_(env.innermost),
      own_budget_(limits, outer_ != nullptr ? outer_->budget_ : nullptr),
      budget_(limits.budget != nullptr ? limits.budget : &own_budget_) {
  home_ = heap_ = &env_.arena;
  budget_->Watch(&interrupt_);
  if (outer_ != nullptr) {
    // Re-entrant: one depth count and one C++ stack for the whole chain, so
    // a primitive that evaluates itself recursively meets depth-limit, not
    // the end of the thread's stack.
    // The nested evaluation is one call deeper; past either limit its first
    // step fails (a constructor cannot).
    depth_ = outer_->depth_ + 1;
    limits_.max_depth = std::min(limits_.max_depth, outer_->limits_.max_depth);
    stack_base_ = outer_->stack_base_;
    stack_budget_ = outer_->stack_budget_;
    char probe;
    ptrdiff_t used = stack_base_ - &probe;
    too_deep_ = depth_ > limits_.max_depth || (used > 0 && static_cast<size_t>(used) > stack_budget_);
  } else {
    char here;
    stack_base_ = &here;
    stack_budget_ = StackBudget(&here);
  }
  env_.innermost = this;
  // (A machine started from inside another's primitive keeps its interrupt.)
  if (env_.active_machines++ == 0) interrupt_.store(false, std::memory_order_relaxed);
}

Machine::~Machine() {
  budget_->Return(countdown_);
  env_.innermost = outer_;
  --env_.active_machines;
}

void Machine::Slow() {
  if (too_deep_) {
    too_deep_ = false;
    Fault fault = FaultAt(EvalErrorCode::kDepthLimit,
                          absl::StrCat("evaluations started from inside primitives nested deeper "
                                       "than the limit of ", limits_.max_depth,
                                       " calls or the thread's stack"),
                          site_);
    fault.limit = true;
    throw fault;
  }
  budget_->Return(countdown_);
  countdown_ = budget_->Lease(kTimeCheckEvery);
  if (countdown_ == 0) FailBudget();
}

void Machine::FailBudget() { FailLimit(budget_->code(), budget_->message()); }

void* Machine::Allocate(size_t bytes) {
  Account(bytes);
  void* p = heap_->Allocate(bytes);
  if (p == nullptr) FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  return p;
}

Value Machine::MakeString(std::string_view s) {
  if (s.size() > UINT32_MAX) FailLimit(EvalErrorCode::kMemoryLimit, "string longer than 4 GiB");
  AccountText(s.size());
  const char* p = env_.CopyBytes(s, heap_);
  if (p == nullptr) FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  return Value::StringView(std::string_view(p, s.size()));
}

Value Machine::MakeName(ValueType type, std::string_view name) {
  if (name.size() > UINT32_MAX) FailLimit(EvalErrorCode::kMemoryLimit, "name longer than 4 GiB");
  Charge(name.size() / 64);  // hashing it
  Value v = env_.NameIn(type, name, in_scratch() ? heap_ : nullptr);
  if (v.atom() == nullptr) FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  if (v.transient_name()) Account(sizeof(Atom) + name.size() + 16);
  return v;
}

Value Machine::MakeList(absl::Span<const Value> items) {
  if (items.size() > UINT32_MAX) FailLimit(EvalErrorCode::kMemoryLimit, "list longer than 2^32 elements");
  Account(items.size() * sizeof(Value));
  const Value* p = env_.CopyValues(items, heap_);
  if (p == nullptr && !items.empty()) FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  return Value::ListView(absl::MakeConstSpan(p, items.size()));
}

Value Machine::MakeDict(absl::Span<const Value> flat) {
  if (flat.size() % 2 != 0) {
    Fail(EvalErrorCode::kType, "a dict needs key/value pairs (an even number of elements)", site_);
  }
  // Later keys replace earlier ones; order of first appearance is kept. Large
  // dicts index their keys so building one stays linear.
  std::vector<Value> out;
  out.reserve(flat.size());
  absl::flat_hash_map<std::pair<bool, std::string_view>, size_t> index;
  bool indexed = flat.size() > 32;
  for (size_t i = 0; i < flat.size(); i += 2) {
    const Value& key = flat[i];
    if (!key.is_keyword() && !key.is_string()) {
      Fail(EvalErrorCode::kType, absl::StrCat("dict keys are keywords or strings, got ",
                                AV(ValueTypeName(key.type()))), site_);
    }
    size_t at = out.size();
    if (indexed) {
      auto [it, fresh] =
          index.try_emplace({key.is_keyword(), key.is_keyword() ? key.name() : key.str()}, at);
      if (!fresh) at = it->second;
    } else {
      for (size_t j = 0; j < out.size(); j += 2) {
        if (SameKey(out[j], key)) {
          at = j;
          break;
        }
      }
    }
    if (at == out.size()) {
      out.push_back(key);
      out.push_back(flat[i + 1]);
    } else {
      out[at + 1] = flat[i + 1];
    }
  }
  Value list = MakeList(out);
  return Value::DictView(list.items());
}

Frame* Machine::NewHeapFrame(uint32_t size, Frame* parent) {
  size_t slots = std::max<uint32_t>(size, 1);
  auto* f = static_cast<Frame*>(Allocate(sizeof(Frame) + (slots - 1) * sizeof(Value)));
  f->parent = parent;
  for (size_t i = 0; i < slots; ++i) new (&f->slots[i]) Value();
  return f;
}

Frame* Machine::NewStackFrameSlow(size_t need, Frame* parent) {
  // The current segment is full (or there is none yet): move to the next,
  // allocating it the first time — small at first (most evaluations are
  // shallow), doubling up to kStackSegmentValues. Frames never move once
  // made; segments are uninitialised memory (PushFrame writes every slot).
  if (need > kStackSegmentValues) return NewHeapFrame(static_cast<uint32_t>(need - 1), parent);
  if (!stack_segments_.empty()) ++stack_segment_;
  while (stack_segment_ < stack_segments_.size() && stack_segments_[stack_segment_].size < need) {
    ++stack_segment_;  // too small for this frame: skip it
  }
  if (stack_segment_ >= stack_segments_.size()) {
    size_t size = stack_segments_.empty() ? kFirstStackSegmentValues
                                          : std::min(stack_segments_.back().size * 2,
                                                     kStackSegmentValues);
    size = std::max(size, need);
    void* mem = std::malloc(size * sizeof(Value));
    if (mem == nullptr) FailLimit(EvalErrorCode::kMemoryLimit, "out of memory for call frames");
    stack_segments_.push_back({std::unique_ptr<Value, StackSegment::Free>(static_cast<Value*>(mem)), size});
    stack_segment_ = stack_segments_.size() - 1;
  }
  stack_values_ = stack_segments_[stack_segment_].values.get();
  stack_limit_ = stack_segments_[stack_segment_].size;
  stack_top_ = 0;
  return NewStackFrame(need, parent);
}

void Machine::PopStack(StackMark mark) {
  if (mark.segment != stack_segment_) {
    stack_segment_ = mark.segment;
    stack_values_ = stack_segments_.empty() ? nullptr : stack_segments_[stack_segment_].values.get();
    stack_limit_ = stack_segments_.empty() ? 0 : stack_segments_[stack_segment_].size;
  }
  stack_top_ = mark.top;
}

Frame* Machine::PushFrameSlow(const Function& fn, const Value* args, size_t n, const Code* site) {
  const Lambda& l = *fn.lambda;
  size_t slots = std::max<uint32_t>(l.frame_size, 1);
  Frame* frame = l.heap_frame ? NewHeapFrame(l.frame_size, fn.env) : NewStackFrame(1 + slots, fn.env);
  for (size_t i = 0; i < slots; ++i) frame->slots[i] = Value();
  BindArgs(fn, frame, args, n, site);
  return frame;
}

Value Machine::TailCall(const Value& fn, const Value* args, size_t n, const Code* site) {
  tail_fn_ = fn;
  tail_site_ = site;
  tail_args_.assign(args, args + n);
  return Value::Callable(ValueType::kPrimitive, &kTailMarker);
}

std::string Machine::Where(const SourceFile* file, uint32_t offset) const {
  if (file == nullptr || offset == Node::kNoPos32) return "";
  Position p = file->doc.PositionOfOffset(offset);
  return absl::StrCat(file->name.empty() ? "<input>" : file->name, ":", p.line, ":", p.column);
}

void Machine::BindArgs(const Function& fn, Frame* frame, const Value* args, size_t n,
                       const Code* site) {
  const Lambda& l = *fn.lambda;
  if (!l.component) {
    if (n < l.required || (!l.has_rest && n > l.required)) {
      Fail(EvalErrorCode::kArity,
           absl::StrCat(l.name.empty() ? "this function" : "'" + l.name + "'", " takes ",
                        l.has_rest ? "at least " : "", l.required,
                        l.required == 1 ? " argument" : " arguments", ", got ", n),
           site);
    }
    for (uint32_t i = 0; i < l.required; ++i) frame->slots[i] = args[i];
    if (l.has_rest) {
      frame->slots[l.required] =
          MakeList(absl::MakeConstSpan(args + l.required, n - l.required));
    }
    return;
  }
  // Component: keyword pairs fill &key slots; other arguments are children.
  std::vector<Value> children;
  for (size_t i = 0; i < n; ++i) {
    if (args[i].is_keyword() && i + 1 < n) {
      const Atom* key = args[i].atom();
      size_t k = 0;
      if (args[i].transient_name()) {  // a name the environment did not have
        while (k < l.keys.size() && l.keys[k]->name() != key->name()) ++k;
      } else {
        while (k < l.keys.size() && l.keys[k] != key) ++k;
      }
      if (k == l.keys.size()) {
        std::string known;
        for (const Atom* a : l.keys) absl::StrAppend(&known, known.empty() ? "" : " ", ":", AV(a->name()));
        Fail(EvalErrorCode::kUnknownKey,
             absl::StrCat(l.name, " has no parameter :", AV(key->name()),
                          known.empty() ? " (it takes none)" : absl::StrCat(" (it takes ", known, ")")),
             site);
      }
      frame->slots[k] = args[i + 1];
      ++i;
    } else {
      children.push_back(args[i]);
    }
  }
  if (l.children_slot >= 0) {
    if (l.has_rest || !children.empty()) frame->slots[l.children_slot] = MakeList(children);
  } else if (!children.empty()) {
    Fail(EvalErrorCode::kArity, absl::StrCat(l.name, " takes no children (declare &rest children)"), site);
  }
}

Value Machine::ApplyPrimitive(const Primitive& p, const Value* args, size_t n, const Code* site) {
  if (n < static_cast<size_t>(p.min_args) || (p.max_args >= 0 && n > static_cast<size_t>(p.max_args))) {
    std::string want = p.min_args == p.max_args ? absl::StrCat(p.min_args)
                       : p.max_args < 0       ? absl::StrCat("at least ", p.min_args)
                                              : absl::StrCat(p.min_args, " to ", p.max_args);
    Fail(EvalErrorCode::kArity, absl::StrCat("'", p.name, "' takes ", want,
                               p.max_args == 1 && p.min_args == 1 ? " argument" : " arguments",
                               ", got ", n),
         site);
  }
  // Errors raised inside the primitive point at its call site.
  struct SiteGuard {
    const Code*& site;
    const Code* saved;
    ~SiteGuard() { site = saved; }
  } guard{site_, site_};
  site_ = site;
  CallContext ctx(this);
  // (A Fault is no std::exception: it passes these handlers untouched, and
  // without a catch-and-rethrow here, which would cost a second unwind.)
  try {
    return p.fn(ctx, absl::MakeConstSpan(args, n));
  } catch (const std::bad_alloc&) {
    FailLimit(EvalErrorCode::kMemoryLimit, absl::StrCat("out of memory in '", p.name, "'"));
  } catch (const std::exception& e) {
    Fail(EvalErrorCode::kHost, absl::StrCat("'", p.name, "' failed: ", e.what()), site);
  }
}


void Machine::FailDepth(const Code* site) {
  --depth_;  // CallDepth's destructor will not run
  Fault fault = FaultAt(EvalErrorCode::kDepthLimit,
                        absl::StrCat("calls nested deeper than the limit of ", limits_.max_depth,
                                     " (unbounded recursion?)"),
                        site);
  fault.limit = true;
  throw fault;
}

Value Machine::Apply(const Value& fn_in, const Value* args, size_t n, const Code* site,
                     Emitter* out) {
  CallDepth depth(*this, site);
  return CallLoop(fn_in, args, n, site, out);
}

Value Machine::CallLoop(const Value& fn_in, const Value* args, size_t n, const Code* site,
                        Emitter* out) {
  Value fn = fn_in;
  // The frame the running tail call replaced, and where it was called: an
  // error in the callee names both (the callee at its own call site), so a
  // trace does not lose the function that made the tail call.
  const Lambda* replaced = nullptr;
  const Code* replaced_site = nullptr;
  for (;;) {
    Step();
    switch (fn.type()) {
      case ValueType::kPrimitive: {
        const auto& p = *static_cast<const Primitive*>(fn.object());
        if (out != nullptr) {
          EmitPrimitive(*this, p, args, n, site, *out);
          return Value();
        }
        return RunPrimitive(p, args, n, site);
      }
      case ValueType::kFunction:
      case ValueType::kComponent: {
        const Function& f = *static_cast<const Function*>(fn.object());
        const Lambda& l = *f.lambda;
        if (auto* log = env().component_log.get();
            log != nullptr && fn.type() == ValueType::kComponent && log->seen.insert(&l).second) {
          log->names.push_back(l.name);
        }
        StackMark mark{stack_segment_, stack_top_};
        Value r;
        try {
          Frame* frame = PushFrame(f, args, n, site);
          r = out != nullptr ? l.body->Emit(*this, frame, *out) : l.body->Eval(*this, frame);
        } catch (Fault& fault) {
          PopStack(mark);
          AddTrace(fault, l, site);
          if (replaced != nullptr) AddTrace(fault, *replaced, replaced_site);
          throw;
        }
        PopStack(mark);
        if (IsTailMarker(r)) {
          replaced = &l;
          replaced_site = site;
          fn = tail_fn_;
          args = tail_args_.data();
          n = tail_args_.size();
          site = tail_site_;
          continue;
        }
        return r;
      }
      case ValueType::kKeyword: {
        // (:key m) and (:key m default): look the keyword up in a dict, or
        // among the keyword pairs of a list such as (Note :id 1).
        if (n < 1 || n > 2) Fail(EvalErrorCode::kArity, absl::StrCat("(:", AV(fn.name()), " m [default]) takes 1 or 2 arguments, got ", n), site);
        Value found;
        Charge(args[0].size() / 16);  // a lookup scans the pairs
        if (!LookupKey(args[0], fn, &found) && n == 2) found = args[1];
        if (out != nullptr) {
          out->Emit(found);
          return Value();
        }
        return found;
      }
      default:
        Fail(EvalErrorCode::kNotCallable,
             absl::StrCat("cannot call a ", AV(ValueTypeName(fn.type())),
                          fn.is_symbol() || fn.is_string()
                              ? absl::StrCat(" (", fn.is_symbol() ? AV(fn.name()) : AV(fn.str()), ")")
                              : ""),
             site);
    }
  }
}

void Machine::AddTrace(Fault& fault, const Lambda& l, const Code* site) const {
  // A pending request is no error: nobody reads its trace (and a resolution
  // raises one per request per round).
  if (fault.pending || fault.trace.size() >= 64) return;
  std::string where = site ? Where(site->file, site->offset) : "";
  std::string_view name = l.name.empty() ? std::string_view("fn") : std::string_view(l.name);
  // A call the host made (Environment::Call, env.render) has no sx site.
  fault.trace.push_back(where.empty() ? std::string(name)
                                      : absl::StrCat(AV(name), " (", where, ")"));
}

bool LookupKey(const Value& m, const Value& key, Value* out) {
  if (m.is_dict()) {
    for (size_t i = 0; i + 1 < m.size(); i += 2) {
      if (SameKey(m[i], key)) {
        *out = m[i + 1];
        return true;
      }
    }
    return key.is_keyword() && LookupStringKeyOf(m, key, out);
  } else if (m.is_list() && key.is_keyword()) {
    for (size_t i = 1; i + 1 < m.size(); ++i) {
      if (m[i].is_keyword() && m[i].SameName(key)) {
        *out = m[i + 1];
        return true;
      }
    }
  }
  return false;
}

bool LookupStringKeyOf(const Value& dict, const Value& keyword, Value* out) {
  const std::string_view name = keyword.name();
  for (size_t i = 0; i + 1 < dict.size(); i += 2) {
    if (dict[i].is_string() && dict[i].str() == name) {
      *out = dict[i + 1];
      return true;
    }
  }
  return false;
}

void Machine::Fail(EvalErrorCode code, std::string message, const Code* at) {
  throw FaultAt(code, std::move(message), at != nullptr ? at : site_);
}

void Machine::FailLimit(EvalErrorCode code, std::string message) {
  Fault fault = FaultAt(code, std::move(message), site_);
  fault.limit = true;
  throw fault;
}

void Machine::FailPending(std::string message) {
  Fault fault = FaultAt(EvalErrorCode::kPending, std::move(message), site_);
  fault.pending = true;
  throw fault;
}

Value ErrorValue(Machine& m, const Fault& fault) {
  auto& env = m.env();
  std::vector<Value> trace;
  for (const std::string& t : fault.trace) trace.push_back(m.MakeString(t));
  Position p;
  if (fault.file != nullptr && fault.offset != Node::kNoPos32) {
    p = fault.file->doc.PositionOfOffset(fault.offset);
  }
  Value kv[] = {
      Value::Keyword(env.Intern("code")),    m.MakeString(EvalErrorCodeName(fault.code)),
      Value::Keyword(env.Intern("message")), m.MakeString(fault.message),
      Value::Keyword(env.Intern("file")),    m.MakeString(fault.file ? fault.file->name : ""),
      Value::Keyword(env.Intern("line")),    Value::Int(p.line),
      Value::Keyword(env.Intern("column")),  Value::Int(p.column),
      Value::Keyword(env.Intern("trace")),   m.MakeList(trace),
  };
  return m.MakeDict(kv);
}

// Converts a read document's node into a value of the environment, recording
// where each list came from.
Value Datum(Environment::State& env, SourceFile* file, const Node& n) {
  switch (n.kind()) {
    case Kind::kNil:
      return Value();
    case Kind::kBool:
      return Value::Bool(n.as_bool());
    case Kind::kInt:
      return Value::Int(n.as_int());
    case Kind::kFloat:
      return Value::Float(n.as_float());
    case Kind::kString:
      return Value::StringView(n.str());  // the document lives in `file`
    case Kind::kBytes:
      return Value::BytesView(n.bytes());
    case Kind::kSymbol:
      return Value::Symbol(env.Intern(n.name()));
    case Kind::kKeyword:
      return Value::Keyword(env.Intern(n.name()));
    case Kind::kList:
    case Kind::kDict: {
      auto items = n.items();
      if (items.empty()) return n.is_dict() ? Value::DictView({}) : Value::ListView({});
      auto* values = env.arena.AllocateArray<Value>(items.size());
      auto* offsets = env.arena.AllocateArray<uint32_t>(items.size());
      if (values == nullptr || offsets == nullptr) throw std::bad_alloc();
      const char* base = file->doc.source().data();
      for (size_t i = 0; i < items.size(); ++i) {
        new (&values[i]) Value(Datum(env, file, items[i]));
        offsets[i] = items[i].raw_offset(base);
      }
      env.list_sources.emplace(values, ListSource{file, n.raw_offset(base), offsets});
      auto span = absl::MakeConstSpan(values, items.size());
      return n.is_dict() ? Value::DictView(span) : Value::ListView(span);
    }
  }
  return Value();
}

void EvalArgsResolving(Machine& m, Frame* f, const Code* const* args, size_t n, Value* out) {
  EachPastPending(n, [&](size_t i) { out[i] = args[i]->Eval(m, f); });
}

void ThrowTypeError(CallContext& ctx, std::string_view prim, size_t index, std::string_view want,
                    const Value& got) {
  ctx.Fail(EvalErrorCode::kType, absl::StrCat("'", AV(prim), "' argument ", index + 1, " must be ", AV(want),
                                ", got ", AV(ValueTypeName(got.type()))));
}

}  // namespace eval_internal
}  // namespace sexp
