// The html extension of the language (eval/extension.h): element forms.
// A list headed by an element's name — an HTML or SVG element, a custom
// element, or the fragment marker <> — that is not bound to anything
// callable compiles to an Element (element.h): data when evaluated, its
// bytes when rendered (spec/rendering.md, "Head position").
#include "absl/types/span.h"
#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/nodes.h"
#include "html/element.h"
#include "html/elements.h"
#include "sexp/html/render.h"

namespace sexp::html_internal {
namespace {

using eval_internal::Compiler;
using eval_internal::Const;
using eval_internal::HeadForm;
using eval_internal::LanguageExtension;
using eval_internal::Pos;
using eval_internal::Primitive;
using eval_internal::Scope;
using eval_internal::StreamOp;

// `cell`: the global the head names; or `local`, the code reading the local
// that does (a component's `title` parameter): called, when it runs, if it
// holds something callable, else the element.
const Code* CompileElement(Compiler& c, const Value& x, Pos pos, Scope* scope, bool tail,
                           Global* cell, const Code* local) {
  auto* e = c.At(c.env().NewCode<Element>(), pos);
  e->cell = cell;
  e->local = local;
  e->name = x[0].atom();
  e->tail = tail;
  for (size_t i = 1; i < x.size(); ++i) {
    e->args.push_back(c.Compile(x[i], c.ElementPos(x, i, pos), scope, false));
  }
  auto is_keyword_call = [&](const Value& form) {
    if (!form.is_list() || form.size() != 2) return false;
    const Primitive* p = c.PrimitiveAt(form[0], scope, nullptr);
    return p != nullptr && p->stream == StreamOp::kKeyword;
  };
  for (size_t i = 0; i < e->args.size(); ++i) {
    if (x[i + 1].is_keyword()) {
      ++i;  // an attribute name and its value
    } else if (i + 1 < e->args.size() && is_keyword_call(x[i + 1])) {
      e->computed_names.push_back(static_cast<uint32_t>(i));
      ++i;
    } else if (dynamic_cast<const Const*>(e->args[i]) == nullptr) {
      e->computed_children.push_back(static_cast<uint32_t>(i));
    }
  }
  PlanElement(*e, &c.machine().budget());
  return e;
}

constexpr HeadForm kElementForm = {IsElementName, CompileElement};

constexpr LanguageExtension kHtmlExtension = {
    .name = "html",
    .special_forms = {},
    .head_form = &kElementForm,
    .install = nullptr,
};

}  // namespace

bool RegisterHtmlForms() { return eval_internal::RegisterExtension(&kHtmlExtension); }

}  // namespace sexp::html_internal
