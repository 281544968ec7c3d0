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
#ifndef SEXP_SRC_READER_PATHS_H_
#define SEXP_SRC_READER_PATHS_H_

#include <string>
#include <string_view>

#include "sexp/reader.h"

namespace sexp::internal {

enum class ReaderPath { kChecking, kValidated, kValidatedSimd };

// Read(text, options) through `path`. The validated paths require `text` to
// be valid UTF-8 (see IsValidUtf8Fast).
Result<Document> ReadVia(ReaderPath path, std::string_view text, const ReadOptions& options);

// Where two documents read from the same text differ — in a node's kind,
// value, flags or source offset, or in the number of roots or elements — as
// a sentence naming the node's offset; empty if they do not.
std::string FirstDifference(const Document& a, const Document& b);

}  // namespace sexp::internal

#endif  // SEXP_SRC_READER_PATHS_H_
