// sexp/core/writer.h — canonical form v1 (spec/canonical.md) and a pretty-printer.
//
//   sexp::Result<std::string> c = sexp::Canonical(doc->roots()[0]);
//   // "(Create :actor a :id 1 (Note))" for "(Create :id 1 :actor a (Note))"
//   sexp::Result<std::string> pretty = sexp::Format(*doc);  // sexp fmt
//
// Writers stream into a ByteSink (sexp/core/sink.h) in chunks (the hasher is
// a sink), walk the tree iteratively (any depth), and fail only on input that
// has no canonical form — a keyword repeated among one list's pairs, a
// repeated dict key, or (for builder-made nodes) a non-finite float — or
// when the sink refuses the output (`sink-refused`).
#ifndef SEXP_CORE_WRITER_H_
#define SEXP_CORE_WRITER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/core/sink.h"

namespace sexp {

// Writes the canonical bytes of `node` into `sink`. On error, the sink may
// have received a prefix of the output; buffer if that matters.
Error WriteCanonical(const Node& node, ByteSink& sink);
Result<std::string> Canonical(const Node& node);

// Canonical text of a float (ECMAScript Number::toString, plus ".0" when that
// has neither '.' nor 'e'; -0 is "0.0"). Requires a finite value. Returns the
// number of bytes written to `out`, which must hold 32 bytes.
size_t FormatFloat(double value, char* out);

// Appends the canonical (quoted, escaped) form of a UTF-8 string.
void AppendQuotedString(std::string_view text, std::string* out);

struct FormatOptions {
  size_t width = 100;  // wrap lines longer than this where a break is allowed
  size_t indent = 2;   // spaces per nesting level
};

// Readable layout: a form that fits on the rest of its line is written flat;
// otherwise its head stays on the opening line and each element (a keyword
// together with its value) starts a new line, indented. Source order is kept,
// comments are not (the AST has none). Reads back to the same canonical form.
Error WriteFormatted(const Node& node, ByteSink& sink,
                     const FormatOptions& options = {});
// All roots of `doc`, one per line (each followed by '\n').
Result<std::string> Format(const Document& doc,
                           const FormatOptions& options = {});

}  // namespace sexp

#endif  // SEXP_CORE_WRITER_H_
