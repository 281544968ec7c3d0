// Internal: reading a whole file, for the parts of libsexp that take paths
// (Environment::LoadFile, the disk cache tier, the QUIC adapter's PEM files).
#ifndef SEXP_SRC_CORE_FILE_H_
#define SEXP_SRC_CORE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sexp::internal {

// The file's bytes. NotFound (message: the path) when it does not exist;
// Unavailable ("open PATH: reason" / "read PATH: reason") on other errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); false on
// an error, with errno set.
bool WriteAll(int fd, std::string_view bytes);

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_FILE_H_
