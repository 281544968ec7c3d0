// Internal: byte classes and UTF-8 validation shared by the reader, the
// builder's name checks and the writers. One table, so the grammar's notion
// of "delimiter" lives in exactly one place.
#ifndef SEXP_SRC_CORE_CHARS_H_
#define SEXP_SRC_CORE_CHARS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sexp::internal {

enum CharClass : uint8_t {
  kSymbolChar = 1,  // ASCII that may appear in a symbol (not a delimiter)
  kWhitespace = 2,  // space, tab, CR, LF
  kDelimiter = 4,   // ( ) [ ] { } " ; ' ` ,   (whitespace is also a delimiter)
  kControl = 8,     // below 0x20 other than whitespace, and 0x7F
  kHigh = 16,       // 0x80..0xFF: part of a UTF-8 sequence
  kDigit = 32,
};

struct CharTable {
  uint8_t cls[256];
  constexpr CharTable() : cls() {
    for (int c = 0; c < 256; ++c) {
      uint8_t v = 0;
      if (c >= 0x80) {
        v = kHigh;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        v = kWhitespace | kDelimiter;
      } else if (c < 0x20 || c == 0x7F) {
        v = kControl;
      } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
                 c == '}' || c == '"' || c == ';' || c == '\'' || c == '`' ||
                 c == ',') {
        v = kDelimiter;
      } else {
        v = kSymbolChar;
        if (c >= '0' && c <= '9') v |= kDigit;
      }
      cls[c] = v;
    }
  }
};
inline constexpr CharTable kChars{};

inline uint8_t ClassOf(char c) { return kChars.cls[static_cast<uint8_t>(c)]; }

// Length of the valid UTF-8 sequence starting at p (which is < end and holds
// a byte >= 0x80), or 0 if the bytes there are not valid UTF-8 (overlongs,
// UTF-16 surrogates and code points above U+10FFFF are invalid).
inline size_t Utf8SequenceLength(const unsigned char* p,
                                 const unsigned char* end) {
  unsigned char c = p[0];
  size_t avail = static_cast<size_t>(end - p);
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    return avail >= 2 && cont(p[1]) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || !cont(p[1]) || !cont(p[2])) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3])) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// U+FEFF (EF BB BF) at p, which must have 3 readable bytes. Not allowed at
// offset 0 or in symbols and keywords (see spec/grammar.md).
inline bool IsByteOrderMark(const char* p) {
  return p[0] == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF';
}

// Offset of the first byte that is not part of valid UTF-8, or npos.
inline size_t FindInvalidUtf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = b;
  const auto* e = b + s.size();
  while (p < e) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    size_t n = Utf8SequenceLength(p, e);
    if (n == 0) return static_cast<size_t>(p - b);
    p += n;
  }
  return std::string_view::npos;
}

// The value of an ASCII hex digit (either case), or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the UTF-8 encoding of code point cp (<= 0x10FFFF, not a surrogate)
// at out; returns bytes written.
inline size_t EncodeUtf8(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Standard base64 (RFC 4648 §4), strict: length a multiple of 4, '=' only as
// the last one or two characters, unused bits zero. Decodes into `out` (room
// for size/4*3 bytes); returns the decoded length or -1 if malformed.
long DecodeBase64Strict(std::string_view in, char* out);

// How a bare token (a run of non-delimiter bytes) reads.
enum class TokenKind : uint8_t {
  kSymbol,
  kKeyword,  // starts with ':' and has a name
  kNumber,   // starts with a digit, or '-' then a digit
  kTrue,
  kFalse,
  kNil,
  kInvalid,  // lone ':'
};
TokenKind ClassifyToken(std::string_view token);

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_CHARS_H_
