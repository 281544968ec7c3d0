// Negotiation (sexp/web/negotiate.h; spec/host.md "Negotiation").
#include "sexp/web/negotiate.h"

#include <algorithm>
#include <string>
#include <string_view>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;

// Debian's Abseil has its own string_view: these wrap its splitting and
// trimming for std::string_view (core/strutil.h's AV).
std::string_view Trim(std::string_view s) {
  absl::string_view t = absl::StripAsciiWhitespace(AV(s));
  return {t.data(), t.size()};
}

std::vector<std::string_view> Split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  for (absl::string_view piece : absl::StrSplit(AV(s), absl::ByAnyChar(AV(separators)))) {
    out.emplace_back(piece.data(), piece.size());
  }
  return out;
}

// RFC 9110 §12.4.2 qvalue: 0, 0.d{0,3}, 1, 1.0{0,3}.
bool ParseQValue(std::string_view v, double* q) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return false;
  if (v.size() > 1) {
    if (v[1] != '.' || v.size() > 5) return false;
    for (char c : v.substr(2)) {
      if (v[0] == '1' ? c != '0' : (c < '0' || c > '9')) return false;
    }
  }
  double value = v[0] - '0';
  double scale = 0.1;
  for (char c : v.size() > 2 ? v.substr(2) : std::string_view()) {
    value += (c - '0') * scale;
    scale /= 10;
  }
  *q = value;
  return true;
}

// An entity-tag without W/ and quotes ("xyz" and W/"xyz" both give xyz).
std::string_view Opaque(std::string_view tag) {
  tag = Trim(tag);
  if (tag.size() >= 2 && tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  return tag;
}

}  // namespace

AcceptQuality ParseAccept(std::string_view accept) {
  AcceptQuality out;
  int html_rank = -1;
  for (std::string_view item : Split(accept, ",")) {
    std::vector<std::string_view> fields = Split(item, ";");
    std::string media = absl::AsciiStrToLower(AV(Trim(fields[0])));
    double q = 1.0;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string_view param = fields[i];
      size_t eq = param.find('=');
      std::string_view name = Trim(param.substr(0, eq));
      if (name != "q" && name != "Q") continue;
      std::string_view value = eq == std::string_view::npos ? "" : Trim(param.substr(eq + 1));
      if (!ParseQValue(value, &q)) {
        media.clear();  // a malformed entry counts for nothing
        q = 0.0;
      }
    }
    if (media == kSxMediaType) out.sx = std::max(out.sx, q);
    int rank = media == "text/html" ? 2 : media == "text/*" ? 1 : media == "*/*" ? 0 : -1;
    if (rank > html_rank) {
      out.html = q;
      html_rank = rank;
    } else if (rank == html_rank && rank >= 0) {
      out.html = std::max(out.html, q);
    }
  }
  return out;
}

bool WantsSx(std::string_view accept) {
  if (accept.empty()) return false;
  AcceptQuality q = ParseAccept(accept);
  return q.sx > 0 && q.sx >= q.html;
}

std::string SxEtag(const Digest& address) { return "\"" + address.hex_address() + "\""; }

bool IsValidEtagVersion(std::string_view version) {
  if (version.empty()) return false;
  for (char c : version) {
    if (c < '!' || c > '~' || c == '"') return false;
  }
  return true;
}

std::string HtmlEtag(std::string_view html, std::string_view version) {
  std::string tag = "\"" + Sha3_256(html).hex_address() + "-html";
  if (!version.empty()) {
    tag += '-';
    tag += version;
  }
  tag += '"';
  return tag;
}

bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  std::string_view want = Opaque(etag);
  for (std::string_view item : Split(if_none_match, ",")) {
    std::string_view t = Trim(item);
    if (t == "*") return true;
    if (!t.empty() && Opaque(t) == want) return true;
  }
  return false;
}

bool HaveNames(std::string_view sexpr_have, const Digest& address) {
  std::string hex = address.hex_address();
  std::string cid;
  for (std::string_view token : Split(sexpr_have, ", \t\r\n")) {
    std::string_view t = Opaque(token);
    if (t.empty()) continue;
    if (t == hex) return true;
    if (t[0] == 'b') {
      if (cid.empty()) cid = address.cid();
      if (t == cid) return true;
    }
  }
  return false;
}

std::string_view SxAnswerHead(int status) {
  if (status >= 200 && status < 300) return "ok";
  return status == 404 ? "not-found" : "error";
}

}  // namespace sexp
