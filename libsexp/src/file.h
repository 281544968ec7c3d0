// Internal: reading a whole file, for the parts of libsexp that take paths
// (Environment::LoadFile, the disk cache tier, the QUIC adapter's PEM files).
#ifndef SEXP_SRC_FILE_H_
#define SEXP_SRC_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace sexp::internal {

// The file's bytes. NotFound (message: the path) when it does not exist;
// Unavailable ("open PATH: reason" / "read PATH: reason") on other errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace sexp::internal

#endif  // SEXP_SRC_FILE_H_
