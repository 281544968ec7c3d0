// The compiler: sx data → a tree of Code objects, with every variable
// resolved to (frames up, slot) or to a global cell. The special forms are a
// table (specials.cc, and the extensions' forms: extension.h); the larger
// ones (let, cond, case, define, try, quasiquote, lambdas) are compiled here.
//
// Scopes. Each fn/lambda/defcomp/defmacro body gets one Frame whose slots hold
// its parameters and every let-bound or internally defined local (a let adds
// slots to the enclosing lambda's frame rather than making a frame of its
// own). A reference to a local compiles to "walk `depth` parent links, read
// slot `index`"; anything not local is a global cell, created unbound on first
// mention so forward references and redefinitions work.
//
// Frames that no closure can capture (the lambda's body creates no closure)
// are allocated on the machine's stack and popped on return; the others on
// the heap. Tail position is tracked while compiling; a call there returns a
// marker and the caller's Apply loop reuses its C++ frame (proper tail calls).
//
// Macros are expanded when a form is compiled, i.e. once per definition site.
#include "eval/compile.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "eval/extension.h"
#include "eval/machine.h"
#include "eval/nodes.h"
#include "core/strutil.h"

namespace sexp::eval_internal {

using internal::AV;

// ---------------------------------------------------------------------------
// Compiler

Compiler::Compiler(Machine& m, Environment::State& env) : m_(m), env_(env) {
  auto sym = [&](const char* s) { return env_.Intern(s); };
  s_.quasiquote = sym("quasiquote");
  s_.unquote = sym("unquote");
  s_.unquote_splicing = sym("unquote-splicing");
  s_.define = sym("define");
  s_.catch_ = sym("catch");
  s_.else_ = sym("else");
  s_.amp_key = sym("&key");
  s_.amp_rest = sym("&rest");
  s_.children = sym("children");
}

Pos Compiler::ElementPos(const Value& list, size_t i, Pos fallback) const {
  auto it = env_.list_sources.find(list.items().data());
  if (it == env_.list_sources.end() || list.size() == 0) return fallback;
  return Pos{it->second.file, it->second.elements[i]};
}

Pos Compiler::ListPos(const Value& list, Pos fallback) const {
  if (list.size() == 0) return fallback;
  auto it = env_.list_sources.find(list.items().data());
  if (it == env_.list_sources.end()) return fallback;
  return Pos{it->second.file, it->second.self};
}

void Compiler::Error(Pos pos, std::string message) {
  Fault fault;
  fault.code = EvalErrorCode::kSyntax;
  fault.message = std::move(message);
  fault.file = pos.file;
  fault.offset = pos.offset;
  throw fault;
}

bool Compiler::Resolve(const Atom* name, Scope* scope, uint32_t* depth, uint32_t* index) const {
  uint32_t d = 0;
  for (Scope* s = scope; s != nullptr; s = s->parent, ++d) {
    for (size_t i = s->names.size(); i-- > 0;) {
      if (s->names[i].first == name) {
        *depth = d;
        *index = s->names[i].second;
        return true;
      }
    }
  }
  return false;
}

uint32_t Compiler::AddLocal(Scope* scope, const Atom* name) {
  uint32_t slot = scope->next_slot++;
  if (scope->next_slot > scope->frame_size) scope->frame_size = scope->next_slot;
  scope->names.emplace_back(name, slot);
  return slot;
}

const Code* Compiler::CompileTop(const Value& form, Pos pos, Scope* top) {
  expansions_ = 0;
  return Compile(form, pos, top, /*tail=*/false);
}

Compiler::Nesting Compiler::Enter(Pos pos) {
  // Forms read from text nest at most as deep as the reader allows, but a
  // macro can return a form built at run time: bound the recursion.
  if (nesting_ >= kMaxNesting) {
    Error(pos, absl::StrCat("form nested deeper than ", kMaxNesting, " levels"));
  }
  return Nesting(nesting_);
}

const Code* Compiler::Compile(const Value& x, Pos pos, Scope* scope, bool tail) {
  Nesting nested = Enter(pos);
  // Each form compiled is charged as a step and the code it becomes as
  // bytes: a macro can return a form that shares structure (a list holding
  // one sublist twice, nested), whose compiled tree is exponentially larger.
  m_.Step();
  m_.Account(kCodeBytesPerForm);
  switch (x.type()) {
    case ValueType::kSymbol: {
      uint32_t depth, index;
      if (Resolve(x.atom(), scope, &depth, &index)) {
        if (depth == 0) return At(env_.NewCode<Local0>(index), pos);
        return At(env_.NewCode<LocalN>(depth, index), pos);
      }
      return At(env_.NewCode<GlobalRef>(env_.GlobalCell(x.atom())), pos);
    }
    case ValueType::kList:
      if (x.size() == 0) return At(env_.NewCode<Const>(x), pos);
      return CompileList(x, ListPos(x, pos), scope, tail);
    case ValueType::kDict: {
      // A dict literal evaluates its values (and keys).
      auto* q = At(env_.NewCode<Quasi>(), pos);
      q->dict = true;
      for (size_t i = 0; i < x.size(); ++i) {
        q->parts.push_back({Compile(x[i], ElementPos(x, i, pos), scope, false), false});
      }
      return q;
    }
    default:
      return At(env_.NewCode<Const>(x), pos);
  }
}

const Code* Compiler::CompileBody(const Value& list, size_t from, Pos pos, Scope* scope,
                                  bool tail) {
  if (from >= list.size()) return At(env_.NewCode<Const>(Value()), pos);
  // Internal defines become locals of the enclosing frame, visible to the
  // whole body (so local functions can be mutually recursive).
  size_t names_before = scope->names.size();
  for (size_t i = from; i < list.size(); ++i) {
    const Value& form = list[i];
    if (scope->parent != nullptr && form.is_list() && form.size() >= 2 && form[0].is_symbol() &&
        form[0].atom() == s_.define && !IsShadowed(s_.define, scope)) {
      const Value& target = form[1];
      const Value& name = target.is_list() && target.size() > 0 ? target[0] : target;
      if (name.is_symbol()) AddLocal(scope, name.atom());
    }
  }
  const Code* result;
  if (list.size() - from == 1) {
    result = Compile(list[from], ElementPos(list, from, pos), scope, tail);
  } else {
    auto* seq = At(env_.NewCode<Seq>(), pos);
    for (size_t i = from; i < list.size(); ++i) {
      seq->body.push_back(
          Compile(list[i], ElementPos(list, i, pos), scope, tail && i + 1 == list.size()));
    }
    result = seq;
  }
  PopLocals(scope, names_before);
  return result;
}

void Compiler::PopLocals(Scope* scope, size_t names_before) {
  scope->names.resize(names_before);
  // Slots are not reused: a closure made in one let may still be running
  // when a sibling let would overwrite them.
}

bool Compiler::IsShadowed(const Atom* name, Scope* scope) const {
  uint32_t d, i;
  return Resolve(name, scope, &d, &i);
}

const Code* Compiler::CompileList(const Value& x, Pos pos, Scope* scope, bool tail) {
  const Value& head = x[0];
  if (head.is_symbol() && !IsShadowed(head.atom(), scope)) {
    const Atom* h = head.atom();
    // Special forms: the table of specials.cc and of the extensions.
    auto special = env_.special_forms.find(h);
    if (special != env_.special_forms.end()) return special->second(*this, x, pos, scope, tail);

    // A macro bound when this form is compiled expands here, once.
    Global* cell = env_.GlobalCell(h);
    if (cell->bound && cell->value.type() == ValueType::kMacro) {
      return CompileMacroCall(cell, x, pos, scope, tail);
    }
    // A head form of an extension (an html element's name) not bound to
    // something callable now.
    if (!(cell->bound && cell->value.is_callable())) {
      if (const HeadForm* form = HeadFormFor(h)) {
        return form->compile(*this, x, pos, scope, tail, cell, nullptr);
      }
    }
  } else if (head.is_symbol()) {
    // A local with a head form's name (a component's `title` parameter): the
    // head form decides, at run time, whether to call it.
    if (const HeadForm* form = HeadFormFor(head.atom())) {
      return form->compile(*this, x, pos, scope, tail, nullptr,
                           Compile(head, ElementPos(x, 0, pos), scope, false));
    }
  }
  return CompileCall(x, pos, scope, tail);
}

const HeadForm* Compiler::HeadFormFor(const Atom* name) const {
  for (const HeadForm* form : env_.head_forms) {
    if (form->claims(name->name())) return form;
  }
  return nullptr;
}

template <class T>
static const Code* FillFixed(T* call, const Code* fn, const std::vector<const Code*>& args,
                             bool tail) {
  call->fn = fn;
  call->tail = tail;
  for (size_t i = 0; i < args.size(); ++i) call->args[i] = args[i];
  return call;
}

const Code* Compiler::CompileCall(const Value& x, Pos pos, Scope* scope, bool tail) {
  const Value& head = x[0];
  std::vector<const Code*> args;
  for (size_t i = 1; i < x.size(); ++i) {
    args.push_back(Compile(x[i], ElementPos(x, i, pos), scope, false));
  }
  Global* cell = nullptr;
  const Primitive* prim = PrimitiveAt(head, scope, &cell);
  // A global holding a built-in with an inline case, called with the arity
  // that case handles.
  size_t arity = prim != nullptr && prim->op == InlineOp::kNot ? 1 : 2;
  if (prim != nullptr && prim->op != InlineOp::kNone && args.size() == arity) {
    const auto* last = dynamic_cast<const Const*>(args.back());
    const auto* first = dynamic_cast<const Local0*>(args.front());
    if (arity == 1 && last != nullptr) first = nullptr;  // one argument: one of the two
    auto make = [&]<InlineOp OP>() -> const Code* {
      auto fill = [&](auto* c) -> const Code* {
        At(c, pos);
        c->cell = cell;
        c->prim = prim;
        c->tail = tail;
        for (size_t i = 0; i < arity; ++i) c->args[i] = args[i];
        if (last != nullptr) c->last = last->v;
        if (first != nullptr) c->first_slot = first->index;
        return c;
      };
      if (last != nullptr) {
        if (first != nullptr) return fill(env_.NewCode<CallInline<OP, true, true>>());
        return fill(env_.NewCode<CallInline<OP, true, false>>());
      }
      if (first != nullptr) return fill(env_.NewCode<CallInline<OP, false, true>>());
      return fill(env_.NewCode<CallInline<OP, false, false>>());
    };
    return DispatchInline(prim->op, make);
  }
  // (:slot m :k) is the platform's field access (slot m :k), not a lookup
  // of :slot with the default :k.
  if (head.is_keyword() && head.name() == "slot" && args.size() == 2) {
    return MakeCall(GlobalNamed("slot", pos), args, pos, tail);
  }
  if (head.is_keyword() && (args.size() == 1 || args.size() == 2)) {
    auto* get = At(env_.NewCode<KeyGet>(), pos);
    get->key = head;
    get->map = args[0];
    if (const auto* slot = dynamic_cast<const Local0*>(args[0])) get->map_slot = slot->index;
    if (args.size() == 2) get->fallback = args[1];
    return get;
  }
  const Code* fn = Compile(head, ElementPos(x, 0, pos), scope, false);
  const Code* call = MakeCall(fn, args, pos, tail);
  // (map (fn (x) …) xs) of the built-in: the same call, plus a way to
  // emit each item's body in place.
  if (prim != nullptr && prim->stream == StreamOp::kMap && args.size() == 2) {
    const auto* lambda = dynamic_cast<const MakeClosure*>(args[0]);
    if (lambda != nullptr && lambda->type == ValueType::kFunction && lambda->lambda->simple &&
        lambda->lambda->required == 1 && !lambda->lambda->heap_frame) {
      auto* m = At(env_.NewCode<CallMap>(), pos);
      m->cell = cell;
      m->prim = prim;
      m->call = call;
      m->fn = lambda;
      m->items = args[1];
      return m;
    }
  }
  // (str …) of the built-in: the same call, plus a way to emit its pieces in place.
  if (prim != nullptr && prim->stream == StreamOp::kStr) {
    auto* s = At(env_.NewCode<CallStr>(), pos);
    s->cell = cell;
    s->prim = prim;
    s->call = call;
    s->args = std::move(args);
    return s;
  }
  return call;
}

const Code* Compiler::MakeCall(const Code* fn, const std::vector<const Code*>& args, Pos pos,
                               bool tail) {
  switch (args.size()) {
    case 0: return FillFixed(At(env_.NewCode<CallFixed<0>>(), pos), fn, args, tail);
    case 1: return FillFixed(At(env_.NewCode<CallFixed<1>>(), pos), fn, args, tail);
    case 2: return FillFixed(At(env_.NewCode<CallFixed<2>>(), pos), fn, args, tail);
    case 3: return FillFixed(At(env_.NewCode<CallFixed<3>>(), pos), fn, args, tail);
    default: {
      auto* many = At(env_.NewCode<Call>(), pos);
      many->fn = fn;
      many->tail = tail;
      many->args = args;
      return many;
    }
  }
}

const Code* Compiler::CompileCallOf(const Code* fn, const Value& x, size_t first, Pos pos,
                                    Scope* scope, bool tail) {
  std::vector<const Code*> args;
  for (size_t i = first; i < x.size(); ++i) {
    args.push_back(Compile(x[i], ElementPos(x, i, pos), scope, false));
  }
  return MakeCall(fn, args, pos, tail);
}

const Code* Compiler::GlobalNamed(std::string_view name, Pos pos) {
  const Atom* atom = env_.Intern(name);
  if (atom == nullptr) m_.FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  return At(env_.NewCode<GlobalRef>(env_.GlobalCell(atom)), pos);
}

const Code* Compiler::CompileHeadForm(const Value& x, Pos pos, Scope* scope, bool tail) {
  const Atom* h = x[0].atom();
  if (const HeadForm* form = HeadFormFor(h)) {
    // No cell: the form is the element whatever the global holds (`slot`
    // holds the field-access primitive).
    return form->compile(*this, x, pos, scope, tail, nullptr, nullptr);
  }
  return CompileCall(x, pos, scope, tail);
}

const Primitive* Compiler::PrimitiveAt(const Value& head, Scope* scope, Global** cell_out) {
  if (!head.is_symbol() || IsShadowed(head.atom(), scope)) return nullptr;
  Global* cell = env_.GlobalCell(head.atom());
  if (!cell->bound || cell->value.type() != ValueType::kPrimitive) return nullptr;
  if (cell_out != nullptr) *cell_out = cell;
  return static_cast<const Primitive*>(cell->value.object());
}

const Code* Compiler::CompileCond(const Value& x, Pos pos, Scope* scope, bool tail) {
  // Flat pairs: (cond test1 expr1 test2 expr2 … :else expr).
  if ((x.size() - 1) % 2 != 0) {
    Error(pos, "cond takes test/expression pairs (the last test may be :else)");
  }
  auto* c = At(env_.NewCode<Cond>(), pos);
  for (size_t i = 1; i + 1 < x.size(); i += 2) {
    const Value& test = x[i];
    bool is_else = (test.is_keyword() && test.atom() == s_.else_) ||
                   (test.is_symbol() && test.atom() == s_.else_);
    if (is_else && i + 2 != x.size()) Error(ElementPos(x, i, pos), ":else must be the last test");
    c->clauses.emplace_back(is_else ? nullptr : Compile(test, ElementPos(x, i, pos), scope, false),
                            Compile(x[i + 1], ElementPos(x, i + 1, pos), scope, tail));
  }
  return c;
}

const Code* Compiler::CompileCase(const Value& x, Pos pos, Scope* scope, bool tail) {
  // (case key datum1 expr1 … :else expr); a datum may be a list of alternatives.
  if (x.size() < 2 || (x.size() - 2) % 2 != 0) {
    Error(pos, "case takes a key, then datum/expression pairs (the last datum may be :else)");
  }
  auto* c = At(env_.NewCode<Case>(), pos);
  c->key = Compile(x[1], ElementPos(x, 1, pos), scope, false);
  for (size_t i = 2; i + 1 < x.size(); i += 2) {
    const Value& datum = x[i];
    const Code* body = Compile(x[i + 1], ElementPos(x, i + 1, pos), scope, tail);
    if ((datum.is_keyword() || datum.is_symbol()) && datum.atom() == s_.else_) {
      if (i + 2 != x.size()) Error(ElementPos(x, i, pos), ":else must be the last datum");
      c->otherwise = body;
    } else if (datum.is_list()) {
      for (const Value& alt : datum.items()) c->clauses.emplace_back(alt, body);
    } else {
      c->clauses.emplace_back(datum, body);
    }
  }
  return c;
}

const Code* Compiler::CompileLet(const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() < 3) Error(pos, "let needs bindings and a body");
  const Value& b = x[1];
  Pos bpos = ElementPos(x, 1, pos);
  std::vector<std::pair<const Atom*, std::pair<const Value*, Pos>>> bindings;
  if (b.is_list()) {
    bool nested = b.size() > 0 && b[0].is_list();
    if (nested) {  // ((a 1) (b 2))
      for (size_t i = 0; i < b.size(); ++i) {
        const Value& pair = b[i];
        if (!pair.is_list() || pair.size() != 2 || !pair[0].is_symbol()) {
          Error(ElementPos(b, i, bpos), "a let binding is (name value)");
        }
        bindings.push_back({pair[0].atom(), {&pair[1], ElementPos(pair, 1, bpos)}});
      }
    } else {  // [a 1 b 2]
      if (b.size() % 2 != 0) Error(bpos, "let bindings [name value …] need pairs");
      for (size_t i = 0; i < b.size(); i += 2) {
        if (!b[i].is_symbol()) Error(ElementPos(b, i, bpos), "a let binding name must be a symbol");
        bindings.push_back({b[i].atom(), {&b[i + 1], ElementPos(b, i + 1, bpos)}});
      }
    }
  } else {
    Error(bpos, "let bindings are ((name value) …) or [name value …]");
  }
  size_t names_before = scope->names.size();
  auto* let = At(env_.NewCode<LetSeq>(), pos);
  // In order: each init sees the names bound before it (not its own).
  for (size_t i = 0; i < bindings.size(); ++i) {
    auto& [name, init] = bindings[i];
    const Code* v = Compile(*init.first, init.second, scope, false);
    let->inits.push_back(At(env_.NewCode<SetLocal>(0, AddLocal(scope, name), v), init.second));
    // Which earlier names it mentions (for LetSeq in a resolution): any
    // symbol of the form, quoted or not — erring toward waiting.
    std::vector<uint32_t> mentions;
    if (i > 0) {
      std::vector<const Value*> todo = {init.first};
      while (!todo.empty()) {
        const Value* form = todo.back();
        todo.pop_back();
        if (form->is_symbol()) {
          for (uint32_t j = 0; j < i; ++j) {
            if (bindings[j].first == form->atom() &&
                std::find(mentions.begin(), mentions.end(), j) == mentions.end()) {
              mentions.push_back(j);
            }
          }
        } else if (form->is_list() || form->is_dict()) {
          m_.Charge(form->size());
          for (const Value& item : form->items()) todo.push_back(&item);
        }
      }
    }
    let->mentions.push_back(std::move(mentions));
  }
  let->body = CompileBody(x, 2, pos, scope, tail);
  PopLocals(scope, names_before);
  return let;
}

