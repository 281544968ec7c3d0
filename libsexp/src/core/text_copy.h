// Internal: the bounded copies the canonical writer's loop (canonical.cc)
// and the float formatter (float_format.cc) write text with. A header, not a
// .cc: they are on the writer's hot path and only help inlined — each is a
// few loads and stores chosen by the length, where a call (or the byte loop
// the compiler would turn into a memcpy call) costs more than the copy
// (FAST_PATH.md, "Canonical writer", item 5).
//
// CopyText is forced inline: as a file-local function of the one writer.cc
// it was inlined unasked, but with the external linkage a shared header
// gives it GCC 12 left it as a call in the canonical loop. CopyShort and
// CopyUpTo48 still inline unasked (into CopyText, and into FormatFloat with
// the same code as before the split); forcing them changed FormatFloat's
// code for no gain.
#ifndef SEXP_SRC_CORE_TEXT_COPY_H_
#define SEXP_SRC_CORE_TEXT_COPY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sexp::internal {

// Copies n <= 16 bytes with two overlapping loads and stores of the widest
// size that fits (never touching a byte outside either range), so the short
// names and strings documents are made of cost no call and no loop (a byte
// loop here would itself be turned into a memcpy call).
inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n >= 2) {
    uint16_t a, b;
    std::memcpy(&a, src, 2);
    std::memcpy(&b, src + n - 2, 2);
    std::memcpy(dst, &a, 2);
    std::memcpy(dst + n - 2, &b, 2);
  } else if (n == 1) {
    *dst = *src;
  }
}

// Copies n <= 48 bytes with no call and no loop, never touching a byte
// outside either range: up to 16 as in CopyShort, more as three 16-byte
// blocks — the first, the last, and one that covers the gap between them
// (overlaps are harmless) — so the length picks no further branch.
inline char* CopyUpTo48(char* dst, const char* src, size_t n) {
  if (n <= 16) {
    CopyShort(dst, src, n);
  } else {
    const size_t mid = n > 32 ? 16 : n - 16;
    std::memcpy(dst, src, 16);
    std::memcpy(dst + mid, src + mid, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  }
  return dst + n;
}

// Copies n bytes with no call for the lengths documents are made of (names,
// URLs, ids, short text: CopyUpTo48); longer text in 16-byte blocks, the
// last one overlapping the one before it.
[[gnu::always_inline]] inline char* CopyText(char* dst, const char* src, size_t n) {
  // The ≤ 16 case is tested here first, not only inside CopyUpTo48:
  // testing ≤ 48 first made the feed's writer 5 % slower.
  if (n <= 16) {
    CopyShort(dst, src, n);
  } else if (n <= 48) {
    CopyUpTo48(dst, src, n);
  } else {
    for (size_t i = 0; i + 16 < n; i += 16) std::memcpy(dst + i, src + i, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  }
  return dst + n;
}

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_TEXT_COPY_H_
