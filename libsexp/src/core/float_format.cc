// FormatFloat: a double's canonical text, ECMAScript's Number::toString
// (spec/canonical.md), with its fast path for short decimals.
//
// Its own file because it is numerics rather than tree walking — shortest
// digits, an exact scaled product, ECMAScript's layout rules — with its own
// tests (writer_test, property_test, the float_oracle.mjs oracle) and two
// callers: the canonical loop (canonical.cc) and atom_text.h's WriteAtom
// (the pretty-printer). The canonical loop called FormatFloat out of line
// before the split too (it was never inlined there); what has to inline is
// FormatShortDecimal into FormatFloat, and the bounded copies (text_copy.h)
// into both, and they still do, being in this file or in a header
// (FAST_PATH.md, "Canonical writer", item 6).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/decimal.h"
#include "core/intern.h"
#include "core/text_copy.h"
#include "sexp/core/writer.h"

namespace sexp {
namespace {

using internal::CopyUpTo48;

// Floats with a short decimal form (prices, scores, coordinates: "97.401")
// without the general shortest-digits search. Take the most places D <= 9
// for which |v| * 10^D stays under 2^50, and m = round(|v| * 10^D). Below
// 2^50 both the error of that product and the interval of reals that read as
// v (scaled by 10^D) are narrower than 1/8 either side, so the one integer
// that can read back as v, if any, is m; and m / 10^D (one correctly rounded
// division of exact operands) says whether it does. If it does not, no
// decimal with at most D places reads as v: the general path takes it. If it
// does, every decimal with d <= D places that reads as v is m with D - d
// trailing zeros dropped, so dropping all of them gives the fewest places,
// hence the fewest significant digits: ECMAScript's Number::toString
// digits, in its fixed layout (used for 1e-6 <= |v| < 1e21). Returns 0 when
// the general path must decide.
size_t FormatShortDecimal(double v, char* out) {
  using internal::kExactPow10;
  static constexpr int kMaxPlaces = 9;
  static constexpr double kExactLimit = 1125899906842624.0;  // 2^50
  static constexpr double kRoundingShift = 4503599627370496.0;  // 2^52
  const double a = std::fabs(v);
  if (!(a >= 1e-6 && a < kExactLimit)) return 0;
  int d = kMaxPlaces;
  while (d > 0 && a * kExactPow10[d] >= kExactLimit) --d;
  // The nearest integer: below 2^52, adding and subtracting 2^52 rounds
  // (inline, where std::nearbyint is a library call), given plain double
  // arithmetic (decimal.h).
  const double scaled = a * kExactPow10[d];
  const double m = internal::kPlainDoubleArithmetic ? (scaled + kRoundingShift) - kRoundingShift
                                                    : std::nearbyint(scaled);
  if (m / kExactPow10[d] != a) return 0;
  // m's digits (a >= 1e-6 makes m >= 1000), the point d places from the
  // right, trailing zeros of the fraction dropped. The 8 bytes before the
  // digits are not '0', so the last 8 can be loaded as one word whatever
  // the count: its trailing '0's are its top zero bytes after an XOR
  // (little-endian), at most `places` of them. A ninth zero (d = 9) may
  // stay: one place is left then, a '0', and "N.0" is how an integer is
  // written anyway.
  char buffer[8 + 24] = {'#', '#', '#', '#', '#', '#', '#', '#'};
  char* const digits = buffer + 8;
  size_t count = static_cast<size_t>(
      std::to_chars(digits, buffer + sizeof buffer, static_cast<uint64_t>(m)).ptr - digits);
  size_t places = static_cast<size_t>(d);
  uint64_t tail = internal::LoadWord(digits + count - 8);
  if constexpr (std::endian::native == std::endian::big) tail = __builtin_bswap64(tail);
  tail ^= 0x3030303030303030ull;  // '0' bytes become zero
  size_t zeros = tail == 0 ? 8 : static_cast<size_t>(std::countl_zero(tail)) / 8;
  zeros = std::min(zeros, places);
  count -= zeros;
  places -= zeros;
  // Written as the digits with the point `places` from the right ("0.00…"
  // when there are fewer digits than that), or with ".0" after an integer.
  char* w = out;
  if (v < 0) *w++ = '-';
  if (places == 0) {
    CopyUpTo48(w, digits, count);
    std::memcpy(w + count, ".0", 2);
    return static_cast<size_t>(w + count + 2 - out);
  }
  if (count > places) {
    w = CopyUpTo48(w, digits, count - places);
    *w++ = '.';
    w = CopyUpTo48(w, digits + count - places, places);
  } else {
    *w++ = '0';
    *w++ = '.';
    for (size_t i = count; i < places; ++i) *w++ = '0';
    w = CopyUpTo48(w, digits, count);
  }
  return static_cast<size_t>(w - out);
}

}  // namespace

size_t FormatFloat(double v, char* out) {
  if (v == 0) {  // both zeros
    std::memcpy(out, "0.0", 3);
    return 3;
  }
  if (size_t n = FormatShortDecimal(v, out)) return n;
  // Shortest round-trip digits, then ECMAScript's layout rules.
  char sci[32];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  char* w = out;
  if (*p == '-') {
    *w++ = '-';
    ++p;
  }
  // p is "d" or "d.ddd", then 'e', a sign and two or three digits.
  const char* e = r.ptr - 4;
  if (*e != 'e') --e;
  char digits[20];
  digits[0] = p[0];
  int k = 1;
  if (p[1] == '.') {
    CopyUpTo48(digits + 1, p + 2, static_cast<size_t>(e - p - 2));
    k += static_cast<int>(e - p - 2);
  }
  int exp10 = 0;
  for (const char* x = e + 2; x < r.ptr; ++x) exp10 = exp10 * 10 + (*x - '0');
  if (e[1] == '-') exp10 = -exp10;
  int n = exp10 + 1;  // value = 0.d1d2... * 10^n
  if (k <= n && n <= 21) {
    w = CopyUpTo48(w, digits, static_cast<size_t>(k));
    for (int i = 0; i < n - k; ++i) *w++ = '0';
    *w++ = '.';
    *w++ = '0';
  } else if (0 < n && n <= 21) {
    w = CopyUpTo48(w, digits, static_cast<size_t>(n));
    *w++ = '.';
    w = CopyUpTo48(w, digits + n, static_cast<size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    *w++ = '0';
    *w++ = '.';
    for (int i = 0; i < -n; ++i) *w++ = '0';
    w = CopyUpTo48(w, digits, static_cast<size_t>(k));
  } else {
    *w++ = digits[0];
    if (k > 1) {
      *w++ = '.';
      w = CopyUpTo48(w, digits + 1, static_cast<size_t>(k - 1));
    }
    *w++ = 'e';
    int x = n - 1;
    *w++ = x < 0 ? '-' : '+';
    auto rr = std::to_chars(w, w + 8, x < 0 ? -x : x);
    w = rr.ptr;
  }
  return static_cast<size_t>(w - out);
}

}  // namespace sexp