const Lambda* Compiler::CompileLambda(std::string name, const Value& params, Pos ppos,
                                      const Value& body_list, size_t body_from, Pos pos,
                                      Scope* scope, bool component) {
  if (!params.is_list()) Error(ppos, "the parameter list must be a list, e.g. (x y &rest more)");
  auto lambda = std::make_unique<Lambda>();
  Lambda* l = lambda.get();
  env_.lambdas.push_back(std::move(lambda));
  l->name = std::move(name);
  l->component = component;
  Scope inner;
  inner.parent = scope;
  enum { kPositional, kKey, kRest } mode = component ? kKey : kPositional;
  const Atom* rest_name = nullptr;
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& p = params[i];
    Pos at = ElementPos(params, i, ppos);
    if (!p.is_symbol()) Error(at, "parameters must be symbols");
    if (p.atom() == s_.amp_key) {
      if (!component) Error(at, "&key parameters are for components (defcomp)");
      mode = kKey;
      continue;
    }
    if (p.atom() == s_.amp_rest) {
      mode = kRest;
      continue;
    }
    for (auto& [seen, slot] : inner.names) {
      if (seen == p.atom()) Error(at, absl::StrCat("parameter '", AV(p.name()), "' appears twice"));
    }
    if (mode == kRest) {
      if (rest_name != nullptr) Error(at, "only one &rest parameter");
      rest_name = p.atom();
      continue;
    }
    if (component) {
      l->keys.push_back(p.atom());
    } else {
      ++l->required;
    }
    AddLocal(&inner, p.atom());
  }
  if (rest_name != nullptr) {
    uint32_t slot = AddLocal(&inner, rest_name);
    l->has_rest = true;
    if (component) l->children_slot = static_cast<int>(slot);
  } else if (component) {
    for (size_t k = 0; k < l->keys.size(); ++k) {
      if (l->keys[k] == s_.children) l->children_slot = static_cast<int>(k);
    }
  }
  l->body = CompileBody(body_list, body_from, pos, &inner, /*tail=*/true);
  l->frame_size = inner.frame_size;
  l->heap_frame = inner.captured;
  l->simple = !l->heap_frame && !l->component && !l->has_rest && l->frame_size > 0 &&
              l->frame_size < (size_t{1} << 16);
  // The enclosing frame is captured by this lambda's closures.
  scope->captured = true;
  return l;
}

