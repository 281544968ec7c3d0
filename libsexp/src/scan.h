// Internal: the reader's byte-scanning kernels, chosen once at run time.
//
// The reader spends most of its time inside string bodies. When the whole
// input is already known to be valid UTF-8 (checked up front with simdjson's
// SIMD validator), a string body only needs to be searched for the three
// kinds of byte that end a plain run: '"', '\\' and control bytes (< 0x20).
// That search is done 32 bytes at a time with AVX2 where the CPU has it, and
// by a scalar loop otherwise. Both kernels are always compiled, and tests run
// the reader under each (ForceScanKernel).
#ifndef SEXP_SRC_SCAN_H_
#define SEXP_SRC_SCAN_H_

#include <string_view>

namespace sexp::internal {

// First byte in [p, end) that is '"', '\\' or below 0x20; `end` if none.
using FindStringSpecialFn = const char* (*)(const char* p, const char* end);

struct ScanKernel {
  std::string_view name;  // "avx2" or "scalar"
  FindStringSpecialFn find_string_special;
};

// The kernel the reader uses (the best the CPU supports, unless forced).
const ScanKernel& ActiveScanKernel();
// Selects a kernel by name for tests and benchmarks; false if this build or
// CPU lacks it. "auto" restores the default choice. Not thread-safe: call it
// while no reader is running.
bool ForceScanKernel(std::string_view name);

// True if all of `text` is valid UTF-8 (simdjson, SIMD with run-time dispatch).
bool IsValidUtf8Fast(std::string_view text);

}  // namespace sexp::internal

#endif  // SEXP_SRC_SCAN_H_
