// libFuzzer target: HtmlToSx (sexp/html/reader.h, spec/html-reader.md).
//
// A first input byte of 0x80 or more picks the options (bits 0-1: mode, 3
// meaning auto; bit 2: drop whitespace; bit 3: max_depth 1 + bits 4-6) and
// the rest is the HTML; any other input is all HTML, read with the defaults
// (so plain .html files are seeds as they are). HtmlToSx must never crash,
// and may fail only with depth-limit, parser-failure (gumbo failed one of its
// assertions and the parse was abandoned) or timeout (set well below
// libFuzzer's own, since gumbo is quadratic on deep nesting). On success:
//   - there is one root: a string (a fragment of one text) or a list;
//   - every list is an element: a symbol head that is a valid symbol name
//     (never raw!), keyword/value pairs with valid keyword names, values
//     strings or true, then children that are strings or lists, no two
//     strings in a row (adjacent text is merged) and no empty string;
//   - the fragment wrapper (<> ...) appears only as the root;
//   - every string is valid UTF-8;
//   - with keep_whitespace off, no whitespace-only string outside pre,
//     listing, textarea and the raw-text elements;
//   - the depth and counts in HtmlReadStats match the tree, and the depth
//     is within max_depth;
//   - the canonical form exists, reads back (with the same max_depth) and
//     gives the same canonical text again.
// Any violation calls __builtin_trap() after printing what failed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "html/simple_fragment.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/html/reader.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace {

bool IsValidUtf8(std::string_view s) {
  // Built only from the public API: a string reads back inside quotes only
  // if it is UTF-8 (the canonical writer escapes the rest of the syntax).
  std::string quoted;
  sexp::AppendQuotedString(s, &quoted);
  sexp::Result<sexp::Document> d = sexp::ReadOne(quoted);
  return d.ok() && d->roots()[0].str() == s;
}

bool IsHtmlSpaceOnly(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\f' && c != '\r') return false;
  }
  return true;
}

bool KeepsWhitespace(std::string_view tag) {
  for (std::string_view t : {"pre", "listing", "textarea", "title", "script", "style", "xmp",
                             "iframe", "noembed", "noframes", "plaintext"}) {
    if (t == tag) return true;
  }
  return false;
}

struct Counts {
  size_t elements = 0, texts = 0, attributes = 0, depth = 0;
};

// Checks the shape of the tree under `root`; returns what it counted.
Counts CheckTree(const sexp::Node& root, bool keep_whitespace) {
  Counts c;
  struct Item {
    const sexp::Node* node;
    size_t depth;      // list depth of `node` (the root list is 1)
    bool verbatim;     // inside an element that keeps whitespace
  };
  std::vector<Item> todo = {{&root, root.is_list() ? 1u : 0u, false}};
  while (!todo.empty()) {
    Item it = todo.back();
    todo.pop_back();
    const sexp::Node& n = *it.node;
    if (n.is_string()) {
      ++c.texts;
      FUZZ_CHECK(!n.str().empty());
      FUZZ_CHECK(IsValidUtf8(n.str()));
      if (!keep_whitespace && !it.verbatim) FUZZ_CHECK(!IsHtmlSpaceOnly(n.str()));
      continue;
    }
    FUZZ_CHECK(n.is_list() && n.size() >= 1 && n[0].is_symbol());
    if (it.depth > c.depth) c.depth = it.depth;
    std::string_view tag = n[0].name();
    FUZZ_CHECK(sexp::IsValidSymbolName(tag));
    FUZZ_CHECK(tag != "raw!");
    if (tag == "<>") {
      FUZZ_CHECK(&n == &root);
    } else {
      ++c.elements;
    }
    bool verbatim = it.verbatim || KeepsWhitespace(tag);
    size_t i = 1;
    for (; i < n.size() && n[i].is_keyword(); i += 2) {
      FUZZ_CHECK(sexp::IsValidKeywordName(n[i].name()));
      FUZZ_CHECK(i + 1 < n.size());
      const sexp::Node& v = n[i + 1];
      FUZZ_CHECK(v.is_string() || (v.is_bool() && v.as_bool()));
      if (v.is_string()) FUZZ_CHECK(IsValidUtf8(v.str()));
      ++c.attributes;
    }
    FUZZ_CHECK(tag != "<>" || i == 1);
    bool previous_string = false;
    for (; i < n.size(); ++i) {
      FUZZ_CHECK(n[i].is_string() || n[i].is_list());
      FUZZ_CHECK(!(previous_string && n[i].is_string()));
      previous_string = n[i].is_string();
      todo.push_back({&n[i], it.depth + 1, verbatim});
    }
  }
  return c;
}

}  // namespace