const Code* Compiler::CompileDefine(const Value& x, Pos pos, Scope* scope) {
  if (x.size() < 3) Error(pos, "define takes a name and a value, or (name params…) and a body");
  const Value& target = x[1];
  const Code* value;
  const Atom* name;
  if (target.is_list()) {  // (define (f x) body…)
    if (target.size() == 0 || !target[0].is_symbol()) Error(pos, "(define (name params…) body…)");
    name = target[0].atom();
    Value params = Value::ListView(target.items().subspan(1));
    auto it = env_.list_sources.find(target.items().data());
    Pos ppos = ElementPos(x, 1, pos);
    if (it != env_.list_sources.end() && target.size() > 1) {
      env_.list_sources.emplace(params.items().data(),
                                ListSource{it->second.file, it->second.self, it->second.elements + 1});
    }
    const Lambda* l = CompileLambda(std::string(name->name()), params, ppos, x, 2, pos, scope, false);
    value = At(env_.NewCode<MakeClosure>(l, ValueType::kFunction), pos);
  } else if (target.is_symbol()) {
    if (x.size() != 3) Error(pos, "(define name value) takes one value");
    name = target.atom();
    value = Compile(x[2], ElementPos(x, 2, pos), scope, false);
  } else {
    Error(pos, "define needs a symbol or (name params…)");
  }
  uint32_t depth, index;
  if (scope->parent != nullptr && Resolve(name, scope, &depth, &index)) {
    return At(env_.NewCode<SetLocal>(depth, index, value), pos);
  }
  return At(env_.NewCode<SetGlobal>(env_.GlobalCell(name), value, true), pos);
}

