// Internal: what the renderer and the compiler know about HTML names — one
// home for the element, void, raw-text and URL-attribute lists and for the
// name validation rules of spec/rendering.md.
#ifndef SEXP_SRC_HTML_ELEMENTS_H_
#define SEXP_SRC_HTML_ELEMENTS_H_

#include <cstdint>
#include <string_view>

namespace sexp::html_internal {

// An HTML or SVG element name, or a custom element (lowercase ASCII with a
// '-' not at the start). Also true for the fragment marker "<>".
bool IsElementName(std::string_view name);
// area base br col embed hr img input link meta source track wbr.
bool IsVoidElement(std::string_view name);
// script and style: in HTML their text is written unescaped and must not
// close them (in SVG and MathML they are ordinary elements: see Context).
bool IsRawTextElement(std::string_view name);
// pre, listing and textarea: the HTML parser drops a newline right after
// their start tag, so text that starts with one needs another written
// before it (Renderer::LeadingNewline).
inline bool DropsLeadingNewline(std::string_view tag) {
  return tag == "pre" || tag == "listing" || tag == "textarea";
}
// ASCII case-insensitive equality (attribute names).
bool EqualsNoCase(std::string_view a, std::string_view b);
// Attributes of `tag` whose values the URL policy checks: URLs (href, src,
// srcset…), `srcdoc` (a whole document: refused under the policy) and the
// `content` of <meta> (a refresh's url=…). ASCII case is ignored, as HTML
// ignores it.
bool IsUrlAttribute(std::string_view tag, std::string_view name);

// How an element's children are parsed, which decides how script and style
// are written (spec/rendering.md, "Foreign content"): as HTML; inside SVG or
// MathML, where <script> and <style> are ordinary elements whose text is
// parsed as markup (so it is escaped); or inside a MathML text integration
// point (mi mo mn ms mtext), where child elements are HTML again. Where the
// HTML parser would leave foreign content early (a <div> inside <svg>), the
// renderer stays in it: escaping text that would have been raw is safe, the
// reverse is not.
enum class Context : uint8_t { kHtml, kSvg, kMath, kMathText };
// The context of the children of `tag` opened in `c`.
Context ChildContext(Context c, std::string_view tag);
// Tags for which ChildContext can differ from its input.
bool ChangesContext(std::string_view tag);
// script/style text is raw in `c` (else escaped like any text).
inline bool RawTextContext(Context c) { return c == Context::kHtml || c == Context::kMathText; }
// A name the renderer will write as an attribute: ASCII letters, digits and
// - _ : . @, starting with a letter, '_', ':' or '@'. Nothing that could end
// the attribute or the tag.
bool IsValidAttributeName(std::string_view name);
// A CSS property name for :style dicts: letters, digits and '-' (custom
// properties start with "--").
bool IsValidCssProperty(std::string_view name);
// The URL a <meta http-equiv=refresh> with this `content` would navigate
// to, found as the HTML standard's shared declarative refresh steps find it:
// a time (digits and dots), then ';', ',' or whitespace, then the URL with an
// optional `url=` and quotes ("0;javascript:x", "0 javascript:x",
// ".5;'javascript:x'", "0,data:…", "5; URL = 'x'"). False when the content
// is no refresh or names no URL (a reload of the page itself).
bool RefreshUrl(std::string_view content, std::string_view* url);
// True when `url` is relative or uses an allowed scheme (http https mailto
// tel sexpr), after the whitespace and control characters browsers ignore.
bool IsSafeUrl(std::string_view url);
// What the start of a URL already decides: kSafe or kUnsafe whatever
// follows it (a '/', '?', '#' or a scheme's ':' is in it), else kUndecided.
// IsSafeUrl(url) is UrlPrefixVerdict(url) != kUnsafe.
enum class UrlVerdict { kSafe, kUnsafe, kUndecided };
UrlVerdict UrlPrefixVerdict(std::string_view prefix);

// The sanitizing profile for HTML from strangers (HtmlReadOptions::sanitize,
// and the ActivityStreams bridge's content from a peer's sx): the lists are
// spec/activitypub.md §11 (html-reader.md §11 points there). An element is kept, unwrapped
// (its children kept in its place) or dropped with everything inside it.
enum class SanitizeVerdict { kKeep, kUnwrap, kDrop };
SanitizeVerdict SanitizeElement(std::string_view tag);
// Attributes the profile keeps (lowercase names; any other is dropped).
bool IsSanitizeKeptAttribute(std::string_view name);
// Kept attributes whose value is a URL that must pass IsSafeUrl.
bool IsSanitizeUrlAttribute(std::string_view name);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_ELEMENTS_H_
