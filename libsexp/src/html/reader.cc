// HTML to sx (sexp/html/reader.h; the mapping is spec/html-reader.md).
//
// gumbo does the HTML5 part: tokenizing, entity decoding, the tree
// construction rules (implied elements, foster parenting, the adoption
// agency), foreign content. This file turns gumbo's tree into sx. Three
// things about gumbo 0.10.1 shape it:
//
//  - Its tree is unbounded in depth (100000 nested <span> give a tree
//    100001 deep), it does not check what its allocator returns, and some
//    hostile inputs fail its assertions. Each parse runs in GuardedParse
//    (gumbo_guard.h): gumbo allocates from an arena, the tree is dropped
//    with the arena (never walked by gumbo), and a refused allocation, the
//    deadline or a failed assertion abandon the parse with an error instead
//    of ending the process. Our own walk uses an explicit stack.
//  - Tag names: gumbo gives the lowercase name of the tags it knows and
//    the source text of the others; SVG tag names need its case table, and
//    foreign attributes carry a namespace instead of their prefix.
//  - Two places where it departs from the HTML standard are worked around
//    (spec/html-reader.md §9): fragments are parsed as the body of a
//    document (its fragment mode is an older algorithm), and text that
//    gumbo leaves after a <form> at </form> is moved back into it.
//
// The walk keeps one value stack (`items_`): an element's head symbol and
// attributes are pushed when it opens, its children as they complete, and
// when it closes they are replaced by one list. Text goes into `pending_`
// first, so that runs split by dropped comments or unwrapped elements come
// out as one string, as they would after rendering and parsing again.
#include "sexp/html/reader.h"

#include <gumbo.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/chars.h"
#include "core/keys.h"
#include "html/elements.h"
#include "html/gumbo_guard.h"
#include "html/simple_fragment.h"

namespace sexp {
namespace {

using Clock = std::chrono::steady_clock;
using html_internal::GumboMemory;
using html_internal::GuardedParse;

bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool IsHtmlSpaceOnly(std::string_view s) {
  return std::all_of(s.begin(), s.end(), IsHtmlSpace);
}

char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(s[i]) != prefix[i]) return false;
  }
  return true;
}

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// HtmlReadOptions::Mode::kAuto: does the input start like a whole document?
// Comments and <?...> declarations before it are skipped the way HTML5
// tokenizes them ("<!-->" and "<!--->" are whole comments; a comment ends
// at "-->" or "--!>"; "<?" runs to the next ">").
bool LooksLikeDocument(std::string_view s) {
  size_t i = 0;
  for (;;) {
    while (i < s.size() && IsHtmlSpace(s[i])) ++i;
    std::string_view rest = s.substr(i);
    if (rest.substr(0, 4) == "<!--") {
      size_t end;
      if (rest.substr(4, 1) == ">") {
        end = 5;
      } else if (rest.substr(4, 2) == "->") {
        end = 6;
      } else {
        size_t a = rest.find("-->", 4);
        size_t b = rest.find("--!>", 4);
        if (a == std::string_view::npos && b == std::string_view::npos) return false;
        end = a < b ? a + 3 : b + 4;
      }
      i += end;
    } else if (rest.substr(0, 2) == "<?") {
      size_t e = rest.find('>');
      if (e == std::string_view::npos) return false;
      i += e + 1;
    } else if (StartsWithNoCase(rest, "<!doctype")) {
      return true;
    } else if (StartsWithNoCase(rest, "<html")) {
      return rest.size() == 5 || IsHtmlSpace(rest[5]) || rest[5] == '>' || rest[5] == '/';
    } else {
      return false;
    }
  }
}

// Appends `s` with every ill-formed UTF-8 sequence replaced by U+FFFD, one
// per maximal subpart (the WHATWG decoder's rule). gumbo already decodes
// this way; this keeps the output valid whatever it hands over.
void AppendValidUtf8(std::string_view s, std::string* out) {
  if (internal::FindInvalidUtf8(s) == std::string_view::npos) {
    out->append(s);
    return;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      out->push_back(static_cast<char>(*p++));
      continue;
    }
    size_t n = internal::Utf8SequenceLength(p, end);
    if (n > 0) {
      out->append(reinterpret_cast<const char*>(p), n);
      p += n;
      continue;
    }
    // The maximal subpart: the lead byte and the continuation bytes that
    // could still have completed a valid sequence.
    unsigned char c = *p++;
    size_t more = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                  : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    for (; more > 0 && p < end && *p >= lo && *p <= hi; --more) {
      ++p;
      lo = 0x80;
      hi = 0xBF;
    }
    out->append("\xEF\xBF\xBD");
  }
}