const Code* Compiler::CompileGlobalCallable(const Value& x, Pos pos, Scope* scope,
                                            ValueType type) {
  // (defcomp ~name (&key …) body…) and (defmacro name (params…) body…).
  if (x.size() < 4 || !x[1].is_symbol() || !x[2].is_list()) {
    Error(pos, type == ValueType::kComponent ? "(defcomp ~name (&key a b &rest children) body…)"
                                             : "(defmacro name (params…) body…)");
  }
  const Lambda* l = CompileLambda(std::string(x[1].name()), x[2], ElementPos(x, 2, pos), x, 3,
                                  pos, scope, type == ValueType::kComponent);
  const Code* make = At(env_.NewCode<MakeClosure>(l, type), pos);
  return At(env_.NewCode<SetGlobal>(env_.GlobalCell(x[1].atom()), make, true), pos);
}

const Code* Compiler::CompileTry(const Value& x, Pos pos, Scope* scope) {
  // (try body… (catch e handler…))
  if (x.size() < 2) Error(pos, "(try body… (catch err handler…))");
  size_t end = x.size();
  const Value& last = x[end - 1];
  bool has_catch = last.is_list() && last.size() >= 2 && last[0].is_symbol() &&
                   last[0].atom() == s_.catch_;
  auto* t = At(env_.NewCode<Try>(), pos);
  if (has_catch) --end;
  Value body = Value::ListView(x.items().subspan(0, end));
  // The body is not in tail position: the handler must stay installed.
  t->body = CompileBody(body, 1, pos, scope, false);
  t->handler = nullptr;
  if (has_catch) {
    if (!last[1].is_symbol()) Error(ElementPos(x, end, pos), "(catch name handler…)");
    size_t names_before = scope->names.size();
    t->error_slot = AddLocal(scope, last[1].atom());
    t->handler = CompileBody(last, 2, ElementPos(x, end, pos), scope, false);
    PopLocals(scope, names_before);
  }
  return t;
}

