// sexp/web/negotiate.h — one handler answering browsers with HTML and sx
// clients with canonical sx: the HTTP decisions every host makes the same
// way (spec/host.md "Negotiation"; sexp.quart.respond and `sexp host` both
// call these, so the Python and C++ hosts cannot drift).
//
//   bool sx = sexp::WantsSx(accept_header);
//   std::string tag = sx ? sexp::SxEtag(address) : sexp::HtmlEtag(html, "");
//   if (sexp::IfNoneMatchMatches(if_none_match_header, tag)) -> 304
//   if (sx && sexp::HaveNames(sexpr_have_header, digest)) -> (not-modified :hash …)
//
// Pure functions of their arguments: any thread.
#ifndef SEXP_WEB_NEGOTIATE_H_
#define SEXP_WEB_NEGOTIATE_H_

#include <string>
#include <string_view>

#include "sexp/core/address.h"

namespace sexp {

inline constexpr std::string_view kSxMediaType = "application/x-sexpr";
inline constexpr std::string_view kHtmlMediaType = "text/html; charset=utf-8";
inline constexpr std::string_view kHaveHeader = "Sexpr-Have";
// Every negotiated response varies on these (plus HX-Request when the page
// asked (htmx-request?)).
inline constexpr std::string_view kNegotiatedVary = "Accept, Sexpr-Have";

// The q-values an Accept header gives the two representations: sx only when
// application/x-sexpr is named itself (not through */* or application/*),
// HTML by its most specific range (text/html, then text/*, then */*). A
// malformed q-value makes its entry count for nothing.
struct AcceptQuality {
  double sx = 0;
  double html = 0;
};
AcceptQuality ParseAccept(std::string_view accept);
// sx when its q is above 0 and at least HTML's; an empty header is HTML.
bool WantsSx(std::string_view accept);

// ETags, quotes included. sx: the content address of the tree sent
// ("sha3-…"). HTML: the SHA3-256 of its UTF-8 bytes, "-html", and
// "-<version>" when `version` is not empty (visible ASCII without '"';
// otherwise InvalidVersion). The two representations never share a tag.
std::string SxEtag(const Digest& address);
std::string HtmlEtag(std::string_view html, std::string_view version);
bool IsValidEtagVersion(std::string_view version);

// If-None-Match with the weak comparison of RFC 9110 §13.1.2: "*" matches
// any tag; W/ prefixes are ignored on both sides.
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);

// Sexpr-Have (DESIGN.md's :have over HTTP): tokens separated by commas or
// whitespace, each a "sha3-…" address, a CID, or either as a quoted
// (possibly weak) ETag. True when one names `address`.
bool HaveNames(std::string_view sexpr_have, const Digest& address);

// The head of an sx answer for a status: ok (2xx), not-found (404), error.
std::string_view SxAnswerHead(int status);

}  // namespace sexp

#endif  // SEXP_WEB_NEGOTIATE_H_
