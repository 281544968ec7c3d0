// The Environment: the public API of the evaluator (sexp/eval/eval.h) —
// making an environment with the core language and the registered
// extensions, defining primitives and values, evaluating text and calls —
// and the public error type. The machine that runs code is machine.cc.
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/file.h"
#include "core/strutil.h"
#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/machine.h"
#include "eval/prims.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp {

using internal::AV;

using eval_internal::Fault;
using eval_internal::Machine;
using eval_internal::FromFault;

eval_internal::Global* Environment::State::GlobalCell(const Atom* name) {
  auto& slot = globals[name];
  if (!slot) {
    slot = std::make_unique<eval_internal::Global>();
    slot->name = name;
  }
  return slot.get();
}

const char* Environment::State::CopyBytes(std::string_view bytes, Arena* into) {
  if (into == nullptr) into = &arena;
  char* p = static_cast<char*>(into->Allocate(bytes.empty() ? 1 : bytes.size()));
  if (p != nullptr && !bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p;
}

const Value* Environment::State::CopyValues(absl::Span<const Value> items, Arena* into) {
  if (items.empty()) return nullptr;
  if (into == nullptr) into = &arena;
  Value* p = into->AllocateArray<Value>(items.size());
  if (p != nullptr) std::memcpy(static_cast<void*>(p), items.data(), items.size() * sizeof(Value));
  return p;
}

// ---------------------------------------------------------------------------
// Errors

namespace {

// The names of EvalErrorCode, in its order.
constexpr std::string_view kEvalErrorNames[] = {
    "syntax", "unbound", "not-callable", "arity", "type", "unknown-key", "overflow",
    "division-by-zero", "index", "user", "read", "render", "host", "io", "pending",
    "step-limit", "depth-limit", "memory-limit", "timeout", "interrupted", "round-limit",
};
static_assert(std::size(kEvalErrorNames) ==
              static_cast<size_t>(EvalErrorCode::kRoundLimit) + 1);

}  // namespace

std::string_view EvalErrorCodeName(EvalErrorCode code) {
  auto i = static_cast<size_t>(code);
  return i < std::size(kEvalErrorNames) ? kEvalErrorNames[i] : "unknown";
}

bool EvalErrorCodeFromName(std::string_view name, EvalErrorCode* code) {
  for (size_t i = 0; i < std::size(kEvalErrorNames); ++i) {
    if (kEvalErrorNames[i] == name) {
      *code = static_cast<EvalErrorCode>(i);
      return true;
    }
  }
  return false;
}

std::ostream& operator<<(std::ostream& os, EvalErrorCode code) {
  return os << EvalErrorCodeName(code);
}

std::string EvalError::ToString() const {
  std::string s;
  if (line > 0) absl::StrAppend(&s, file.empty() ? "<input>" : file, ":", line, ":", column, ": ");
  absl::StrAppend(&s, std::string(EvalErrorCodeName(code)), ": ", message);
  // Runs of the same entry (deep recursion) print once with a count.
  for (size_t i = 0; i < trace.size();) {
    size_t j = i + 1;
    while (j < trace.size() && trace[j] == trace[i]) ++j;
    absl::StrAppend(&s, "\n  in ", trace[i]);
    if (j - i > 1) absl::StrAppend(&s, " (", j - i, " times)");
    i = j;
  }
  return s;
}

bool EvalError::is_limit() const {
  return code == EvalErrorCode::kStepLimit || code == EvalErrorCode::kDepthLimit || code == EvalErrorCode::kMemoryLimit ||
         code == EvalErrorCode::kTimeout || code == EvalErrorCode::kInterrupted || code == EvalErrorCode::kRoundLimit;
}

absl::Status EvalError::ToStatus() const {
  if (code == EvalErrorCode::kTimeout) return absl::DeadlineExceededError(ToString());
  if (code == EvalErrorCode::kInterrupted) return absl::CancelledError(ToString());
  if (is_limit()) return absl::ResourceExhaustedError(ToString());
  return absl::InvalidArgumentError(ToString());
}

namespace eval_internal {

EvalError FromFault(const Fault& f) {
  EvalError e;
  e.code = f.code;
  e.message = f.message;
  e.trace = f.trace;
  if (f.file != nullptr) {
    e.file = f.file->name;
    if (f.offset != Node::kNoPos32) {
      Position p = f.file->doc.PositionOfOffset(f.offset);
      e.offset = p.offset;
      e.line = p.line;
      e.column = p.column;
    }
  }
  return e;
}

}  // namespace eval_internal

// ---------------------------------------------------------------------------
// Environment

Environment::Environment(uint32_t groups, const Allocator& upstream)
    : state_(std::make_unique<State>(upstream)) {
  state_->groups = groups;
  // The core language, then the extensions registered in this process
  // (eval/extension.h), then the prelude (which may use both).
  eval_internal::InstallSpecialForms(*state_);
  eval_internal::InstallPrimitives(*this, *state_);
  eval_internal::InstallExtensions(*this, *state_);
  if ((groups & kGroupPure) == kGroupPure) eval_internal::LoadPrelude(*this);
}

Environment::~Environment() = default;

void Environment::DefinePrimitive(std::string_view name, int min_args, int max_args,
                                  PrimitiveFn fn, uint32_t group) {
  auto p = std::make_unique<eval_internal::Primitive>();
  p->name = std::string(name);
  p->min_args = min_args;
  p->max_args = max_args;
  p->group = group;
  p->fn = std::move(fn);
  if (group == 0 || (state_->groups & group) != 0) {
    eval_internal::Global* g = state_->GlobalCell(state_->Intern(name));
    g->value = Value::Callable(ValueType::kPrimitive, p.get());
    g->bound = true;
    ++state_->global_version;
  }
  state_->primitives.push_back(std::move(p));
}

void Environment::DefineValue(std::string_view name, const Value& value) {
  eval_internal::Global* g = state_->GlobalCell(state_->Intern(name));
  g->value = value;
  g->bound = true;
  ++state_->global_version;
}

const Value* Environment::Lookup(std::string_view name) const {
  const Atom* a = state_->Intern(name);
  auto it = state_->globals.find(a);
  if (it == state_->globals.end() || !it->second->bound) return nullptr;
  return &it->second->value;
}

namespace eval_internal {

EvalResult RunText(Environment& env, std::string_view text, std::string_view file,
                   const EvalLimits& limits, const LastForm* last_form) {
  Environment::State& state = Access::StateOf(env);
  auto src = std::make_unique<SourceFile>();
  src->name = std::string(file);
  ReadOptions options;
  Result<Document> doc = Read(text, options);
  if (!doc.ok()) {
    EvalError e;
    e.code = EvalErrorCode::kRead;
    e.message = absl::StrCat(AV(ErrorCodeName(doc.error().code)), ": ", doc.error().message);
    e.file = src->name;
    e.offset = doc.error().offset;
    e.line = doc.error().line;
    e.column = doc.error().column;
    return e;
  }
  src->doc = std::move(doc.value());
  SourceFile* sf = src.get();
  state.files.push_back(std::move(src));

  Machine m(state, Access::InterruptOf(env), limits);
  try {
    m.Step();  // (a nested evaluation started too deep fails here, before compiling)
    Compiler compiler(m, state);
    Value last;
    const char* base = sf->doc.source().data();
    auto roots = sf->doc.roots();
    for (size_t i = 0; i < roots.size(); ++i) {
      Value form = Datum(state, sf, roots[i]);
      Scope top;
      const Code* code = compiler.CompileTop(form, Pos{sf, roots[i].raw_offset(base)}, &top);
      Frame* frame = m.NewHeapFrame(top.frame_size, nullptr);
      bool is_last = i + 1 == roots.size();
      last = is_last && last_form != nullptr ? last_form->Run(m, code, frame)
                                             : code->Eval(m, frame);
    }
    return last;
  } catch (const Fault& f) {
    return FromFault(f);
  } catch (const std::bad_alloc&) {
    EvalError e;
    e.code = EvalErrorCode::kMemoryLimit;
    e.message = "out of memory";
    e.file = sf->name;
    return e;
  }
}

}  // namespace eval_internal

EvalResult Environment::Eval(std::string_view text, std::string_view file,
                             const EvalLimits& limits) {
  return eval_internal::RunText(*this, text, file, limits, nullptr);
}

EvalResult Environment::LoadFile(const std::string& path, const EvalLimits& limits) {
  absl::StatusOr<std::string> text = internal::ReadWholeFile(path);
  if (!text.ok()) {
    EvalError e;
    e.code = EvalErrorCode::kRead;
    e.message = absl::StrCat("cannot open ", path);
    e.file = path;
    return e;
  }
  return Eval(*text, path, limits);
}

EvalResult Environment::Call(const Value& fn, absl::Span<const Value> args,
                             const EvalLimits& limits, Arena* values) {
  Machine m(*state_, interrupt_, limits);
  if (values != nullptr) m.UseScratch(values);
  try {
    return m.Apply(fn, args.data(), args.size(), nullptr);
  } catch (const Fault& f) {
    return FromFault(f);
  }
}

Value Environment::String(std::string_view text) {
  const char* p = state_->CopyBytes(text);
  if (p == nullptr) throw std::bad_alloc();
  return Value::StringView(std::string_view(p, text.size()));
}

Value Environment::State::NameIn(ValueType type, std::string_view name, Arena* into) {
  const Atom* kept = into == nullptr || into == &arena ? Intern(name) : interner.Find(name);
  bool transient = kept == nullptr && into != nullptr && into != &arena;
  const Atom* a = transient ? Interner::NewUninterned(*into, name) : kept;
  if (type == ValueType::kKeyword) return transient ? Value::TransientKeyword(a) : Value::Keyword(a);
  return transient ? Value::TransientSymbol(a) : Value::Symbol(a);
}

Value Environment::Keyword(std::string_view name) { return Value::Keyword(state_->Intern(name)); }
Value Environment::Symbol(std::string_view name) { return Value::Symbol(state_->Intern(name)); }

namespace {

Value NameOrThrow(Value v) {
  if (v.atom() == nullptr) throw std::bad_alloc();
  return v;
}

}  // namespace

Value Environment::TransientKeyword(std::string_view name, Arena& arena) {
  return NameOrThrow(state_->NameIn(ValueType::kKeyword, name, &arena));
}
Value Environment::TransientSymbol(std::string_view name, Arena& arena) {
  return NameOrThrow(state_->NameIn(ValueType::kSymbol, name, &arena));
}

Value Environment::List(absl::Span<const Value> items) {
  const Value* p = state_->CopyValues(items);
  if (p == nullptr && !items.empty()) throw std::bad_alloc();
  return Value::ListView(absl::MakeConstSpan(p, items.size()));
}

size_t Environment::State::HeldBytes() const {
  using eval_internal::Global;
  using eval_internal::Lambda;
  using eval_internal::SourceFile;
  constexpr size_t kOverhead = kHeapOverhead;
  // The arenas as reserved from the allocator (not as handed out: a slab
  // is held whole), then what lives on the heap beside them.
  size_t n = arena.stats().bytes_reserved + scratch.stats().bytes_reserved;
  n += interner.table_bytes();
  n += code_bytes + code.capacity() * sizeof(code[0]);
  for (const auto& l : lambdas) {
    n += sizeof(Lambda) + kOverhead + l->name.capacity() + l->keys.capacity() * sizeof(l->keys[0]);
  }
  n += lambdas.capacity() * sizeof(lambdas[0]);
  for (const auto& f : files) {
    n += sizeof(SourceFile) + kOverhead + f->name.capacity() +
         f->doc.arena_stats().bytes_reserved + f->doc.interner().table_bytes();
  }
  n += files.capacity() * sizeof(files[0]);
  n += list_sources.bucket_count() * (sizeof(*list_sources.begin()) + 1);
  n += globals.bucket_count() * (sizeof(*globals.begin()) + 1) +
       globals.size() * (sizeof(Global) + kOverhead);
  n += primitives.size() * (sizeof(eval_internal::Primitive) + 64 + kOverhead);
  n += special_forms.bucket_count() * (sizeof(*special_forms.begin()) + 1);
  return n;
}

size_t Environment::bytes_used() const { return state_->HeldBytes(); }

uint64_t Environment::definitions_version() const { return state_->global_version; }

void Environment::StartComponentLog() {
  state_->component_log = std::make_unique<State::ComponentLog>();
}

std::vector<std::string> Environment::StopComponentLog() {
  std::vector<std::string> names;
  if (state_->component_log != nullptr) names = std::move(state_->component_log->names);
  state_->component_log.reset();
  return names;
}

std::vector<std::string> Environment::ComponentParameters(std::string_view name) const {
  std::vector<std::string> out;
  const Value* v = Lookup(name);
  if (v == nullptr || v->type() != ValueType::kComponent) return out;
  const auto* component = static_cast<const eval_internal::Function*>(v->object());
  for (const Atom* key : component->lambda->keys) out.emplace_back(key->name());
  return out;
}

// ---------------------------------------------------------------------------
// CallContext

void CallContext::Charge(uint64_t units) { m_->Charge(units); }
void CallContext::ChargeBytes(uint64_t bytes) { m_->Account(bytes); }
Budget& CallContext::budget() { return m_->budget(); }
void CallContext::CheckBudget() { m_->CheckBudget(); }
bool CallContext::Equal(const Value& a, const Value& b) { return m_->Equal(a, b); }
std::string CallContext::Print(const Value& v) { return m_->Print(v); }
Value CallContext::MakeString(std::string_view text) { return m_->MakeString(text); }
Value CallContext::MakeHtml(std::string_view markup) {
  Value s = MakeString(markup);
  return Value::HtmlView(s.str());
}
Value CallContext::MakeList(absl::Span<const Value> items) { return m_->MakeList(items); }
Value CallContext::MakeDict(absl::Span<const Value> flat) { return m_->MakeDict(flat); }
Value CallContext::Keyword(std::string_view name) {
  return m_->MakeName(ValueType::kKeyword, name);
}
Value CallContext::Symbol(std::string_view name) { return m_->MakeName(ValueType::kSymbol, name); }
Value CallContext::Call(const Value& fn, absl::Span<const Value> args) {
  return m_->Apply(fn, args.data(), args.size(), m_->current_site());
}
void CallContext::Fail(EvalErrorCode code, std::string message) {
  m_->Fail(code, std::move(message), nullptr);
}
void CallContext::Fail(std::string_view code, std::string message) {
  EvalErrorCode known;
  if (EvalErrorCodeFromName(code, &known)) m_->Fail(known, std::move(message), nullptr);
  m_->Fail(EvalErrorCode::kHost, absl::StrCat(AV(code), ": ", message), nullptr);
}
void CallContext::Pending(std::string message) { m_->FailPending(std::move(message)); }
void CallContext::Interrupt(std::string message) {
  m_->FailLimit(EvalErrorCode::kInterrupted, std::move(message));
}

}  // namespace sexp
