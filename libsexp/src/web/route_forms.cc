// The routes extension of the language (eval/extension.h):
//
//   (defroute "/blog/:slug/" (slug) body…)
//
// defines a handler function (named "route /blog/:slug/" in traces) and
// records it in the global `*routes*`, a list of (pattern handler) pairs in
// definition order, through the primitive `register-route!`. Hosts read
// `*routes*` to build a Router (sexp/web/router.h; the Python Quart helper
// does). spec/routes.md.
//
//   (defpage home :path "/blog/:slug/" :content (~post-page :slug slug))
//
// is the same route written as the platform writes pages: the handler's
// parameters are the path's :params, its body the :content.
//
//   (query blog post-by-slug :slug slug)   (frag blog link-card :slug "a")
//   (action cart add-item :id 3)
//
// are I/O requests with names: the service and the name are written bare and
// not evaluated, the keyword arguments are — the same request as
// (query "blog" "post-by-slug" {:slug slug}), made through whatever the
// global `query` holds (a resolver service: sexp/web/resolver.h).
// `(render tree)` is the identity that marks a route's result.
//
//   (defservice blog :url "http://127.0.0.1:8001/internal/data" :batch true :timeout-ms 500)
//
// declares the backend that `(query blog …)` (and frag, action) requests
// naming `blog` go to: recorded in the global `*services*`, a list of
// (name {:url … :batch … :timeout-ms …}) in definition order, through the
// primitive `register-service!`. Its options are literals, checked when the
// form is compiled (so a bad one is an error at load, with its position); a
// name declared twice is refused. Hosts read `*services*` (`sexp host`,
// spec/host.md "Services").
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/nodes.h"
#include "sexp/web/router.h"

