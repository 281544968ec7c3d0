// The compiler hook (libsexp/src/eval/extension.h): an extension's special
// forms, head forms and primitives reach every Environment made after it
// registers, none made before; the built-in special forms are a table that
// extensions add to; html elements and defroute arrive this way.
#include <string>

#include "eval/compile.h"
#include "eval/extension.h"
#include "eval/nodes.h"
#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

using eval_internal::Compiler;
using eval_internal::Const;
using eval_internal::Global;
using eval_internal::HeadForm;
using eval_internal::LanguageExtension;
using eval_internal::Pos;
using eval_internal::Scope;
using eval_internal::SpecialFormEntry;

std::string Text(const EvalResult& r) {
  if (!r.ok()) return "error " + std::string(EvalErrorCodeName(r.error().code)) + ": " + r.error().message;
  return ToText(r.value());
}

// (name-of sym): the symbol's name as a string, without evaluating it.
const eval_internal::Code* NameOf(Compiler& c, const Value& x, Pos pos, Scope*, bool) {
  if (x.size() != 2 || !x[1].is_symbol()) c.Error(pos, "(name-of symbol)");
  const char* bytes = c.env().CopyBytes(x[1].name());
  if (bytes == nullptr) c.Error(pos, "out of memory");
  Value name = Value::StringView(std::string_view(bytes, x[1].name().size()));
  return c.At(c.env().NewCode<Const>(name), pos);
}

// Heads named `shout!…`: the count of the form's arguments, when the name is
// not bound to anything callable.
bool ClaimsShout(std::string_view name) { return name.substr(0, 6) == "shout!"; }
const eval_internal::Code* CompileShout(Compiler& c, const Value& x, Pos pos, Scope*, bool,
                                        Global*, const eval_internal::Code*) {
  return c.At(c.env().NewCode<Const>(Value::Int(static_cast<int64_t>(x.size()) - 1)), pos);
}

void InstallAnswer(Environment& env) {
  env.Define("answer", []() -> int64_t { return 42; });
}

constexpr SpecialFormEntry kForms[] = {{"name-of", NameOf}};
constexpr HeadForm kShout = {ClaimsShout, CompileShout};
constexpr LanguageExtension kTestExtension = {
    .name = "test",
    .special_forms = kForms,
    .head_form = &kShout,
    .install = InstallAnswer,
};

// (First in the file: the other tests register the extension too, and a
// registration cannot be undone.)
TEST(Extension, ReachesEnvironmentsMadeAfterItRegisters) {
  Environment before;
  ASSERT_TRUE(eval_internal::RegisterExtension(&kTestExtension));
  ASSERT_TRUE(eval_internal::RegisterExtension(&kTestExtension));  // twice: a no-op
  Environment after;

  EXPECT_EQ(Text(after.Eval("(name-of hello)")), "\"hello\"");
  EXPECT_EQ(Text(after.Eval("(shout!loud 1 2 3)")), "3");
  EXPECT_EQ(Text(after.Eval("(answer)")), "42");
  // Registered once: one primitive, one head form.
  EXPECT_EQ(Text(after.Eval("(+ (answer) (answer))")), "84");

  // The environment made before has none of it.
  EXPECT_EQ(before.Eval("(name-of hello)").error().code, "unbound");
  EXPECT_EQ(before.Eval("(answer)").error().code, "unbound");
  EXPECT_EQ(before.Eval("(shout!loud 1)").error().code, "unbound");
}

TEST(Extension, HeadFormsYieldToCallablesAndLocals) {
  eval_internal::RegisterExtension(&kTestExtension);
  Environment env;
  // A global bound to a callable is called, not claimed.
  EXPECT_EQ(Text(env.Eval("(define (shout!x a) (* a 10)) (shout!x 4)")), "40");
  // Special forms are looked up before macros and head forms; a local
  // shadows a special form's name.
  EXPECT_EQ(Text(env.Eval("((fn (name-of) (name-of 5)) (fn (x) (+ x 1)))")), "6");
  // A syntax error of an extension's form points at the form.
  EvalResult bad = env.Eval("\n  (name-of 1)", "f.sx");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "syntax");
  EXPECT_EQ(bad.error().line, 2);
  EXPECT_EQ(bad.error().column, 3);
}

// The library's own extensions, through the same hook: html elements are
// data when evaluated, and defroute records its handler.
TEST(Extension, HtmlElementsAndRoutesAreExtensions) {
  Environment env;
  EXPECT_EQ(Text(env.Eval("(div :class \"a\" (p \"hi\"))")), "(div :class \"a\" (p \"hi\"))");
  EXPECT_EQ(Text(env.Eval("(defroute \"/a/:id\" (id) (str \"a\" id)) (count *routes*)")), "1");
  EXPECT_EQ(Text(env.Eval("((nth (nth *routes* 0) 1) \"7\")")), "\"a7\"");
}

// Issue 21: (defpage name :path p :content body) is a route whose handler
// takes the path's :params; (render tree) is the identity.
TEST(Extension, DefpageIsARouteWithThePathsParameters) {
  Environment env;
  EXPECT_EQ(Text(env.Eval("(defpage home :path \"/\" :content (render (p \"home\"))) (count *routes*)")),
            "1");
  EXPECT_EQ(Text(env.Eval("((nth (nth *routes* 0) 1))")), "(p \"home\")");
  EXPECT_EQ(Text(env.Eval("(defpage post :content (str slug \"#\" id) :path \"/b/:slug/:id{int}/\")"
                          "(list (nth (nth *routes* 1) 0) ((nth (nth *routes* 1) 1) \"x\" 7))")),
            "(\"/b/:slug/:id{int}/\" \"x#7\")");
  for (const char* bad : {"(defpage p :content 1)", "(defpage p :path \"/\")",
                          "(defpage p :path \"/\" :content 1 :layout 2)", "(defpage :path \"/\")",
                          "(defpage p :path \"/\" :content)",
                          "(defpage p :path \"no-slash/\" :content 1)",
                          "(defpage p :path \"/a/:x/:x/\" :content 1)"}) {
    EvalResult r = env.Eval(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, EvalErrorCode::kSyntax) << bad;
  }
}

// Issue 21: the platform's `use` and `slot` are elements when written with
// attributes (SVG's <use>, HTML's <slot>), calls otherwise.
TEST(Extension, UseAndSlotAreElementsWithAttributes) {
  Environment env;
  ASSERT_TRUE(env.Eval("(defcomp ~icon (&key name) (i name))").ok());
  EXPECT_EQ(Text(env.Eval("(svg (use :href \"#icon\"))")), "(svg (use :href \"#icon\"))");
  EXPECT_EQ(Text(env.Eval("(use \"icon\" :name \"x\")")), "(i \"x\")");
  EXPECT_EQ(Text(env.Eval("(slot :name \"title\" \"fallback\")")), "(slot :name \"title\" \"fallback\")");
  EXPECT_EQ(Text(env.Eval("(slot)")), "(slot)");
  EXPECT_EQ(Text(env.Eval("(slot {:a 1} :a)")), "1");
  // A parameter named `use` is called as any local.
  EXPECT_EQ(Text(env.Eval("((fn (use) (use 2)) (fn (x) (* x 3)))")), "6");
  std::string html;
  StringSink sink(&html);
  ASSERT_TRUE(RenderHtml(env, "(svg (use :href \"#i\") (use \"icon\" :name \"n\"))", sink).ok());
  EXPECT_EQ(html, "<svg><use href=\"#i\"></use><i>n</i></svg>");
}

}  // namespace
}  // namespace sexp
