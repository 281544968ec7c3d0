// Internal: the byte-scanning kernels of the reader and the HTML renderer,
// chosen once at run time.
//
// The reader spends most of its time inside string bodies. When the whole
// input is already known to be valid UTF-8 (checked up front with simdjson's
// SIMD validator), a string body only needs to be searched for the three
// kinds of byte that end a plain run: '"', '\\' and control bytes (< 0x20).
// That search is done 32 bytes at a time with AVX2 where the CPU has it, and
// by a scalar loop otherwise. Both kernels are always compiled, and tests run
// the reader under each (ForceScanKernel).
#ifndef SEXP_SRC_CORE_SCAN_H_
#define SEXP_SRC_CORE_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sexp::internal {

// First byte in [p, end) that is '"', '\\' or below 0x20; `end` if none.
using FindStringSpecialFn = const char* (*)(const char* p, const char* end);

// Writes s[0, n) escaped for HTML at `out` and returns the new end. `out`
// must have room for 6 bytes per input byte plus 32 (blocks are stored
// whole before the output is advanced past their clean prefix).
using EscapeHtmlFn = char* (*)(char* out, const char* s, size_t n);

struct ScanKernel {
  std::string_view name;  // "avx2" or "scalar"
  FindStringSpecialFn find_string_special;
  EscapeHtmlFn escape_html;
  // The reader's fast path finds token ends with SSE2 (see reader.cc).
  bool simd_tokens;
};

// The entity for each byte that needs one in HTML text (size 0: none).
struct HtmlEscapeTable {
  const char* entity[256] = {};
  uint8_t size[256] = {};
  constexpr void Set(char c, const char* e, uint8_t n) {
    entity[static_cast<unsigned char>(c)] = e;
    size[static_cast<unsigned char>(c)] = n;
  }
  constexpr HtmlEscapeTable() {
    Set('&', "&amp;", 5);
    Set('<', "&lt;", 4);
    Set('>', "&gt;", 4);
    Set('"', "&quot;", 6);
    Set('\'', "&#39;", 5);
  }
};
inline constexpr HtmlEscapeTable kHtmlEscape;

namespace detail {
extern const ScanKernel* active_scan_kernel;  // never null
}
// The kernel in use (the best the CPU supports, unless forced).
inline const ScanKernel& ActiveScanKernel() { return *detail::active_scan_kernel; }
// Selects a kernel by name for tests and benchmarks; false if this build or
// CPU lacks it. "auto" restores the default choice. Not thread-safe: call it
// while no reader is running.
bool ForceScanKernel(std::string_view name);

// The escape loop the baseline kernel uses, inline for short texts: 16
// bytes at a time with SSE2 (all x86-64), each block stored whole and the
// output advanced past its clean prefix. A block may read past the end of
// `s` (never past its page, so it cannot fault; what is read there is masked
// off) — hence no AddressSanitizer instrumentation here.
#if defined(__SSE2__)
__attribute__((no_sanitize("address")))
#endif
inline char* EscapeHtmlInline(char* out, const char* s, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>'),
                quot = _mm_set1_epi8('"'), apos = _mm_set1_epi8('\'');
  constexpr uintptr_t kPage = 4096;
  while (i < n) {
    size_t left = n - i;
    if (left < 16 && (reinterpret_cast<uintptr_t>(s + i) & (kPage - 1)) > kPage - 16) break;
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, gt), _mm_cmpeq_epi8(v, quot)),
                     _mm_cmpeq_epi8(v, apos)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (left < 16) mask &= (1u << left) - 1;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
    if (mask == 0) {
      size_t step = left < 16 ? left : 16;
      out += step;
      i += step;
      continue;
    }
    unsigned k = static_cast<unsigned>(__builtin_ctz(mask));
    out += k;
    i += k;
    auto c = static_cast<unsigned char>(s[i]);
    std::memcpy(out, kHtmlEscape.entity[c], kHtmlEscape.size[c]);
    out += kHtmlEscape.size[c];
    ++i;
  }
#endif
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (kHtmlEscape.size[c] == 0) {
      *out++ = s[i];
    } else {
      std::memcpy(out, kHtmlEscape.entity[c], kHtmlEscape.size[c]);
      out += kHtmlEscape.size[c];
    }
  }
  return out;
}

// True if all of `text` is valid UTF-8 (simdjson, SIMD with run-time dispatch).
bool IsValidUtf8Fast(std::string_view text);

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_SCAN_H_
