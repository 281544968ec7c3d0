// Internal: what the renderer and the compiler know about HTML names — one
// home for the element, void, raw-text and URL-attribute lists and for the
// name validation rules of spec/rendering.md.
#ifndef SEXP_SRC_HTML_ELEMENTS_H_
#define SEXP_SRC_HTML_ELEMENTS_H_

#include <string_view>

namespace sexp::html_internal {

// An HTML or SVG element name, or a custom element (lowercase ASCII with a
// '-' not at the start). Also true for the fragment marker "<>".
bool IsElementName(std::string_view name);
// area base br col embed hr img input link meta source track wbr.
bool IsVoidElement(std::string_view name);
// script and style: their text is written unescaped and must not close them.
bool IsRawTextElement(std::string_view name);
// Attributes whose values are URLs (the URL policy applies).
bool IsUrlAttribute(std::string_view name);
// A name the renderer will write as an attribute: ASCII letters, digits and
// - _ : . @, starting with a letter, '_', ':' or '@'. Nothing that could end
// the attribute or the tag.
bool IsValidAttributeName(std::string_view name);
// A CSS property name for :style dicts: letters, digits and '-' (custom
// properties start with "--").
bool IsValidCssProperty(std::string_view name);
// True when `url` is relative or uses an allowed scheme (http https mailto
// tel sexpr), after the whitespace and control characters browsers ignore.
bool IsSafeUrl(std::string_view url);
// What the start of a URL already decides: kSafe or kUnsafe whatever
// follows it (a '/', '?', '#' or a scheme's ':' is in it), else kUndecided.
// IsSafeUrl(url) is UrlPrefixVerdict(url) != kUnsafe.
enum class UrlVerdict { kSafe, kUnsafe, kUndecided };
UrlVerdict UrlPrefixVerdict(std::string_view prefix);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_ELEMENTS_H_
