// The HTML reader's fast path (html/simple_fragment.h).
//
// The subset, and why the HTML5 parser gives the same tree for it:
//  - Elements: p, br and the phrasing elements a span b i em strong code
//    del s u, lowercase, each start tag closed by its own end tag in order
//    (br is void: <br>, <br/> or <br />). p only at the top (a <p> inside
//    anything would close or be closed implicitly), no a inside a (the
//    adoption agency), no element open at the end. With proper nesting
//    inside a p, the active formatting elements never need reconstructing.
//  - Attributes: lowercase names of letters, digits and '-', a quoted
//    non-empty value (so no boolean-attribute rule applies), each name once.
//  - Text and values: UTF-8 with none of the characters the tokenizer
//    replaces or normalizes (CR, NUL, other controls but TAB, LF and FF,
//    DEL, C1 controls, noncharacters), '<' only as a tag, and '&' only in
//    &amp; &lt; &gt; &quot; &apos; &nbsp; or a numeric reference to a
//    character none of those rules touch, each with its ';'.
#include "html/simple_fragment.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/chars.h"
#include "html/elements.h"

namespace sexp::html_internal {
namespace {

enum class Tag : uint8_t { kP, kBr, kA, kSpan, kB, kI, kEm, kStrong, kCode, kDel, kS, kU, kOther };

Tag TagOf(std::string_view name) {
  static constexpr std::string_view kNames[] = {"p",  "br",     "a",    "span", "b", "i",
                                                "em", "strong", "code", "del",  "s", "u"};
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (name == kNames[i]) return static_cast<Tag>(i);
  }
  return Tag::kOther;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A code point a character reference may give here unchanged.
bool PlainCodePoint(uint32_t cp) {
  if (cp == '\t' || cp == '\n') return true;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;  // controls, DEL, C1
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;            // surrogates
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;            // noncharacters
  if ((cp & 0xFFFE) == 0xFFFE) return false;
  return cp <= 0x10FFFF;
}

class SimpleReader {
 public:
  SimpleReader(std::string_view in, Builder& b, const HtmlReadOptions& o)
      : in_(in), b_(b), o_(o) {}

  bool Run(Node* out) {
    while (i_ < in_.size()) {
      char c = in_[i_];
      if (c == '<') {
        if (!Tag()) return false;
      } else if (c == '&') {
        if (!Reference(&text_)) return false;
      } else {
        if (!TextByte(&text_)) return false;
      }
    }
    if (!open_.empty()) return false;
    Flush();
    bool wrapped = items_.size() != 1;
    stats_.depth = deepest_ + (wrapped ? 1 : 0);
    if (stats_.depth > o_.max_depth) return false;  // gumbo's walk reports it
    if (wrapped) {
      items_.insert(items_.begin(), b_.Symbol("<>"));
      *out = b_.List(items_);
    } else {
      *out = items_[0];
    }
    stats_.document = false;
    return b_.error().ok();
  }

  const HtmlReadStats& stats() const { return stats_; }

 private:
  struct Open {
    html_internal::Tag tag;
    size_t begin;
  };

  // One byte of text (or of an attribute value) that the tokenizer leaves
  // alone; multi-byte characters are checked at their first byte.
  bool TextByte(std::string* out) {
    auto c = static_cast<unsigned char>(in_[i_]);
    unsigned char next = i_ + 1 < in_.size() ? static_cast<unsigned char>(in_[i_ + 1]) : 0;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\f') return false;  // CR, NUL, controls
    if (c == 0x7F) return false;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) return false;   // C1
    if (c == 0xEF && next == 0xB7) return false;                    // U+FDC0… (noncharacters)
    if (c == 0xBF && (next == 0xBE || next == 0xBF)) return false;  // U+…FFFE, U+…FFFF
    *out += static_cast<char>(c);
    ++i_;
    return true;
  }

  // A character reference of the subset, decoded into *out.
  bool Reference(std::string* out) {
    size_t semi = in_.find(';', i_);
    if (semi == std::string_view::npos || semi - i_ > 10) return false;
    std::string_view name = in_.substr(i_ + 1, semi - i_ - 1);
    uint32_t cp = 0;
    if (name == "amp") {
      cp = '&';
    } else if (name == "lt") {
      cp = '<';
    } else if (name == "gt") {
      cp = '>';
    } else if (name == "quot") {
      cp = '"';
    } else if (name == "apos") {
      cp = '\'';
    } else if (name == "nbsp") {
      cp = 0xA0;
    } else if (name.size() >= 2 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string_view digits = name.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 6) return false;
      for (char d : digits) {
        int v = hex ? internal::HexDigitValue(d) : IsDigit(d) ? d - '0' : -1;
        if (v < 0) return false;
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      if (!PlainCodePoint(cp)) return false;
    } else {
      return false;
    }
    char buf[4];
    out->append(buf, internal::EncodeUtf8(cp, buf));
    i_ = semi + 1;
    return true;
  }

