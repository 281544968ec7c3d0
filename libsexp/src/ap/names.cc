// Property names <-> keywords (sexp/ap/bridge.h; spec/activitypub.md
// "Property names"). Kebab case for the names that survive it exactly, an
// escaped spelling for every other, so that any JSON name round-trips.
#include "ap/names.h"

#include <string>
#include <string_view>

#include "core/chars.h"
#include "sexp/ap/bridge.h"

namespace sexp {
namespace {

bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }

// A byte a keyword's name may hold (no delimiter, whitespace or control).
bool IsKeywordByte(char c) {
  return (internal::ClassOf(c) & (internal::kSymbolChar | internal::kHigh)) != 0;
}

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

namespace ap_internal {

bool IsPlainName(std::string_view name) {
  if (name.empty() || name[0] == '=' || IsAsciiUpper(name[0])) return false;
  if (name.find(kByteOrderMark) != std::string_view::npos) return false;
  for (char c : name) {
    if (c == '-' || !IsKeywordByte(c)) return false;
  }
  return true;
}

bool IsTypeName(std::string_view name) {
  return !name.empty() && (IsAsciiUpper(name[0]) || name.find(':') != std::string_view::npos);
}

}  // namespace ap_internal

namespace ap {

std::string JsonNameToKeyword(std::string_view json_name) {
  std::string out;
  if (ap_internal::IsPlainName(json_name)) {
    out.reserve(json_name.size() + 4);
    for (char c : json_name) {
      if (IsAsciiUpper(c)) {
        out += '-';
        out += static_cast<char>(c - 'A' + 'a');
      } else {
        out += c;
      }
    }
    return out;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(json_name.size() + 1);
  out += '=';
  for (size_t i = 0; i < json_name.size(); ++i) {
    char c = json_name[i];
    // U+FEFF is the one character a keyword cannot hold whole.
    size_t run = json_name.substr(i, 3) == kByteOrderMark ? 3 : 1;
    if (run == 3 || c == '%' || !IsKeywordByte(c)) {
      for (size_t j = i; j < i + run; ++j) {
        auto b = static_cast<unsigned char>(json_name[j]);
        out += '%';
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
      i += run - 1;
    } else {
      out += c;
    }
  }
  return out;
}

std::string KeywordToJsonName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  if (!name.empty() && name[0] == '=') {
    for (size_t i = 1; i < name.size(); ++i) {
      bool escape = name[i] == '%' && i + 2 < name.size();
      int hi = escape ? internal::HexDigitValue(name[i + 1]) : -1;
      int lo = escape ? internal::HexDigitValue(name[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out += name[i];  // a stray '%' stands for itself
      }
    }
    return out;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '-' && i + 1 < name.size() && IsAsciiLower(name[i + 1])) {
      out += static_cast<char>(name[i + 1] - 'a' + 'A');
      ++i;
    } else {
      out += name[i];
    }
  }
  return out;
}

}  // namespace ap
}  // namespace sexp
