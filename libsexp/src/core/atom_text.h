// Internal: the text of one atom — a quoted, escaped string, a number, a
// name — as both writers spell it. The canonical writer (canonical.cc)
// writes the common atoms inline in its loop and sends the rest (escaped or
// long strings, byte strings) here; the pretty-printer (pretty.cc) writes
// and measures every atom with it; AppendQuotedString is QuoteInto. One
// definition, so the two writers cannot drift apart on an atom's spelling.
// Templates over the output (`put` takes string_views), so each caller's
// sink — a buffer, a width count, a std::string — is inlined into them.
#ifndef SEXP_SRC_CORE_ATOM_TEXT_H_
#define SEXP_SRC_CORE_ATOM_TEXT_H_

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "core/scan.h"
#include "core/strutil.h"
#include "sexp/core/ast.h"
#include "sexp/core/writer.h"

namespace sexp::internal {

// Appends the quoted, escaped string; `put` takes string_views. The bytes
// that need escaping ('"', '\\', controls) are exactly what the reader's
// string kernel searches for, so plain runs are skipped 32 bytes at a time.
template <class Put>
void QuoteInto(std::string_view s, Put&& put) {
  static constexpr char kHex[] = "0123456789abcdef";
  const FindStringSpecialFn find = ActiveScanKernel().find_string_special;
  put(std::string_view("\"", 1));
  const char* run = s.data();
  const char* end = s.data() + s.size();
  for (const char* p = find(run, end); p < end; p = find(p, end)) {
    put(std::string_view(run, static_cast<size_t>(p - run)));
    unsigned char c = static_cast<unsigned char>(*p++);
    run = p;
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\n': put("\\n"); break;
      case '\t': put("\\t"); break;
      case '\r': put("\\r"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        put(std::string_view(esc, 6));
      }
    }
  }
  put(std::string_view(run, static_cast<size_t>(end - run)));
  put(std::string_view("\"", 1));
}

// Writes any non-container node through `put` (which takes string_views).
// False for a non-finite float. One definition serves the canonical writer,
// the formatter's output and its width measurements.
template <class Put>
bool WriteAtom(const Node& n, Put&& put) {
  switch (n.kind()) {
    case Kind::kNil:
      put(std::string_view("nil"));
      return true;
    case Kind::kBool:
      put(n.as_bool() ? std::string_view("true") : std::string_view("false"));
      return true;
    case Kind::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, n.as_int());
      put(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
      return true;
    }
    case Kind::kFloat: {
      if (!std::isfinite(n.as_float())) return false;
      char buf[32];
      put(std::string_view(buf, FormatFloat(n.as_float(), buf)));
      return true;
    }
    case Kind::kString:
      QuoteInto(n.str(), put);
      return true;
    case Kind::kBytes:
      put(std::string_view("#b64\""));
      put(std::string_view(absl::Base64Escape(AV(n.bytes()))));
      put(std::string_view("\""));
      return true;
    case Kind::kSymbol:
      put(n.name());
      return true;
    case Kind::kKeyword:
      put(std::string_view(":"));
      put(n.name());
      return true;
    case Kind::kList:
    case Kind::kDict:
      break;
  }
  return false;
}

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_ATOM_TEXT_H_