// HTML attributes whose presence is their value (the HTML standard's
// boolean attributes); with an empty value they become `true`.
bool IsBooleanAttribute(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "allowfullscreen", "alpha", "async", "autofocus", "autoplay", "checked",
      "controls", "default", "defer", "disabled", "formnovalidate", "hidden",
      "inert", "ismap", "itemscope", "loop", "multiple", "muted", "nomodule",
      "novalidate", "open", "playsinline", "readonly", "required", "reversed",
      "selected", "shadowrootclonable", "shadowrootdelegatesfocus",
      "shadowrootserializable"};
  return std::binary_search(std::begin(kNames), std::end(kNames), name);
}

// HTML elements inside which whitespace-only text is content, not layout.
bool KeepsWhitespace(const GumboElement& e) {
  if (e.tag_namespace != GUMBO_NAMESPACE_HTML) return false;
  switch (e.tag) {
    case GUMBO_TAG_PRE: case GUMBO_TAG_LISTING: case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TITLE: case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE:
    case GUMBO_TAG_XMP: case GUMBO_TAG_IFRAME: case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES: case GUMBO_TAG_PLAINTEXT:
      return true;
    default:
      return false;
  }
}

// gumbo 0.10.1 implements an older fragment parsing algorithm, in which an
// HTML start tag inside <svg> or <math> does not leave the foreign element
// in a fragment (<svg><p>x gives (svg (p "x")), where the standard now says
// (svg) (p "x")). A fragment in a <body> context is parsed as the content of
// a document's <body> is, so fragments are parsed that way: this prefix and
// the text as a document (no-quirks, as a fragment is), the body's children
// being the fragment's nodes. (After an explicit <body>, a <frameset> is
// ignored, as in a fragment; <html> and <body> tags only add attributes to
// elements that are not written.)
constexpr std::string_view kFragmentPrefix = "<!DOCTYPE html><body>";

// gumbo 0.10.1 aborts the process (handle_in_table: "Assertion
// state->_text_node._buffer.length == 0") on CDATA text directly inside a
// MathML or SVG integration point while a table insertion mode is current,
// followed by a character: the CDATA text waits in gumbo's text buffer (as
// foreign content) and the character, processed by the table rules, finds
// the buffer not empty (<table><math><mi><![CDATA[t]]>x is enough;
// tests/fuzz/html_corpus/crash-gumbo-cdata-in-table.html is the input the
// fuzzer found). Debian's gumbo is a shared library built with assertions,
// the abort cannot be caught, and neither its source package nor a PIC
// static library is at hand to fix or wrap it, so the input is changed: an empty bogus comment "<?>" after every "]]>"
// that ends a "<![CDATA[" makes gumbo flush that buffer (a comment token
// does) before any character comes. The reader drops comments and merges
// adjacent text, so the result is the same, except where such a "]]>" is
// inside raw text (script, style, textarea, ...) or an attribute value: there
// the "<?>" is text. That is why it is done only when the input could reach
// the abort at all: it holds "<![CDATA[", an <svg or <math start tag (CDATA
// is only read in foreign content) and a <table or <template start tag
// (the only ways into the table insertion modes).
constexpr std::string_view kCdataOpen = "<![CDATA[";
constexpr std::string_view kCdataClose = "]]>";
constexpr std::string_view kFlushMarker = "<?>";

// Whether `text` holds "<" + `name` followed by a character that ends a tag
// name (ASCII case-insensitive, as HTML tag names are).
bool HasStartTag(std::string_view text, std::string_view name) {
  for (size_t i = text.find('<'); i != std::string_view::npos; i = text.find('<', i + 1)) {
    if (text.size() - i - 1 <= name.size()) return false;
    bool same = true;
    for (size_t k = 0; k < name.size() && same; ++k) {
      same = (text[i + 1 + k] | 0x20) == name[k];
    }
    char after = text[i + 1 + name.size()];
    if (same && (after == '>' || after == '/' || after == ' ' || after == '\t' ||
                 after == '\n' || after == '\f' || after == '\r')) {
      return true;
    }
  }
  return false;
}

