// Internal: the format specs of the `format` primitive — `{:,.2f}` — the part
// of Python's format-spec mini-language that pages use for numbers, money
// and columns (spec/evaluation.md, "format"):
//
//   {:[[fill]align][sign][0][width][,][.precision][type]}
//   align  < left, > right, ^ centre, = pad after the sign (numbers)
//   sign   + always, - negatives only (default), space: a space for positives
//   0      pad numbers with zeros after the sign (fill 0, align =)
//   width  at most 256 characters; precision at most 100
//   ,      thousands separated by commas
//   type   d integer, f fixed (precision 6 by default), e exponent, % times
//          100 as f with a %, s text; none: text with a precision is cut to
//          that many characters, a number is displayed as {} does (grouped
//          with ','), and a number with a precision is an error (Python
//          would read significant digits: write f, e or %)
//
// Numbers right-align by default, text left; widths count code points.
#ifndef SEXP_SRC_EVAL_FORMAT_SPEC_H_
#define SEXP_SRC_EVAL_FORMAT_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sexp/eval/eval.h"

namespace sexp::eval_internal {

struct FormatSpec {
  std::string fill = " ";  // one code point
  char align = 0;          // '<', '>', '^', '=' or 0 (by the value's kind)
  char sign = '-';
  uint32_t width = 0;
  bool group = false;
  int32_t precision = -1;  // -1: none given
  char type = 0;           // 'd', 'f', 'e', '%', 's' or 0
};

inline constexpr uint32_t kMaxFormatWidth = 256;
inline constexpr int32_t kMaxFormatPrecision = 100;

// Parses the text after the ':' of a placeholder. False with `*error` when it
// is not a spec of the language above.
bool ParseFormatSpec(std::string_view text, FormatSpec* spec, std::string* error);

// Appends `value` formatted by `spec`; `display` is its display text (what
// `{}` writes), used for text and for numbers without a type. False with
// `*error` when the value does not suit the type (text for `f`, a float for
// `d`). Appends at most width + precision + 32 bytes more than `display`.
bool AppendFormatted(const FormatSpec& spec, const Value& value, std::string_view display,
                     std::string* out, std::string* error);

// (format-date when pattern): `when` is ISO 8601 / RFC 3339 text —
// "2026-12-07", "2026-12-07T10:05:00Z", "2026-12-07T10:05:00+01:00",
// fractions of seconds allowed — and `pattern` strftime's directives (%Y %m
// %d %H %M %S %b %B %a %A %j %Z %z %%…). The time is written in its own
// offset (UTC for a date alone or "Z"). False with `*error` when `when`
// does not parse.
bool FormatDate(std::string_view when, std::string_view pattern, std::string* out,
                std::string* error);

}  // namespace sexp::eval_internal

#endif  // SEXP_SRC_EVAL_FORMAT_SPEC_H_
