// sexp/html/render.h — rendering sx element trees to HTML, safe by construction.
//
//   sexp::Environment env;
//   std::string html;
//   sexp::StringSink sink(&html);
//   sexp::EvalResult r = sexp::RenderHtml(env,
//       "(defcomp ~card (&key title &rest children) (article (h2 title) children))"
//       "(~card :title \"<Hi>\" (p :class \"x\" \"body\"))", sink, "page.sx");
//   // html == "<article><h2>&lt;Hi&gt;</h2><p class=\"x\">body</p></article>"
//
// An element is `(tag :attr value … child…)`. Text is escaped, attribute
// names are validated, `(raw! s)` is the only way to emit unescaped HTML (and
// only code can call it: a raw! list arriving as data renders as an error,
// never as markup). The full rules are in spec/rendering.md.
//
// The last form is evaluated to an element tree, which is then written out;
// the output reaches the sink in chunks (RenderOptions::chunk_bytes). Values
// made while rendering live in a scratch arena released when the render
// ends, so an Environment can render many pages without growing.
//
// Errors are EvalErrors (code `render` for the rules of this header, the
// evaluator's codes otherwise). A chunked sink (file descriptor, callback)
// may already hold part of the page when a render fails; a StringSink
// never does.
#ifndef SEXP_HTML_RENDER_H_
#define SEXP_HTML_RENDER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "sexp/core/sink.h"
#include "sexp/eval/eval.h"

namespace sexp {

// Rendered HTML goes to a ByteSink (sexp/core/sink.h): StringSink,
// FdSink, CallbackSink, or one of the caller's. These names are the old
// HTML-only ones, kept for one release.
using HtmlSink = ByteSink;
using HtmlStringSink = StringSink;
using HtmlFdSink = FdSink;
using HtmlCallbackSink = CallbackSink;

enum class UrlPolicy {
  // href, src, action, formaction, poster, cite, background, xlink:href and
  // srcset values must be relative or use http, https, mailto, tel or sexpr;
  // another (javascript:, data:, vbscript: …) is neutralized (RenderOptions).
  kSafeSchemes,
  kAllowAll,
};

// What a render neutralized instead of writing as given (spec/rendering.md
// "Data that is neutralized"): one user's data never fails a whole page.
struct RenderStats {
  // URL attributes whose value the URL policy refused: written as
  // kNeutralizedUrl (a meta refresh's :content and :srcdoc are left out).
  uint64_t unsafe_urls = 0;
  // script/style elements whose text would have ended or confused them:
  // written with that text escaped (JavaScript \u003c, CSS \3c ).
  uint64_t raw_text_escaped = 0;
  // What the first one was, for a log line ("unsafe URL in :href of <a>").
  std::string first;
};

// The inert value an unsafe URL attribute gets (as Go's html/template
// writes #ZgotmplZ): it navigates nowhere.
inline constexpr std::string_view kNeutralizedUrl = "about:invalid#unsafe-url";

struct RenderOptions {
  UrlPolicy url_policy = UrlPolicy::kSafeSchemes;
  // Unsafe URLs and script/style text that would end its element are
  // neutralized and counted (true), or `render` errors that end the render
  // (false: for a host that prefers to refuse such a page).
  bool neutralize_unsafe = true;
  // Counts what was neutralized; nullptr: not counted. Not reset: a host
  // may add several renders up.
  RenderStats* stats = nullptr;
  // Output is handed to the sink in chunks of about this many bytes.
  size_t chunk_bytes = size_t{16} << 10;
};

// Evaluates every top-level form of `text` in order (definitions persist, as
// Environment::Eval) and renders the value of the last one. On success the
// result's value is the number of bytes written (an int).
EvalResult RenderHtml(Environment& env, std::string_view text, ByteSink& sink,
                      std::string_view file = "", const RenderOptions& options = {},
                      const EvalLimits& limits = EvalLimits());

// Calls `fn` (a component, function or primitive) with `args` and renders
// what it returns; nothing is compiled, so a host rendering the same page
// many times uses this. Result as RenderHtml.
EvalResult RenderCall(Environment& env, const Value& fn, absl::Span<const Value> args,
                      ByteSink& sink, const RenderOptions& options = {},
                      const EvalLimits& limits = EvalLimits());

// Renders a value that is already data (e.g. a tree received from a peer):
// no code runs. The walk is charged per node and per byte written to
// `limits` (to limits.budget when set: the evaluation that made the tree).
EvalResult RenderData(const Value& tree, ByteSink& sink, const RenderOptions& options = {},
                      const EvalLimits& limits = EvalLimits());

// The text escaping the renderer uses: & < > " ' as entities.
std::string EscapeHtml(std::string_view text);

// HTML element forms — `(div :class "x" …)` as data, and streamed when
// rendered — are a language extension (libsexp/src/eval/extension.h): this
// header registers them, so every Environment a program that includes it
// (or sexp/sexp.h) makes once main() runs has them. An Environment made
// during static initialisation, before this registration, may not.
namespace html_internal {
bool RegisterHtmlForms();  // idempotent, thread-safe
[[maybe_unused]] inline const bool kHtmlFormsRegistered = RegisterHtmlForms();
}  // namespace html_internal

}  // namespace sexp

#endif  // SEXP_HTML_RENDER_H_