// Offsets (in the text gumbo parses) at which kFlushMarker was inserted, in
// order; empty when the input is parsed as it is.
using MarkerOffsets = std::vector<size_t>;

// The "]]>" ends after which kFlushMarker goes, or none when `html` cannot
// reach gumbo's abort (see above).
MarkerOffsets CdataEnds(std::string_view html) {
  MarkerOffsets ends;
  size_t open = html.find(kCdataOpen);
  if (open == std::string_view::npos) return ends;
  if (!(HasStartTag(html, "svg") || HasStartTag(html, "math")) ||
      !(HasStartTag(html, "table") || HasStartTag(html, "template"))) {
    return ends;
  }
  while (open != std::string_view::npos) {
    size_t close = html.find(kCdataClose, open + kCdataOpen.size());
    if (close == std::string_view::npos) break;
    ends.push_back(close + kCdataClose.size());
    open = html.find(kCdataOpen, close + kCdataClose.size());
  }
  return ends;
}

// Offset `parsed` in the parsed text less the markers inserted before it.
size_t OriginalOffset(size_t parsed, const MarkerOffsets& markers) {
  size_t before = 0;  // markers that start before `parsed`
  while (before < markers.size() && markers[before] < parsed) ++before;
  return parsed - before * kFlushMarker.size();
}

// A parse: the root (see Parse) and where markers went in the parsed text.
struct Parsed {
  const GumboNode* root = nullptr;
  MarkerOffsets markers;
};

// Parses `html` as a document and returns its html element, or as a
// fragment and returns the element whose children are its nodes. A null
// root when the allocator left by longjmp (memory->failure says why).
// Offsets in the tree are those of the parsed text: `html` with
// kFragmentPrefix before it for a fragment and kFlushMarker after each
// CdataEnds (Parsed::markers says where, for OriginalOffset).
Parsed Parse(std::string_view html, bool fragment, GumboMemory* memory) {
  Parsed parsed;
  std::string_view text = html;
  MarkerOffsets ends = CdataEnds(html);
  if (fragment || !ends.empty()) {
    size_t prefix = fragment ? kFragmentPrefix.size() : 0;
    size_t size = prefix + html.size() + ends.size() * kFlushMarker.size();
    auto* buffer = static_cast<char*>(memory->arena.Allocate(size));
    if (buffer == nullptr) {
      memory->failure = ErrorCode::kOutOfMemory;
      return parsed;
    }
    char* out = std::copy(kFragmentPrefix.begin(), kFragmentPrefix.begin() + prefix, buffer);
    size_t from = 0;
    for (size_t end : ends) {
      out = std::copy(html.begin() + from, html.begin() + end, out);
      parsed.markers.push_back(static_cast<size_t>(out - buffer));
      out = std::copy(kFlushMarker.begin(), kFlushMarker.end(), out);
      from = end;
    }
    std::copy(html.begin() + from, html.end(), out);
    text = std::string_view(buffer, size);
  }
  GumboOutput* out = GuardedParse(text, memory);
  if (out == nullptr) return parsed;
  parsed.root = out->root;
  if (!fragment) return parsed;
  const GumboVector& children = out->root->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(children.data[i]);
    if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_BODY) {
      parsed.root = child;
      return parsed;
    }
  }
  return parsed;  // not reached: the prefix makes a body
}

Error ParseFailure(const GumboMemory& memory, const HtmlReadOptions& options) {
  Error e;
  e.code = memory.failure;
  switch (memory.failure) {
    case ErrorCode::kTimeout:
      e.message = "HTML parsing took longer than the timeout (" +
                  std::to_string(options.timeout.count()) + " ms)";
      break;
    case ErrorCode::kParserFailure:
      e.message = "the HTML parser (gumbo) failed one of its own assertions on this input; "
                  "the parse was abandoned";
      break;
    default:
      e.message = "out of memory while parsing HTML";
  }
  return e;
}

