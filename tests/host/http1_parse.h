// Shared by the Http1Reader tests: a byte stream read by a fresh reader,
// whole or split into reads of a given size.
#ifndef SEXP_TESTS_HOST_HTTP1_PARSE_H_
#define SEXP_TESTS_HOST_HTTP1_PARSE_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "sexp/host/http1.h"

namespace sexp::host {

struct Parsed {
  std::vector<HttpRequest> requests;
  std::optional<Http1Error> error;
};

// `bytes` fed to a fresh reader in pieces of `piece` bytes (0: all at once),
// stopping at the first error.
inline Parsed Parse(std::string_view bytes, const Http1Limits& limits = {}, size_t piece = 0) {
  Parsed out;
  Http1Reader reader(limits);
  if (piece == 0) piece = bytes.size() + 1;
  for (size_t at = 0; at < bytes.size() && !out.error; at += piece) {
    out.error = reader.Feed(bytes.substr(at, piece), &out.requests);
  }
  return out;
}

}  // namespace sexp::host

#endif  // SEXP_TESTS_HOST_HTTP1_PARSE_H_
