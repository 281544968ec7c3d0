// Internal: where a JSON text goes wrong, for FromJson's error positions.
// simdjson 3.0 reports most errors at the token (or, for stage 1's, with
// no position at all), so the kinds FromJson names precisely are found
// again in the text. These run only on the error path.
#ifndef SEXP_SRC_AP_JSON_ERRORS_H_
#define SEXP_SRC_AP_JSON_ERRORS_H_

#include <cstddef>
#include <string_view>

namespace sexp::ap_internal {

// The offset just past the number RFC 8259 §6 spells at `at` (the longest
// such prefix), or npos when none starts there.
size_t NumberPrefixEnd(std::string_view json, size_t at);
// Whether a whole number starts at `at`: one followed by a byte that can
// end it (so an error simdjson reports on it is about its value).
bool IsWholeNumber(std::string_view json, size_t at);
// The offset of the first invalid escape's backslash in the string token
// whose opening quote is at `at`, or npos; *lone_surrogate tells a
// \uD800-\uDFFF that is not half of a pair from any other bad escape.
size_t BadEscape(std::string_view json, size_t at, bool* lone_surrogate);
// The offset of the first control character (U+0000-U+001F) inside a
// string, or npos.
size_t FirstControlInString(std::string_view json);

}  // namespace sexp::ap_internal

#endif  // SEXP_SRC_AP_JSON_ERRORS_H_