bool IsText(const GumboNode* node) {
  return node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
         node->type == GUMBO_NODE_CDATA;
}

// Offset in `source` of the first end tag "</form" (any case, ended by
// whitespace, '/', '>' or the end), or npos.
size_t FindFormEndTag(std::string_view source) {
  for (size_t at = source.find("</"); at != std::string_view::npos;
       at = source.find("</", at + 2)) {
    std::string_view rest = source.substr(at + 2);
    if (StartsWithNoCase(rest, "form") &&
        (rest.size() == 4 || IsHtmlSpace(rest[4]) || rest[4] == '/' || rest[4] == '>')) {
      return at;
    }
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------------------
// gumbo's tree to sx.

class Converter {
 public:
  Converter(const HtmlReadOptions& options, std::string_view input,
            int64_t shift, MarkerOffsets markers, Builder* builder, GumboMemory* memory)
      : options_(options), input_(input), shift_(shift), markers_(std::move(markers)),
        b_(*builder), memory_(memory) {
    std::fill(std::begin(tag_symbols_), std::end(tag_symbols_), Node());
  }

  // The one root, made in the builder's document: for a document, `root`
  // (the html element) itself; for a fragment, the children of `root`, as
  // one node or wrapped in (<> ...).
  Result<Node> Build(const GumboNode* root, bool fragment) {
    stats_.document = !fragment;
    fragment_ = fragment;
    if (fragment) {
      frames_.push_back({root, 0, 0, Frame::kFragment, false});
    } else {
      Open(root);
    }
    // A refused allocation in the Builder ends the walk (Finish reports it).
    while (!frames_.empty() && error_.ok() && b_.error().ok()) {
      Frame& top = frames_.back();
      const GumboVector& children = top.node->v.element.children;
      if (top.next == children.length) {
        Close();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children.data[top.next++]);
      if (IsText(child)) {
        std::string_view text = child->v.text.text;
        if (child == moved_node_) text.remove_prefix(moved_bytes_);
        AppendValidUtf8(text, &pending_);
      } else if (child->type == GUMBO_NODE_ELEMENT ||
                 child->type == GUMBO_NODE_TEMPLATE) {
        Open(child);
      }  // else a comment (the document node is never a child): dropped
    }
    if (!error_.ok()) return error_;
    if (!b_.error().ok()) return b_.error();
    // A fragment of one node is that node; of several, (<> ...) adds a level.
    bool wrapped = fragment && items_.size() != 1;
    stats_.depth = deepest_ + (wrapped ? 1 : 0);
    if (stats_.depth > options_.max_depth) {
      return DepthError(wrapped ? at_limit_ : past_limit_);
    }
    Node root_node = wrapped ? Node() : items_[0];
    if (wrapped) {
      items_.insert(items_.begin(), b_.Symbol("<>"));
      root_node = b_.List(items_);
    }
    if (!b_.error().ok()) return b_.error();
    return root_node;
  }

  const HtmlReadStats& stats() const { return stats_; }

 private:
  struct Frame {
    enum Kind : uint8_t {
      kElement,    // written as a list starting at items_begin
      kUnwrapped,  // not written; its children go to the enclosing list
      kFragment,   // the fragment's container: its children are the roots
    };
    const GumboNode* node;  // element whose children are being walked
    size_t next;            // its next child
    size_t items_begin;
    Kind kind;
    bool verbatim;          // whitespace-only text is kept inside it
  };

  void Open(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    bool inherited = !frames_.empty() && frames_.back().verbatim;
    Node head = TagSymbol(e);
    if (options_.sanitize) {
      using html_internal::SanitizeVerdict;
      SanitizeVerdict verdict = head.is_nil() ? SanitizeVerdict::kUnwrap
                                              : html_internal::SanitizeElement(head.name());
      if (verdict == SanitizeVerdict::kDrop) {
        ++stats_.dropped_elements;  // with its content: no frame, no walk
        return;
      }
      if (verdict == SanitizeVerdict::kUnwrap) head = Node();
    }
    if (head.is_nil()) {
      ++stats_.unwrapped_elements;
      frames_.push_back({node, 0, 0, Frame::kUnwrapped, inherited});
      return;
    }
    Flush();
    ++depth_;
    if (depth_ > deepest_) {
      deepest_ = depth_;
      if (depth_ == options_.max_depth) at_limit_ = node;
      if (depth_ == options_.max_depth + 1) past_limit_ = node;
    }
    if (depth_ > options_.max_depth) {
      // In a document this element is the first one too deep. In a fragment
      // it is too, unless (<> ...) wraps the roots; that is certain once
      // an earlier root exists, else known only at the end (Run).
      if (!fragment_) {
        error_ = DepthError(node);
        return;
      }
      if (TopLevelItems() > 0) {
        error_ = DepthError(at_limit_);
        return;
      }
    }
    frames_.push_back({node, 0, items_.size(), Frame::kElement,
                       inherited || KeepsWhitespace(e)});
    items_.push_back(head);
    PushAttributes(e);
  }

  void Close() {
    Frame top = frames_.back();
    frames_.pop_back();
    if (top.kind == Frame::kUnwrapped) return;
    RecoverFormText(top.node);
    Flush(top.verbatim);
    if (top.kind == Frame::kFragment) return;
    Node list = b_.List(absl::MakeConstSpan(items_).subspan(top.items_begin));
    items_.resize(top.items_begin);
    items_.push_back(list);
    ++stats_.elements;
    --depth_;
  }

  // gumbo 0.10.1 takes a <form> off the stack of open elements at </form>
  // without first inserting the text it has buffered, so text just before
  // </form> lands after the form: <form>a</form>b gives (form) "ab" where
  // HTML5 gives (form "a") "b". Such a form has no end tag recorded, and the
  // text after it has the </form> inside its source span. The part of the
  // text before that end tag is decoded again (a body fragment of just that
  // source) and moved back into the form if the text starts with it; else
  // gumbo's tree is left as it is.
  void RecoverFormText(const GumboNode* node) {
    const GumboElement& form = node->v.element;
    if (form.tag != GUMBO_TAG_FORM || form.tag_namespace != GUMBO_NAMESPACE_HTML ||
        form.original_end_tag.length > 0 || frames_.empty()) {
      return;
    }
    const Frame& parent = frames_.back();
    const GumboVector& siblings = parent.node->v.element.children;
    if (parent.next >= siblings.length) return;
    const auto* next = static_cast<const GumboNode*>(siblings.data[parent.next]);
    if (!IsText(next)) return;
    std::string_view source(next->v.text.original_text.data,
                            next->v.text.original_text.length);
    size_t end_tag = FindFormEndTag(source);
    if (end_tag == 0 || end_tag == std::string_view::npos) return;
    const GumboNode* decoded = Parse(source.substr(0, end_tag), true, memory_).root;
    if (decoded == nullptr) {
      error_ = ParseFailure(*memory_, options_);
      return;
    }
    // Start tags gumbo ignored there (a nested <form>, <html>, <body>) do
    // make elements in a fragment of their own: only their text counts.
    std::string before;
    std::vector<const GumboNode*> todo = {decoded};
    while (!todo.empty()) {
      const GumboNode* n = todo.back();
      todo.pop_back();
      if (IsText(n)) {
        before += n->v.text.text;
      } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
        const GumboVector& kids = n->v.element.children;
        for (unsigned i = kids.length; i > 0; --i) {
          todo.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
        }
      }
    }
    std::string_view text = next->v.text.text;
    if (before.empty() || text.substr(0, before.size()) != before) return;
    AppendValidUtf8(before, &pending_);
    moved_node_ = next;
    moved_bytes_ = before.size();
  }

  // Writes pending text as one string into the innermost kept element.
  void Flush() { Flush(!frames_.empty() && frames_.back().verbatim); }
  void Flush(bool verbatim) {
    if (pending_.empty()) return;
    if (options_.keep_whitespace || verbatim || !IsHtmlSpaceOnly(pending_)) {
      items_.push_back(b_.String(pending_));
      ++stats_.texts;
    }
    pending_.clear();
  }

  // The element's head symbol, or nil when its name cannot be one.
  Node TagSymbol(const GumboElement& e) {
    bool svg = e.tag_namespace == GUMBO_NAMESPACE_SVG;
    if (e.tag != GUMBO_TAG_UNKNOWN && !svg) {
      Node& cached = tag_symbols_[e.tag];
      if (cached.is_nil()) cached = b_.Symbol(gumbo_normalized_tagname(e.tag));
      return cached;
    }
    name_.clear();
    if (e.tag != GUMBO_TAG_UNKNOWN) {
      name_ = gumbo_normalized_tagname(e.tag);
    } else {
      GumboStringPiece source = e.original_tag;
      gumbo_tag_from_original_text(&source);
      // The tokenizer's rules: ASCII lowercase, U+0000 becomes U+FFFD.
      std::string raw;
      for (size_t i = 0; i < source.length; ++i) {
        char c = source.data[i];
        if (c == '\0') {
          raw += "\xEF\xBF\xBD";
        } else {
          raw += AsciiLower(c);
        }
      }
      AppendValidUtf8(raw, &name_);
    }
    if (svg) {
      GumboStringPiece piece{name_.data(), name_.size()};
      if (const char* fixed = gumbo_normalize_svg_tagname(&piece)) name_ = fixed;
    }
    if (name_ == "raw!" || name_ == "<>" || !IsValidSymbolName(name_)) return Node();
    return b_.Symbol(name_);
  }

  void PushAttributes(const GumboElement& e) {
    size_t first = items_.size();
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
      name_.clear();
      switch (a->attr_namespace) {
        case GUMBO_ATTR_NAMESPACE_XLINK: name_ = "xlink:"; break;
        case GUMBO_ATTR_NAMESPACE_XML: name_ = "xml:"; break;
        case GUMBO_ATTR_NAMESPACE_XMLNS:
          if (std::string_view(a->name) != "xmlns") name_ = "xmlns:";
          break;
        case GUMBO_ATTR_NAMESPACE_NONE: break;
      }
      name_ += a->name;
      if (!IsValidKeywordName(name_) || (options_.sanitize && !html_internal::IsSanitizeKeptAttribute(name_))) {
        ++stats_.dropped_attributes;
        continue;
      }
      if (options_.sanitize && html_internal::IsSanitizeUrlAttribute(name_) &&
          !html_internal::IsSafeUrl(a->value)) {
        ++stats_.unsafe_urls;
        continue;
      }
      items_.push_back(b_.Keyword(name_));
      if (a->value[0] == '\0' && IsBooleanAttribute(name_)) {
        items_.push_back(b_.Bool(true));
      } else {
        value_.clear();
        AppendValidUtf8(a->value, &value_);
        items_.push_back(b_.String(value_));
      }
      ++stats_.attributes;
    }
    // gumbo drops repeated names; this only guards the canonical form
    // (a keyword may appear once among a list's pairs).
    while (b_.error().ok()) {
      size_t pairs = (items_.size() - first) / 2;
      size_t k = internal::FirstRepeatedKey(items_.data() + first, pairs,
                                            [](size_t j) { return 2 * j; });
      if (k == pairs) break;
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(first + 2 * k),
                   items_.begin() + static_cast<std::ptrdiff_t>(first + 2 * k + 2));
      --stats_.attributes;
      ++stats_.dropped_attributes;
    }
  }

  // Roots of a fragment completed so far.
  size_t TopLevelItems() const {
    for (const Frame& f : frames_) {
      if (f.kind == Frame::kElement) return f.items_begin;
    }
    return items_.size();
  }

  // The error for `node`, the first element too deep (with its start tag's
  // line and column when it has one); nullptr when the (<> ...) of a
  // fragment is itself too deep (max_depth 0).
  Error DepthError(const GumboNode* node) const {
    Error e;
    e.code = ErrorCode::kDepthLimit;
    e.message = "HTML nested deeper than max_depth (" +
                std::to_string(options_.max_depth) + ")";
    if (node != nullptr && node->v.element.original_tag.length > 0) {
      e.offset = static_cast<uint64_t>(
          shift_ + static_cast<int64_t>(OriginalOffset(node->v.element.start_pos.offset, markers_)));
      e.line = 1;
      e.column = 1;
      for (size_t i = 0; i < e.offset && i < input_.size(); ++i) {
        if (input_[i] == '\n') {
          ++e.line;
          e.column = 1;
        } else {
          ++e.column;
        }
      }
    }
    return e;
  }

  const HtmlReadOptions& options_;
  std::string_view input_;  // the whole input, byte order mark included
  int64_t shift_;           // OriginalOffset(gumbo's offsets) + shift_ = offsets in input_
  MarkerOffsets markers_;   // see Parse
  Builder& b_;
  GumboMemory* memory_;     // for RecoverFormText's parses
  HtmlReadStats stats_;
  bool fragment_ = false;
  Error error_;
  std::vector<Frame> frames_;
  std::vector<Node> items_;
  std::string pending_;
  std::string name_;
  std::string value_;
  size_t depth_ = 0;
  size_t deepest_ = 0;
  const GumboNode* at_limit_ = nullptr;    // first element at max_depth
  const GumboNode* past_limit_ = nullptr;  // first element at max_depth + 1
  const GumboNode* moved_node_ = nullptr;    // text whose first moved_bytes_
  size_t moved_bytes_ = 0;                   // went back into its form
  Node tag_symbols_[GUMBO_TAG_LAST];
};

}  // namespace

