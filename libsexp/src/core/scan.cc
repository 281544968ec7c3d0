#include "core/scan.h"

#include <cstdint>
#include <cstring>

#include "simdjson.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SEXP_HAVE_X86 1
#endif

namespace sexp::internal {
namespace {

inline bool IsStringSpecial(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20;
}

const char* FindStringSpecialScalar(const char* p, const char* end) {
  // Eight bytes at a time with bit tricks (SWAR), then byte by byte.
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t quote = w ^ (kOnes * '"');
    uint64_t slash = w ^ (kOnes * '\\');
    // A zero byte in x shows as a high bit in (x - 1) & ~x; bytes below 0x20
    // show in (w - 0x20) & ~w. Exact for the first hit, which is all we use.
    uint64_t hits = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) |
                    ((w - kOnes * 0x20) & ~w);
    hits &= kHighs;
    if (hits != 0) return p + (__builtin_ctzll(hits) >> 3);
    p += 8;
  }
  while (p < end && !IsStringSpecial(static_cast<unsigned char>(*p))) ++p;
  return p;
}

#ifdef SEXP_HAVE_X86
__attribute__((target("avx2"))) const char* FindStringSpecialAvx2(const char* p,
                                                                   const char* end) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i slash = _mm256_set1_epi8('\\');
  const __m256i max_control = _mm256_set1_epi8(0x1F);
  while (end - p >= 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    __m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, slash));
    // v <= 0x1F (unsigned) exactly when max(v, 0x1F) == 0x1F.
    hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(_mm256_max_epu8(v, max_control), max_control));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 32;
  }
  return FindStringSpecialScalar(p, end);
}
#endif

char* EscapeHtmlBaseline(char* out, const char* s, size_t n) {
  return EscapeHtmlInline(out, s, n);
}

#ifdef SEXP_HAVE_X86
// Classifies 32 bytes with one lookup: the five bytes to escape have the
// distinct low nibbles 2, 6, 7, C and E, so a byte needs escaping exactly
// when it equals the table entry its low nibble selects. Bytes with the high
// bit set look up 0 (vpshufb's rule), never equal to themselves; unused
// entries hold 0x80, which no byte below 0x80 equals. Reads past the end
// stay within the page, as in EscapeHtmlInline.
__attribute__((target("avx2"), no_sanitize("address"))) char* EscapeHtmlAvx2(char* out,
                                                                             const char* s,
                                                                             size_t n) {
  constexpr char kNo = static_cast<char>(0x80);
  const __m256i table = _mm256_setr_epi8(
      kNo, kNo, '"', kNo, kNo, kNo, '&', '\'', kNo, kNo, kNo, kNo, '<', kNo, '>', kNo,
      kNo, kNo, '"', kNo, kNo, kNo, '&', '\'', kNo, kNo, kNo, kNo, '<', kNo, '>', kNo);
  constexpr uintptr_t kPage = 4096;
  size_t i = 0;
  while (i < n) {
    size_t left = n - i;
    if (left < 32 && (reinterpret_cast<uintptr_t>(s + i) & (kPage - 1)) > kPage - 32) break;
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    uint32_t mask = static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, v), v)));
    if (left < 32) mask &= (1u << left) - 1;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
    if (mask == 0) {
      size_t step = left < 32 ? left : 32;
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
  return EscapeHtmlInline(out, s + i, n - i);
}
#endif

const ScanKernel kScalar{"scalar", &FindStringSpecialScalar, &EscapeHtmlBaseline, false};
#ifdef SEXP_HAVE_X86
const ScanKernel kAvx2{"avx2", &FindStringSpecialAvx2, &EscapeHtmlAvx2, true};
#endif

const ScanKernel* BestKernel() {
#ifdef SEXP_HAVE_X86
  if (__builtin_cpu_supports("avx2")) return &kAvx2;
#endif
  return &kScalar;
}

}  // namespace

namespace detail {
// Constant-initialised, so never null even during static initialisation;
// the dynamic initialiser below then picks the best kernel.
const ScanKernel* active_scan_kernel = &kScalar;
}  // namespace detail

namespace {
const bool g_kernel_chosen = (detail::active_scan_kernel = BestKernel(), true);
}  // namespace

bool ForceScanKernel(std::string_view name) {
  if (name == "auto") {
    detail::active_scan_kernel = BestKernel();
    return true;
  }
  if (name == "scalar") {
    detail::active_scan_kernel = &kScalar;
    return true;
  }
#ifdef SEXP_HAVE_X86
  if (name == "avx2" && __builtin_cpu_supports("avx2")) {
    detail::active_scan_kernel = &kAvx2;
    return true;
  }
#endif
  return false;
}

bool IsValidUtf8Fast(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace sexp::internal
