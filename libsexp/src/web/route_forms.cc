// The routes extension of the language (eval/extension.h):
//
//   (defroute "/blog/:slug/" (slug) body…)
//
// defines a handler function (named "route /blog/:slug/" in traces) and
// records it in the global `*routes*`, a list of (pattern handler) pairs in
// definition order, through the primitive `register-route!`. Hosts read
// `*routes*` to build a Router (sexp/web/router.h; the Python Quart helper
// does). spec/routes.md.
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/nodes.h"
#include "sexp/web/router.h"

namespace sexp::web_internal {
namespace {

using eval_internal::Call;
using eval_internal::Code;
using eval_internal::Compiler;
using eval_internal::Const;
using eval_internal::GlobalRef;
using eval_internal::Lambda;
using eval_internal::LanguageExtension;
using eval_internal::MakeClosure;
using eval_internal::Pos;
using eval_internal::Scope;
using eval_internal::SpecialFormEntry;
using internal::AV;

const Code* Defroute(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  if (x.size() < 4 || !x[1].is_string() || !x[2].is_list()) {
    c.Error(pos, "(defroute \"/path/:param\" (param…) body…)");
  }
  const Lambda* l = c.CompileLambda(absl::StrCat("route ", AV(x[1].str())), x[2],
                                    c.ElementPos(x, 2, pos), x, 3, pos, scope, false);
  auto& env = c.env();
  auto* call = c.At(env.NewCode<Call>(), pos);
  call->fn = c.At(env.NewCode<GlobalRef>(env.GlobalCell(env.Intern("register-route!"))), pos);
  call->tail = false;
  call->args.push_back(c.At(env.NewCode<Const>(x[1]), pos));
  call->args.push_back(c.At(env.NewCode<MakeClosure>(l, ValueType::kFunction), pos));
  return call;
}

void InstallRoutePrimitives(Environment& env) {
  env.DefinePrimitive(
      "register-route!", 2, 2,
      [&env](CallContext& c, absl::Span<const Value> a) {
        const Value* routes = env.Lookup("*routes*");
        std::vector<Value> all;
        if (routes != nullptr && routes->is_list()) {
          all.assign(routes->items().begin(), routes->items().end());
        }
        Value pair[2] = {a[0], a[1]};
        all.push_back(c.MakeList(pair));
        env.DefineValue("*routes*", c.MakeList(all));
        return a[0];
      },
      kGroupCore);
}

constexpr SpecialFormEntry kRouteForms[] = {{"defroute", Defroute}};

constexpr LanguageExtension kRoutesExtension = {
    .name = "routes",
    .special_forms = kRouteForms,
    .head_form = nullptr,
    .install = InstallRoutePrimitives,
};

}  // namespace

bool RegisterRouteForms() { return eval_internal::RegisterExtension(&kRoutesExtension); }

}  // namespace sexp::web_internal
