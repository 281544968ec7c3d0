// Shared by the fuzz targets: an invariant check that traps (so libFuzzer
// records the input) and the limits both targets read with.
#ifndef SEXP_TESTS_FUZZ_FUZZ_CHECK_H_
#define SEXP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdio>

#define FUZZ_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,     \
                   __LINE__, #cond);                                      \
      __builtin_trap();                                                   \
    }                                                                     \
  } while (0)

namespace sexp_fuzz {
constexpr size_t kMaxDepth = 256;
constexpr size_t kMaxSize = size_t{1} << 20;
}  // namespace sexp_fuzz

#endif  // SEXP_TESTS_FUZZ_FUZZ_CHECK_H_