const Code* Compiler::CompileQuasi(const Value& t, Pos pos, Scope* scope, int depth) {
  Nesting nested = Enter(pos);
  auto is_form = [](const Value& v, const Atom* head) {
    return v.is_list() && v.size() == 2 && v[0].is_symbol() && v[0].atom() == head;
  };
  if (is_form(t, s_.unquote)) {
    if (depth == 1) return Compile(t[1], ElementPos(t, 1, pos), scope, false);
  }
  if (!t.is_list() && !t.is_dict()) return At(env_.NewCode<Const>(t), pos);
  if (t.size() == 0) return At(env_.NewCode<Const>(t), pos);
  // Nested quasiquote levels are kept literally (depth tracking only).
  int inner = depth;
  if (is_form(t, s_.quasiquote)) ++inner;
  if (is_form(t, s_.unquote) || is_form(t, s_.unquote_splicing)) --inner;
  auto* q = At(env_.NewCode<Quasi>(), ListPos(t, pos));
  q->dict = t.is_dict();
  for (size_t i = 0; i < t.size(); ++i) {
    const Value& e = t[i];
    Pos epos = ElementPos(t, i, pos);
    if (inner == 1 && is_form(e, s_.unquote_splicing)) {
      q->parts.push_back({Compile(e[1], ElementPos(e, 1, epos), scope, false), true});
    } else {
      q->parts.push_back({CompileQuasi(e, epos, scope, inner), false});
    }
  }
  return q;
}