  bool Tag() {
    size_t at = i_ + 1;
    bool end = at < in_.size() && in_[at] == '/';
    if (end) ++at;
    size_t name_begin = at;
    while (at < in_.size() && (IsLower(in_[at]) || IsDigit(in_[at]))) ++at;
    if (at == name_begin || !IsLower(in_[name_begin]) || at == in_.size()) return false;
    std::string_view name = in_.substr(name_begin, at - name_begin);
    html_internal::Tag tag = TagOf(name);
    if (tag == html_internal::Tag::kOther) return false;
    if (end) {
      while (at < in_.size() && IsSpace(in_[at])) ++at;
      if (at == in_.size() || in_[at] != '>') return false;
      if (open_.empty() || open_.back().tag != tag || tag == html_internal::Tag::kBr) return false;
      i_ = at + 1;
      Close();
      return true;
    }
    if (!IsSpace(in_[at]) && in_[at] != '>' && in_[at] != '/') return false;
    // The element's rules.
    if (tag == html_internal::Tag::kP && !open_.empty()) return false;
    if (tag == html_internal::Tag::kA) {
      for (const Open& o : open_) {
        if (o.tag == html_internal::Tag::kA) return false;
      }
    }
    if (depth_ + 1 > o_.max_depth) return false;
    Flush();
    size_t begin = items_.size();
    items_.push_back(b_.Symbol(name));
    i_ = at;
    bool self_closing = false;
    seen_attributes_.clear();
    if (!Attributes(&self_closing)) return false;
    if (self_closing && tag != html_internal::Tag::kBr) return false;  // <span/> opens
    ++depth_;
    deepest_ = std::max(deepest_, depth_);
    if (tag == html_internal::Tag::kBr) {
      Node br = b_.List(absl::MakeConstSpan(items_).subspan(begin));
      items_.resize(begin);
      items_.push_back(br);
      ++stats_.elements;
      --depth_;
      return true;
    }
    open_.push_back({tag, begin});
    return true;
  }

  // Attributes up to and including the '>' (sets *self_closing for "/>").
  bool Attributes(bool* self_closing) {
    for (;;) {
      while (i_ < in_.size() && IsSpace(in_[i_])) ++i_;
      if (i_ == in_.size()) return false;
      if (in_[i_] == '>') {
        ++i_;
        return true;
      }
      if (in_[i_] == '/') {
        if (i_ + 1 < in_.size() && in_[i_ + 1] == '>') {
          *self_closing = true;
          i_ += 2;
          return true;
        }
        return false;
      }
      size_t name_begin = i_;
      while (i_ < in_.size() && (IsLower(in_[i_]) || IsDigit(in_[i_]) || in_[i_] == '-')) ++i_;
      if (i_ == name_begin || !IsLower(in_[name_begin])) return false;
      std::string_view name = in_.substr(name_begin, i_ - name_begin);
      while (i_ < in_.size() && IsSpace(in_[i_])) ++i_;
      if (i_ == in_.size() || in_[i_] != '=') return false;
      ++i_;
      while (i_ < in_.size() && IsSpace(in_[i_])) ++i_;
      if (i_ == in_.size() || (in_[i_] != '"' && in_[i_] != '\'')) return false;
      char quote = in_[i_++];
      value_.clear();
      while (i_ < in_.size() && in_[i_] != quote) {
        if (in_[i_] == '&') {
          if (!Reference(&value_)) return false;
        } else if (!TextByte(&value_)) {
          return false;
        }
      }
      if (i_ == in_.size() || value_.empty()) return false;
      ++i_;  // the closing quote
      // Each name once (gumbo keeps the first; the subset has no repeats).
      for (std::string_view seen : seen_attributes_) {
        if (seen == name) return false;
      }
      seen_attributes_.push_back(name);
      if (o_.sanitize) {
        if (!IsSanitizeKeptAttribute(name)) {
          ++stats_.dropped_attributes;
          continue;
        }
        if (IsSanitizeUrlAttribute(name) && !IsSafeUrl(value_)) {
          ++stats_.unsafe_urls;
          continue;
        }
      }
      items_.push_back(b_.Keyword(name));
      items_.push_back(b_.String(value_));
      ++stats_.attributes;
    }
  }

  void Close() {
    Flush();
    Open top = open_.back();
    open_.pop_back();
    Node list = b_.List(absl::MakeConstSpan(items_).subspan(top.begin));
    items_.resize(top.begin);
    items_.push_back(list);
    ++stats_.elements;
    --depth_;
  }

  void Flush() {
    if (text_.empty()) return;
    items_.push_back(b_.String(text_));
    ++stats_.texts;
    text_.clear();
  }

  std::string_view in_;
  size_t i_ = 0;
  Builder& b_;
  const HtmlReadOptions& o_;
  HtmlReadStats stats_;
  std::vector<Node> items_;
  std::vector<Open> open_;
  std::vector<std::string_view> seen_attributes_;  // of the tag being read
  std::string text_;
  std::string value_;
  size_t depth_ = 0;
  size_t deepest_ = 0;
};

}  // namespace

bool ReadSimpleFragment(std::string_view html, Builder& builder, const HtmlReadOptions& options,
                        HtmlReadStats* stats, Node* out) {
  // A leading byte order mark is the decoder's business (HtmlToSx strips
  // it before calling); text that starts with one is left to gumbo.
  if (!options.keep_whitespace || html.empty() || html.substr(0, 3) == "\xEF\xBB\xBF" ||
      internal::FindInvalidUtf8(html) != std::string_view::npos) {
    return false;
  }
  SimpleReader reader(html, builder, options);
  if (!reader.Run(out)) return false;
  if (stats != nullptr) *stats = reader.stats();
  return true;
}

}  // namespace sexp::html_internal