// Whatever the fast path (html/simple_fragment.h) accepts, gumbo reads the
// same, with the same counts; `canonical` is HtmlToSx's (empty: not known).
void SameAsGumbo(std::string_view html, sexp::HtmlReadOptions o, std::string_view canonical) {
  // The fast path reads fragments only (HtmlToSx decides the mode first).
  if (o.mode != sexp::HtmlReadOptions::Mode::kFragment) {
    o.mode = sexp::HtmlReadOptions::Mode::kFragment;
    canonical = {};
  }
  sexp::Builder fast_b;
  sexp::Node fast;
  sexp::HtmlReadStats fast_stats;
  if (!sexp::html_internal::ReadSimpleFragment(html, fast_b, o, &fast_stats, &fast)) return;
  sexp::Builder slow_b;
  sexp::HtmlReadStats slow_stats;
  sexp::Result<sexp::Node> slow = sexp::html_internal::ReadWithGumbo(html, slow_b, o, &slow_stats);
  FUZZ_CHECK(slow.ok());
  std::string fast_text = *sexp::Canonical(fast), slow_text = *sexp::Canonical(slow.value());
  if (fast_text != slow_text) {
    std::fprintf(stderr, "fast path: %s\ngumbo:     %s\n", fast_text.c_str(), slow_text.c_str());
  }
  FUZZ_CHECK(fast_text == slow_text);
  FUZZ_CHECK(canonical.empty() || canonical == fast_text);
  FUZZ_CHECK(fast_stats.elements == slow_stats.elements && fast_stats.texts == slow_stats.texts &&
             fast_stats.attributes == slow_stats.attributes &&
             fast_stats.dropped_attributes == slow_stats.dropped_attributes &&
             fast_stats.unsafe_urls == slow_stats.unsafe_urls &&
             fast_stats.depth == slow_stats.depth);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool has_flags = size > 0 && data[0] >= 0x80;
  const uint8_t flags = has_flags ? data[0] : 0;
  const std::string_view html(reinterpret_cast<const char*>(data + has_flags),
                              size - has_flags);
  sexp::HtmlReadOptions o;
  o.mode = (flags & 3) == 3 ? sexp::HtmlReadOptions::Mode::kAuto
                            : static_cast<sexp::HtmlReadOptions::Mode>(flags & 3);
  o.keep_whitespace = (flags & 4) == 0;
  o.max_depth = (flags & 8) ? 1 + ((flags >> 4) & 7) : sexp_fuzz::kMaxDepth;
  o.timeout = std::chrono::milliseconds(5000);
  sexp::HtmlReadStats stats;
  sexp::Result<sexp::Document> doc = sexp::HtmlToSx(html, o, &stats);
  if (!doc.ok()) {
    const sexp::Error& e = doc.error();
    FUZZ_CHECK(e.code == sexp::ErrorCode::kDepthLimit || e.code == sexp::ErrorCode::kTimeout ||
               e.code == sexp::ErrorCode::kParserFailure);
    FUZZ_CHECK(!e.message.empty());
    // gumbo's failed assertions are survived (parser-failure); to collect
    // the inputs that cause them, run with SEXP_FUZZ_TRAP_PARSER_FAILURE=1.
    static const bool trap_parser_failure = std::getenv("SEXP_FUZZ_TRAP_PARSER_FAILURE") != nullptr;
    FUZZ_CHECK(!(trap_parser_failure && e.code == sexp::ErrorCode::kParserFailure));
    if (e.offset != sexp::kNoOffset) {
      FUZZ_CHECK(e.offset < html.size());
      FUZZ_CHECK(html[e.offset] == '<');
      FUZZ_CHECK(e.line >= 1 && e.column >= 1);
    }
    return 0;
  }
  FUZZ_CHECK(doc->roots().size() == 1);
  const sexp::Node& root = doc->roots()[0];
  Counts c = CheckTree(root, o.keep_whitespace);
  FUZZ_CHECK(c.depth == stats.depth);
  FUZZ_CHECK(c.depth <= o.max_depth);
  FUZZ_CHECK(c.elements == stats.elements);
  FUZZ_CHECK(c.texts == stats.texts);
  FUZZ_CHECK(c.attributes == stats.attributes);
  if (stats.document) FUZZ_CHECK(root.is_list() && root[0].is_symbol("html"));

  sexp::Result<std::string> canonical = sexp::Canonical(root);
  if (!canonical.ok()) {
    std::fprintf(stderr, "no canonical form: %s\n", canonical.error().ToString().c_str());
  }
  FUZZ_CHECK(canonical.ok());
  sexp::ReadOptions ro;
  ro.max_depth = o.max_depth;
  sexp::Result<sexp::Document> back = sexp::ReadOne(*canonical, ro);
  if (!back.ok()) {
    std::fprintf(stderr, "canonical text does not read back: %s\n",
                 back.error().ToString().c_str());
  }
  FUZZ_CHECK(back.ok());
  sexp::Result<std::string> again = sexp::Canonical(back->roots()[0]);
  FUZZ_CHECK(again.ok() && *again == *canonical);
  SameAsGumbo(html, o, *canonical);
  o.sanitize = true;
  SameAsGumbo(html, o, "");
  return 0;
}
