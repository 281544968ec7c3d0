// libFuzzer target: the evaluator on arbitrary programs, under tight limits.
//
// Each input is sx text evaluated in a fresh Environment with every pure
// group and limits small enough that any program ends quickly: 20000 steps,
// depth 200, 8 MiB allocated, 2 s of wall time (a safety net; steps end
// loops first). The harness defines `check`/`check-error` as macros so the
// conformance files (the seed corpus) run as programs.
//
// An input starting with a control byte is a hostile input instead
// (fuzz_hostile.h): the fuzzer's text becomes the leaf of a value with shared
// structure (a list holding one sublist twice, n times over: 2^n nodes) or
// nested up to 10^5 deep, which a walk — equality, printing, format, join,
// sort, replace, a macro's result, case, contains?, … — then goes through,
// under 200000 steps, depth 200, 8 MiB and 1 s.
//
// Invariants (any violation traps after printing what failed):
//   - an evaluation ends with a value or an EvalError — never a crash, a
//     hang, a sanitizer report or an exception escaping the API;
//   - it ends within its timeout (plus a few seconds' slack), and the heap
//     it holds at its peak stays within a bounded multiple of max_bytes —
//     it stays within its limits in reality, not only by its own account;
//   - an error has a documented code, a message, is_limit() agrees with the
//     code, a position inside the input (or none) whose line/column match
//     the offset, and a ToString() that starts with that position;
//   - a value prints (ToText, charged to a budget of the same limits: the
//     harness's own walks are bounded too), equals itself, and when it is
//     plain data (and printed within the budget) its text reads back as sx;
//   - the environment still works afterwards: a definition of the harness's
//     own, called after the input ran, gives its value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "fuzz_hostile.h"
#include "sexp/eval/eval.h"
#include "sexp/core/reader.h"

namespace {

constexpr std::string_view kHarness =
    "(defmacro check (expr want) `(= ,expr (quote ,want)))\n"
    "(defmacro check-error (expr code) `(= (try ,expr (catch e (:code e))) ,code))\n"
    "(define (fuzz-harness-probe) (list 1 \"two\" :three))\n";

void CheckPosition(const sexp::EvalError& e, std::string_view text, std::string_view file) {
  if (e.file != file || e.offset == sexp::kNoOffset) return;
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

const std::vector<std::string>& HostileWalks() {
  static const std::vector<std::string> walks = sexp_fuzz::Walks();
  return walks;
}

// The checks on an evaluation's outcome: `text` was evaluated as `file`.
void CheckOutcome(const sexp::EvalResult& r, std::string_view text, std::string_view file,
                  const sexp::EvalLimits& limits, std::string_view what) {
  if (r.ok()) {
    // The harness's own walks are charged to a budget like the
    // evaluation's: a value with shared structure prints to 2^60 nodes.
    sexp::Budget budget(limits);
    std::string printed = sexp::ToText(r.value(), budget);
    FUZZ_CHECK(sexp::ValuesEqual(r.value(), r.value(), budget) || budget.exhausted());
    sexp_fuzz::DataCheck data = sexp_fuzz::CheckData(r.value());
    if (data.known && data.data && !budget.exhausted()) {
      sexp::ReadOptions options;
      options.max_depth = 1024;
      auto doc = sexp::Read(printed, options);
      if (!doc.ok()) {
        std::fprintf(stderr, "unreadable value text: %s\nfrom: %.*s\n", printed.c_str(),
                     static_cast<int>(what.size()), what.data());
      }
      FUZZ_CHECK(doc.ok());
    }
  } else {
    const sexp::EvalError& e = r.error();
    sexp_fuzz::CheckErrorCode(e, what);
    CheckPosition(e, text, file);
    std::string shown = e.ToString();
    FUZZ_CHECK(shown.find(e.message) != std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sexp::Environment env;
  FUZZ_CHECK(env.Eval(kHarness, "harness.sx").ok());

  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp_fuzz::Hostile hostile = sexp_fuzz::ParseHostile(data, size, HostileWalks());
  if (hostile.on) {
    if (sexp_fuzz::SetUpHostile(env, hostile)) {
      std::string program = sexp_fuzz::HostileProgram(hostile);
      std::string what = sexp_fuzz::Describe(hostile);
      sexp::EvalLimits limits = sexp_fuzz::HostileLimits();
      sexp_fuzz::Watch watch(limits);
      sexp::EvalResult r = env.Eval(program, "walk.sx", limits);
      watch.Check(what, "the walk");
      sexp_fuzz::Report(what, r, "the walk");
      CheckOutcome(r, program, "walk.sx", limits, what);
    }
    text = hostile.text;  // for the probe's condition below
  } else {
    sexp::EvalLimits limits;
    limits.max_steps = 20000;
    limits.max_depth = 200;
    limits.max_bytes = 8u << 20;
    limits.timeout = std::chrono::milliseconds(2000);
    sexp_fuzz::Watch watch(limits);
    sexp::EvalResult r = env.Eval(text, "fuzz.sx", limits);
    watch.Check(text, "the input");
    sexp_fuzz::Report(text, r, "the input");
    CheckOutcome(r, text, "fuzz.sx", limits, text);
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