const Code* Compiler::CompileMacroCall(Global* cell, const Value& x, Pos pos, Scope* scope,
                                       bool tail) {
  // A macro whose expansion contains another use of a macro recurses here;
  // bound the nesting (a macro that expands into itself) and the total.
  if (expansion_depth_ >= kMaxExpansionDepth || ++expansions_ > kMaxExpansions) {
    Fault fault;
    fault.code = EvalErrorCode::kSyntax;
    fault.message = absl::StrCat("macro expansion of '", AV(cell->name->name()),
                                 "' did not finish (nested ", expansion_depth_,
                                 " deep, ", expansions_, " expansions in this form)");
    fault.file = pos.file;
    fault.offset = pos.offset;
    throw fault;
  }
  auto* site = At(env_.NewCode<Const>(Value()), pos);
  Value fn = Value::Callable(ValueType::kFunction, cell->value.object());
  Value expansion = m_.Apply(fn, x.items().data() + 1, x.size() - 1, site);
  Nesting expanding(expansion_depth_);
  return Compile(expansion, pos, scope, tail);
}

// ---------------------------------------------------------------------------
// try

Value Try::Eval(Machine& m, Frame* f) const {
  try {
    return body->Eval(m, f);
  } catch (Fault& fault) {
    // Limits end the evaluation; a pending I/O request is not an error of
    // the page (the resolver evaluates it again with the result).
    if (fault.limit || fault.pending) throw;
    if (handler == nullptr) return Value();
    f->slots[error_slot] = ErrorValue(m, fault);
    return handler->Eval(m, f);
  }
}

Value Try::Emit(Machine& m, Frame* f, Emitter& out) const {
  if (!out.Hold()) return Code::Emit(m, f, out);
  try {
    body->Emit(m, f, out);  // not in tail position: no pending tail call
  } catch (Fault& fault) {
    out.Drop();
    if (fault.limit || fault.pending) throw;
    if (handler == nullptr) return Value();
    f->slots[error_slot] = ErrorValue(m, fault);
    return handler->Emit(m, f, out);
  }
  out.Keep();
  return Value();
}

}  // namespace sexp::eval_internal
