// Internal: reading a whole file, for the parts of libsexp that take paths
// (Environment::LoadFile, the disk cache tier, the QUIC adapter's PEM files).
#ifndef SEXP_SRC_CORE_FILE_H_
#define SEXP_SRC_CORE_FILE_H_

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sexp::internal {

// What a reader of a file it does not trust insists on (the disk cache
// tier: its files may be damaged, or replaced by hand).
struct ReadFileLimits {
  // Larger files are refused (OutOfRange) before anything is allocated for
  // them, and the read stops there should the file grow meanwhile.
  size_t max_bytes = std::numeric_limits<size_t>::max();
  // A symlink, FIFO, device or directory is refused (FailedPrecondition):
  // opened with O_NOFOLLOW and O_NONBLOCK (so a FIFO cannot block the
  // open), then checked with fstat.
  bool regular_only = false;
};

// The file's bytes. NotFound (message: the path) when it does not exist;
// FailedPrecondition or OutOfRange when `limits` refuse it; Unavailable
// ("open PATH: reason" / "read PATH: reason") on other errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          const ReadFileLimits& limits = {});

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); false on
// an error, with errno set.
bool WriteAll(int fd, std::string_view bytes);

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_FILE_H_
