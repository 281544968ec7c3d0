// Shared by the fuzz targets: an invariant check that traps (so libFuzzer
// records the input) and the limits both targets read with.
#ifndef SEXP_TESTS_FUZZ_FUZZ_CHECK_H_
#define SEXP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdio>
#include <string_view>
#include <vector>

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

// The input's lines ('\n'-separated; a trailing empty line included), for
// targets whose inputs are one item a line.
inline std::vector<std::string_view> Lines(std::string_view input) {
  std::vector<std::string_view> lines;
  for (size_t at = 0; at <= input.size();) {
    size_t nl = input.find('\n', at);
    if (nl == std::string_view::npos) nl = input.size();
    lines.push_back(input.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}
}  // namespace sexp_fuzz

#endif  // SEXP_TESTS_FUZZ_FUZZ_CHECK_H_
