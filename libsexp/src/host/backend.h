// Internal: the HTTP/1.1 client that carries a page's requests to the
// backends `defservice` declares (spec/host.md "Services"). Blocking, on the
// worker thread that resolves the page, bounded by a deadline in every wait
// (connect, write, read): a backend that never answers costs the page its
// deadline, never a hung request.
#ifndef SEXP_SRC_HOST_BACKEND_H_
#define SEXP_SRC_HOST_BACKEND_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace sexp::host_internal {

// POSTs `body` (canonical sx) to `url` ("http://host[:port]/path") with
// Content-Type application/x-sexpr and returns the body of a 200 answer.
// Unavailable for a refused or dropped connection, DeadlineExceeded when
// `deadline` passes, FailedPrecondition for another status or a malformed
// or oversized (max_bytes) answer.
absl::StatusOr<std::string> PostSx(std::string_view url, std::string_view body,
                                   std::chrono::steady_clock::time_point deadline,
                                   size_t max_bytes = size_t{16} << 20);

// The same client for any POST: `fields` as given (a Host is added when
// they have none; Content-Length always), and the answer whatever its
// status. Errors as PostSx's, but for the status.
struct HttpAnswer {
  int status = 0;
  std::string body;
};
absl::StatusOr<HttpAnswer> Post(std::string_view url,
                                const std::vector<std::pair<std::string, std::string>>& fields,
                                std::string_view body,
                                std::chrono::steady_clock::time_point deadline,
                                size_t max_bytes = size_t{16} << 20);

}  // namespace sexp::host_internal

#endif  // SEXP_SRC_HOST_BACKEND_H_
