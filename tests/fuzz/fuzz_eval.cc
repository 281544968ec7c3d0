// libFuzzer target: the evaluator on arbitrary programs, under tight limits.
//
// Each input is sx text evaluated in a fresh Environment with every pure
// group and limits small enough that any program ends quickly: 20000 steps,
// depth 200, 8 MiB allocated, 2 s of wall time (a safety net; steps end
// loops first). The harness defines `check`/`check-error` as macros so the
// conformance files (the seed corpus) run as programs.
//
// Invariants (any violation traps after printing what failed):
//   - an evaluation ends with a value or an EvalError — never a crash, a
//     hang, a sanitizer report or an exception escaping the API;
//   - an error has a documented code, a message, is_limit() agrees with the
//     code, a position inside the input (or none) whose line/column match
//     the offset, and a ToString() that starts with that position;
//   - a value prints (ToText), equals itself, and when it is plain data its
//     text reads back as sx;
//   - the environment still works afterwards: a definition of the harness's
//     own, called after the input ran, gives its value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sexp/eval/eval.h"
#include "sexp/core/reader.h"

namespace {

constexpr std::string_view kHarness =
    "(defmacro check (expr want) `(= ,expr (quote ,want)))\n"
    "(defmacro check-error (expr code) `(= (try ,expr (catch e (:code e))) ,code))\n"
    "(define (fuzz-harness-probe) (list 1 \"two\" :three))\n";

bool KnownCode(std::string_view code) {
  for (std::string_view c :
       {"syntax", "unbound", "not-callable", "arity", "type", "unknown-key", "overflow",
        "division-by-zero", "index", "user", "read", "step-limit", "depth-limit",
        "memory-limit", "timeout", "interrupted", "host", "render"}) {
    if (code == c) return true;
  }
  return false;
}

bool IsLimitCode(std::string_view code) {
  return code == "step-limit" || code == "depth-limit" || code == "memory-limit" ||
         code == "timeout" || code == "interrupted";
}

// Plain data: no callables anywhere inside (those print as #<…>).
bool IsData(const sexp::Value& v, int depth = 0) {
  if (v.is_callable()) return false;
  if (v.is_list() || v.is_dict()) {
    if (depth > 200) return false;  // deep data: the reader's depth limit, not a bug
    for (const sexp::Value& x : v.items()) {
      if (!IsData(x, depth + 1)) return false;
    }
  }
  return true;
}

void CheckPosition(const sexp::EvalError& e, std::string_view text) {
  if (e.file != "fuzz.sx" || e.offset == sexp::kNoOffset) return;
  FUZZ_CHECK(e.offset <= text.size());
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < e.offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;  // columns count bytes (sexp/core/error.h)
    }
  }
  FUZZ_CHECK(e.line == line);
  FUZZ_CHECK(e.column == column);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp::Environment env;
  FUZZ_CHECK(env.Eval(kHarness, "harness.sx").ok());

  sexp::EvalLimits limits;
  limits.max_steps = 20000;
  limits.max_depth = 200;
  limits.max_bytes = 8u << 20;
  limits.timeout = std::chrono::milliseconds(2000);
  sexp::EvalResult r = env.Eval(text, "fuzz.sx", limits);
  if (r.ok()) {
    std::string printed = sexp::ToText(r.value());
    FUZZ_CHECK(sexp::ValuesEqual(r.value(), r.value()));
    if (IsData(r.value())) {
      sexp::ReadOptions options;
      options.max_depth = 1024;
      auto doc = sexp::Read(printed, options);
      if (!doc.ok()) std::fprintf(stderr, "unreadable value text: %s\n", printed.c_str());
      FUZZ_CHECK(doc.ok());
    }
  } else {
    const sexp::EvalError& e = r.error();
    std::string code(sexp::EvalErrorCodeName(e.code));
    if (!KnownCode(code)) std::fprintf(stderr, "unknown code: %s\n", code.c_str());
    FUZZ_CHECK(KnownCode(code));
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.is_limit() == IsLimitCode(code));
    CheckPosition(e, text);
    std::string shown = e.ToString();
    FUZZ_CHECK(shown.find(e.message) != std::string::npos);
  }

  // The environment survives whatever the input did (unless the input
  // redefined the probe or what it calls).
  sexp::EvalResult probe = env.Eval("(fuzz-harness-probe)", "probe.sx");
  if (text.find("fuzz-harness-probe") == std::string_view::npos &&
      text.find("list") == std::string_view::npos) {
    FUZZ_CHECK(probe.ok());
    FUZZ_CHECK(sexp::ToText(probe.value()) == "(1 \"two\" :three)");
  }
  return 0;
}
