// sexp/html/reader.h — HTML to sx: parse HTML5 (with gumbo, a conforming
// HTML5 parser) and build the sx the HTML renderer writes, so that rendering
// the result gives back the same DOM.
//
//   sexp::HtmlReadStats stats;
//   sexp::Result<sexp::Document> doc =
//       sexp::HtmlToSx("<p class=x>a &amp; <b>b</b>", {}, &stats);
//   // doc->roots()[0] is (p :class "x" "a & " (b "b"))
//   sexp::Result<std::string> text = sexp::Format(*doc);   // sexp/core/writer.h
//
// The mapping (normative text: spec/html-reader.md): an element is the list
// (tag :attr "value" ... child ...), attributes in source order before the
// children; text is a string (entities decoded, adjacent text merged);
// comments, processing instructions and the doctype are dropped; an
// attribute with an empty value is `true` when its name is an HTML boolean
// attribute (disabled, checked, ...), else "". A whole document gives one
// root (html ...); a fragment gives its single node, or (<> node ...).
//
// Ownership: the returned Document owns everything in it and does not refer
// to `html` (strings are copied), so `html` may be freed once HtmlToSx
// returns. Nothing throws. Thread-safe: calls share no state (see
// parser-failure below for the one process-wide effect).
//
// Limits: inputs over `max_size` bytes and output nested deeper than
// `max_depth` are errors (size-limit, depth-limit). gumbo (0.10.1) does not
// cap nesting itself and its scope checks cost O(depth) per tag, so deeply
// nested hostile input is slow (100000 nested <div> take seconds) though it
// never exhausts the stack; set `timeout` for untrusted input. Memory: the
// parse tree lives in an arena over `allocator` until HtmlToSx returns
// (roughly 10-30x the input for ordinary pages); a refused allocation is a
// clean out-of-memory error.
#ifndef SEXP_HTML_READER_H_
#define SEXP_HTML_READER_H_

#include <chrono>
#include <cstddef>
#include <string_view>

#include "sexp/core/arena.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp {

struct HtmlReadOptions {
  enum class Mode {
    // A whole document if the input starts (after a UTF-8 byte order mark,
    // whitespace, comments and <?...> declarations) with "<!doctype" or
    // "<html" (any case); otherwise a fragment.
    kAuto,
    kDocument,  // always a whole document: one root (html (head ...) (body ...))
    kFragment,  // always a fragment, parsed as the content of a <body>
  };
  Mode mode = Mode::kAuto;
  // Largest input in bytes (the hard ceiling is just under 4 GiB: gumbo's
  // offsets are 32-bit). Past it: size-limit, offset = max_size.
  size_t max_size = size_t{64} << 20;
  // Deepest list nesting of the output, counted as sexp::ReadOptions counts
  // it (the root list is depth 1), so output within the limit reads back
  // with the same max_depth. Deeper input is a depth-limit error at the
  // first element too deep; nothing is truncated.
  size_t max_depth = 1024;
  // Keep whitespace-only text as HTML5 keeps it in the DOM (true), or drop
  // whitespace-only text except inside pre, listing, textarea and the
  // raw-text elements (script, style, title, xmp, iframe, noembed, noframes,
  // plaintext).
  bool keep_whitespace = true;
  // Wall-time limit for parsing; 0 means none. Checked while gumbo builds
  // the tree; past it: timeout.
  std::chrono::milliseconds timeout{0};
  // Upstream allocator for the parse tree and the result; nullptr means
  // DefaultAllocator().
  const Allocator* allocator = nullptr;
  // The sanitizing profile, for HTML from strangers (federated post
  // content): only an allowlist of text-level and structural elements is
  // kept; script, style, iframe, object, svg, math, form controls and the
  // like are dropped with everything inside them; other elements are
  // unwrapped (their children kept in place); only an allowlist of
  // attributes is kept (no event handlers, no style, no id) and a URL
  // attribute (href src cite poster) only with a safe URL (relative, or
  // http https mailto tel sexpr). The lists: spec/activitypub.md §11
  // (html-reader.md §11).
  bool sanitize = false;
};

// What the conversion kept and left out (all counts, for reporting).
struct HtmlReadStats {
  size_t elements = 0;    // elements written as lists
  size_t texts = 0;       // strings written (after merging adjacent text)
  size_t attributes = 0;  // attributes written
  // Attributes dropped because their name cannot be an sx keyword (it holds
  // one of ( ) [ ] { } " ; ' ` , or a control character, or is not UTF-8).
  size_t dropped_attributes = 0;
  // Elements whose tag name cannot be an sx symbol (the same characters, or
  // `true`, `false`, `nil`), or is `raw!` or `<>`, which the renderer gives
  // a meaning of their own. Their children are kept in their place.
  // (With sanitize, also the elements the profile does not keep.)
  size_t unwrapped_elements = 0;
  // sanitize: elements dropped with their content, and URL attributes
  // dropped for an unsafe URL (not counted in dropped_attributes, which
  // then also counts attributes outside the allowlist).
  size_t dropped_elements = 0;
  size_t unsafe_urls = 0;
  size_t depth = 0;  // deepest list nesting of the output
  bool document = false;  // parsed as a whole document (else a fragment)
};

// Parses `html` (UTF-8; invalid bytes become U+FFFD) and returns a document
// with exactly one root. Errors: size-limit, depth-limit (with the line and
// column of the element's start tag when it has one), timeout,
// out-of-memory, parser-failure. `stats`, when given, is filled in on
// success.
//
// parser-failure: Debian's gumbo 0.10.1 is built with assert() on, and a
// few hostile inputs fail one of its assertions. That would abort the
// process; instead the parse is abandoned and this error returned (glibc's
// assert message still goes to stderr). This takes a SIGABRT handler,
// installed at the first call, that passes every other SIGABRT on to the
// disposition it replaced; spec/html-reader.md §10 has the details.
Result<Document> HtmlToSx(std::string_view html,
                          const HtmlReadOptions& options = {},
                          HtmlReadStats* stats = nullptr);

// HtmlToSx building into a document the caller is assembling (the
// ActivityStreams bridge puts each post's content into the activity's
// document): the root node is made by `builder` and belongs to its
// document. Errors as HtmlToSx; on error the builder may hold unreachable
// nodes but stays usable. The result is made with the builder's allocator;
// options.allocator serves the parse tree only.
Result<Node> HtmlToSxNode(std::string_view html, Builder& builder,
                          const HtmlReadOptions& options = {},
                          HtmlReadStats* stats = nullptr);

}  // namespace sexp

#endif  // SEXP_HTML_READER_H_
