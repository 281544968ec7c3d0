// Internal: the reader's three paths, reachable one by one so tests and the
// reader fuzz target can check that they agree on every input.
//
//   kChecking       checks UTF-8 as it reads; what Read uses for input that
//                   is not valid UTF-8, and the reference for the others.
//   kValidated      input known valid UTF-8; the fast loop ends tokens with
//                   the class table (the portable path).
//   kValidatedSimd  the same with SSE2 token ends (x86-64; elsewhere the same
//                   as kValidated).
// Read picks kValidatedSimd or kValidated (with the scan kernel, see scan.h)
// when the whole input is valid UTF-8, and kChecking otherwise.
#ifndef SEXP_SRC_CORE_READER_PATHS_H_
#define SEXP_SRC_CORE_READER_PATHS_H_

#include <string>
#include <string_view>

#include "sexp/core/reader.h"

namespace sexp::internal {

enum class ReaderPath { kChecking, kValidated, kValidatedSimd };

// Read(text, options) through `path`. The validated paths require `text` to
// be valid UTF-8 (see IsValidUtf8Fast).
Result<Document> ReadVia(ReaderPath path, std::string_view text, const ReadOptions& options);

// Reads valid-UTF-8 `text` through every path and says where a validated
// path disagrees with the checking one — success or failure, error text, or
// a node's kind, value, flags or source offset, or an element count — or
// returns empty when all agree (or when `text` is not valid UTF-8, which
// only the checking path reads). For tests and the reader fuzz target.
std::string ReaderPathsDisagree(std::string_view text, const ReadOptions& options);

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_READER_PATHS_H_