namespace {

// HtmlToSx and HtmlToSxNode: parses `html` and builds its root into
// `builder`.
Result<Node> ConvertInto(std::string_view html, const HtmlReadOptions& options,
                         HtmlReadStats* stats, Builder& builder, bool fast_path = true) {
  // gumbo's offsets are unsigned int; a fragment also has the prefix.
  constexpr size_t kGumboMaxSize = 0xFFFFFFFFu - 1 - kFragmentPrefix.size();
  size_t limit = std::min(options.max_size, kGumboMaxSize);
  if (html.size() > limit) {
    Error e;
    e.code = ErrorCode::kSizeLimit;
    e.offset = limit;
    e.message = "HTML input is larger than max_size (" + std::to_string(limit) +
                " bytes)";
    return e;
  }
  size_t base = html.substr(0, 3) == kByteOrderMark ? 3 : 0;
  std::string_view body = html.substr(base);
  bool fragment = options.mode == HtmlReadOptions::Mode::kFragment ||
                  (options.mode == HtmlReadOptions::Mode::kAuto && !LooksLikeDocument(body));
  // Post content is mostly simple markup whose tree is certain
  // (html/simple_fragment.h); anything else goes to gumbo.
  if (fast_path && fragment) {
    Node root;
    if (html_internal::ReadSimpleFragment(body, builder, options, stats, &root)) return root;
  }

  const Allocator& upstream =
      options.allocator != nullptr ? *options.allocator : DefaultAllocator();
  GumboMemory memory(upstream);
  memory.arena.ReserveHint(std::max<size_t>(64 << 10, body.size() * 4));
  if (options.timeout.count() > 0) {
    memory.has_deadline = true;
    memory.deadline = Clock::now() + options.timeout;
  }
  Parsed parsed = Parse(body, fragment, &memory);
  if (parsed.root == nullptr) return ParseFailure(memory, options);
  // Offsets in gumbo's tree to offsets in `html`.
  int64_t shift = static_cast<int64_t>(base) -
                  static_cast<int64_t>(fragment ? kFragmentPrefix.size() : 0);
  Converter converter(options, html, shift, std::move(parsed.markers), &builder, &memory);
  Result<Node> root = converter.Build(parsed.root, fragment);
  if (root.ok() && stats != nullptr) *stats = converter.stats();
  return root;
}

}  // namespace

Result<Document> HtmlToSx(std::string_view html, const HtmlReadOptions& options,
                          HtmlReadStats* stats) {
  Builder builder(options.allocator != nullptr ? *options.allocator : DefaultAllocator());
  Result<Node> root = ConvertInto(html, options, stats, builder);
  if (!root.ok()) return root.error();
  return builder.Finish({root.value()});
}

Result<Node> HtmlToSxNode(std::string_view html, Builder& builder,
                          const HtmlReadOptions& options, HtmlReadStats* stats) {
  return ConvertInto(html, options, stats, builder);
}

namespace html_internal {
Result<Node> ReadWithGumbo(std::string_view html, Builder& builder,
                           const HtmlReadOptions& options, HtmlReadStats* stats) {
  return ConvertInto(html, options, stats, builder, /*fast_path=*/false);
}
}  // namespace html_internal

}  // namespace sexp
