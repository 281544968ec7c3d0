// Internal: the HTML reader's fast path for the HTML that federated post
// content is made of — paragraphs of text with links, spans, line breaks
// and inline formatting, properly nested (what Mastodon, Pleroma and most
// servers send). For such input the HTML5 tree construction rules reduce to
// "each tag opens or closes one element", so a byte loop gives exactly the
// tree gumbo gives, at several times its speed. Anything outside that
// subset (any other tag, a comment, a character reference beyond the
// simple ones, misnesting, an unclosed element, a CR or a character the
// parser would replace) makes the fast path decline, and HtmlToSx reads
// the input with gumbo as always; so the fast path never decides what a
// tree is, it only recognizes trees whose shape is certain.
//
// tests/fuzz/fuzz_html_reader.cc checks that whatever the fast path accepts,
// gumbo reads the same (ReadWithGumbo).
#ifndef SEXP_SRC_HTML_SIMPLE_FRAGMENT_H_
#define SEXP_SRC_HTML_SIMPLE_FRAGMENT_H_

#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/html/reader.h"

namespace sexp::html_internal {

// Reads `html` (no byte order mark) as a body fragment when it is in the
// subset above and within options' limits: true, with the fragment's root
// in *out (made by `builder`) and *stats filled as HtmlToSx fills them.
// False when it is not (nothing useful was built; the builder may hold
// unreachable nodes).
bool ReadSimpleFragment(std::string_view html, Builder& builder, const HtmlReadOptions& options,
                        HtmlReadStats* stats, Node* out);

// HtmlToSxNode without the fast path: gumbo always (for the tests that
// compare the two).
Result<Node> ReadWithGumbo(std::string_view html, Builder& builder,
                           const HtmlReadOptions& options, HtmlReadStats* stats);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_SIMPLE_FRAGMENT_H_
