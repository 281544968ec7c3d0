#include "html/elements.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/strutil.h"

namespace sexp::html_internal {
namespace {

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

constexpr std::string_view kHtmlElements[] = {
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
    "blockquote", "body", "br", "button", "canvas", "caption", "cite", "code", "col",
    "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt",
    "em", "embed", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input",
    "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark", "menu", "meta",
    "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param",
    "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "search",
    "section", "select", "slot", "small", "source", "span", "strong", "style", "sub",
    "summary", "sup", "table", "tbody", "td", "template", "textarea", "tfoot", "th",
    "thead", "time", "title", "tr", "track", "u", "ul", "var", "video", "wbr",
    // SVG and MathML, with the case HTML5 gives them.
    "svg", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon", "g", "defs",
    "use", "text", "tspan", "symbol", "marker", "mask", "pattern", "image", "stop",
    "clipPath", "linearGradient", "radialGradient", "foreignObject", "textPath", "filter",
    "desc", "metadata",
    "math", "mi", "mn", "mo", "ms", "mtext", "mrow", "msup", "msub", "msubsup", "mfrac",
    "msqrt", "mroot", "mspace", "mstyle", "mpadded", "mphantom", "merror", "munder", "mover",
    "munderover", "mtable", "mtr", "mtd", "mmultiscripts", "mprescripts", "semantics",
    "annotation",
    "<>"};

constexpr std::string_view kVoid[] = {"area", "base", "br",   "col",   "embed",
                                      "hr",   "img",  "input", "link", "meta",
                                      "source", "track", "wbr", "param"};

constexpr std::string_view kUrlAttributes[] = {
    "href", "src", "action", "formaction", "poster", "cite", "background", "xlink:href",
    "srcset", "data", "codebase", "manifest", "ping", "longdesc", "usemap", "hx-get",
    "hx-post", "hx-put", "hx-delete", "hx-patch"};

constexpr std::string_view kSafeSchemes[] = {"http", "https", "mailto", "tel", "sexpr"};

bool IsCustomElementName(std::string_view name) {
  if (name.size() < 2 || name.find('-') == std::string_view::npos) return false;
  if (!absl::ascii_islower(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (!(absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsElementName(std::string_view name) {
  return In(kHtmlElements, name) || IsCustomElementName(name);
}

bool IsVoidElement(std::string_view name) { return In(kVoid, name); }

bool IsRawTextElement(std::string_view name) { return name == "script" || name == "style"; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(internal::AV(a), internal::AV(b));
}

bool IsUrlAttribute(std::string_view tag, std::string_view name) {
  if (EqualsNoCase(name, "srcdoc")) return true;
  if (tag == "meta" && EqualsNoCase(name, "content")) return true;
  return std::any_of(std::begin(kUrlAttributes), std::end(kUrlAttributes),
                     [&](std::string_view a) { return EqualsNoCase(a, name); });
}

Context ChildContext(Context c, std::string_view tag) {
  switch (c) {
    case Context::kHtml:
    case Context::kMathText:
      if (c == Context::kMathText && (tag == "mglyph" || tag == "malignmark")) {
        return Context::kMath;
      }
      if (tag == "svg") return Context::kSvg;
      if (tag == "math") return Context::kMath;
      return Context::kHtml;
    case Context::kSvg:  // HTML integration points
      return tag == "foreignObject" || tag == "desc" || tag == "title" ? Context::kHtml
                                                                       : Context::kSvg;
    case Context::kMath:
      return tag == "mi" || tag == "mo" || tag == "mn" || tag == "ms" || tag == "mtext"
                 ? Context::kMathText
                 : Context::kMath;
  }
  return c;
}

bool ChangesContext(std::string_view tag) {
  constexpr std::string_view kTags[] = {"svg", "math", "foreignObject", "desc", "title", "mi",
                                        "mo", "mn", "ms", "mtext", "mglyph", "malignmark"};
  return In(kTags, tag);
}

bool IsValidAttributeName(std::string_view name) {
  if (name.empty()) return false;
  auto first = static_cast<unsigned char>(name[0]);
  if (!(absl::ascii_isalpha(first) || first == '_' || first == ':' || first == '@')) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (!(absl::ascii_isalnum(u) || c == '-' || c == '_' || c == ':' || c == '.' || c == '@')) {
      return false;
    }
  }
  return true;
}

bool IsValidCssProperty(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

bool RefreshUrl(std::string_view content, std::string_view* url) {
  // https://html.spec.whatwg.org/#shared-declarative-refresh-steps, step by
  // step; `i` is the position.
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
  };
  size_t i = 0, n = content.size();
  auto skip_spaces = [&] {
    while (i < n && is_space(content[i])) ++i;
  };
  skip_spaces();
  size_t digits = i;
  while (i < n && absl::ascii_isdigit(static_cast<unsigned char>(content[i]))) ++i;
  if (i == digits && (i == n || content[i] != '.')) return false;  // no time: no refresh
  while (i < n && (absl::ascii_isdigit(static_cast<unsigned char>(content[i])) || content[i] == '.')) {
    ++i;
  }
  if (i < n) {
    if (content[i] != ';' && content[i] != ',' && !is_space(content[i])) return false;
    skip_spaces();
    if (i < n && (content[i] == ';' || content[i] == ',')) ++i;
    skip_spaces();
  }
  if (i == n) return false;  // the page itself, after the time
  size_t url_start = i;  // "urlString"
  auto lower_is = [&](char c) {
    return i < n && absl::ascii_tolower(static_cast<unsigned char>(content[i])) == c;
  };
  if (lower_is('u')) {
    // "url =" then the URL (maybe quoted); a 'u' that starts anything else
    // is the first letter of the URL, taken as it is.
    bool prefix = false;
    ++i;
    if (lower_is('r')) {
      ++i;
      if (lower_is('l')) {
        ++i;
        skip_spaces();
        if (i < n && content[i] == '=') {
          ++i;
          skip_spaces();
          prefix = true;
        }
      }
    }
    if (!prefix) {
      *url = content.substr(url_start);
      return true;
    }
  }
  // "skip quotes": a quoted URL ends at its closing quote.
  std::string_view rest = content.substr(i);
  if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"')) {
    char quote = rest[0];
    rest.remove_prefix(1);
    rest = rest.substr(0, rest.find(quote));
  }
  *url = rest;
  return true;
}

UrlVerdict UrlPrefixVerdict(std::string_view url) {
  // Browsers drop leading C0 controls and spaces and every tab/CR/LF inside a
  // URL before looking for the scheme ("java\tscript:" is javascript:). The
  // scheme is collected lowercased as those rules read it, without copying
  // the URL (this runs for every href on the render path).
  char scheme[16];
  size_t len = 0;
  bool started = false;
  bool allowed = true;  // what is before the ':' so far could be an allowed scheme
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u == '\t' || u == '\n' || u == '\r') continue;
    if (!started && u <= 0x20) continue;
    started = true;
    // ":foo" is not a relative URL a browser resolves sanely.
    if (c == ':') {
      return allowed && len > 0 && In(kSafeSchemes, std::string_view(scheme, len))
                 ? UrlVerdict::kSafe
                 : UrlVerdict::kUnsafe;
    }
    // A '/', '?' or '#' before any ':' makes the URL relative.
    if (c == '/' || c == '?' || c == '#') return UrlVerdict::kSafe;
    if (len == sizeof(scheme) || !(absl::ascii_isalnum(u) || c == '+' || c == '-' || c == '.')) {
      allowed = false;  // not an allowed scheme — unsafe only if a ':' follows
    } else {
      scheme[len++] = static_cast<char>(absl::ascii_tolower(u));
    }
  }
  return UrlVerdict::kUndecided;  // no ':' yet (at the end: relative)
}

bool IsSafeUrl(std::string_view url) { return UrlPrefixVerdict(url) != UrlVerdict::kUnsafe; }

// The sanitizing profile (HtmlReadOptions::sanitize; spec/html-reader.md
// §11, spec/activitypub.md §11): an allowlist of elements and attributes, as the
// fediverse's own sanitizers keep post content, plus elements dropped with
// everything in them because their content is code, styling or a document
// of its own rather than text.
SanitizeVerdict SanitizeElement(std::string_view tag) {
  static const absl::flat_hash_set<std::string_view> kKept = {
      "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
      "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
      "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
      "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s",
      "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
      "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr", "section",
      "article", "aside", "header", "footer", "nav", "main", "audio", "video",
      "source", "picture"};
  static const absl::flat_hash_set<std::string_view> kDropped = {
      "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
      "noscript", "template", "svg", "math", "form", "input", "button", "select",
      "option", "textarea", "head", "title", "meta", "link", "base", "noembed",
      "noframes", "xmp", "plaintext", "param", "canvas", "dialog", "portal"};
  if (kKept.contains(tag)) return SanitizeVerdict::kKeep;
  if (kDropped.contains(tag)) return SanitizeVerdict::kDrop;
  return SanitizeVerdict::kUnwrap;
}

bool IsSanitizeKeptAttribute(std::string_view name) {
  static const absl::flat_hash_set<std::string_view> kKept = {
      "href", "src", "alt", "title", "class", "rel", "target", "lang", "dir",
      "translate", "width", "height", "cite", "datetime", "start", "reversed", "type",
      "value", "colspan", "rowspan", "controls", "loop", "muted", "poster"};
  return kKept.contains(name);
}

// Kept attributes whose value is a URL the URL policy must allow.
bool IsSanitizeUrlAttribute(std::string_view name) {
  return name == "href" || name == "src" || name == "cite" || name == "poster";
}

}  // namespace sexp::html_internal
