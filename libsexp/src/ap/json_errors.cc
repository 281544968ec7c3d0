#include "ap/json_errors.h"

#include "core/chars.h"

namespace sexp::ap_internal {
namespace {

bool IsDigitAt(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

// Four hex digits at `i`, as a value.
bool Hex4(std::string_view s, size_t i, unsigned* v) {
  if (i + 4 > s.size()) return false;
  *v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    int d = internal::HexDigitValue(s[k]);
    if (d < 0) return false;
    *v = *v * 16 + static_cast<unsigned>(d);
  }
  return true;
}

}  // namespace

size_t NumberPrefixEnd(std::string_view json, size_t p) {
  if (p < json.size() && json[p] == '-') ++p;
  if (!IsDigitAt(json, p)) return std::string_view::npos;
  if (json[p] == '0') {
    ++p;
  } else {
    while (IsDigitAt(json, p)) ++p;
  }
  if (p < json.size() && json[p] == '.') {
    if (!IsDigitAt(json, p + 1)) return p;
    for (++p; IsDigitAt(json, p);) ++p;
  }
  if (p < json.size() && (json[p] == 'e' || json[p] == 'E')) {
    size_t q = p + 1;
    if (q < json.size() && (json[q] == '+' || json[q] == '-')) ++q;
    if (!IsDigitAt(json, q)) return p;
    while (IsDigitAt(json, q)) ++q;
    p = q;
  }
  return p;
}

bool IsWholeNumber(std::string_view json, size_t at) {
  size_t e = NumberPrefixEnd(json, at);
  if (e == std::string_view::npos) return false;
  if (e == json.size()) return true;
  char c = json[e];
  return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

size_t BadEscape(std::string_view json, size_t at, bool* lone_surrogate) {
  *lone_surrogate = false;
  for (size_t p = at + 1; p < json.size() && json[p] != '"'; ++p) {
    if (json[p] != '\\') continue;
    if (p + 1 >= json.size()) return p;
    char c = json[p + 1];
    if (c == 'u') {
      unsigned v;
      if (!Hex4(json, p + 2, &v)) return p;
      if (v >= 0xDC00 && v <= 0xDFFF) {
        *lone_surrogate = true;
        return p;
      }
      if (v >= 0xD800 && v <= 0xDBFF) {
        unsigned w;
        if (!(p + 7 < json.size() && json[p + 6] == '\\' && json[p + 7] == 'u' &&
              Hex4(json, p + 8, &w) && w >= 0xDC00 && w <= 0xDFFF)) {
          *lone_surrogate = true;
          return p;
        }
        p += 6;  // the pair's first half; the loop skips the second
      }
      p += 5;
    } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
               c == 'r' || c == 't') {
      ++p;
    } else {
      return p;
    }
  }
  return std::string_view::npos;
}

size_t FirstControlInString(std::string_view json) {
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (static_cast<unsigned char>(c) < 0x20) return i;
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    }
  }
  return std::string_view::npos;
}

}  // namespace sexp::ap_internal
