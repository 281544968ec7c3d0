// sexp/core/reader.h — text to arena AST (the grammar of spec/grammar.md).
//
//   sexp::Result<sexp::Document> doc = sexp::Read(text);        // 0..n forms
//   sexp::Result<sexp::Document> one = sexp::ReadOne("(a b)");  // exactly 1
//   if (!doc.ok()) fprintf(stderr, "%s\n", doc.error().ToString().c_str());
//
// The reader is iterative (an explicit stack, never recursion), so hostile
// nesting meets ReadOptions::max_depth and an error, not a stack overflow.
// Every allocation goes through ReadOptions::allocator; a refusal becomes
// ErrorCode::kOutOfMemory with nothing leaked.
#ifndef SEXP_CORE_READER_H_
#define SEXP_CORE_READER_H_

#include <cstddef>
#include <string_view>

#include "sexp/core/arena.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp {

struct ReadOptions {
  // Deepest nesting of lists, dicts and sugar forms. Each level costs the
  // reader a few bytes of heap, never stack.
  size_t max_depth = 1024;
  // Largest document in bytes. The hard ceiling is 4 GiB - 2 (node offsets
  // are 32-bit).
  size_t max_size = size_t{64} << 20;
  // Copy the source into the document's arena (the default, so the document
  // stands alone). With false, strings without escapes point into the
  // caller's text, which must outlive the document.
  bool copy_source = true;
  // Upstream allocator for the document and for the reader's scratch memory.
  const Allocator* allocator = nullptr;  // nullptr: DefaultAllocator()
};

// Reads every top-level expression of `text`.
Result<Document> Read(std::string_view text, const ReadOptions& options = {});

// Reads exactly one expression (comments and whitespace around it allowed).
Result<Document> ReadOne(std::string_view text,
                         const ReadOptions& options = {});

}  // namespace sexp

#endif  // SEXP_CORE_READER_H_
