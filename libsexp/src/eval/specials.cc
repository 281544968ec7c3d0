// The built-in special forms as a table: name → the function that compiles a
// list headed by it. The compiler looks a head symbol up here (a symbol no
// local shadows) before macros and calls; extensions add their own entries
// (extension.h), so the compiler itself names no form. The larger forms are
// compiled by Compiler members (compile.cc); the rest are small enough to
// read here. The language: spec/evaluation.md.
#include <string_view>

#include "absl/strings/str_cat.h"
#include "sexp/core/address.h"
#include "core/strutil.h"
#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/nodes.h"

namespace sexp::eval_internal {

using internal::AV;

namespace {

const Code* Nil(Compiler& c, Pos pos) { return c.At(c.env().NewCode<Const>(Value()), pos); }

const Code* Quote(Compiler& c, const Value& x, Pos pos, Scope*, bool) {
  if (x.size() != 2) c.Error(pos, "quote takes exactly one datum");
  return c.At(c.env().NewCode<Const>(x[1]), pos);
}

const Code* Quasiquote(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  if (x.size() != 2) c.Error(pos, "quasiquote takes exactly one template");
  return c.CompileQuasi(x[1], c.ElementPos(x, 1, pos), scope, 1);
}

const Code* IfForm(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() < 3 || x.size() > 4) c.Error(pos, "if takes a test, a then and an optional else");
  const Code* test = c.Compile(x[1], c.ElementPos(x, 1, pos), scope, false);
  const Code* then = c.Compile(x[2], c.ElementPos(x, 2, pos), scope, tail);
  const Code* otherwise =
      x.size() == 4 ? c.Compile(x[3], c.ElementPos(x, 3, pos), scope, tail) : Nil(c, pos);
  return c.At(c.env().NewCode<If>(test, then, otherwise), pos);
}

// (when test body…) and (unless test body…): an If with a nil branch.
template <bool kWhen>
const Code* WhenUnless(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() < 2) c.Error(pos, absl::StrCat(kWhen ? "when" : "unless", " needs a test"));
  const Code* test = c.Compile(x[1], c.ElementPos(x, 1, pos), scope, false);
  const Code* body = c.CompileBody(x, 2, pos, scope, tail);
  const Code* nil = Nil(c, pos);
  return kWhen ? c.At(c.env().NewCode<If>(test, body, nil), pos)
               : c.At(c.env().NewCode<If>(test, nil, body), pos);
}

template <bool kAnd>
const Code* AndOrForm(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() == 1) return c.At(c.env().NewCode<Const>(Value::Bool(kAnd)), pos);
  auto* node = c.At(c.env().NewCode<AndOr>(), pos);
  node->is_and = kAnd;
  for (size_t i = 1; i < x.size(); ++i) {
    node->parts.push_back(
        c.Compile(x[i], c.ElementPos(x, i, pos), scope, tail && i + 1 == x.size()));
  }
  return node;
}

const Code* Cond(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  return c.CompileCond(x, pos, scope, tail);
}

const Code* CaseForm(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  return c.CompileCase(x, pos, scope, tail);
}

// (let bindings body…) binds in order, as the platform's code assumes; let*
// is the same form.
const Code* Let(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  return c.CompileLet(x, pos, scope, tail);
}

// (do body…) and (begin body…).
const Code* Body(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  return c.CompileBody(x, 1, pos, scope, tail);
}

// (fn (params…) body…) and (lambda …).
const Code* Fn(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  if (x.size() < 3) {
    c.Error(pos, absl::StrCat(AV(x[0].atom()->name()), " needs a parameter list and a body"));
  }
  const Lambda* l = c.CompileLambda("", x[1], c.ElementPos(x, 1, pos), x, 2, pos, scope, false);
  return c.At(c.env().NewCode<MakeClosure>(l, ValueType::kFunction), pos);
}

const Code* Define(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  return c.CompileDefine(x, pos, scope);
}

const Code* Set(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  if (x.size() != 3 || !x[1].is_symbol()) c.Error(pos, "set! takes a name and a value");
  const Code* v = c.Compile(x[2], c.ElementPos(x, 2, pos), scope, false);
  uint32_t depth, index;
  if (c.Resolve(x[1].atom(), scope, &depth, &index)) {
    return c.At(c.env().NewCode<SetLocal>(depth, index, v), pos);
  }
  return c.At(c.env().NewCode<SetGlobal>(c.env().GlobalCell(x[1].atom()), v, false), pos);
}

template <ValueType kType>
const Code* DefineCallable(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  return c.CompileGlobalCallable(x, pos, scope, kType);
}

const Code* Try(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  return c.CompileTry(x, pos, scope);
}

// The global a component named `name` ("vendor-card" or "~vendor-card")
// is bound to.
std::string ComponentGlobal(std::string_view name) {
  return name[0] == '~' ? std::string(name) : absl::StrCat("~", AV(name));
}

