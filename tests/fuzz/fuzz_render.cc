// libFuzzer target: the streaming HTML renderer against its definition.
//
// Each input is sx text run twice in fresh Environments that first define
// the same data and component (kHarness): rendered in place (RenderHtml, the
// streaming path) and evaluated to data then rendered (Environment::Eval,
// RenderData). Limits as fuzz_eval's.
//
// Invariants (any violation traps after printing both outcomes):
//   - neither run crashes, hangs, trips a sanitizer or lets an exception out;
//   - a streamed error has a documented code and a position inside the input;
//   - unless a limit ended either run (steps and bytes are counted
//     differently on the two paths) or the input defines globals while
//     rendering (refused by design), both succeed with the same bytes or
//     both fail.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sexp/sexp.h"

namespace {

constexpr std::string_view kHarness = R"sx(
(define d {:s "<a & 'b'>" :n 42 :f 2.5 :b true :no false :z nil :l (list "x<" "y")
           :k :kw :h (raw! "<i>raw</i>") :u "/p?q=<1>" :bad "javascript:x"
           :cls (list "a" nil "b") :on {:active true} :st {:color "red"}})
(defcomp ~card (&key title &rest children) (article :class "card" (h2 title) children))
(define (item x) (li :data-x x x))
)sx";

struct Outcome {
  bool ok = false;
  bool limit = false;
  std::string text;  // HTML or "code: message"
};

sexp::EvalLimits Limits() {
  sexp::EvalLimits limits;
  limits.max_steps = 20000;
  limits.max_depth = 200;
  limits.max_bytes = 8u << 20;
  limits.timeout = std::chrono::milliseconds(2000);
  return limits;
}

Outcome FromError(const sexp::EvalError& e) {
  return {false, e.is_limit(), std::string(sexp::EvalErrorCodeName(e.code)) + ": " + e.ToString()};
}

void CheckError(const sexp::EvalError& e, std::string_view text) {
  static constexpr std::string_view kCodes[] = {
      "syntax", "unbound", "not-callable", "arity", "type", "unknown-key", "overflow",
      "division-by-zero", "index", "user", "read", "step-limit", "depth-limit",
      "memory-limit", "timeout", "interrupted", "host", "render"};
  bool known = false;
  for (std::string_view c : kCodes) known |= e.code == c;
  if (!known) std::fprintf(stderr, "unknown code: %s\n", std::string(sexp::EvalErrorCodeName(e.code)).c_str());
  FUZZ_CHECK(known);
  FUZZ_CHECK(!e.message.empty());
  if (e.file == "fuzz.sx" && e.offset != sexp::kNoOffset) FUZZ_CHECK(e.offset <= text.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp::RenderOptions options;
  if (size > 0 && data[0] % 2 == 1) options.url_policy = sexp::UrlPolicy::kAllowAll;

  Outcome streamed;
  {
    sexp::Environment env;
    FUZZ_CHECK(env.Eval(kHarness, "harness.sx").ok());
    std::string html;
    sexp::StringSink sink(&html);
    sexp::EvalResult r = sexp::RenderHtml(env, text, sink, "fuzz.sx", options, Limits());
    if (r.ok()) {
      streamed = {true, false, html};
    } else {
      CheckError(r.error(), text);
      streamed = FromError(r.error());
    }
  }
  Outcome reference;
  {
    sexp::Environment env;
    FUZZ_CHECK(env.Eval(kHarness, "harness.sx").ok());
    sexp::EvalResult tree = env.Eval(text, "fuzz.sx", Limits());
    if (!tree.ok()) {
      reference = FromError(tree.error());
    } else {
      std::string html;
      sexp::StringSink sink(&html);
      sexp::EvalResult r = sexp::RenderData(tree.value(), sink, options);
      reference = r.ok() ? Outcome{true, false, html} : FromError(r.error());
    }
  }
  if (streamed.limit || reference.limit) return 0;
  if (!streamed.ok && streamed.text.find("cannot define or set!") != std::string::npos) return 0;
  if (streamed.ok != reference.ok || (streamed.ok && streamed.text != reference.text)) {
    std::fprintf(stderr, "streamed:  %s\nreference: %s\n", streamed.text.c_str(),
                 reference.text.c_str());
  }
  FUZZ_CHECK(streamed.ok == reference.ok);
  if (streamed.ok) FUZZ_CHECK(streamed.text == reference.text);
  return 0;
}
