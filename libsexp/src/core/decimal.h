// Internal: what the reader's plain-decimal path and the writer's
// short-decimal path both rest on — powers of ten that doubles hold exactly,
// and whether double arithmetic here is plain IEEE double arithmetic.
#ifndef SEXP_SRC_CORE_DECIMAL_H_
#define SEXP_SRC_CORE_DECIMAL_H_

#include <cfloat>
#include <cstdint>

namespace sexp::internal {

// 10^0 ... 10^22, the powers of ten a double holds exactly.
inline constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// True where double expressions are evaluated as doubles (not in x87's
// extended precision) and not reassociated (no -ffast-math): the fast
// paths' exactness arguments — one correctly rounded operation, or rounding
// by adding and subtracting 2^52 — hold only there; elsewhere the callers
// take their general paths.
#if FLT_EVAL_METHOD == 0 && !defined(__FAST_MATH__)
inline constexpr bool kPlainDoubleArithmetic = true;
#else
inline constexpr bool kPlainDoubleArithmetic = false;
#endif

// v followed by the decimal digits [p, end) (all '0'..'9'; the caller keeps
// the result within 64 bits).
inline uint64_t AppendDigits(uint64_t v, const char* p, const char* end) {
  for (; p < end; ++p) v = v * 10 + static_cast<uint64_t>(*p - '0');
  return v;
}

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_DECIMAL_H_