// (use "vendor-card" :name v …) calls the component ~vendor-card (looked up
// when the call runs). With no argument, or a first argument written as a
// keyword, it is an element: SVG's (use :href "#icon").
const Code* Use(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() < 2 || x[1].is_keyword()) return c.CompileHeadForm(x, pos, scope, tail);
  if (!x[1].is_string() || x[1].str().empty()) {
    c.Error(c.ElementPos(x, 1, pos),
            "use takes the component's name as a string, (use \"vendor-card\" :name v), or "
            "attributes, as the SVG element does: (use :href \"#icon\")");
  }
  return c.CompileCallOf(c.GlobalNamed(ComponentGlobal(x[1].str()), pos), x, 2, pos, scope, tail);
}

// (slot m :k) reads the field :k of m (the platform's slot; the same as
// (:slot m :k)). With other than two arguments, or a first argument written
// as a keyword, it is the HTML element: (slot :name "title" …).
const Code* Slot(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() != 3 || x[1].is_keyword()) return c.CompileHeadForm(x, pos, scope, tail);
  return c.CompileCallOf(c.GlobalNamed("slot", pos), x, 1, pos, scope, tail);
}

// The protocol's wire form of a component definition:
//   (component "vendor-card" :hash "sha3-…" (params name stall image) body…)
// defines ~vendor-card as (defcomp ~vendor-card (&key name stall image)
// body…) does (a `&rest` among the params as in defcomp). :hash, when
// present, must be the address of the same form without the :hash pair
// (spec/evaluation.md): a definition fetched by its address is the one asked
// for.
const Code* Component(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  constexpr char kUsage[] =
      "(component \"name\" [:hash \"sha3-…\"] (params a b &rest children) body…)";
  if (x.size() < 4 || !x[1].is_string() || x[1].str().empty()) c.Error(pos, kUsage);
  size_t at = 2;
  const Value* hash = nullptr;
  Pos hash_pos = pos;
  while (at + 1 < x.size() && x[at].is_keyword()) {
    if (x[at].name() != "hash" || !x[at + 1].is_string()) {
      c.Error(c.ElementPos(x, at, pos), absl::StrCat("component takes :hash \"sha3-…\", not :",
                                                     AV(x[at].name())));
    }
    hash = &x[at + 1];
    hash_pos = c.ElementPos(x, at + 1, pos);
    at += 2;
  }
  if (at + 1 >= x.size()) c.Error(pos, kUsage);  // (params …) and a body after the keys
  const Value& params = x[at];
  if (!params.is_list() || params.size() == 0 || !params[0].is_symbol() ||
      params[0].name() != "params") {
    c.Error(pos, kUsage);
  }
  auto& env = c.env();
  auto stored = [&](const std::vector<Value>& items) {
    const Value* p = env.CopyValues(items);
    if (p == nullptr) c.machine().FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
    return Value::ListView({p, items.size()});
  };
  if (hash != nullptr) {
    std::vector<Value> unhashed = {x[0], x[1]};
    unhashed.insert(unhashed.end(), x.items().begin() + at, x.items().end());
    std::string text = ToText(Value::ListView(unhashed), c.machine().budget());
    c.machine().CheckBudget();
    std::string address = Sha3_256(text).hex_address();
    Result<Digest> given = ParseAddress(hash->str());
    if (!given.ok() || given->hex_address() != address) {
      c.Error(hash_pos, absl::StrCat("component \"", AV(x[1].str()), "\": :hash ", AV(hash->str()),
                                     " is not the definition's address (", address, ")"));
    }
  }
  const Atom* key = env.Intern("&key");
  const Atom* global = env.Intern(ComponentGlobal(x[1].str()));
  const Atom* defcomp = env.Intern("defcomp");
  if (key == nullptr || global == nullptr || defcomp == nullptr) {
    c.machine().FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  }
  std::vector<Value> plist = {Value::Symbol(key)};
  plist.insert(plist.end(), params.items().begin() + 1, params.items().end());
  std::vector<Value> form = {Value::Symbol(defcomp), Value::Symbol(global), stored(plist)};
  form.insert(form.end(), x.items().begin() + at + 1, x.items().end());
  return c.CompileGlobalCallable(stored(form), pos, scope, ValueType::kComponent);
}

constexpr SpecialFormEntry kSpecialForms[] = {
    {"quote", Quote},
    {"quasiquote", Quasiquote},
    {"if", IfForm},
    {"when", WhenUnless<true>},
    {"unless", WhenUnless<false>},
    {"cond", Cond},
    {"case", CaseForm},
    {"and", AndOrForm<true>},
    {"or", AndOrForm<false>},
    {"let", Let},
    {"let*", Let},
    {"do", Body},
    {"begin", Body},
    {"fn", Fn},
    {"lambda", Fn},
    {"define", Define},
    {"set!", Set},
    {"use", Use},
    {"component", Component},
    {"slot", Slot},
    {"defcomp", DefineCallable<ValueType::kComponent>},
    {"defmacro", DefineCallable<ValueType::kMacro>},
    {"try", Try},
};

}  // namespace

void InstallSpecialForms(Environment::State& state) {
  for (const SpecialFormEntry& e : kSpecialForms) {
    state.special_forms[state.Intern(e.name)] = e.compile;
  }
}

}  // namespace sexp::eval_internal
