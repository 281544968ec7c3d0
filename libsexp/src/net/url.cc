// sexpr:// URLs and HOST[:PORT] authorities (sexp/net/quic.h).
#include "sexp/net/quic.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp::quic {

using ::sexp::internal::AV;

absl::StatusOr<HostPort> ParseHostPort(std::string_view authority, uint16_t default_port) {
  HostPort out{std::string(), default_port};
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unclosed [ in ", AV(authority)));
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("bad authority ", AV(authority)));
      }
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in ", AV(authority)));
  if (has_port) {
    uint32_t n = 0;
    if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos ||
        !absl::SimpleAtoi(AV(port), &n) || n > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in ", AV(authority)));
    }
    out.port = static_cast<uint16_t>(n);
  }
  return out;
}

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  constexpr std::string_view kScheme = "sexpr://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(absl::StrCat("not a sexpr:// URL: ", AV(text)));
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  absl::StatusOr<HostPort> authority = ParseHostPort(rest.substr(0, slash));
  if (!authority.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(authority.status().message(), " (", AV(text), ")"));
  }
  if (authority->port == 0) return absl::InvalidArgumentError(absl::StrCat("bad port in ", AV(text)));
  Url url;
  url.host = std::move(authority->host);
  url.port = authority->port;
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return url;
}

}  // namespace sexp::quic