namespace sexp::web_internal {
namespace {

using eval_internal::Code;
using eval_internal::Compiler;
using eval_internal::Const;
using eval_internal::Lambda;
using eval_internal::LanguageExtension;
using eval_internal::MakeClosure;
using eval_internal::Pos;
using eval_internal::Quasi;
using eval_internal::Scope;
using eval_internal::SpecialFormEntry;
using internal::AV;

// The route's handler `l` recorded under `pattern` (a string value).
const Code* RegisterRoute(Compiler& c, const Value& pattern, const Lambda* l, Pos pos) {
  auto& env = c.env();
  return c.MakeCall(c.GlobalNamed("register-route!", pos),
                    {c.At(env.NewCode<Const>(pattern), pos),
                     c.At(env.NewCode<MakeClosure>(l, ValueType::kFunction), pos)},
                    pos, /*tail=*/false);
}

// A string value of the environment (for names compiled into code).
Value EnvString(Compiler& c, std::string_view text) {
  const char* p = c.env().CopyBytes(text);
  if (p == nullptr) c.machine().FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  return Value::StringView(std::string_view(p, text.size()));
}

const Code* Defroute(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  if (x.size() < 4 || !x[1].is_string() || !x[2].is_list()) {
    c.Error(pos, "(defroute \"/path/:param\" (param…) body…)");
  }
  const Lambda* l = c.CompileLambda(absl::StrCat("route ", AV(x[1].str())), x[2],
                                    c.ElementPos(x, 2, pos), x, 3, pos, scope, false);
  return RegisterRoute(c, x[1], l, pos);
}

const Code* Defpage(Compiler& c, const Value& x, Pos pos, Scope* scope, bool) {
  constexpr char kUsage[] = "(defpage name :path \"/blog/:slug/\" :content body)";
  if (x.size() < 2 || !x[1].is_symbol() || (x.size() - 2) % 2 != 0) c.Error(pos, kUsage);
  const Value* path = nullptr;
  size_t content_at = 0;  // where the :content form is in x; 0: none
  for (size_t i = 2; i + 1 < x.size(); i += 2) {
    if (!x[i].is_keyword()) c.Error(c.ElementPos(x, i, pos), kUsage);
    if (x[i].name() == "path") {
      path = &x[i + 1];
    } else if (x[i].name() == "content") {
      content_at = i + 1;
    } else {
      c.Error(c.ElementPos(x, i, pos),
              absl::StrCat("defpage takes :path and :content, not :", AV(x[i].name())));
    }
  }
  if (path == nullptr || !path->is_string() || content_at == 0) c.Error(pos, kUsage);
  // The handler's parameters: the pattern's, in order (a malformed pattern
  // is refused here, as the router would refuse it).
  absl::StatusOr<std::vector<RouteParam>> pattern = RouteParams(path->str());
  if (!pattern.ok()) c.Error(pos, std::string(pattern.status().message()));
  std::vector<Value> params;
  for (const RouteParam& p : *pattern) {
    const Atom* atom = c.env().Intern(p.name);
    if (atom == nullptr) c.machine().FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
    params.push_back(Value::Symbol(atom));
  }
  const Value* stored = c.env().CopyValues(params);
  const Value* body = c.env().CopyValues({&x[content_at], 1});
  if ((stored == nullptr && !params.empty()) || body == nullptr) {
    c.machine().FailLimit(EvalErrorCode::kMemoryLimit, "out of memory");
  }
  // The handler: (fn (params…) content).
  const Lambda* l = c.CompileLambda(absl::StrCat("page ", AV(x[1].name())),
                                    Value::ListView({stored, params.size()}), pos,
                                    Value::ListView({body, 1}), 0, pos, scope, false);
  return RegisterRoute(c, *path, l, pos);
}

const Code* Defservice(Compiler& c, const Value& x, Pos pos, Scope*, bool) {
  constexpr char kUsage[] =
      "(defservice name :url \"http://host:port/path\" [:batch true] [:timeout-ms 500])";
  if (x.size() < 2 || !x[1].is_symbol() || (x.size() - 2) % 2 != 0) c.Error(pos, kUsage);
  auto& env = c.env();
  auto* options = c.At(env.NewCode<Quasi>(), pos);
  options->dict = true;
  bool has_url = false;
  for (size_t i = 2; i + 1 < x.size(); i += 2) {
    Pos at = c.ElementPos(x, i, pos);
    Pos value_at = c.ElementPos(x, i + 1, pos);
    if (!x[i].is_keyword()) c.Error(at, kUsage);
    std::string_view key = x[i].name();
    const Value& v = x[i + 1];
    for (size_t j = 2; j < i; j += 2) {
      if (x[j].SameName(x[i])) c.Error(at, absl::StrCat("defservice: :", AV(key), " twice"));
    }
    if (key == "url") {
      if (!v.is_string() || !absl::StartsWith(AV(v.str()), "http://")) {
        c.Error(value_at, "defservice :url is a string \"http://host:port/path\" (plain HTTP "
                          "to a backend beside the host)");
      }
      has_url = true;
    } else if (key == "batch") {
      if (!v.is_bool()) c.Error(value_at, "defservice :batch is true or false");
    } else if (key == "timeout-ms") {
      if (!v.is_int() || v.as_int() <= 0 || v.as_int() > 600000) {
        c.Error(value_at, "defservice :timeout-ms is an integer from 1 to 600000");
      }
    } else {
      c.Error(at, absl::StrCat("defservice takes :url, :batch and :timeout-ms, not :", AV(key)));
    }
    options->parts.push_back({c.At(env.NewCode<Const>(x[i]), at), false});
    options->parts.push_back({c.At(env.NewCode<Const>(v), value_at), false});
  }
  if (!has_url) c.Error(pos, kUsage);
  return c.MakeCall(c.GlobalNamed("register-service!", pos),
                    {c.At(env.NewCode<Const>(EnvString(c, x[1].name())), c.ElementPos(x, 1, pos)),
                     options},
                    pos, /*tail=*/false);
}

// (query service name :k v …) with bare names: see the top of this file.
// Anything else — (query "item" 3) — is an ordinary call.
const Code* NamedIo(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail) {
  if (x.size() < 3 || !x[1].is_symbol() || !x[2].is_symbol()) {
    return c.CompileCall(x, pos, scope, tail);
  }
  std::string_view head = x[0].name();
  if ((x.size() - 3) % 2 != 0) {
    c.Error(pos, absl::StrCat("(", AV(head), " ", AV(x[1].name()), " ", AV(x[2].name()),
                              " :key value …): the arguments after the names are keyword pairs"));
  }
  auto& env = c.env();
  auto* kwargs = c.At(env.NewCode<Quasi>(), pos);
  kwargs->dict = true;
  for (size_t i = 3; i + 1 < x.size(); i += 2) {
    Pos at = c.ElementPos(x, i, pos);
    if (!x[i].is_keyword()) {
      c.Error(at, absl::StrCat("(", AV(head), " …): an argument after the names must be a "
                               "keyword followed by its value"));
    }
    for (size_t j = 3; j < i; j += 2) {
      if (x[j].SameName(x[i])) c.Error(at, absl::StrCat("(", AV(head), " …): :", AV(x[i].name()), " twice"));
    }
    kwargs->parts.push_back({c.At(env.NewCode<Const>(x[i]), at), false});
    kwargs->parts.push_back({c.Compile(x[i + 1], c.ElementPos(x, i + 1, pos), scope, false), false});
  }
  return c.MakeCall(
      c.GlobalNamed(head, pos),
      {c.At(env.NewCode<Const>(EnvString(c, x[1].name())), c.ElementPos(x, 1, pos)),
       c.At(env.NewCode<Const>(EnvString(c, x[2].name())), c.ElementPos(x, 2, pos)), kwargs},
      pos, tail);
}

void InstallRoutePrimitives(Environment& env) {
  // (render tree): the identity, marking what a route answers.
  env.DefinePrimitive(
      "render", 1, 1, [](CallContext&, absl::Span<const Value> a) { return a[0]; }, kGroupCore);
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
  env.DefinePrimitive(
      "register-service!", 2, 2,
      [&env](CallContext& c, absl::Span<const Value> a) {
        if (!a[0].is_string() || !a[1].is_dict()) {
          c.Fail(EvalErrorCode::kType, "(register-service! \"name\" {:url …})");
        }
        const Value* services = env.Lookup("*services*");
        std::vector<Value> all;
        if (services != nullptr && services->is_list()) {
          for (const Value& s : services->items()) {
            if (s.is_list() && s.size() == 2 && s[0].is_string() && s[0].str() == a[0].str()) {
              c.Fail(EvalErrorCode::kSyntax,
                     absl::StrCat("service ", AV(a[0].str()), " is declared twice"));
            }
            all.push_back(s);
          }
        }
        Value pair[2] = {a[0], a[1]};
        all.push_back(c.MakeList(pair));
        env.DefineValue("*services*", c.MakeList(all));
        return Value();
      },
      kGroupCore);
}

constexpr SpecialFormEntry kRouteForms[] = {
    {"defroute", Defroute}, {"defpage", Defpage},   {"defservice", Defservice},
    {"query", NamedIo},     {"frag", NamedIo},     {"action", NamedIo},
};

constexpr LanguageExtension kRoutesExtension = {
    .name = "routes",
    .special_forms = kRouteForms,
    .head_form = nullptr,
    .install = InstallRoutePrimitives,
};

}  // namespace

bool RegisterRouteForms() { return eval_internal::RegisterExtension(&kRoutesExtension); }

}  // namespace sexp::web_internal
