// Measurements the hostile tests assert bounds with: the process's resident
// set (now and at its peak) and elapsed wall time.
#ifndef SEXP_TESTS_MEASURE_H_
#define SEXP_TESTS_MEASURE_H_

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <fstream>

namespace sexp::testing_measure {

// Whether this build runs under AddressSanitizer (its quarantine and shadow
// memory make resident-set figures larger than what the code holds).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEXP_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(SEXP_TEST_ASAN)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// The process's peak resident set, in bytes (a high-water mark: its growth
// across a test bounds what that test allocated at its peak).
inline size_t PeakRss() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<size_t>(u.ru_maxrss) * 1024;
}

// The resident set now, in bytes (Linux: /proc/self/statm).
inline size_t Rss() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sexp::testing_measure

#endif  // SEXP_TESTS_MEASURE_H_
