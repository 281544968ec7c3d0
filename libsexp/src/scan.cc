#include "scan.h"

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

const ScanKernel kScalar{"scalar", &FindStringSpecialScalar};
#ifdef SEXP_HAVE_X86
const ScanKernel kAvx2{"avx2", &FindStringSpecialAvx2};
#endif

const ScanKernel* BestKernel() {
#ifdef SEXP_HAVE_X86
  if (__builtin_cpu_supports("avx2")) return &kAvx2;
#endif
  return &kScalar;
}

const ScanKernel* g_active = BestKernel();

}  // namespace

const ScanKernel& ActiveScanKernel() { return *g_active; }

bool ForceScanKernel(std::string_view name) {
  if (name == "auto") {
    g_active = BestKernel();
    return true;
  }
  if (name == "scalar") {
    g_active = &kScalar;
    return true;
  }
#ifdef SEXP_HAVE_X86
  if (name == "avx2" && __builtin_cpu_supports("avx2")) {
    g_active = &kAvx2;
    return true;
  }
#endif
  return false;
}

bool IsValidUtf8Fast(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace sexp::internal
