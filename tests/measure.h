// Measurements the hostile tests assert bounds with: the process's peak
// resident set and elapsed wall time.
#ifndef SEXP_TESTS_MEASURE_H_
#define SEXP_TESTS_MEASURE_H_

#include <sys/resource.h>

#include <chrono>
#include <cstddef>

namespace sexp::testing_measure {

// The process's peak resident set, in bytes (a high-water mark: its growth
// across a test bounds what that test allocated at its peak).
inline size_t PeakRss() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<size_t>(u.ru_maxrss) * 1024;
}

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sexp::testing_measure

#endif  // SEXP_TESTS_MEASURE_H_
